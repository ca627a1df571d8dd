"""The ``example`` topic kind and the ``/ws/example/echo/`` route."""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.urls import URLPattern, URLResolver, path

from practika_site.core.errors import Forbidden, InvalidInput
from practika_site.core.realtime import Event, TopicKind, TopicRegistry
from practika_site.users.models import User

from .consumers import ExampleEchoConsumer
from .events import example_pinged_event
from .permissions import can_watch_example_topic
from .selectors import example_ping_list
from .services import example_ping_create

AnyUser = AbstractBaseUser | AnonymousUser


def _can_subscribe(user: AnyUser, topic_id: str) -> bool:
    return can_watch_example_topic(user=user, owner_id=topic_id)


def _replay(user: AnyUser, topic_id: str, since: int) -> Sequence[Event]:
    # Called only after _can_subscribe agreed, so topic_id is a valid owner's UUID.
    pings = example_ping_list(owner_id=uuid.UUID(topic_id), since=since)
    return [example_pinged_event(ping) for ping in pings]


def _on_ping(user: AnyUser, topic_id: str, frame: Mapping[str, Any]) -> None:
    """Client frame ``{"type": "ping", "topic": "example:<own id>", "note": "..."}``."""
    if not isinstance(user, User) or str(user.pk) != topic_id:
        raise Forbidden("Only the owner pings their topic.")
    note = frame.get("note", "")
    if not isinstance(note, str) or len(note) > 200:
        raise InvalidInput("'note' is a string of at most 200 characters.")
    example_ping_create(owner=user, note=note)


def register_topics(registry: TopicRegistry) -> None:
    registry.register(
        TopicKind(
            name="example",
            can_subscribe=_can_subscribe,
            replay=_replay,
            handlers={"ping": _on_ping},
        )
    )


websocket_urlpatterns: list[URLPattern | URLResolver] = [
    # Channels routes ASGI apps with Django's path(); django-stubs expects a view there.
    path("ws/example/echo/", ExampleEchoConsumer.as_asgi()),  # type: ignore[arg-type]
]
