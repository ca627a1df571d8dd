"""``/ws/``: one websocket per client, many topics, the JSON protocol of API.md."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ObjectDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model

from .errors import PractikaError
from .realtime import (
    EVENT_MESSAGE_TYPE,
    Event,
    TopicKind,
    bind_event_loop,
    get_topic_registry,
    group_name,
    parse_topic,
    user_connections_group,
)

if TYPE_CHECKING:
    from .realtime import AnyUser

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
MAX_TOPICS_PER_CONNECTION = 200
KEEPALIVE_SECONDS = 30.0


def _header(scope: Mapping[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def origin_allowed(scope: Mapping[str, Any]) -> bool:
    """Same-origin, or listed in CSRF_TRUSTED_ORIGINS / PRACTIKA_WS_ALLOWED_ORIGINS.

    A missing Origin is refused only for a session-authenticated connection: browsers always
    send one, so a session cookie without it is suspect. Token clients (the SDK, scripts) go
    on, and so do anonymous ones, to be closed with 4401 as API.md says.
    """
    origin = _header(scope, b"origin")
    if origin is None:
        user = scope.get("user")
        session_user = user is not None and user.is_authenticated
        return scope.get("auth_method") == "token" or not session_user
    try:
        parsed = urlsplit(origin)
    except ValueError:  # e.g. "http://[" : not an origin at all
        return False
    if not parsed.scheme or not parsed.netloc:
        return False
    normalized = f"{parsed.scheme}://{parsed.netloc}".lower()
    trusted = {o.rstrip("/").lower() for o in settings.CSRF_TRUSTED_ORIGINS}
    trusted |= {o.rstrip("/").lower() for o in settings.PRACTIKA_WS_ALLOWED_ORIGINS}
    if normalized in trusted:
        return True
    host = _header(scope, b"host")
    same_scheme = parsed.scheme.lower() == ("https" if _is_secure(scope) else "http")
    return host is not None and same_scheme and parsed.netloc.lower() == host.lower()


def _is_secure(scope: Mapping[str, Any]) -> bool:
    """As Django's ``request.is_secure()``: the proxy's header when configured, else the scheme.

    So an ``http://`` page (which a network attacker can write) is not same-origin with a
    ``wss://`` socket that carries the secure session cookie.
    """
    proxy_header = settings.SECURE_PROXY_SSL_HEADER
    if proxy_header:
        name, secure_value = proxy_header
        value = _header(scope, name.removeprefix("HTTP_").replace("_", "-").lower().encode())
        if value is not None:
            return value.split(",", 1)[0].strip() == secure_value
    return scope.get("scheme") in ("wss", "https")


class RealtimeConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.topics: set[str] = set()
        self.last_seq: dict[str, int] = {}
        self.control_group: str | None = None
        self.keepalive_task: asyncio.Task[None] | None = None
        bind_event_loop()
        if not origin_allowed(self.scope):
            await self.close()  # before accept: the handshake is refused with 403
            return
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        # Joined for the connection's life: access changes reach every socket of the user.
        self.control_group = user_connections_group(user.pk)
        await self.channel_layer.group_add(self.control_group, self.channel_name)
        self.keepalive_task = asyncio.create_task(self.keep_alive())

    @property
    def user(self) -> AnyUser:
        user = self.scope.get("user")
        return AnonymousUser() if user is None else user

    async def disconnect(self, code: int) -> None:
        keepalive_task = getattr(self, "keepalive_task", None)
        if keepalive_task is not None:
            keepalive_task.cancel()
        for topic in list(getattr(self, "topics", ())):
            await self.leave(topic)
        control_group = getattr(self, "control_group", None)
        if control_group is not None:
            await self.channel_layer.group_discard(control_group, self.channel_name)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        try:
            frame = json.loads(text_data or "")
        except ValueError:
            await self.send_error("invalid_frame", "Frames are JSON objects.")
            return
        if not isinstance(frame, dict):
            await self.send_error("invalid_frame", "Frames are JSON objects.")
            return
        await self.receive_json(frame)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        frame_type = content.get("type")
        topic = content.get("topic")
        try:
            if frame_type == "subscribe":
                await self.subscribe(topic, content.get("since"))
            elif frame_type == "unsubscribe":
                await self.unsubscribe(topic)
            elif isinstance(frame_type, str):
                await self.handle_topic_frame(frame_type, topic, content)
            else:
                await self.send_error("invalid_frame", "A frame needs a 'type'.", topic)
        except PractikaError as exc:
            await self.send_error(exc.code, exc.message, topic if isinstance(topic, str) else None)

    async def subscribe(self, topic: object, since: object) -> None:
        kind_name, topic_id = parse_topic(topic)
        assert isinstance(topic, str)
        kind = get_topic_registry().get(kind_name)
        if kind is None:
            await self.send_error("unknown_topic", f"No topic kind {kind_name!r}.", topic)
            return
        if since is not None and (not isinstance(since, int) or isinstance(since, bool)):
            await self.send_error("invalid_frame", "'since' is an integer or null.", topic)
            return
        if topic not in self.topics and len(self.topics) >= MAX_TOPICS_PER_CONNECTION:
            await self.send_error("too_many_topics", "Too many subscriptions.", topic)
            return
        allowed = await database_sync_to_async(kind.can_subscribe)(self.user, topic_id)
        if not allowed:
            await self.send_error("forbidden", "You may not subscribe to this topic.", topic)
            return
        # Join before replaying: an event published meanwhile arrives after the replay and is
        # dropped by its seq, so nothing is lost and nothing comes twice.
        await self.channel_layer.group_add(group_name(topic), self.channel_name)
        joined = topic not in self.topics
        self.topics.add(topic)
        await self.send_json({"type": "subscribed", "topic": topic})
        if since is not None and kind.replay is not None:
            # The client says what it has; what it asks for again is not a duplicate.
            self.last_seq[topic] = since
            await self.replay(kind, topic, topic_id, since)
        elif kind.head is not None and topic not in self.last_seq:
            # Without since nothing is replayed, but live seqs are counted from here on.
            self.last_seq[topic] = await database_sync_to_async(kind.head)(self.user, topic_id)
        if joined and kind.on_join is not None:
            events = await database_sync_to_async(kind.on_join)(
                self.user, topic_id, self.channel_name
            )
            for event in events:
                await self.send_event(event)

    async def replay(self, kind: TopicKind, topic: str, topic_id: str, since: int) -> None:
        assert kind.replay is not None
        events = await database_sync_to_async(kind.replay)(self.user, topic_id, since)
        for event in events:
            await self.send_event(event)

    async def unsubscribe(self, topic: object) -> None:
        parse_topic(topic)
        assert isinstance(topic, str)
        if topic in self.topics:
            await self.leave(topic)
        await self.send_json({"type": "unsubscribed", "topic": topic})

    async def leave(self, topic: str) -> None:
        """Stop receiving ``topic``, and tell its kind this connection left."""
        await self.channel_layer.group_discard(group_name(topic), self.channel_name)
        self.topics.discard(topic)
        self.last_seq.pop(topic, None)
        kind, topic_id = self.kind_of(topic)
        if kind is not None and kind.on_leave is not None:
            try:
                await database_sync_to_async(kind.on_leave)(self.user, topic_id, self.channel_name)
            except Exception:
                # Leaving must finish (the socket may be closing); the kind's state for this
                # connection then expires without keepalives.
                logger.exception("on_leave of %s failed", topic)

    def kind_of(self, topic: str) -> tuple[TopicKind | None, str]:
        kind_name, topic_id = parse_topic(topic)
        return get_topic_registry().get(kind_name), topic_id

    async def handle_topic_frame(
        self, frame_type: str, topic: object, frame: dict[str, Any]
    ) -> None:
        kind_name, topic_id = parse_topic(topic)
        kind = get_topic_registry().get(kind_name)
        handler = kind.handlers.get(frame_type) if kind is not None else None
        if handler is None:
            await self.send_error("invalid_frame", f"Unknown frame type {frame_type!r}.", topic)
            return
        if topic not in self.topics:
            await self.send_error("not_subscribed", "Subscribe to the topic first.", topic)
            return
        await database_sync_to_async(handler)(self.user, topic_id, frame)

    async def keep_alive(self) -> None:
        # A random first beat: sockets that connected together do not all beat together.
        await asyncio.sleep(random.uniform(0, KEEPALIVE_SECONDS))
        while True:
            for topic in list(self.topics):
                kind, topic_id = self.kind_of(topic)
                if kind is None or kind.keepalive is None:
                    continue
                try:
                    await database_sync_to_async(kind.keepalive)(
                        self.user, topic_id, self.channel_name
                    )
                except Exception:
                    logger.exception("keepalive of %s failed", topic)
            await asyncio.sleep(KEEPALIVE_SECONDS)

    async def dispatch(self, message: dict[str, Any]) -> None:
        if message.get("type") == EVENT_MESSAGE_TYPE:
            # Channels' dispatch first closes old database connections, a hop to the one
            # database thread, for every message: for an event that is one hop per subscriber,
            # and a fan-out to hundreds of sockets queued behind each other on that thread
            # (and requests behind them). Forwarding an event reads no database; a gap's
            # replay goes through database_sync_to_async, which closes them itself.
            await self.realtime_event(message)
            return
        await super().dispatch(message)

    async def realtime_event(self, message: dict[str, Any]) -> None:
        """Channel layer message ``realtime.event``: forward the encoded frame to the client."""
        topic, seq = message["topic"], message["seq"]
        last = self.last_seq.get(topic) if topic in self.topics else None
        if last is not None and seq is not None and seq > last + 1:
            kind, topic_id = self.kind_of(topic)
            if kind is not None and kind.head is not None and kind.replay is not None:
                # A gap: the events between were lost or are still on their way. The
                # database has them (events leave after commit); later copies are dropped.
                # A refused replay: the topic is gone or hidden now, and its recheck drops it.
                with contextlib.suppress(PractikaError):
                    await self.replay(kind, topic, topic_id, last)
        await self.deliver(topic, seq, message["frame"])

    async def realtime_recheck(self, message: dict[str, Any]) -> None:
        """Channel layer message ``realtime.recheck``: drop topics the user may no longer see."""
        only_topic, only_kind = message.get("topic"), message.get("kind")
        user = self.user
        if isinstance(user, Model):
            try:
                # The role may have changed too: read the user again for can_subscribe.
                await database_sync_to_async(user.refresh_from_db)()
            except ObjectDoesNotExist:
                user = AnonymousUser()  # deleted: may see nothing any more
            if not getattr(user, "is_active", False):
                user = AnonymousUser()  # deactivated: the same
        for topic in sorted(self.topics):
            if only_topic is not None and topic != only_topic:
                continue
            kind, topic_id = self.kind_of(topic)
            if only_kind is not None and (kind is None or kind.name != only_kind):
                continue
            allowed = kind is not None and await database_sync_to_async(kind.can_subscribe)(
                user, topic_id
            )
            if not allowed:
                await self.leave(topic)
                await self.send_error("forbidden", "You may no longer see this topic.", topic)

    async def send_event(self, event: Event) -> None:
        frame = json.dumps(dict(event), cls=DjangoJSONEncoder)
        await self.deliver(event["topic"], event.get("seq"), frame)

    async def deliver(self, topic: str, seq: int | None, frame: str) -> None:
        """Send an event's frame unless the topic was left or the client has its seq."""
        if topic not in self.topics:
            return
        if seq is not None:
            if seq <= self.last_seq.get(topic, -1):
                return
            self.last_seq[topic] = seq
        await self.send(text_data=frame)

    async def send_error(self, code: str, message: str, topic: object = None) -> None:
        await self.send_json({"type": "error", "code": code, "message": message, "topic": topic})
