"""Events: publish, publish_on_commit (after commit, never on rollback), replay and seq."""

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from practika_site.core.errors import InvalidInput
from practika_site.core.realtime import make_event, publish, publish_on_commit
from practika_site.users.models import User

from .conftest import Ledger
from .helpers import (
    assert_quiet,
    open_websocket,
    receive_frame,
    round_trip,
    send_frame,
    subscribe,
    token_for,
    ws_headers,
)

pytestmark = pytest.mark.django_db(transaction=True)

DATA = {"clip_id": "c0ffee", "progress": 42, "nested": {"list": [1, 2.5, "three", None]}}


class Rollback(Exception):
    pass


async def apublish(topic: str, event_type: str, data: dict[str, Any], seq: int | None) -> None:
    """publish() from a worker thread, as services and Huey tasks call it."""
    await sync_to_async(publish)(topic, event_type, data, seq=seq)


async def test_published_event_reaches_the_subscriber(
    ws: WebsocketCommunicator, student: User
) -> None:
    topic = f"user:{student.pk}"
    await subscribe(ws, topic)
    await apublish(topic, "notification.created", DATA, 7)
    event = await receive_frame(ws)
    assert event == {"type": "notification.created", "topic": topic, "seq": 7, "data": DATA}
    assert round_trip(make_event(topic, "notification.created", DATA, 7)) == event


async def test_event_without_seq(ws: WebsocketCommunicator, student: User) -> None:
    topic = f"user:{student.pk}"
    await subscribe(ws, topic)
    await apublish(topic, "typing", {"user": "x"}, None)
    await apublish(topic, "typing", {"user": "y"}, None)
    assert (await receive_frame(ws))["data"] == {"user": "x"}
    assert await receive_frame(ws) == {
        "type": "typing",
        "topic": topic,
        "seq": None,
        "data": {"user": "y"},
    }


async def test_nothing_arrives_without_a_subscription(
    ws: WebsocketCommunicator, student: User
) -> None:
    topic = f"user:{student.pk}"
    await apublish(topic, "notification.created", DATA, 1)
    await assert_quiet(ws)


async def test_events_go_only_to_the_topics_subscribers(
    ws: WebsocketCommunicator, student: User, student2: User
) -> None:
    own, other = f"user:{student.pk}", f"user:{student2.pk}"
    await subscribe(ws, own)
    async with open_websocket(headers=ws_headers(token=await token_for(student2))) as ws2:
        await subscribe(ws2, other)
        await apublish(other, "notification.created", {"for": "student2"}, 1)
        await apublish(own, "notification.created", {"for": "student"}, 1)
        assert (await receive_frame(ws))["data"] == {"for": "student"}
        assert (await receive_frame(ws2))["data"] == {"for": "student2"}
        await assert_quiet(ws)
        await assert_quiet(ws2)


async def test_every_subscriber_gets_the_event(ws: WebsocketCommunicator, student: User) -> None:
    topic = f"user:{student.pk}"
    await subscribe(ws, topic)
    async with open_websocket(headers=ws_headers(token=await token_for(student))) as ws2:
        await subscribe(ws2, topic)
        await apublish(topic, "notification.created", DATA, 1)
        assert (await receive_frame(ws))["data"] == DATA
        assert (await receive_frame(ws2))["data"] == DATA


async def test_unsubscribe_stops_delivery(ws: WebsocketCommunicator, student: User) -> None:
    topic = f"user:{student.pk}"
    await subscribe(ws, topic)
    await send_frame(ws, {"type": "unsubscribe", "topic": topic})
    assert await receive_frame(ws) == {"type": "unsubscribed", "topic": topic}
    await apublish(topic, "notification.created", DATA, 1)
    await assert_quiet(ws)


async def test_disconnect_leaves_the_group(student: User) -> None:
    topic = f"user:{student.pk}"
    async with open_websocket(headers=ws_headers(token=await token_for(student))) as ws:
        await subscribe(ws, topic)
    # The consumer is gone; publishing to its former group is a no-op, not an error.
    await apublish(topic, "notification.created", DATA, 1)


async def test_publish_on_commit_waits_for_the_commit(
    ws: WebsocketCommunicator, student: User
) -> None:
    topic = f"user:{student.pk}"
    await subscribe(ws, topic)

    def service() -> None:
        with transaction.atomic():
            User.objects.filter(pk=student.pk).update(first_name="Committed")
            publish_on_commit(topic, "user.updated", {"first_name": "Committed"}, seq=1)
            # Still inside the transaction: nothing may have left yet.
            async_to_sync(assert_quiet)(ws)

    await sync_to_async(service)()
    event = await receive_frame(ws)
    assert event == {
        "type": "user.updated",
        "topic": topic,
        "seq": 1,
        "data": {"first_name": "Committed"},
    }


async def test_publish_on_commit_never_sends_on_rollback(
    ws: WebsocketCommunicator, student: User
) -> None:
    topic = f"user:{student.pk}"
    await subscribe(ws, topic)

    def failing_service() -> None:
        with transaction.atomic():
            User.objects.filter(pk=student.pk).update(first_name="Lost")
            publish_on_commit(topic, "user.updated", {"first_name": "Lost"}, seq=1)
            raise Rollback

    def nested_savepoint_rolls_back() -> None:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    publish_on_commit(topic, "user.updated", {"first_name": "Savepoint"}, seq=2)
                    raise Rollback
            except Rollback:
                pass
            publish_on_commit(topic, "user.updated", {"first_name": "Kept"}, seq=3)

    with pytest.raises(Rollback):
        await sync_to_async(failing_service)()
    await sync_to_async(nested_savepoint_rolls_back)()
    # The first event to arrive is the one whose transaction committed.
    assert (await receive_frame(ws))["data"] == {"first_name": "Kept"}
    await assert_quiet(ws)
    refreshed = await User.objects.aget(pk=student.pk)
    assert refreshed.first_name != "Lost"


