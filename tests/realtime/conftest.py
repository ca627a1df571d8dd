"""A topic kind of the tests' own, ``ledger:<id>``, with replay and a client frame."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

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
