"""The ``/ws/`` JSON protocol: subscribe, unsubscribe, errors, client frames."""

import pytest
from channels.testing import WebsocketCommunicator

from practika_site.core import consumers
from practika_site.users.models import User

from .conftest import Ledger
from .helpers import (
    assert_quiet,
    error_frame,
    receive_frame,
    send_frame,
    subscribe,
    without_message,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def assert_still_serves(ws: WebsocketCommunicator, user: User) -> None:
    topic = f"user:{user.pk}"
    assert await subscribe(ws, topic) == {"type": "subscribed", "topic": topic}


async def test_subscribe_to_own_user_topic(ws: WebsocketCommunicator, student: User) -> None:
    topic = f"user:{student.pk}"
    assert await subscribe(ws, topic) == {"type": "subscribed", "topic": topic}
    # Subscribing twice is harmless and answered again.
    assert await subscribe(ws, topic) == {"type": "subscribed", "topic": topic}


async def test_subscribe_to_another_users_topic_is_forbidden_and_socket_stays_open(
    ws: WebsocketCommunicator, student: User, student2: User
) -> None:
    topic = f"user:{student2.pk}"
    frame = await subscribe(ws, topic)
    assert without_message(frame) == error_frame("forbidden", topic)
    await assert_still_serves(ws, student)


async def test_subscribe_to_unknown_kind(ws: WebsocketCommunicator, student: User) -> None:
    frame = await subscribe(ws, "nosuchkind:123")
    assert without_message(frame) == error_frame("unknown_topic", "nosuchkind:123")
    await assert_still_serves(ws, student)


@pytest.mark.parametrize(
    "topic",
    ["user", "user:", ":123", "User:123", "user:a b", "user:a:b", "user:" + "x" * 65, 42, None, []],
)
async def test_malformed_topic(ws: WebsocketCommunicator, student: User, topic: object) -> None:
    await send_frame(ws, {"type": "subscribe", "topic": topic})
    frame = await receive_frame(ws)
    expected_topic = topic if isinstance(topic, str) else None
    assert without_message(frame) == error_frame("invalid_topic", expected_topic)
    await assert_still_serves(ws, student)


@pytest.mark.parametrize("text", ["not json", "{", "[]", '"subscribe"', "42", "null"])
async def test_invalid_frame_keeps_the_socket_open(
    ws: WebsocketCommunicator, student: User, text: str
) -> None:
    await ws.send_to(text_data=text)
    assert without_message(await receive_frame(ws)) == error_frame("invalid_frame", None)
    await assert_still_serves(ws, student)


async def test_binary_frame_is_invalid(ws: WebsocketCommunicator, student: User) -> None:
    await ws.send_to(bytes_data=b'{"type": "subscribe"}')
    assert without_message(await receive_frame(ws)) == error_frame("invalid_frame", None)
    await assert_still_serves(ws, student)


@pytest.mark.parametrize("frame_type", [None, 7, ["subscribe"]])
async def test_frame_without_a_type_is_invalid(
    ws: WebsocketCommunicator, student: User, frame_type: object
) -> None:
    topic = f"user:{student.pk}"
    await send_frame(ws, {"type": frame_type, "topic": topic})
    assert without_message(await receive_frame(ws)) == error_frame("invalid_frame", topic)
    await assert_still_serves(ws, student)


@pytest.mark.parametrize("since", ["3", 1.5, True, [1]])
async def test_since_must_be_an_integer(
    ws: WebsocketCommunicator, student: User, since: object
) -> None:
    topic = f"user:{student.pk}"
    await send_frame(ws, {"type": "subscribe", "topic": topic, "since": since})
    assert without_message(await receive_frame(ws)) == error_frame("invalid_frame", topic)


async def test_unknown_frame_type_on_a_known_topic(
    ws: WebsocketCommunicator, student: User
) -> None:
    topic = f"user:{student.pk}"
    await subscribe(ws, topic)
    await send_frame(ws, {"type": "dance", "topic": topic})
    assert without_message(await receive_frame(ws)) == error_frame("invalid_frame", topic)
    await assert_still_serves(ws, student)


async def test_client_frame_needs_a_subscription(
    ws: WebsocketCommunicator, student: User, ledger: Ledger
) -> None:
    await send_frame(ws, {"type": "poke", "topic": "ledger:a"})
    assert without_message(await receive_frame(ws)) == error_frame("not_subscribed", "ledger:a")
    assert ledger.events == {}


async def test_client_frame_reaches_its_handler(
    ws: WebsocketCommunicator, student: User, ledger: Ledger
) -> None:
    await subscribe(ws, "ledger:a")
    await send_frame(ws, {"type": "poke", "topic": "ledger:a"})
    event = await receive_frame(ws)
    assert event == {
        "type": "ledger.poked",
        "topic": "ledger:a",
        "seq": 1,
        "data": {"by": student.username},
    }


async def test_client_frame_refused_by_its_handler(
    ws: WebsocketCommunicator, student: User, ledger: Ledger
) -> None:
    await subscribe(ws, "ledger:a")
    await send_frame(ws, {"type": "poke", "topic": "ledger:a", "refuse": True})
    assert without_message(await receive_frame(ws)) == error_frame("forbidden", "ledger:a")
    assert ledger.events == {}
    await assert_still_serves(ws, student)


async def test_unsubscribe(ws: WebsocketCommunicator, student: User) -> None:
    topic = f"user:{student.pk}"
    await subscribe(ws, topic)
    await send_frame(ws, {"type": "unsubscribe", "topic": topic})
    assert await receive_frame(ws) == {"type": "unsubscribed", "topic": topic}
    # Unsubscribing from a topic one never had is answered the same way.
    await send_frame(ws, {"type": "unsubscribe", "topic": "ledger:never"})
    assert await receive_frame(ws) == {"type": "unsubscribed", "topic": "ledger:never"}


async def test_unsubscribe_malformed_topic(ws: WebsocketCommunicator) -> None:
    await send_frame(ws, {"type": "unsubscribe", "topic": "no-colon"})
    assert without_message(await receive_frame(ws)) == error_frame("invalid_topic", "no-colon")


async def test_too_many_topics(
    ws: WebsocketCommunicator, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumers, "MAX_TOPICS_PER_CONNECTION", 2)
    assert (await subscribe(ws, "ledger:a"))["type"] == "subscribed"
    assert (await subscribe(ws, "ledger:b"))["type"] == "subscribed"
    assert without_message(await subscribe(ws, "ledger:c")) == error_frame(
        "too_many_topics", "ledger:c"
    )
    # Already subscribed topics may be subscribed again (with since, to catch up).
    assert (await subscribe(ws, "ledger:a"))["type"] == "subscribed"
    await assert_quiet(ws)


async def test_refused_kind_permission_is_forbidden(
    ws: WebsocketCommunicator, ledger: Ledger
) -> None:
    ledger.closed.add("locked")
    frame = await subscribe(ws, "ledger:locked")
    assert without_message(frame) == error_frame("forbidden", "ledger:locked")
