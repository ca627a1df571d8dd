"""The events of ``thread:<id>``: their types, their data (the REST JSON) and their seq."""

from __future__ import annotations

from typing import Any

from practika_site.core.realtime import Event, make_event

from .models import PracticeThread, ThreadMessage
from .serializers import MessageReadSerializer, ThreadReadSerializer

MESSAGE_CREATED = "message.created"
MESSAGE_EDITED = "message.edited"
MESSAGE_DELETED = "message.deleted"
TYPING = "typing"
PRESENCE = "presence"


def thread_data(thread: PracticeThread) -> dict[str, Any]:
    """``GET /api/v1/threads/{id}/``; needs ``segment``, ``created_by`` and ``resolved_by``."""
    return dict(ThreadReadSerializer(thread).data)


def message_data(message: ThreadMessage) -> dict[str, Any]:
    """A message as the REST API answers it; needs ``author`` loaded."""
    return dict(MessageReadSerializer(message).data)


def message_event(message: ThreadMessage, event_type: str) -> Event:
    """The event of the message's latest change, numbered by it."""
    return make_event(message.thread.topic, event_type, message_data(message), message.updated_seq)


def thread_event(thread: PracticeThread) -> Event:
    """The event of the thread's latest own change (renamed, resolved, reopened)."""
    return make_event(thread.topic, thread.last_change, thread_data(thread), thread.state_seq)


def catch_up_type(message: ThreadMessage, since: int) -> str:
    """What a client that has everything up to ``since`` learns from the message as it is now:
    a message posted after ``since`` is new to it (in its current state, maybe a tombstone);
    an older one was edited or deleted since."""
    if message.seq > since:
        return MESSAGE_CREATED
    return MESSAGE_DELETED if message.deleted else MESSAGE_EDITED
