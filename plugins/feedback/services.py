"""Writes on feedback: create (with scores and markers), edit, delete, publish, markers,
and the video reply.

Rules: the course's teachers (and admins) give feedback on takes that can be played; the
author (or an admin) edits, deletes and publishes it. A published feedback stays editable by
its author and stays published (no re-publish; students see the edit on their next read).
Marker times are clip seconds, within the clip or, for a segment's feedback, the segment.
Every write validates everything first and raises one ``InvalidInput`` naming each bad field,
so nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypedDict
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from plugins.clips.models import PracticeClip
from plugins.clips.services import (
    UploadTarget,
    clip_delete,
    clip_reply_link,
    clip_request_upload,
    clip_topic,
)
from practika_site.core.errors import Forbidden, InvalidInput
from practika_site.core.realtime import publish_on_commit
from practika_site.courses.models import RubricCriterion
from practika_site.users.models import User

from .errors import (
    ClipNotATake,
    ClipNotReviewable,
    FeedbackAlreadyPublished,
    FeedbackEmpty,
    TooManyMarkers,
)
from .models import MAX_MARKERS_PER_FEEDBACK, Feedback, FeedbackMarker, RubricScore
from .permissions import can_edit_feedback, can_reply_to_feedback, can_review_clip
from .review_events import review_take_reviewed, review_take_waiting_again
from .serializers import feedback_data
from .signals import feedback_published

FEEDBACK_PUBLISHED = "feedback.published"

Drawing = dict[str, object]  # JSON, checked by drawing.validate_drawing
FieldErrors = dict[str, list[str]]


@dataclass(frozen=True)
class ScoreInput:
    criterion_id: UUID
    score: int


@dataclass(frozen=True)
class MarkerInput:
    time: float
    kind: str = FeedbackMarker.Kind.COMMENT
    end_time: float | None = None
    text: str = ""
    drawing: Drawing | None = None
    criterion_id: UUID | None = None


class MarkerChanges(TypedDict, total=False):
    time: float
    end_time: float | None
    kind: str
    text: str
    drawing: Drawing | None
    criterion_id: UUID | None


# --- checks shared by the writes ------------------------------------------------------------


def _assert_reviewable(clip: PracticeClip) -> None:
    if clip.kind != PracticeClip.Kind.TAKE:
        raise ClipNotATake(details={"clip_id": str(clip.pk), "kind": clip.kind})
    if clip.duration is None or not (clip.status == PracticeClip.Status.READY or clip.playable):
        raise ClipNotReviewable(details={"clip_id": str(clip.pk), "status": clip.status})


def _criteria_of(clip: PracticeClip) -> dict[UUID, RubricCriterion]:
    return {c.uuid: c for c in RubricCriterion.objects.filter(page_id=clip.exercise_id)}


@dataclass(frozen=True)
class TimeRange:
    """Where marker times must lie: the segment's range, or the whole clip."""

    start: float
    end: float
    of: str

    def __contains__(self, time: object) -> bool:
        return isinstance(time, float | int) and self.start <= time <= self.end

    def describe(self) -> str:
        return f"Must be within the {self.of}: {self.start:g} to {self.end:g} s."


def _bounds(feedback: Feedback) -> TimeRange:
    if feedback.segment is not None:
        return TimeRange(feedback.segment.start, feedback.segment.end, "segment")
    return TimeRange(0.0, float(feedback.clip.duration or 0.0), "clip")


def _model_errors(instance: models.Model, *, exclude: Sequence[str] = ()) -> FieldErrors:
    # The models' clean() states every rule their check constraints enforce, so the
    # constraints (one query each to check) and the uuid primary key's uniqueness (one more)
    # are left to the database: validating hundreds of markers stays free of queries.
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return {name: list(messages) for name, messages in exc.message_dict.items()}
    return {}


