"""``/ws/``: one websocket per client, many topics, the JSON protocol of API.md."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from .errors import PractikaError
from .realtime import Event, TopicKind, get_topic_registry, group_name, parse_topic

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
MAX_TOPICS_PER_CONNECTION = 200


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def origin_allowed(scope: dict[str, Any]) -> bool:
    """Same-origin, or listed in CSRF_TRUSTED_ORIGINS / PRACTIKA_WS_ALLOWED_ORIGINS.

    A missing Origin is accepted only for token clients (the SDK, scripts): browsers always
    send one, and a session cookie without an Origin could be a cross-site forgery.
    """
    origin = _header(scope, b"origin")
    if origin is None:
        return scope.get("auth_method") == "token"
    parsed = urlsplit(origin)
    if not parsed.scheme or not parsed.netloc:
        return False
    normalized = f"{parsed.scheme}://{parsed.netloc}".lower()
    trusted = {o.rstrip("/").lower() for o in settings.CSRF_TRUSTED_ORIGINS}
    trusted |= {o.rstrip("/").lower() for o in settings.PRACTIKA_WS_ALLOWED_ORIGINS}
    if normalized in trusted:
        return True
    host = _header(scope, b"host")
    return host is not None and parsed.netloc.lower() == host.lower()


class RealtimeConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]  # untyped base
    async def connect(self) -> None:
        self.topics: set[str] = set()
        self.last_seq: dict[str, int] = {}
        if not origin_allowed(self.scope):
            await self.close()  # before accept: the handshake is refused with 403
            return
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return

    async def disconnect(self, code: int) -> None:
        for topic in list(getattr(self, "topics", ())):
            await self.channel_layer.group_discard(group_name(topic), self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
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
        allowed = await database_sync_to_async(kind.can_subscribe)(self.scope["user"], topic_id)
        if not allowed:
            await self.send_error("forbidden", "You may not subscribe to this topic.", topic)
            return
        # Join before replaying: an event published meanwhile arrives after the replay and is
        # dropped by its seq, so nothing is lost and nothing comes twice.
        await self.channel_layer.group_add(group_name(topic), self.channel_name)
        self.topics.add(topic)
        await self.send_json({"type": "subscribed", "topic": topic})
        if since is not None and kind.replay is not None:
            await self.replay(kind, topic, topic_id, since)

    async def replay(self, kind: TopicKind, topic: str, topic_id: str, since: int) -> None:
        assert kind.replay is not None
        events = await database_sync_to_async(kind.replay)(self.scope["user"], topic_id, since)
        for event in events:
            await self.send_event(event)

    async def unsubscribe(self, topic: object) -> None:
        parse_topic(topic)
        assert isinstance(topic, str)
        if topic in self.topics:
            await self.channel_layer.group_discard(group_name(topic), self.channel_name)
            self.topics.discard(topic)
        await self.send_json({"type": "unsubscribed", "topic": topic})

    async def handle_topic_frame(self, frame_type: str, topic: object, frame: dict[str, Any]) -> None:
        kind_name, topic_id = parse_topic(topic)
        kind = get_topic_registry().get(kind_name)
        handler = kind.handlers.get(frame_type) if kind is not None else None
        if handler is None:
            await self.send_error("invalid_frame", f"Unknown frame type {frame_type!r}.", topic)
            return
        if topic not in self.topics:
            await self.send_error("not_subscribed", "Subscribe to the topic first.", topic)
            return
        await database_sync_to_async(handler)(self.scope["user"], topic_id, frame)

    async def realtime_event(self, message: dict[str, Any]) -> None:
        """Channel layer message ``realtime.event``: forward to the client."""
        await self.send_event(message["event"])

    async def send_event(self, event: Event) -> None:
        topic, seq = event["topic"], event.get("seq")
        if topic not in self.topics:
            return
        if seq is not None:
            if seq <= self.last_seq.get(topic, -1):
                return
            self.last_seq[topic] = seq
        await self.send_json(dict(event))

    async def send_error(self, code: str, message: str, topic: object = None) -> None:
        await self.send_json({"type": "error", "code": code, "message": message, "topic": topic})
