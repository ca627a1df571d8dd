"""The real-time frame: topics, their permission checks, and publishing events after commit.

A topic is ``<kind>:<id>`` (``clip:<uuid>``, ``thread:<uuid>``, ``user:<uuid>``). Each kind is
registered once with a check run against the database when a client subscribes. Channels'
group names allow no ``:``, so ``group_name()`` is the one place that maps a topic to its
group (``thread.<uuid>``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from .errors import InvalidInput

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser

logger = logging.getLogger(__name__)

TOPIC_RE = re.compile(r"^(?P<kind>[a-z][a-z0-9_-]{0,30}):(?P<id>[A-Za-z0-9_-]{1,64})$")
EVENT_MESSAGE_TYPE = "realtime.event"
RECHECK_MESSAGE_TYPE = "realtime.recheck"
PUBLISH_TIMEOUT_SECONDS = 10.0


class Event(TypedDict):
    type: str
    topic: str
    seq: int | None
    data: Mapping[str, Any]


TopicAuthorizer = Callable[["AnyUser", str], bool]
TopicReplayer = Callable[["AnyUser", str, int], Sequence[Event]]
TopicHead = Callable[["AnyUser", str], int]
FrameHandler = Callable[["AnyUser", str, Mapping[str, Any]], None]
# (user, topic id, the connection's channel name): presence and the like.
ConnectionJoinHook = Callable[["AnyUser", str, str], Sequence[Event]]
ConnectionHook = Callable[["AnyUser", str, str], None]


@dataclass(frozen=True)
class TopicKind:
    """A kind of topic clients may subscribe to.

    ``can_subscribe(user, id)`` and the other callables are synchronous and may query the
    database; the consumer runs them in a worker thread. ``replay(user, id, since)`` returns
    the events after ``since`` in order, for clients that reconnect. ``handlers`` maps client
    frame types (``typing``, ``message``) to functions that raise ``PractikaError`` to refuse.

    ``head(user, id)`` is the seq of the topic's latest event. A kind that gives it promises
    that its seqs count up by one per event, so the consumer can tell a gap (an event lost
    while the channel layer was down, or two events published out of order by different
    processes) and fill it from ``replay`` instead of letting the client miss it.

    Per connection: ``on_join(user, id, channel_name)`` runs after a subscribe (and its
    replay) and returns events for this client only; ``on_leave`` runs on unsubscribe,
    disconnect and lost access; ``keepalive`` every ``KEEPALIVE_SECONDS`` while subscribed,
    so state kept per connection (presence) can expire when a server dies without leaving.
    """

    name: str
    can_subscribe: TopicAuthorizer
    replay: TopicReplayer | None = None
    handlers: Mapping[str, FrameHandler] = field(default_factory=dict)
    head: TopicHead | None = None
    on_join: ConnectionJoinHook | None = None
    on_leave: ConnectionHook | None = None
    keepalive: ConnectionHook | None = None


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


def user_connections_group(user_id: object) -> str:
    """The group every ``/ws/`` connection of a user joins, for control messages."""
    return f"connections.{user_id}"


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


def _group_send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _consumer_loop
    current = _running_loop()
    if (
        isinstance(layer, InMemoryChannelLayer)
        and loop is not None
        and loop.is_running()
        and current is not loop
    ):
        future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
        future.result(timeout=PUBLISH_TIMEOUT_SECONDS)
        return
    if current is not None and current is not loop:
        # Synchronous code on a thread whose own event loop runs (a sync call made under
        # DJANGO_ALLOW_ASYNC_UNSAFE, as Playwright's sync API does): async_to_sync refuses to
        # run there, so the send gets a thread of its own.
        with ThreadPoolExecutor(1) as worker:
            sending = worker.submit(async_to_sync(layer.group_send), group, message)
            sending.result(timeout=PUBLISH_TIMEOUT_SECONDS)
        return
    async_to_sync(layer.group_send)(group, message)


def publish(
    topic: str, event_type: str, data: Mapping[str, Any], *, seq: int | None = None
) -> None:
    """Send an event to the topic's subscribers now. Services use publish_on_commit."""
    event = make_event(topic, event_type, data, seq)
    # Encoded once here, not once per subscriber: a thread with hundreds of sockets on a
    # server would otherwise spend its fan-out re-encoding the same frame.
    frame = json.dumps(event, cls=DjangoJSONEncoder)
    message = {"type": EVENT_MESSAGE_TYPE, "topic": topic, "seq": seq, "frame": frame}
    _group_send(group_name(topic), message)


def publish_on_commit(
    topic: str, event_type: str, data: Mapping[str, Any], *, seq: int | None = None
) -> None:
    """Publish once the current transaction commits, never for one that rolls back.

    ``robust``: a channel layer that is down must not break the request that already
    committed; clients catch up by replay.
    """
    group_name(topic)  # validate now, in the caller's stack

    def publish_after_commit() -> None:
        publish(topic, event_type, data, seq=seq)

    # A function, not a partial: Django's robust on_commit names the callback when it logs a
    # failure and raises AttributeError on a partial (no __qualname__), undoing "robust".
    transaction.on_commit(publish_after_commit, robust=True)


def recheck_subscriptions(
    *, user_id: object = None, topic: str | None = None, kind: str | None = None
) -> None:
    """Make connections ask ``can_subscribe`` again now and drop the topics it refuses.

    Aimed at one user's connections (``user_id``), or at a topic's subscribers (``topic``);
    ``kind`` narrows which of their topics are checked. A dropped topic gets an ``error``
    frame with code ``forbidden``; the socket stays open.
    """
    if (user_id is None) == (topic is None):
        raise ValueError("Give exactly one of user_id and topic.")
    group = user_connections_group(user_id) if topic is None else group_name(topic)
    _group_send(group, {"type": RECHECK_MESSAGE_TYPE, "topic": topic, "kind": kind})


def recheck_subscriptions_on_commit(
    *, user_id: object = None, topic: str | None = None, kind: str | None = None
) -> None:
    """recheck_subscriptions once the change that took access away is committed (and
    visible to the connections' own database reads)."""
    if topic is not None:
        group_name(topic)  # validate now, in the caller's stack

    def recheck_after_commit() -> None:
        recheck_subscriptions(user_id=user_id, topic=topic, kind=kind)

    transaction.on_commit(recheck_after_commit, robust=True)  # a function: see above
