"""Writes on segments: cut, edit, delete, ask for an MP4 export; events on ``clip:<id>``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypedDict
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from huey_tasks.jobs import job_enqueue
from plugins.clips import storage
from plugins.clips.models import PracticeClip
from practika_site.core.errors import Forbidden
from practika_site.core.realtime import publish_on_commit
from practika_site.users.models import User

from .errors import SegmentClipNotPlayable, SegmentExportRunning, SegmentRangeInvalid
from .models import VideoSegment
from .permissions import can_change_segment, can_create_segment, can_export_segment

EXPORT_JOB_KIND = "segment_export"
#: Shorter than this is no passage a teacher can comment on, and no player can hold it.
MIN_SEGMENT_SECONDS = 0.5


class UserRef(TypedDict):
    id: str
    username: str


class ErrorData(TypedDict):
    code: str
    message: str


class ExportData(TypedDict):
    status: str
    progress: int
    error: ErrorData | None
    url: str | None


class SegmentData(TypedDict):
    id: str
    clip_id: str
    start: float
    end: float
    duration: float
    title: str
    created_by: UserRef
    status: str
    export: ExportData
    created_at: str
    updated_at: str


class ExportEventData(TypedDict):
    segment_id: str
    clip_id: str
    status: str
    progress: int
    error: ErrorData | None


def _iso(moment: datetime) -> str:
    """As DRF writes datetimes: ISO 8601, UTC as ``Z``."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def segment_export_error(segment: VideoSegment) -> ErrorData | None:
    if not segment.export_error_code:
        return None
    return {"code": segment.export_error_code, "message": segment.export_error_message}


def segment_data(segment: VideoSegment, *, export_url: str | None = None) -> SegmentData:
    """The segment as the API answers it and as ``segment.*`` events carry it.

    ``export_url`` is signed per request, so events (which outlive no request) carry none.
    """
    return {
        "id": str(segment.pk),
        "clip_id": str(segment.clip_id),
        "start": segment.start,
        "end": segment.end,
        "duration": round(segment.duration, 6),
        "title": segment.title,
        "created_by": {"id": str(segment.created_by_id), "username": segment.created_by.username},
        "status": segment.status,
        "export": {
            "status": segment.export_status,
            "progress": segment.export_progress,
            "error": segment_export_error(segment),
            "url": export_url,
        },
        "created_at": _iso(segment.created_at),
        "updated_at": _iso(segment.updated_at),
    }


def segment_export_data(segment: VideoSegment) -> ExportEventData:
    """The ``data`` of a ``segment.export`` event: the export's status, like a clip's."""
    return {
        "segment_id": str(segment.pk),
        "clip_id": str(segment.clip_id),
        "status": segment.export_status,
        "progress": segment.export_progress,
        "error": segment_export_error(segment),
    }


def segment_topic(segment: VideoSegment) -> str:
    return f"clip:{segment.clip_id}"


def segment_announce(segment: VideoSegment, event_type: str) -> None:
    """``segment.created`` / ``segment.updated`` after commit (``segment.export`` has its own)."""
    publish_on_commit(segment_topic(segment), event_type, segment_data(segment))


def segment_announce_export(segment: VideoSegment) -> None:
    publish_on_commit(segment_topic(segment), "segment.export", segment_export_data(segment))


def _status_for(clip: PracticeClip) -> VideoSegment.Status:
    if clip.status == PracticeClip.Status.READY:
        return VideoSegment.Status.READY
    return VideoSegment.Status.PENDING  # playable, still processing: follows the clip


def _assert_playable(clip: PracticeClip) -> None:
    if not clip.playable or clip.duration is None:
        raise SegmentClipNotPlayable(details={"clip_id": str(clip.pk), "status": clip.status})


def _validate_range(clip: PracticeClip, start: float, end: float) -> None:
    """0 <= start < end <= the clip's duration, and at least MIN_SEGMENT_SECONDS long."""
    duration = float(clip.duration or 0.0)
    errors: dict[str, list[str]] = {}
    if not math.isfinite(start):
        errors["start"] = ["Must be a finite number of seconds."]
    elif start < 0:
        errors["start"] = ["Must be at least 0."]
    elif start >= duration:
        errors["start"] = [f"Must be before the clip's end ({duration:.3f} s)."]
    if not math.isfinite(end):
        errors["end"] = ["Must be a finite number of seconds."]
    elif end > duration:
        errors["end"] = [f"Must be at most the clip's duration ({duration:.3f} s)."]
    elif end <= start:
        errors["end"] = ["Must be after start."]
    elif end - start < MIN_SEGMENT_SECONDS:
        errors["end"] = [f"A segment lasts at least {MIN_SEGMENT_SECONDS:g} s."]
    if errors:
        raise SegmentRangeInvalid(details=errors)


@transaction.atomic
def segment_create(
    *, clip: PracticeClip, actor: User, start: float, end: float, title: str = ""
) -> VideoSegment:
    """A segment of a playable clip: a playlist slice, so nothing is transcoded."""
    if not can_create_segment(user=actor, clip=clip):
        raise Forbidden("Only the clip's owner and its course's teachers may cut segments.")
    _assert_playable(clip)
    _validate_range(clip, start, end)
    segment = VideoSegment(
        clip=clip, created_by=actor, start=start, end=end, title=title, status=_status_for(clip)
    )
    segment.full_clean()
    segment.save()
    segment_announce(segment, "segment.created")
    return segment


