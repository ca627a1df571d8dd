"""The example plugin's ``example:<user id>`` topic kind, over a websocket."""

import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from practika_site.users.models import User
from tests.plugin_example.models import ExamplePing
from tests.plugin_example.services import example_ping_create
from tests.realtime.helpers import (
    assert_quiet,
    error_frame,
    open_websocket,
    receive_frame,
    round_trip,
    send_frame,
    subscribe,
    token_for,
    without_message,
    ws_headers,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def ws(student: User) -> AsyncIterator[WebsocketCommunicator]:
    async with open_websocket(headers=ws_headers(token=await token_for(student))) as socket:
        yield socket


def topic_of(user: User) -> str:
    return f"example:{user.pk}"


async def test_owner_subscribes(ws: WebsocketCommunicator, student: User) -> None:
    topic = topic_of(student)
    assert await subscribe(ws, topic) == {"type": "subscribed", "topic": topic}


async def test_other_users_topic_is_forbidden(
    ws: WebsocketCommunicator, student: User, student2: User
) -> None:
    topic = topic_of(student2)
    assert without_message(await subscribe(ws, topic)) == error_frame("forbidden", topic)


@pytest.mark.parametrize("topic_id", [str(uuid.uuid4()), "not-a-uuid"])
async def test_unknown_owner_is_forbidden(ws: WebsocketCommunicator, topic_id: str) -> None:
    topic = f"example:{topic_id}"
    assert without_message(await subscribe(ws, topic)) == error_frame("forbidden", topic)


async def test_permission_reads_the_database_at_subscribe_time(
    ws: WebsocketCommunicator, student: User, student2: User
) -> None:
    topic = topic_of(student2)
    assert (await subscribe(ws, topic))["code"] == "forbidden"
    await User.objects.filter(pk=student.pk).aupdate(is_staff=True)
    assert await subscribe(ws, topic) == {"type": "subscribed", "topic": topic}
    await User.objects.filter(pk=student2.pk).aupdate(is_active=False)
    assert (await subscribe(ws, topic))["code"] == "forbidden"


async def test_ping_frame_publishes_what_the_api_lists(
    ws: WebsocketCommunicator,
    student: User,
    client_for: Callable[[User], APIClient],
) -> None:
    topic = topic_of(student)
    await subscribe(ws, topic)
    await send_frame(ws, {"type": "ping", "topic": topic, "note": "over the socket"})
    event = await receive_frame(ws)
    assert (event["type"], event["topic"], event["seq"]) == ("example.pinged", topic, 1)
    listed = await sync_to_async(lambda: client_for(student).get("/api/v1/example-pings/").json())()
    assert listed["results"] == [event["data"]]
    assert round_trip(event) == event


async def test_api_create_publishes_after_commit(
    ws: WebsocketCommunicator, student: User, client_for: Callable[[User], APIClient]
) -> None:
    topic = topic_of(student)
    await subscribe(ws, topic)

    def post() -> object:
        response = client_for(student).post(
            "/api/v1/example-pings/", {"note": "rest"}, format="json"
        )
        return response.json()

    created = await sync_to_async(post)()
    event = await receive_frame(ws)
    assert event == {"type": "example.pinged", "topic": topic, "seq": 1, "data": created}


async def test_ping_is_refused_on_someone_elses_topic(
    ws: WebsocketCommunicator, student: User, student2: User
) -> None:
    await User.objects.filter(pk=student.pk).aupdate(is_staff=True)
    topic = topic_of(student2)
    assert (await subscribe(ws, topic))["type"] == "subscribed"
    await send_frame(ws, {"type": "ping", "topic": topic})
    assert without_message(await receive_frame(ws)) == error_frame("forbidden", topic)
    assert not await ExamplePing.objects.aexists()


async def test_ping_with_bad_note_is_invalid(ws: WebsocketCommunicator, student: User) -> None:
    topic = topic_of(student)
    await subscribe(ws, topic)
    await send_frame(ws, {"type": "ping", "topic": topic, "note": 5})
    assert without_message(await receive_frame(ws)) == error_frame("invalid", topic)
    await assert_quiet(ws)


async def test_replay_since(ws: WebsocketCommunicator, student: User) -> None:
    for n in range(1, 5):
        await sync_to_async(example_ping_create)(owner=student, note=f"n{n}")
    topic = topic_of(student)
    assert await subscribe(ws, topic, since=2) == {"type": "subscribed", "topic": topic}
    replayed = [await receive_frame(ws) for _ in range(2)]
    assert [(e["seq"], e["data"]["note"]) for e in replayed] == [(3, "n3"), (4, "n4")]
    assert {e["type"] for e in replayed} == {"example.pinged"}
    await assert_quiet(ws)


async def test_staff_watches_and_gets_live_pings(
    ws: WebsocketCommunicator, student: User, admin_user: User
) -> None:
    topic = topic_of(student)
    async with open_websocket(headers=ws_headers(token=await token_for(admin_user))) as watcher:
        assert await subscribe(watcher, topic) == {"type": "subscribed", "topic": topic}
        await subscribe(ws, topic)
        await send_frame(ws, {"type": "ping", "topic": topic, "note": "seen"})
        own, watched = await receive_frame(ws), await receive_frame(watcher)
        assert own == watched
        assert own["data"]["note"] == "seen"
