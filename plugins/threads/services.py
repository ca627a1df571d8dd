"""Writes on threads, shared by the REST API and the websocket: each stores first, then
announces on commit on ``thread:<id>``, numbered by the thread's next seq.

Every numbered change locks the thread row (``select_for_update``) to take its seq, so seqs
of one thread count up by one in commit order, and the consumer can tell a lost event.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from uuid import UUID

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from plugins.clips.selectors import clip_is_taught_by, clips_visible_to
from plugins.segments.models import VideoSegment
from practika_site.core.errors import Forbidden, InvalidInput, NotFound
from practika_site.core.realtime import Event, make_event, publish_on_commit
from practika_site.courses.models import Enrollment
from practika_site.users.models import User

from .errors import MessageDeleted, RateLimited
from .events import (
    MESSAGE_CREATED,
    MESSAGE_DELETED,
    MESSAGE_EDITED,
    PRESENCE,
    TYPING,
    message_event,
    thread_event,
)
from .models import MESSAGE_MAX_CHARS, PracticeThread, ThreadMessage, ThreadViewer
from .permissions import can_delete_message, can_edit_message
from .selectors import PRESENCE_TTL, thread_get, thread_viewer_list, threads_visible_to
from .serializers import user_summary
from .signals import thread_message_created

logger = logging.getLogger(__name__)

TITLE_MAX_CHARS = 200
TYPING_INTERVAL_SECONDS = 2
SEND_LIMIT = 10  # message frames per user ...
SEND_WINDOW_SECONDS = 10  # ... in this many seconds
LOCKED_MESSAGE_RELATIONS = ("thread", "author")


def _full_clean(instance: models.Model, *, loaded: Sequence[str] = ()) -> None:
    """``full_clean()``, its errors in the API's format (the socket has no DRF handler).

    ``loaded``: relations to objects just read, under the thread's lock; the queries that
    would check them (and the seqs unique under that lock) are skipped.
    """
    try:
        instance.full_clean(exclude=loaded, validate_unique=not loaded)
    except ValidationError as exc:
        raise InvalidInput(details=exc.message_dict) from exc


def _invalid(field: str, message: str) -> InvalidInput:
    """The message says it on the socket too, where an error frame carries no details."""
    return InvalidInput(message, details={field: [message]})


def _clean_title(title: str) -> str:
    title = title.strip()
    if not title or len(title) > TITLE_MAX_CHARS:
        raise _invalid("title", f"A title has 1 to {TITLE_MAX_CHARS} characters.")
    return title


def _clean_body(body: object) -> str:
    if not isinstance(body, str) or not body.strip():
        raise _invalid("body", "A message needs some text.")
    if len(body) > MESSAGE_MAX_CHARS:
        raise _invalid("body", f"A message has at most {MESSAGE_MAX_CHARS} characters.")
    return body


def _clean_video_time(video_time: object, *, thread: PracticeThread) -> float | None:
    if video_time is None:
        return None
    if isinstance(video_time, bool) or not isinstance(video_time, int | float):
        raise _invalid("video_time", "video_time is a number of seconds, or null.")
    seconds = float(video_time)
    clip = thread.segment.clip
    # Until the pipeline has measured the clip, the duration the uploader declared bounds it.
    duration = clip.duration if clip.duration is not None else clip.declared_duration
    if not math.isfinite(seconds) or seconds < 0 or (duration is not None and seconds > duration):
        limit = f"0 to {duration:g}" if duration is not None else "0 or more"
        raise _invalid("video_time", f"video_time is seconds within the clip: {limit}.")
    return seconds


def _locked_thread(thread: PracticeThread) -> PracticeThread:
    """The thread row locked for this transaction, with what its events need loaded."""
    return (
        PracticeThread.objects.select_for_update(of=("self",))
        .select_related("segment__clip", "created_by", "resolved_by")
        .get(pk=thread.pk)
    )


def _next_seq(thread: PracticeThread) -> int:
    """Takes the thread's next seq; the caller holds the row lock and saves the thread."""
    thread.last_seq += 1
    return thread.last_seq


def _announce(event: Event) -> None:
    publish_on_commit(event["topic"], event["type"], event["data"], seq=event["seq"])


def _send_message_created(message: ThreadMessage) -> None:
    for receiver, result in thread_message_created.send_robust(
        sender=ThreadMessage, message=message
    ):
        if isinstance(result, Exception):
            logger.error("thread_message_created receiver %r failed", receiver, exc_info=result)


def _ensure_visible(*, actor: User, thread: PracticeThread) -> None:
    """Interfaces read the thread through a selector first; checked again here, under the
    lock, so no caller (or an access taken away meanwhile) can write where it cannot read."""
    if not threads_visible_to(actor).filter(pk=thread.pk).exists():
        raise NotFound("Thread not found.")


