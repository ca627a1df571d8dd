"""Reads of segments: a segment is visible exactly when its clip is (404 otherwise)."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from plugins.clips.selectors import clip_get, clips_visible_to
from practika_site.core.errors import NotFound
from practika_site.users.models import User

from .models import VideoSegment

_RELATED = ("clip", "clip__owner", "clip__course", "created_by")


def segments_visible_to(viewer: User) -> QuerySet[VideoSegment]:
    return VideoSegment.objects.filter(
        clip__in=clips_visible_to(viewer).values("pk")
    ).select_related(*_RELATED)


def segment_list(*, viewer: User, clip_id: UUID | str) -> QuerySet[VideoSegment]:
    """The segments of a clip the viewer may see, in playback order; 404 for another clip."""
    clip = clip_get(viewer=viewer, clip_id=clip_id)
    return (
        VideoSegment.objects.filter(clip=clip)
        .select_related(*_RELATED)
        .order_by("start", "end", "created_at", "id")
    )


def segment_get(*, viewer: User, segment_id: UUID | str) -> VideoSegment:
    try:
        return segments_visible_to(viewer).get(pk=segment_id)
    except (VideoSegment.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound("Segment not found.") from exc