def _marker_errors(
    marker: FeedbackMarker, *, bounds: TimeRange, criteria: Mapping[UUID, object]
) -> FieldErrors:
    errors = _model_errors(marker, exclude=["feedback"])
    if "time" not in errors and marker.time not in bounds:
        errors["time"] = [bounds.describe()]
    if "end_time" not in errors and marker.end_time is not None and marker.end_time not in bounds:
        errors["end_time"] = [bounds.describe()]
    if marker.criterion_uuid is not None and marker.criterion_uuid not in criteria:
        errors["criterion_id"] = ["Not a criterion of this exercise's rubric."]
    return errors


def _build_marker(feedback: Feedback, data: MarkerInput) -> FeedbackMarker:
    return FeedbackMarker(
        feedback=feedback,
        time=data.time,
        end_time=data.end_time,
        kind=data.kind,
        text=data.text,
        drawing=data.drawing,
        criterion_uuid=data.criterion_id,
    )


def _by_index(errors: Sequence[FieldErrors]) -> dict[str, FieldErrors]:
    """A list's errors as DRF reports them for nested lists: only the bad items, by index."""
    return {str(index): item for index, item in enumerate(errors) if item}


def _build_scores(
    feedback: Feedback,
    scores: Sequence[ScoreInput],
    criteria: Mapping[UUID, RubricCriterion],
) -> tuple[list[RubricScore], dict[str, FieldErrors]]:
    """The score rows, and the errors of the bad items by index."""
    rows: list[RubricScore] = []
    errors: list[FieldErrors] = []
    seen: set[UUID] = set()
    for item in scores:
        criterion = criteria.get(item.criterion_id)
        item_errors: FieldErrors = {}
        if criterion is None:
            item_errors["criterion_id"] = ["Not a criterion of this exercise's rubric."]
        elif item.criterion_id in seen:
            item_errors["criterion_id"] = ["This criterion is scored twice."]
        elif not 0 <= item.score <= criterion.max_score:
            item_errors["score"] = [f"Must be between 0 and {criterion.max_score}."]
        else:
            rows.append(
                RubricScore(
                    feedback=feedback,
                    criterion_uuid=criterion.uuid,
                    criterion_name=criterion.name,
                    max_score=criterion.max_score,
                    position=criterion.sort_order or 0,
                    score=item.score,
                )
            )
        seen.add(item.criterion_id)
        errors.append(item_errors)
    return rows, _by_index(errors)


def _api_names(errors: FieldErrors) -> FieldErrors:
    """Model field names to the names clients write."""
    names = {"criterion_uuid": "criterion_id", "segment": "segment_id"}
    return {names.get(name, name): messages for name, messages in errors.items()}


def _lock(feedback: Feedback) -> Feedback:
    return (
        # Only the feedback row: PostgreSQL refuses FOR UPDATE on the nullable side of the
        # outer joins that segment and reply_clip need.
        Feedback.objects.select_for_update(of=("self",))
        .select_related("clip", "segment", "reply_clip")
        .get(pk=feedback.pk)
    )


def _touch(feedback: Feedback) -> None:
    Feedback.objects.filter(pk=feedback.pk).update(updated_at=timezone.now())


def _assert_can_edit(actor: User, feedback: Feedback) -> None:
    if not can_edit_feedback(user=actor, feedback=feedback):
        raise Forbidden("Only the feedback's author may change it.")


# --- feedback -------------------------------------------------------------------------------


