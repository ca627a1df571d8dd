"""The real-time frame: topics, their permission checks, and publishing events after commit.

A topic is ``<kind>:<id>`` (``clip:<uuid>``, ``thread:<uuid>``, ``user:<uuid>``). Each kind is
registered once with a check run against the database when a client subscribes. Channels'
group names allow no ``:``, so ``group_name()`` is the one place that maps a topic to its
group (``thread.<uuid>``).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.apps import apps
from django.db import transaction

from .errors import InvalidInput

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser

logger = logging.getLogger(__name__)

TOPIC_RE = re.compile(r"^(?P<kind>[a-z][a-z0-9_-]{0,30}):(?P<id>[A-Za-z0-9_-]{1,64})$")
EVENT_MESSAGE_TYPE = "realtime.event"
PUBLISH_TIMEOUT_SECONDS = 10.0


class Event(TypedDict):
    type: str
    topic: str
    seq: int | None
    data: Mapping[str, Any]


TopicAuthorizer = Callable[["AnyUser", str], bool]
TopicReplayer = Callable[["AnyUser", str, int], Sequence[Event]]
FrameHandler = Callable[["AnyUser", str, Mapping[str, Any]], None]


@dataclass(frozen=True)
class TopicKind:
    """A kind of topic clients may subscribe to.

    ``can_subscribe(user, id)`` and the other callables are synchronous and may query the
    database; the consumer runs them in a worker thread. ``replay(user, id, since)`` returns
    the events after ``since`` in order, for clients that reconnect. ``handlers`` maps client
    frame types (``typing``, ``message``) to functions that raise ``PractikaError`` to refuse.
    """

    name: str
    can_subscribe: TopicAuthorizer
    replay: TopicReplayer | None = None
    handlers: Mapping[str, FrameHandler] = field(default_factory=dict)


class TopicRegistry:
    def __init__(self) -> None:
        self._kinds: dict[str, TopicKind] = {}

    def register(self, kind: TopicKind) -> None:
        if kind.name in self._kinds:
            raise ValueError(f"Topic kind {kind.name!r} is registered twice.")
        self._kinds[kind.name] = kind

    def get(self, name: str) -> TopicKind | None:
        return self._kinds.get(name)

    def names(self) -> list[str]:
        return sorted(self._kinds)


def _can_subscribe_own_user_topic(user: AnyUser, topic_id: str) -> bool:
    return bool(user.is_authenticated) and str(user.pk) == topic_id


def build_topic_registry() -> TopicRegistry:
    from .plugins import register_plugin_topics

    registry = TopicRegistry()
    registry.register(TopicKind(name="user", can_subscribe=_can_subscribe_own_user_topic))
    register_plugin_topics(registry)
    return registry


_registry_cache: dict[tuple[str, ...], TopicRegistry] = {}


def get_topic_registry() -> TopicRegistry:
    """The registry for the apps installed now (tests change INSTALLED_APPS)."""
    key = tuple(config.name for config in apps.get_app_configs())
    if key not in _registry_cache:
        _registry_cache[key] = build_topic_registry()
    return _registry_cache[key]


def parse_topic(topic: object) -> tuple[str, str]:
    match = TOPIC_RE.match(topic) if isinstance(topic, str) else None
    if match is None:
        raise InvalidInput("A topic looks like '<kind>:<id>'.", code="invalid_topic")
    return match["kind"], match["id"]


def group_name(topic: str) -> str:
    kind, topic_id = parse_topic(topic)
    return f"{kind}.{topic_id}"


def make_event(
    topic: str, event_type: str, data: Mapping[str, Any], seq: int | None = None
) -> Event:
    return {"type": event_type, "topic": topic, "seq": seq, "data": data}


# The in-memory layer keeps asyncio queues that only the loop they wait on may touch. The
# embedded mode publishes from other threads (the in-process Huey worker, request threads),
# so sends are handed to the loop the websocket consumers run on.
_consumer_loop: asyncio.AbstractEventLoop | None = None


def bind_event_loop() -> None:
    """Called by consumers from their event loop: where in-memory sends must run."""
    global _consumer_loop
    _consumer_loop = asyncio.get_running_loop()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def publish(
    topic: str, event_type: str, data: Mapping[str, Any], *, seq: int | None = None
) -> None:
    """Send an event to the topic's subscribers now. Services use publish_on_commit."""
    layer = get_channel_layer()
    if layer is None:
        return
    event = make_event(topic, event_type, data, seq)
    group, message = group_name(topic), {"type": EVENT_MESSAGE_TYPE, "event": event}
    loop = _consumer_loop
    if (
        isinstance(layer, InMemoryChannelLayer)
        and loop is not None
        and loop.is_running()
        and _running_loop() is None
    ):
        future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
        future.result(timeout=PUBLISH_TIMEOUT_SECONDS)
        return
    async_to_sync(layer.group_send)(group, message)


def publish_on_commit(
    topic: str, event_type: str, data: Mapping[str, Any], *, seq: int | None = None
) -> None:
    """Publish once the current transaction commits, never for one that rolls back.

    ``robust``: a channel layer that is down must not break the request that already
    committed; clients catch up by replay.
    """
    group_name(topic)  # validate now, in the caller's stack
    transaction.on_commit(partial(publish, topic, event_type, data, seq=seq), robust=True)