def _may_start_thread(*, user: User, segment: VideoSegment) -> bool:
    """Those who may see the clip and take part in its course: its teachers (and admins), and
    its enrolled students (the owner of a take, anyone on a reference video)."""
    clip = segment.clip
    if clip_is_taught_by(clip=clip, user=user):
        return True
    return Enrollment.objects.filter(user=user, course_id=clip.course_id).exists()


@transaction.atomic
def thread_create(
    *,
    actor: User,
    segment: VideoSegment,
    title: str,
    body: str | None = None,
    video_time: float | None = None,
) -> PracticeThread:
    """A thread on a segment the actor sees (check with ``segment_get``), with an optional
    first message."""
    if not clips_visible_to(actor).filter(pk=segment.clip_id).exists():
        raise NotFound("Segment not found.")
    if not _may_start_thread(user=actor, segment=segment):
        raise Forbidden("Only the course's teachers and students may start a thread here.")
    thread = PracticeThread(segment=segment, title=_clean_title(title), created_by=actor)
    if body is not None:
        _clean_body(body)
        _clean_video_time(video_time, thread=thread)  # before anything is written
    _full_clean(thread)
    thread.save()
    if body is not None:
        message_post(actor=actor, thread=thread, body=body, video_time=video_time)
        thread.refresh_from_db(fields=["last_seq", "updated_at"])
    return thread


@transaction.atomic
def thread_update(
    *,
    actor: User,
    thread: PracticeThread,
    title: str | None = None,
    resolved: bool | None = None,
) -> PracticeThread:
    """Rename, resolve or reopen: anyone who sees the thread. No change, no event."""
    thread = _locked_thread(thread)
    _ensure_visible(actor=actor, thread=thread)
    change: PracticeThread.Change | None = None
    if title is not None:
        title = _clean_title(title)
        if title != thread.title:
            thread.title, change = title, PracticeThread.Change.UPDATED
    if resolved is not None and resolved != thread.resolved:
        thread.resolved = resolved
        if resolved:
            thread.resolved_by, thread.resolved_at = actor, timezone.now()
            change = PracticeThread.Change.RESOLVED
        else:
            thread.resolved_by, thread.resolved_at = None, None
            change = PracticeThread.Change.REOPENED
    if change is None:
        return thread
    thread.state_seq, thread.last_change = _next_seq(thread), change
    _full_clean(thread)
    thread.save()
    _announce(thread_event(thread))
    return thread


@transaction.atomic
def message_post(
    *, actor: User, thread: PracticeThread, body: str, video_time: float | None = None
) -> ThreadMessage:
    """A message in a thread the actor sees; ``thread_message_created`` follows the commit."""
    thread = _locked_thread(thread)
    _ensure_visible(actor=actor, thread=thread)
    message = ThreadMessage(
        thread=thread,
        author=actor,
        body=_clean_body(body),
        video_time=_clean_video_time(video_time, thread=thread),
    )
    message.seq = message.updated_seq = _next_seq(thread)
    _full_clean(message, loaded=LOCKED_MESSAGE_RELATIONS)
    thread.save(update_fields=["last_seq", "updated_at"])
    message.save()
    _announce(message_event(message, MESSAGE_CREATED))

    def send_message_created() -> None:
        _send_message_created(message)

    # A function, not a partial: Django's robust on_commit needs the callback's __qualname__.
    transaction.on_commit(send_message_created, robust=True)
    return message


def _locked_message(message: ThreadMessage) -> ThreadMessage:
    """The message as it is now, its thread row locked (the seq is taken from it)."""
    thread = _locked_thread(message.thread)
    locked = ThreadMessage.objects.select_related("author").get(pk=message.pk)
    locked.thread = thread
    return locked


@transaction.atomic
def message_edit(
    *,
    actor: User,
    message: ThreadMessage,
    body: str | None = None,
    video_time: float | None = None,
    clear_video_time: bool = False,
) -> ThreadMessage:
    """Change one's own message (its text, its video time). No change, no event."""
    message = _locked_message(message)
    _ensure_visible(actor=actor, thread=message.thread)
    if not can_edit_message(user=actor, message=message):
        raise Forbidden("You may edit only your own messages.")
    if message.deleted:
        raise MessageDeleted()
    changed = False
    if body is not None and _clean_body(body) != message.body:
        message.body, changed = body, True
    if clear_video_time or video_time is not None:
        seconds = None if clear_video_time else _clean_video_time(video_time, thread=message.thread)
        if seconds != message.video_time:
            message.video_time, changed = seconds, True
    if not changed:
        return message
    message.updated_seq = _next_seq(message.thread)
    message.edited_at = timezone.now()
    _full_clean(message, loaded=LOCKED_MESSAGE_RELATIONS)
    message.thread.save(update_fields=["last_seq", "updated_at"])
    message.save()
    _announce(message_event(message, MESSAGE_EDITED))
    return message