@transaction.atomic
def feedback_create(
    *,
    clip: PracticeClip,
    actor: User,
    summary: str = "",
    segment_id: UUID | None = None,
    scores: Sequence[ScoreInput] = (),
    markers: Sequence[MarkerInput] = (),
) -> Feedback:
    """A draft feedback on a take, with its scores and markers, all or nothing."""
    if not can_review_clip(user=actor, clip=clip):
        raise Forbidden("Only the course's teachers may give feedback on this take.")
    _assert_reviewable(clip)
    feedback = Feedback(clip=clip, author=actor, summary=summary)
    errors: dict[str, Any] = _model_errors(
        feedback, exclude=["clip", "segment", "author", "reply_clip"]
    )
    if segment_id is not None:
        feedback.segment = clip.segments.filter(pk=segment_id).first()
        if feedback.segment is None:
            errors["segment_id"] = ["Not a segment of this clip."]
    if len(markers) > MAX_MARKERS_PER_FEEDBACK:
        errors["markers"] = [f"At most {MAX_MARKERS_PER_FEEDBACK} markers."]
        markers = ()
    criteria = _criteria_of(clip)
    score_rows, score_errors = _build_scores(feedback, scores, criteria)
    if score_errors:
        errors["scores"] = score_errors
    marker_rows = [_build_marker(feedback, item) for item in markers]
    if "segment_id" not in errors:
        bounds = _bounds(feedback)
        marker_errors = _by_index(
            [
                _api_names(_marker_errors(row, bounds=bounds, criteria=criteria))
                for row in marker_rows
            ]
        )
        if marker_errors:
            errors["markers"] = marker_errors
    if errors:
        raise InvalidInput(details=errors)
    feedback.save()
    RubricScore.objects.bulk_create(score_rows)
    FeedbackMarker.objects.bulk_create(marker_rows)
    return feedback


@transaction.atomic
def feedback_update(
    *,
    feedback: Feedback,
    actor: User,
    summary: str | None = None,
    scores: Sequence[ScoreInput] | None = None,
) -> Feedback:
    """Change the summary and/or replace the scores (``None``: leave as is)."""
    feedback = _lock(feedback)
    _assert_can_edit(actor, feedback)
    if summary is not None:
        feedback.summary = summary
    errors: dict[str, Any] = _model_errors(
        feedback, exclude=["clip", "segment", "author", "reply_clip"]
    )
    score_rows: list[RubricScore] = []
    if scores is not None:
        score_rows, score_errors = _build_scores(feedback, scores, _criteria_of(feedback.clip))
        if score_errors:
            errors["scores"] = score_errors
    if errors:
        raise InvalidInput(details=errors)
    feedback.save(update_fields=["summary", "updated_at"])
    if scores is not None:
        feedback.scores.all().delete()
        RubricScore.objects.bulk_create(score_rows)
    return feedback


@transaction.atomic
def feedback_delete(*, feedback: Feedback, actor: User) -> None:
    """Delete the feedback with its markers, scores and video reply (files after commit)."""
    feedback = _lock(feedback)
    _assert_can_edit(actor, feedback)
    if feedback.reply_clip is not None:
        clip_delete(clip=feedback.reply_clip, actor=actor)
    feedback.delete()
    if feedback.is_published and feedback.clip.status == feedback.clip.Status.READY:
        review_take_waiting_again(feedback.clip)  # the queue pages read it again


def _has_content(feedback: Feedback) -> bool:
    return bool(
        feedback.summary.strip()
        or feedback.reply_clip_id
        or feedback.scores.exists()
        or feedback.markers.exists()
    )


@transaction.atomic
def feedback_publish(*, feedback: Feedback, actor: User) -> Feedback:
    """Show the feedback (and its video reply) to the take's owner, and tell them.

    After commit: ``feedback.published`` on the take's ``clip:<id>`` topic, whose data is the
    feedback as the API answers it, ``review.take_reviewed`` on its course's review queue,
    then the ``feedback_published`` signal.
    """
    feedback = _lock(feedback)
    _assert_can_edit(actor, feedback)
    if feedback.is_published:
        raise FeedbackAlreadyPublished(
            details={"feedback_id": str(feedback.pk), "published_at": feedback.published_at}
        )
    if not _has_content(feedback):
        raise FeedbackEmpty(details={"feedback_id": str(feedback.pk)})
    feedback.status = Feedback.Status.PUBLISHED
    feedback.published_at = timezone.now()
    feedback.save(update_fields=["status", "published_at", "updated_at"])
    if feedback.reply_clip is not None and feedback.reply_clip.reply_to_id is None:
        clip_reply_link(reply=feedback.reply_clip, take=feedback.clip)
    published = _with_details(feedback.pk)
    publish_on_commit(clip_topic(feedback.clip), FEEDBACK_PUBLISHED, feedback_data(published))
    review_take_reviewed(feedback.clip)
    transaction.on_commit(
        partial(feedback_published.send, sender=Feedback, feedback=published), robust=True
    )
    return published


