"""The parts of the topic contract that live threads need: gaps in seqs filled from replay,
per-connection hooks (join, leave, keepalive), and subscriptions checked again on demand."""

from collections.abc import Mapping
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from practika_site.core import consumers, realtime
from practika_site.core.realtime import (
    publish,
    recheck_subscriptions,
    recheck_subscriptions_on_commit,
)
from practika_site.users.models import User

from .conftest import HookedLedger
from .helpers import (
    assert_quiet,
    error_frame,
    open_websocket,
    receive_frame,
    send_frame,
    subscribe,
    token_for,
    without_message,
    ws_headers,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def apublish(event: Mapping[str, Any]) -> None:
    await sync_to_async(publish)(event["topic"], event["type"], event["data"], seq=event["seq"])


async def join(ws: WebsocketCommunicator, topic: str, since: int | None = None) -> None:
    assert await subscribe(ws, topic, since) == {"type": "subscribed", "topic": topic}
    if topic.startswith("hooked:"):
        assert (await receive_frame(ws))["type"] == "hooked.welcome"


async def test_join_hook_events_go_to_the_joining_socket_only(
    ws: WebsocketCommunicator, student: User, student2: User, hooked: HookedLedger
) -> None:
    async with open_websocket(headers=ws_headers(token=await token_for(student2))) as other:
        await join(other, "hooked:a")
        assert await subscribe(ws, "hooked:a") == {"type": "subscribed", "topic": "hooked:a"}
        welcome = await receive_frame(ws)
        assert welcome == {
            "type": "hooked.welcome",
            "topic": "hooked:a",
            "seq": None,
            "data": {"to": "student"},
        }
        await assert_quiet(other)
        # Subscribing again is no second join.
        assert await subscribe(ws, "hooked:a") == {"type": "subscribed", "topic": "hooked:a"}
        await assert_quiet(ws)
    joins_and_leaves = [call[0] for call in hooked.calls if call[0] != "keepalive"]
    assert joins_and_leaves == ["join", "join", "leave"]


async def test_leave_hook_runs_on_unsubscribe_and_disconnect(
    student: User, hooked: HookedLedger
) -> None:
    async with open_websocket(headers=ws_headers(token=await token_for(student))) as ws:
        await join(ws, "hooked:a")
        await join(ws, "hooked:b")
        await send_frame(ws, {"type": "unsubscribe", "topic": "hooked:a"})
        while (await receive_frame(ws))["type"] != "unsubscribed":
            pass
    left = [(kind, topic_id) for kind, topic_id, _ in hooked.calls if kind == "leave"]
    assert left == [("leave", "a"), ("leave", "b")]
    channels = {channel for _, _, channel in hooked.calls}
    assert len(channels) == 1  # the hooks are told which connection it is


async def test_keepalive_runs_while_subscribed(
    student: User, hooked: HookedLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumers, "KEEPALIVE_SECONDS", 0.02)
    async with open_websocket(headers=ws_headers(token=await token_for(student))) as ws:
        await assert_quiet(ws)
        assert hooked.calls == []  # nothing to keep alive yet
        await join(ws, "hooked:a")
        await assert_quiet(ws)
    assert sum(1 for call in hooked.calls if call[0] == "keepalive") >= 2


async def test_a_gap_in_live_seqs_is_filled_from_replay(
    ws: WebsocketCommunicator, hooked: HookedLedger
) -> None:
    hooked.append_hooked("a", 1)
    await join(ws, "hooked:a")  # no since: live seqs count from head (1)
    hooked.append_hooked("a", 2)  # stored, its publish lost
    third = hooked.append_hooked("a", 3)
    await apublish(third)
    got = [await receive_frame(ws) for _ in range(2)]
    assert [(e["seq"], e["data"]) for e in got] == [(2, {"n": 2}), (3, {"n": 3})]
    # The late copy of 2 is dropped; the next one arrives once.
    await apublish({**got[0]})
    await apublish(hooked.append_hooked("a", 4))
    assert (await receive_frame(ws))["seq"] == 4
    await assert_quiet(ws)


async def test_events_out_of_order_arrive_in_order_once(
    ws: WebsocketCommunicator, hooked: HookedLedger
) -> None:
    await join(ws, "hooked:a")
    first, second = hooked.append_hooked("a", 1), hooked.append_hooked("a", 2)
    await apublish(second)
    await apublish(first)
    assert [(await receive_frame(ws))["seq"] for _ in range(2)] == [1, 2]
    await assert_quiet(ws)


async def test_kinds_without_head_pass_gaps_through(
    ws: WebsocketCommunicator, student: User
) -> None:
    topic = f"user:{student.pk}"
    await join(ws, topic)
    await sync_to_async(publish)(topic, "notification.created", {}, seq=1)
    await sync_to_async(publish)(topic, "notification.created", {}, seq=5)
    assert [(await receive_frame(ws))["seq"] for _ in range(2)] == [1, 5]


async def test_recheck_by_user_drops_refused_topics_only(
    ws: WebsocketCommunicator, student: User, hooked: HookedLedger
) -> None:
    await join(ws, "hooked:a")
    await join(ws, "hooked:b")
    own = f"user:{student.pk}"
    await join(ws, own)
    hooked.closed.add("a")
    await sync_to_async(recheck_subscriptions)(user_id=student.pk, kind="hooked")
    assert without_message(await receive_frame(ws)) == error_frame("forbidden", "hooked:a")
    assert ("leave", "a") in [(kind, topic_id) for kind, topic_id, _ in hooked.calls]
    await apublish(hooked.append_hooked("a", 1))
    await apublish(hooked.append_hooked("b", 1))
    assert (await receive_frame(ws))["topic"] == "hooked:b"
    await assert_quiet(ws)


async def test_recheck_of_a_topic_reaches_its_subscribers(
    ws: WebsocketCommunicator, hooked: HookedLedger
) -> None:
    await join(ws, "hooked:a")
    hooked.closed.add("a")
    await sync_to_async(recheck_subscriptions)(topic="hooked:a")
    assert without_message(await receive_frame(ws)) == error_frame("forbidden", "hooked:a")


async def test_recheck_on_commit_waits_for_the_commit(
    ws: WebsocketCommunicator, student: User, hooked: HookedLedger
) -> None:
    await join(ws, "hooked:a")

    def revoke() -> None:
        with transaction.atomic():
            recheck_subscriptions_on_commit(user_id=student.pk)
            # Still inside the transaction: no check has run yet.
            async_to_sync(assert_quiet)(ws)
            hooked.closed.add("a")

    await sync_to_async(revoke)()
    assert without_message(await receive_frame(ws)) == error_frame("forbidden", "hooked:a")


def test_recheck_needs_one_target() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        recheck_subscriptions()
    with pytest.raises(ValueError, match="exactly one"):
        recheck_subscriptions(user_id="x", topic="user:x")


@pytest.mark.django_db
def test_a_failing_channel_layer_does_not_break_a_committed_change(
    student: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Robust on-commit publishing: the failure is logged, the change stays, nothing raises."""

    def layer_down(group: str, message: dict[str, Any]) -> None:
        raise ConnectionError("redis is restarting")

    monkeypatch.setattr(realtime, "_group_send", layer_down)
    with transaction.atomic():
        User.objects.filter(pk=student.pk).update(first_name="Kept")
        realtime.publish_on_commit(f"user:{student.pk}", "user.updated", {}, seq=1)
    assert User.objects.get(pk=student.pk).first_name == "Kept"