async def test_publish_on_commit_outside_a_transaction_sends_at_once(
    ws: WebsocketCommunicator, student: User
) -> None:
    topic = f"user:{student.pk}"
    await subscribe(ws, topic)
    await sync_to_async(publish_on_commit)(topic, "user.updated", DATA)
    assert (await receive_frame(ws))["data"] == DATA


@pytest.mark.django_db
def test_publish_on_commit_queues_one_callback(
    student: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        publish_on_commit(f"user:{student.pk}", "user.updated", DATA, seq=1)
    assert len(callbacks) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("topic", ["no-colon", "user:a b", ""])
def test_publish_on_commit_checks_the_topic_in_the_callers_stack(
    topic: str, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(InvalidInput):
        publish_on_commit(topic, "user.updated", DATA)
    assert callbacks == []


async def test_replay_since(ws: WebsocketCommunicator, ledger: Ledger) -> None:
    for n in range(1, 6):
        ledger.append("a", "ledger.entry", {"n": n})
    assert await subscribe(ws, "ledger:a", since=2) == {"type": "subscribed", "topic": "ledger:a"}
    replayed = [await receive_frame(ws) for _ in range(3)]
    assert [event["seq"] for event in replayed] == [3, 4, 5]
    assert replayed[0] == {"type": "ledger.entry", "topic": "ledger:a", "seq": 3, "data": {"n": 3}}
    await assert_quiet(ws)


async def test_no_replay_without_since(ws: WebsocketCommunicator, ledger: Ledger) -> None:
    ledger.append("a", "ledger.entry", {"n": 1})
    assert await subscribe(ws, "ledger:a") == {"type": "subscribed", "topic": "ledger:a"}
    await assert_quiet(ws)


async def test_replay_since_zero_sends_everything(
    ws: WebsocketCommunicator, ledger: Ledger
) -> None:
    for n in range(1, 3):
        ledger.append("a", "ledger.entry", {"n": n})
    await subscribe(ws, "ledger:a", since=0)
    assert [(await receive_frame(ws))["seq"] for _ in range(2)] == [1, 2]


async def test_seq_dedupe_after_replay(ws: WebsocketCommunicator, ledger: Ledger) -> None:
    for n in range(1, 4):
        ledger.append("a", "ledger.entry", {"n": n})
    await subscribe(ws, "ledger:a", since=1)
    assert [(await receive_frame(ws))["seq"] for _ in range(2)] == [2, 3]
    # Live copies of what the replay already sent, and older ones, are dropped...
    await apublish("ledger:a", "ledger.entry", {"n": 3}, 3)
    await apublish("ledger:a", "ledger.entry", {"n": 2}, 2)
    # ...events without seq always pass, and newer ones arrive once, in order.
    await apublish("ledger:a", "ledger.typing", {}, None)
    await apublish("ledger:a", "ledger.entry", {"n": 4}, 4)
    await apublish("ledger:a", "ledger.entry", {"n": 4}, 4)
    await apublish("ledger:a", "ledger.entry", {"n": 5}, 5)
    assert (await receive_frame(ws))["type"] == "ledger.typing"
    assert [(await receive_frame(ws))["seq"] for _ in range(2)] == [4, 5]
    await assert_quiet(ws)


async def test_seq_is_tracked_per_topic(ws: WebsocketCommunicator, ledger: Ledger) -> None:
    await subscribe(ws, "ledger:a")
    await subscribe(ws, "ledger:b")
    await apublish("ledger:a", "ledger.entry", {}, 5)
    await apublish("ledger:b", "ledger.entry", {}, 1)
    assert [(await receive_frame(ws))["topic"] for _ in range(2)] == ["ledger:a", "ledger:b"]


async def test_replay_then_live_events_in_order(ws: WebsocketCommunicator, ledger: Ledger) -> None:
    ledger.append("a", "ledger.entry", {"n": 1})
    await subscribe(ws, "ledger:a", since=0)
    assert (await receive_frame(ws))["seq"] == 1
    event = ledger.append("a", "ledger.entry", {"n": 2})
    await apublish(event["topic"], event["type"], dict(event["data"]), event["seq"])
    assert (await receive_frame(ws))["seq"] == 2


async def test_resubscribe_with_since_replays_again(
    ws: WebsocketCommunicator, ledger: Ledger
) -> None:
    for n in range(1, 4):
        ledger.append("a", "ledger.entry", {"n": n})
    await subscribe(ws, "ledger:a", since=0)
    assert [(await receive_frame(ws))["seq"] for _ in range(3)] == [1, 2, 3]
    await send_frame(ws, {"type": "unsubscribe", "topic": "ledger:a"})
    assert (await receive_frame(ws))["type"] == "unsubscribed"
    # A client that kept only up to 1 asks again: 2 and 3 come again, then live ones.
    await subscribe(ws, "ledger:a", since=1)
    assert [(await receive_frame(ws))["seq"] for _ in range(2)] == [2, 3]
    await apublish("ledger:a", "ledger.entry", {"n": 3}, 3)
    await apublish("ledger:a", "ledger.entry", {"n": 4}, 4)
    assert (await receive_frame(ws))["seq"] == 4