@transaction.atomic
def message_delete(*, actor: User, message: ThreadMessage) -> ThreadMessage:
    """Delete one's own message (admins: any), leaving a tombstone. Deleting twice is a no-op."""
    message = _locked_message(message)
    _ensure_visible(actor=actor, thread=message.thread)
    if not can_delete_message(user=actor, message=message):
        raise Forbidden("You may delete only your own messages.")
    if message.deleted:
        return message
    message.deleted, message.body = True, ""
    message.updated_seq = _next_seq(message.thread)
    _full_clean(message, loaded=LOCKED_MESSAGE_RELATIONS)
    message.thread.save(update_fields=["last_seq", "updated_at"])
    message.save()
    _announce(message_event(message, MESSAGE_DELETED))
    return message


def thread_typing(*, actor: User, thread_id: str) -> None:
    """Tell the thread the actor is typing: at most once per ``TYPING_INTERVAL_SECONDS`` per
    user and thread (the first of a burst goes out), never stored."""
    throttle_key = f"threads:typing:{thread_id}:{actor.pk}"
    try:
        # cache.add is atomic in every backend: across processes with Redis, only one wins.
        first_of_burst = cache.add(throttle_key, 1, timeout=TYPING_INTERVAL_SECONDS)
    except Exception:
        # The cache (Redis) is down: typing is a hint, so it is dropped, not the socket.
        logger.warning("typing throttle unavailable; typing not sent", exc_info=True)
        return
    if not first_of_burst:
        return
    thread = thread_get(viewer=actor, thread_id=thread_id)
    publish_on_commit(thread.topic, TYPING, {"user": user_summary(actor)})


def _count_sent(key: str) -> int:
    cache.add(key, 0, timeout=SEND_WINDOW_SECONDS * 2)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this one is the window's first
        cache.set(key, 1, timeout=SEND_WINDOW_SECONDS * 2)
        return 1


def message_send_allowed(*, actor: User) -> None:
    """The per-user limit on messages sent over the socket, shared by every server process
    through the cache; raises ``RateLimited`` past it.

    A sliding window, estimated from two fixed ones (this one's count plus the share of the
    last one's that still overlaps): a burst across a window boundary is not let through
    twice. Refused attempts count too, so a flood stays refused until it stops.
    """
    now = time.time()
    window, into_window = divmod(now, SEND_WINDOW_SECONDS)
    key = f"threads:sent:{actor.pk}:{{}}"
    try:
        sent = _count_sent(key.format(int(window)))
        before = cache.get(key.format(int(window) - 1), 0)
    except Exception:
        # The cache (Redis) is down: let the message through rather than lose it; it is
        # stored as usual and clients catch up by replay.
        logger.warning("send rate limit unavailable; message allowed", exc_info=True)
        return
    estimate = sent + before * (1 - into_window / SEND_WINDOW_SECONDS)
    if estimate > SEND_LIMIT:
        retry_after = math.ceil(SEND_WINDOW_SECONDS - into_window)
        raise RateLimited(
            f"At most {SEND_LIMIT} messages per {SEND_WINDOW_SECONDS} s; "
            f"try again in {retry_after} s.",
            details={"retry_after": retry_after},
        )


def _presence_event(thread_id: UUID, viewers: list[dict[str, str]]) -> Event:
    return make_event(f"thread:{thread_id}", PRESENCE, {"viewers": viewers})


@transaction.atomic
def thread_viewer_join(*, user: User, thread_id: UUID, channel_name: str) -> list[Event]:
    """A connection starts watching the thread. When that adds a user to the presence list,
    everyone watching gets it; otherwise only this connection does (the returned events)."""
    before = thread_viewer_list(thread_id=thread_id)
    ThreadViewer.objects.filter(
        thread_id=thread_id, seen_at__lt=timezone.now() - PRESENCE_TTL
    ).delete()
    ThreadViewer.objects.update_or_create(
        thread_id=thread_id,
        channel_name=channel_name,
        defaults={"user": user, "seen_at": timezone.now()},
    )
    viewers = thread_viewer_list(thread_id=thread_id)
    event = _presence_event(thread_id, viewers)
    if viewers == before:
        return [event]
    _announce(event)
    return []


def thread_viewer_leave(*, user: User, thread_id: UUID, channel_name: str) -> None:
    """A connection stops watching; the others hear of it when its user is gone."""
    deleted, _ = ThreadViewer.objects.filter(
        thread_id=thread_id, channel_name=channel_name
    ).delete()
    # Deleted and committed before the list is read (autocommit): of two last sockets of a
    # user closing at once, at least the later one sees the user gone and says so.
    viewers = thread_viewer_list(thread_id=thread_id)
    if deleted and all(viewer["id"] != str(user.pk) for viewer in viewers):
        _announce(_presence_event(thread_id, viewers))


def thread_viewer_touch(*, thread_id: UUID, channel_name: str) -> None:
    """The connection's keepalive: it still watches."""
    ThreadViewer.objects.filter(thread_id=thread_id, channel_name=channel_name).update(
        seen_at=timezone.now()
    )