def _with_details(feedback_id: UUID) -> Feedback:
    """The feedback as its JSON shows it, fresh from the database (what was just written)."""
    return (
        Feedback.objects.select_related("author", "reply_clip", "clip")
        .prefetch_related("scores", "markers")
        .get(pk=feedback_id)
    )


@transaction.atomic
def feedback_reply_request(
    *,
    feedback: Feedback,
    actor: User,
    duration_sec: float,
    filename: str | None = None,
    size_bytes: int | None = None,
    content_type: str | None = None,
    sha256: str | None = None,
    absolute_url: Callable[[str], str],
) -> UploadTarget:
    """Start the author's video reply: a clip of kind reply, uploaded and processed like a
    take. It replaces an earlier reply (deleted with its files). The take's owner can see it
    once the feedback is published: until then it is linked to the feedback only."""
    feedback = _lock(feedback)
    if not can_reply_to_feedback(user=actor, feedback=feedback):
        raise Forbidden("Only the feedback's author may record its video reply.")
    take = feedback.clip
    previous = feedback.reply_clip
    if previous is not None:
        clip_delete(clip=previous, actor=actor)
    target = clip_request_upload(
        actor=actor,
        exercise_id=take.exercise.uuid,
        duration_sec=duration_sec,
        filename=filename,
        size_bytes=size_bytes,
        content_type=content_type,
        sha256=sha256,
        kind=PracticeClip.Kind.REPLY,
        reply_to=take if feedback.is_published else None,
        absolute_url=absolute_url,
    )
    feedback.reply_clip = target.clip
    feedback.save(update_fields=["reply_clip", "updated_at"])
    return target


# --- markers --------------------------------------------------------------------------------


@transaction.atomic
def marker_create(*, feedback: Feedback, actor: User, marker: MarkerInput) -> FeedbackMarker:
    feedback = _lock(feedback)
    _assert_can_edit(actor, feedback)
    if feedback.markers.count() >= MAX_MARKERS_PER_FEEDBACK:
        raise TooManyMarkers(f"A feedback holds at most {MAX_MARKERS_PER_FEEDBACK} markers.")
    row = _build_marker(feedback, marker)
    errors = _marker_errors(row, bounds=_bounds(feedback), criteria=_criteria_of(feedback.clip))
    if errors:
        raise InvalidInput(details=_api_names(errors))
    row.save()
    _touch(feedback)
    return row


@transaction.atomic
def marker_update(*, marker: FeedbackMarker, actor: User, changes: MarkerChanges) -> FeedbackMarker:
    feedback = _lock(marker.feedback)
    _assert_can_edit(actor, feedback)
    marker = FeedbackMarker.objects.get(pk=marker.pk)
    marker.feedback = feedback
    fields = {"criterion_id": "criterion_uuid"}
    for name, value in changes.items():
        setattr(marker, fields.get(name, name), value)
    errors = _marker_errors(marker, bounds=_bounds(feedback), criteria=_criteria_of(feedback.clip))
    if errors:
        raise InvalidInput(details=_api_names(errors))
    marker.save()
    _touch(feedback)
    return marker


@transaction.atomic
def marker_delete(*, marker: FeedbackMarker, actor: User) -> None:
    feedback = _lock(marker.feedback)
    _assert_can_edit(actor, feedback)
    FeedbackMarker.objects.filter(pk=marker.pk).delete()
    _touch(feedback)
