"""What the API answers, as frozen dataclasses.

Every class has ``from_json(data)``, which reads the fields it declares and ignores the rest,
so a newer server that adds fields does not break an older SDK; ``raw`` keeps the whole answer
(``to_json()`` gives it back, which the CLI prints for ``--json``). Times are ``datetime``,
ids are strings, nested objects are dataclasses too.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from typing import Any, ClassVar, Self, TypeVar, Union, get_args, get_origin

from .errors import PractikaError

T = TypeVar("T", bound="ApiObject")
FINAL_STATUSES = frozenset({"ready", "failed", "rejected"})


class ResponseShapeError(PractikaError):
    """The server answered JSON the SDK cannot read (a required field is missing)."""


@dataclass(frozen=True, kw_only=True)
class ApiObject:
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        if not isinstance(data, Mapping):
            raise ResponseShapeError(
                f"Expected a JSON object for {cls.__name__}, got {type(data).__name__}.",
                code="unexpected_response",
            )
        hints = _hints(cls)
        values: dict[str, Any] = {}
        for spec in fields(cls):
            if spec.name == "raw":
                continue
            if spec.name in data:
                values[spec.name] = _convert(hints[spec.name], data[spec.name])
            elif spec.default is MISSING and spec.default_factory is MISSING:
                raise ResponseShapeError(
                    f"{cls.__name__} without {spec.name!r} in the server's answer.",
                    code="unexpected_response",
                )
        return cls(raw=dict(data), **values)

    def to_json(self) -> dict[str, Any]:
        return dict(self.raw)


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _convert(hint: Any, value: Any) -> Any:
    """``value`` from JSON as ``hint`` says: nested objects, lists of them, datetimes."""
    if value is None:
        return None
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        return _convert(options[0], value) if len(options) == 1 else value
    if origin is list:
        (item,) = get_args(hint)
        return [_convert(item, v) for v in value] if isinstance(value, list) else value
    if isinstance(hint, type):
        if issubclass(hint, ApiObject) and isinstance(value, Mapping):
            return hint.from_json(value)
        if hint is datetime and isinstance(value, str):
            return datetime.fromisoformat(value)
        if hint is float and isinstance(value, int):
            return float(value)
    return value


# --- people, courses, exercises ---------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class UserRef(ApiObject):
    id: str
    username: str


@dataclass(frozen=True, kw_only=True)
class User(UserRef):
    role: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""


@dataclass(frozen=True, kw_only=True)
class PageRef(ApiObject):
    id: str
    title: str


@dataclass(frozen=True, kw_only=True)
class CourseExercise(PageRef):
    url: str | None = None
    target_duration_sec: int | None = None
    max_takes: int | None = None


@dataclass(frozen=True, kw_only=True)
class CourseLesson(PageRef):
    url: str | None = None
    exercises: list[CourseExercise] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class CourseModule(PageRef):
    url: str | None = None
    lessons: list[CourseLesson] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Course(PageRef):
    url: str | None = None
    summary: str = ""
    level: str | None = None
    enrolled_as: str | None = None
    module_count: int = 0
    lesson_count: int = 0
    exercise_count: int = 0
    #: Only in ``course(id)``: HTML, and the outline.
    description: str | None = None
    modules: list[CourseModule] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Enrollment(ApiObject):
    id: str
    course: PageRef
    role: str
    created_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class RubricCriterion(ApiObject):
    id: str
    name: str
    description: str = ""
    max_score: int | None = None


@dataclass(frozen=True, kw_only=True)
class Exercise(PageRef):
    url: str | None = None
    target_duration_sec: int | None = None
    max_takes: int | None = None
    course: PageRef | None = None
    module: PageRef | None = None
    lesson: PageRef | None = None
    #: Only in ``exercise(id)``.
    instructions: str | None = None
    rubric_criteria: list[RubricCriterion] = field(default_factory=list)


# --- clips ------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class UploadTarget(ApiObject):
    clip_id: str
    url: str
    method: str = "PUT"
    headers: dict[str, str] = field(default_factory=dict)
    expires_at: datetime | None = None
    max_bytes: int | None = None
    tus_url: str | None = None


@dataclass(frozen=True, kw_only=True)
class ClipError(ApiObject):
    code: str
    message: str = ""


@dataclass(frozen=True, kw_only=True)
class ClipStatus(ApiObject):
    clip_id: str
    status: str
    progress: int = 0
    playable: bool = False
    error: ClipError | None = None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_ready(self) -> bool:
        return self.status == "ready"


@dataclass(frozen=True, kw_only=True)
class Clip(ApiObject):
    id: str
    status: str
    exercise: PageRef | None = None
    course_id: str | None = None
    owner: UserRef | None = None
    kind: str = "take"
    attempt_number: int | None = None
    title: str = ""
    notes: str = ""
    progress: int = 0
    playable: bool = False
    error: ClipError | None = None
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    size_bytes: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    playable_at: datetime | None = None
    ready_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Rendition(ApiObject):
    url: str
    height: int
    bandwidth: int
    name: str = ""
    width: int | None = None


@dataclass(frozen=True, kw_only=True)
class Streams(ApiObject):
    """Signed, expiring URLs: fetching them needs no token."""

    hls: str
    renditions: list[Rendition] = field(default_factory=list)
    poster: str | None = None
    thumbnails_vtt: str | None = None
    waveform: str | None = None
    original: str | None = None
    expires_in: int | None = None


# --- segments ---------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class SegmentExport(ApiObject):
    status: str
    progress: int = 0
    error: ClipError | None = None
    #: Signed, expiring MP4 download once the export is ready.
    url: str | None = None


@dataclass(frozen=True, kw_only=True)
class Segment(ApiObject):
    id: str
    clip_id: str
    start: float
    end: float
    duration: float | None = None
    title: str = ""
    created_by: UserRef | None = None
    status: str = "ready"
    export: SegmentExport | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class SegmentRendition(Rendition):
    offset: float = 0.0


@dataclass(frozen=True, kw_only=True)
class SegmentStreams(ApiObject):
    """Playlists listing only the clip's HLS segments that overlap the range: play from
    ``offset`` for ``duration`` seconds."""

    hls: str
    segment_id: str | None = None
    renditions: list[SegmentRendition] = field(default_factory=list)
    start: float = 0.0
    end: float = 0.0
    duration: float = 0.0
    offset: float = 0.0
    expires_in: int | None = None


# --- feedback ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class NewMarker:
    """A marker to write: at ``time`` (a range with ``end_time``), of ``kind`` comment,
    praise, fix or drawing; ``drawing`` holds normalized shapes (see the API schema)."""

    time: float
    end_time: float | None = None
    kind: str = "comment"
    text: str = ""
    drawing: dict[str, Any] | None = None
    criterion_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"time": self.time, "kind": self.kind, "text": self.text}
        optional = {
            "end_time": self.end_time,
            "drawing": self.drawing,
            "criterion_id": self.criterion_id,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        return body


@dataclass(frozen=True, kw_only=True)
class Marker(ApiObject):
    id: str
    time: float
    kind: str
    feedback_id: str | None = None
    end_time: float | None = None
    text: str = ""
    drawing: dict[str, Any] | None = None
    criterion_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class RubricScore(ApiObject):
    criterion_id: str
    score: int
    name: str = ""
    max_score: int | None = None


@dataclass(frozen=True, kw_only=True)
class ReplyClip(ApiObject):
    clip_id: str
    status: str
    playable: bool = False


@dataclass(frozen=True, kw_only=True)
class Feedback(ApiObject):
    id: str
    clip_id: str
    status: str
    summary: str = ""
    segment_id: str | None = None
    author: UserRef | None = None
    published_at: datetime | None = None
    scores: list[RubricScore] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    #: The video reply, once requested: play it through ``streams(reply.clip_id)``.
    reply: ReplyClip | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class TimelineEntry(ApiObject):
    """A segment (``type == "segment"``) or a marker of feedback the caller may see."""

    type: str
    id: str
    time: float
    end_time: float | None = None
    title: str = ""
    status: str = ""
    feedback_id: str | None = None
    segment_id: str | None = None
    kind: str | None = None
    text: str = ""
    drawing: dict[str, Any] | None = None
    criterion_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class Timeline(ApiObject):
    clip_id: str
    duration: float | None = None
    entries: list[TimelineEntry] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class CriterionScore(ApiObject):
    criterion_id: str
    score: float
    name: str = ""
    max_score: int | None = None
    count: int = 0


@dataclass(frozen=True, kw_only=True)
class Attempt(ApiObject):
    """One take of an exercise with what a progress chart needs."""

    id: str
    status: str
    student: UserRef | None = None
    attempt_number: int | None = None
    title: str = ""
    created_at: datetime | None = None
    duration: float | None = None
    feedback_count: int = 0
    marker_counts: dict[str, int] = field(default_factory=dict)
    scores: list[CriterionScore] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class ReviewItem(ApiObject):
    """A ready take waiting for published feedback, in the review queue of its teachers."""

    id: str
    course: PageRef | None = None
    exercise: PageRef | None = None
    student: UserRef | None = None
    attempt_number: int | None = None
    title: str = ""
    duration: float | None = None
    created_at: datetime | None = None
    ready_at: datetime | None = None
    draft_count: int = 0


# --- threads ----------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Thread(ApiObject):
    id: str
    title: str
    segment_id: str | None = None
    clip_id: str | None = None
    created_by: UserRef | None = None
    resolved: bool = False
    resolved_by: UserRef | None = None
    resolved_at: datetime | None = None
    #: The seq of the thread's latest event: pass it as ``since`` to get what came after.
    last_seq: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Message(ApiObject):
    id: str
    thread_id: str
    seq: int
    body: str = ""
    updated_seq: int | None = None
    author: UserRef | None = None
    html: str = ""
    video_time: float | None = None
    created_at: datetime | None = None
    edited_at: datetime | None = None
    deleted: bool = False


# --- notifications ----------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Notification(ApiObject):
    id: str
    kind: str
    title: str
    body: str = ""
    actor: UserRef | None = None
    target_type: str | None = None
    target_id: str | None = None
    url: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    read: bool = False
    read_at: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class MarkedRead(ApiObject):
    marked: int
    unread_count: int


# --- live events ------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Event(ApiObject):
    """A server frame ``{"type", "topic", "seq", "data"}`` from ``/ws/``."""

    type: str
    topic: str
    seq: int | None = None
    data: dict[str, Any] = field(default_factory=dict)

    CLIP_EVENTS: ClassVar[frozenset[str]] = frozenset(
        {"clip.progress", "clip.playable", "clip.ready", "clip.failed"}
    )

    @property
    def clip_status(self) -> ClipStatus | None:
        """The clip's status for ``clip.*`` events (their data is what ``status`` answers)."""
        return ClipStatus.from_json(self.data) if self.type in self.CLIP_EVENTS else None

    @property
    def message(self) -> Message | None:
        """The message as it is now, for ``message.*`` events."""
        return Message.from_json(self.data) if self.type.startswith("message.") else None

    @property
    def feedback(self) -> Feedback | None:
        """The feedback, for ``feedback.*`` events."""
        return Feedback.from_json(self.data) if self.type.startswith("feedback.") else None

    @property
    def notification(self) -> Notification | None:
        """The notification, for ``notification.created`` and ``notification.updated``."""
        wanted = self.type in ("notification.created", "notification.updated")
        return Notification.from_json(self.data) if wanted else None


def parse_list(cls: type[T], items: object) -> list[T]:
    if not isinstance(items, list):
        raise ResponseShapeError(
            f"Expected a JSON list of {cls.__name__}.", code="unexpected_response"
        )
    return [cls.from_json(item) for item in items]
