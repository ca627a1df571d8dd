"""What ``thread:<id>`` adds to the ``/ws/`` consumer: the subscribe check, replay from the
database, presence, and the client frames ``message`` and ``typing``.

Each runs in the consumer's worker thread (synchronous, may query the database) and refuses
with a ``PractikaError``, which the consumer turns into an ``error`` frame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db import IntegrityError

from practika_site.core.errors import InvalidInput, NotAuthenticated
from practika_site.core.realtime import Event
from practika_site.users.models import User

from .models import PracticeThread
from .selectors import thread_events_since, thread_get, thread_subscribable
from .services import (
    message_post,
    message_send_allowed,
    thread_typing,
    thread_viewer_join,
    thread_viewer_leave,
    thread_viewer_touch,
)

if TYPE_CHECKING:
    from practika_site.core.realtime import AnyUser


def _member(user: AnyUser) -> User:
    if not isinstance(user, User):  # the consumer closes anonymous sockets before any frame
        raise NotAuthenticated()
    return user


def can_subscribe(user: AnyUser, thread_id: str) -> bool:
    return isinstance(user, User) and thread_subscribable(viewer=user, thread_id=thread_id)


def replay(user: AnyUser, thread_id: str, since: int) -> Sequence[Event]:
    thread = thread_get(viewer=_member(user), thread_id=thread_id)
    return thread_events_since(thread=thread, since=since)


def head(user: AnyUser, thread_id: str) -> int:
    last_seq = PracticeThread.objects.filter(pk=thread_id).values_list("last_seq", flat=True)
    return next(iter(last_seq), 0)


def on_join(user: AnyUser, thread_id: str, channel_name: str) -> Sequence[Event]:
    try:
        return thread_viewer_join(
            user=_member(user), thread_id=UUID(thread_id), channel_name=channel_name
        )
    except IntegrityError:
        # The thread was deleted since the subscribe was checked; the recheck its deletion
        # sent drops the topic next.
        return []


def on_leave(user: AnyUser, thread_id: str, channel_name: str) -> None:
    thread_viewer_leave(user=_member(user), thread_id=UUID(thread_id), channel_name=channel_name)


def keepalive(user: AnyUser, thread_id: str, channel_name: str) -> None:
    thread_viewer_touch(thread_id=UUID(thread_id), channel_name=channel_name)


def on_message(user: AnyUser, thread_id: str, frame: Mapping[str, Any]) -> None:
    """``{"type": "message", "topic", "body", "video_time"}``: posts like the REST API."""
    actor = _member(user)
    message_send_allowed(actor=actor)
    body, video_time = frame.get("body"), frame.get("video_time")
    if not isinstance(body, str):
        raise InvalidInput("'body' is the message's text.", details={"body": ["Required."]})
    thread = thread_get(viewer=actor, thread_id=thread_id)
    # message_post checks the rest (length, video_time's type and range) as for REST.
    message_post(actor=actor, thread=thread, body=body, video_time=video_time)


def on_typing(user: AnyUser, thread_id: str, frame: Mapping[str, Any]) -> None:
    """``{"type": "typing", "topic"}``: a ``typing`` event for the others, throttled."""
    thread_typing(actor=_member(user), thread_id=thread_id)
