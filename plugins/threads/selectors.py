"""Reads of threads, with visibility built in: an invisible thread is a 404, never a 403.

A thread is seen by admins, the teachers of the clip's course, and (while they are enrolled
in that course) the clip's owner and the thread's creator. So another student never sees it,
even on a reference video every student of the course may watch, and a student removed from
the course loses their threads with it.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from plugins.clips.selectors import clips_visible_to
from plugins.segments.models import VideoSegment
from practika_site.core.errors import NotFound
from practika_site.core.realtime import Event
from practika_site.courses.models import Enrollment
from practika_site.users.models import User

from .events import catch_up_type, message_event, thread_event
from .models import PracticeThread, ThreadMessage, ThreadViewer
from .permissions import is_admin

PRESENCE_TTL = timedelta(seconds=90)  # three keepalives (30 s) missed: the server is gone


def threads_visible_to(viewer: User) -> QuerySet[PracticeThread]:
    threads = PracticeThread.objects.select_related(
        "segment", "created_by", "resolved_by"
    ).order_by("-created_at", "-id")
    if is_admin(viewer):
        return threads
    enrolled = Enrollment.objects.filter(user=viewer)
    taught = enrolled.filter(role=Enrollment.Role.TEACHER)
    in_course = Q(segment__clip__course_id__in=enrolled.values("course_id"))
    return threads.filter(
        Q(segment__clip__course_id__in=taught.values("course_id"))
        | (in_course & (Q(segment__clip__owner=viewer) | Q(created_by=viewer)))
    )


def thread_get(*, viewer: User, thread_id: UUID | str) -> PracticeThread:
    try:
        return threads_visible_to(viewer).get(pk=thread_id)
    except (PracticeThread.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound("Thread not found.") from exc


def thread_list(*, viewer: User, segment: VideoSegment) -> QuerySet[PracticeThread]:
    return threads_visible_to(viewer).filter(segment=segment)


def thread_subscribable(*, viewer: User, thread_id: str) -> bool:
    """The ``thread:<id>`` topic: whoever sees the thread."""
    try:
        return threads_visible_to(viewer).filter(pk=thread_id).exists()
    except (ValueError, ValidationError):
        return False


def segment_get(*, viewer: User, segment_id: UUID | str) -> VideoSegment:
    """A segment of a clip the viewer sees (its threads are filtered again)."""
    try:
        return VideoSegment.objects.select_related("clip").get(
            pk=segment_id, clip__in=clips_visible_to(viewer)
        )
    except (VideoSegment.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound("Segment not found.") from exc


def message_list(*, thread: PracticeThread, since: int = 0) -> QuerySet[ThreadMessage]:
    """The messages changed after ``since`` (posted, edited or deleted), in the order of those
    changes: what a client that has everything up to ``since`` is missing."""
    return (
        thread.messages.filter(updated_seq__gt=since)
        .select_related("author")
        .order_by("updated_seq")
    )


def message_get(*, viewer: User, message_id: UUID | str) -> ThreadMessage:
    try:
        return ThreadMessage.objects.select_related("author").get(
            pk=message_id, thread__in=threads_visible_to(viewer).values("pk")
        )
    except (ThreadMessage.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound("Message not found.") from exc


def thread_events_since(*, thread: PracticeThread, since: int) -> list[Event]:
    """What a reconnecting client missed: every message and the thread itself once, as they
    are now, in the order of their latest change. Read from the database, so a restarted
    channel layer or server loses nothing."""
    events = []
    for message in message_list(thread=thread, since=since):
        message.thread = thread
        events.append(message_event(message, catch_up_type(message, since)))
    if thread.state_seq > since and thread.last_change:
        events.append(thread_event(thread))
    events.sort(key=lambda event: event["seq"] or 0)
    return events


def thread_viewer_list(*, thread_id: UUID) -> list[dict[str, str]]:
    """Who is watching the thread now (one entry per user, however many sockets)."""
    fresh_since = timezone.now() - PRESENCE_TTL
    rows = (
        ThreadViewer.objects.filter(thread_id=thread_id, seen_at__gte=fresh_since)
        .values_list("user_id", "user__username")
        .order_by("user__username", "user_id")
        .distinct()
    )
    return [{"id": str(user_id), "username": username} for user_id, username in rows]