def _lock(segment: VideoSegment) -> VideoSegment:
    return (
        VideoSegment.objects.select_for_update(of=("self",))
        .select_related("clip", "created_by")
        .get(pk=segment.pk)
    )


@transaction.atomic
def segment_update(*, segment: VideoSegment, actor: User, data: Mapping[str, Any]) -> VideoSegment:
    """Change ``title``, ``start`` and/or ``end``; a new range drops a finished export."""
    segment = _lock(segment)
    if not can_change_segment(user=actor, segment=segment):
        raise Forbidden("Only the segment's author and the course's teachers may change it.")
    start = float(data.get("start", segment.start))
    end = float(data.get("end", segment.end))
    if (start, end) != (segment.start, segment.end):
        if segment.export_status == VideoSegment.ExportStatus.PENDING:
            raise SegmentExportRunning()
        _assert_playable(segment.clip)
        _validate_range(segment.clip, start, end)
        segment.start, segment.end = start, end
        _forget_export(segment)
    if "title" in data:
        segment.title = data["title"]
    segment.full_clean()
    segment.save()
    segment_announce(segment, "segment.updated")
    return segment


def _forget_export(segment: VideoSegment) -> None:
    """The stored MP4 no longer matches the range: remove it once the change commits."""
    if segment.export_key:
        transaction.on_commit(partial(storage.delete_keys, [segment.export_key]), robust=True)
    segment.export_status = VideoSegment.ExportStatus.NONE
    segment.export_progress = 0
    segment.export_error_code = segment.export_error_message = segment.export_key = ""
    segment.export_start = segment.export_end = None
    segment.export_requested_at = segment.export_finished_at = None


@transaction.atomic
def segment_delete(*, segment: VideoSegment, actor: User) -> None:
    """Delete the segment and, after commit, its exported file; a running export stops."""
    segment = _lock(segment)
    if not can_change_segment(user=actor, segment=segment):
        raise Forbidden("Only the segment's author and the course's teachers may delete it.")
    topic, data = segment_topic(segment), {"id": str(segment.pk), "clip_id": str(segment.clip_id)}
    prefix = segment.storage_prefix
    segment.delete()
    transaction.on_commit(partial(storage.delete_prefix, prefix), robust=True)
    publish_on_commit(topic, "segment.deleted", data)


def segment_export_is_current(segment: VideoSegment) -> bool:
    """Whether a finished export holds exactly the segment's range."""
    return (
        segment.export_status == VideoSegment.ExportStatus.READY
        and bool(segment.export_key)
        and (segment.export_start, segment.export_end) == (segment.start, segment.end)
    )


@transaction.atomic
def segment_export_request(*, segment: VideoSegment, actor: User) -> VideoSegment:
    """Start the MP4 export job, unless it runs already or its result is current."""
    segment = _lock(segment)
    if not can_export_segment(user=actor, segment=segment):
        raise Forbidden("Only the clip's owner and the course's teachers may export segments.")
    _assert_playable(segment.clip)
    if segment.export_status == VideoSegment.ExportStatus.PENDING or segment_export_is_current(
        segment
    ):
        return segment
    segment.export_status = VideoSegment.ExportStatus.PENDING
    segment.export_progress = 0
    segment.export_error_code = segment.export_error_message = ""
    segment.export_requested_at = timezone.now()
    segment.export_finished_at = None
    segment.save()
    segment_announce_export(segment)
    job_enqueue(kind=EXPORT_JOB_KIND, target=segment)
    return segment


@transaction.atomic
def segments_follow_clip(*, clip: PracticeClip, status: VideoSegment.Status) -> int:
    """Pending segments of a clip whose processing ended become ``status``; announced."""
    pending = list(
        VideoSegment.objects.select_for_update(of=("self",))
        .select_related("created_by")
        .filter(clip_id=clip.pk, status=VideoSegment.Status.PENDING)
    )
    now = timezone.now()
    for segment in pending:
        segment.status, segment.updated_at = status, now
        segment_announce(segment, "segment.updated")
    VideoSegment.objects.filter(pk__in=[s.pk for s in pending]).update(
        status=status, updated_at=now
    )
    return len(pending)


@transaction.atomic
def segment_export_failed(*, segment_id: UUID, code: str, message: str) -> None:
    """A job that failed for good leaves the export ``failed`` with its error."""
    segment = (
        VideoSegment.objects.select_for_update(of=("self",))
        .select_related("clip")
        .filter(pk=segment_id, export_status=VideoSegment.ExportStatus.PENDING)
        .first()
    )
    if segment is None:
        return
    segment.export_status = VideoSegment.ExportStatus.FAILED
    segment.export_error_code = code or "segment_export_failed"
    segment.export_error_message = message or "The export failed."
    segment.export_finished_at = timezone.now()
    segment.save()
    segment_announce_export(segment)
