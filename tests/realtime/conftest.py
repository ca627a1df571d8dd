"""A topic kind of the tests' own, ``ledger:<id>``, with replay and a client frame."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from channels.testing import WebsocketCommunicator

from practika_site.core import consumers
from practika_site.core.errors import Forbidden
from practika_site.core.realtime import (
    Event,
    TopicKind,
    TopicRegistry,
    build_topic_registry,
    make_event,
    publish,
)
from practika_site.users.models import User

from .helpers import open_websocket, token_for, ws_headers

if TYPE_CHECKING:
    from practika_site.core.realtime import AnyUser


@dataclass
class Ledger:
    """Events kept per topic id, as a plugin would keep them in its tables."""

    events: dict[str, list[Event]] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)

    def append(self, topic_id: str, event_type: str, data: Mapping[str, Any]) -> Event:
        kept = self.events.setdefault(topic_id, [])
        event = make_event(f"ledger:{topic_id}", event_type, data, len(kept) + 1)
        kept.append(event)
        return event

    def can_subscribe(self, user: AnyUser, topic_id: str) -> bool:
        return bool(user.is_authenticated) and topic_id not in self.closed

    def replay(self, user: AnyUser, topic_id: str, since: int) -> Sequence[Event]:
        return [
            e for e in self.events.get(topic_id, []) if e["seq"] is not None and e["seq"] > since
        ]

    def on_poke(self, user: AnyUser, topic_id: str, frame: Mapping[str, Any]) -> None:
        if frame.get("refuse"):
            raise Forbidden("Poking refused.")
        event = self.append(topic_id, "ledger.poked", {"by": user.get_username()})
        publish(event["topic"], event["type"], event["data"], seq=event["seq"])


@pytest.fixture
def ledger(monkeypatch: pytest.MonkeyPatch) -> Ledger:
    """Adds ``ledger`` to the topic kinds the consumer sees, for this test only."""
    kept = Ledger()
    registry: TopicRegistry = build_topic_registry()
    registry.register(
        TopicKind(
            name="ledger",
            can_subscribe=kept.can_subscribe,
            replay=kept.replay,
            handlers={"poke": kept.on_poke},
        )
    )
    monkeypatch.setattr(consumers, "get_topic_registry", lambda: registry)
    return kept


@dataclass
class HookedLedger(Ledger):
    """A ledger whose kind also gives ``head`` and the per-connection hooks, and records them."""

    calls: list[tuple[str, str, str]] = field(default_factory=list)

    def head(self, user: AnyUser, topic_id: str) -> int:
        return len(self.events.get(topic_id, []))

    def on_join(self, user: AnyUser, topic_id: str, channel_name: str) -> Sequence[Event]:
        self.calls.append(("join", topic_id, channel_name))
        return [make_event(f"hooked:{topic_id}", "hooked.welcome", {"to": user.get_username()})]

    def on_leave(self, user: AnyUser, topic_id: str, channel_name: str) -> None:
        self.calls.append(("leave", topic_id, channel_name))

    def keepalive(self, user: AnyUser, topic_id: str, channel_name: str) -> None:
        self.calls.append(("keepalive", topic_id, channel_name))

    def append_hooked(self, topic_id: str, n: int) -> Event:
        event = self.append(topic_id, "hooked.entry", {"n": n})
        return {**event, "topic": f"hooked:{topic_id}"}


@pytest.fixture
def hooked(monkeypatch: pytest.MonkeyPatch) -> HookedLedger:
    """Adds ``hooked``: a topic kind with replay, head and connection hooks, for this test."""
    kept = HookedLedger()

    def replay(user: AnyUser, topic_id: str, since: int) -> Sequence[Event]:
        return [{**e, "topic": f"hooked:{topic_id}"} for e in kept.replay(user, topic_id, since)]

    registry: TopicRegistry = build_topic_registry()
    registry.register(
        TopicKind(
            name="hooked",
            can_subscribe=kept.can_subscribe,
            replay=replay,
            head=kept.head,
            on_join=kept.on_join,
            on_leave=kept.on_leave,
            keepalive=kept.keepalive,
        )
    )
    monkeypatch.setattr(consumers, "get_topic_registry", lambda: registry)
    return kept


@pytest.fixture
async def ws(student: User) -> AsyncIterator[WebsocketCommunicator]:
    """A websocket of the whole ASGI stack, logged in as ``student`` (by token)."""
    async with open_websocket(headers=ws_headers(token=await token_for(student))) as socket:
        yield socket
