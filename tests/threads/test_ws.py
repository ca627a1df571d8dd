"""``thread:<id>`` over ``/ws/`` (the whole ASGI stack, Channels' communicator, in-memory
layer): messages, typing, presence, replay, access changes, limits."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async

from plugins.threads.models import ThreadMessage, ThreadViewer
from plugins.threads.services import (
    SEND_LIMIT,
    message_delete,
    message_edit,
    message_post,
    thread_update,
)
from practika_site.core import consumers, realtime
from practika_site.courses.models import Enrollment
from practika_site.users.models import User
from tests.api.assertions import response_json
from tests.realtime.helpers import (
    SAME_ORIGIN,
    assert_closed,
    assert_quiet,
    error_frame,
    handshake,
    open_websocket,
    receive_frame,
    send_frame,
    session_cookie_for,
    subscribe,
    without_message,
    ws_headers,
)

from .conftest import Scene, World
from .ws import join, socket_for, viewers

pytestmark = pytest.mark.django_db(transaction=True)


def message_frame(scene: Scene, body: str, video_time: object = None) -> dict[str, Any]:
    return {"type": "message", "topic": scene.thread.topic, "body": body, "video_time": video_time}


async def rest_json(user: User, url: str) -> Any:
    from rest_framework.test import APIClient

    def get() -> Any:
        client = APIClient()
        client.force_authenticate(user)
        return response_json(client.get(url))

    return await sync_to_async(get)()


async def test_two_users_see_each_others_messages_and_typing(
    live_world: World, live_scene: Scene
) -> None:
    topic = live_scene.thread.topic
    async with socket_for(live_world.student) as student, socket_for(live_world.teacher) as teacher:
        _, presence = await join(teacher, live_scene.thread)
        assert viewers(presence) == ["teacher"]
        _, presence = await join(student, live_scene.thread)
        assert viewers(presence) == ["student", "teacher"]
        assert viewers(await receive_frame(teacher)) == ["student", "teacher"]

        await send_frame(student, message_frame(live_scene, "Is **this** better?", 2.5))
        seen = [await receive_frame(ws) for ws in (student, teacher)]
        assert seen[0] == seen[1]
        event = seen[0]
        assert (event["type"], event["topic"], event["seq"]) == ("message.created", topic, 1)
        assert event["data"]["html"] == "Is <strong>this</strong> better?"
        assert event["data"]["video_time"] == 2.5
        # The event's data is the message as the REST API shows it.
        rest = await rest_json(live_world.teacher, f"/api/v1/messages/{event['data']['id']}/")
        assert event["data"] == rest

        await send_frame(teacher, message_frame(live_scene, "Yes!"))
        assert (await receive_frame(student))["data"]["body"] == "Yes!"
        assert (await receive_frame(teacher))["seq"] == 2

        await send_frame(teacher, {"type": "typing", "topic": topic})
        typing = await receive_frame(student)
        assert typing == {
            "type": "typing",
            "topic": topic,
            "seq": None,
            "data": {"user": {"id": str(live_world.teacher.pk), "username": "teacher"}},
        }
        assert (await receive_frame(teacher))["type"] == "typing"
        # A burst of keystrokes is one typing event per two seconds.
        for _ in range(5):
            await send_frame(teacher, {"type": "typing", "topic": topic})
        await send_frame(student, {"type": "typing", "topic": topic})
        assert (await receive_frame(teacher))["data"]["user"]["username"] == "student"
        assert (await receive_frame(student))["data"]["user"]["username"] == "student"
        await assert_quiet(teacher)
        await assert_quiet(student)
    assert await ThreadMessage.objects.acount() == 2


@pytest.mark.parametrize("who", ["student2", "other_teacher", "outsider"])
async def test_a_third_users_subscribe_is_refused(
    live_world: World, live_scene: Scene, who: str
) -> None:
    user: User = getattr(live_world, who)
    topic = live_scene.thread.topic
    async with socket_for(user) as ws:
        assert without_message(await subscribe(ws, topic)) == error_frame("forbidden", topic)
        await send_frame(ws, message_frame(live_scene, "let me in"))
        assert without_message(await receive_frame(ws)) == error_frame("not_subscribed", topic)
        own = f"user:{user.pk}"
        assert await subscribe(ws, own) == {"type": "subscribed", "topic": own}
    assert await ThreadMessage.objects.acount() == 0
    assert await ThreadViewer.objects.acount() == 0


async def test_reconnect_with_since_replays_exactly_what_was_missed(
    live_world: World, live_scene: Scene
) -> None:
    thread, teacher, student = live_scene.thread, live_world.teacher, live_world.student
    post = sync_to_async(message_post)
    first = await post(actor=student, thread=thread, body="one")
    second = await post(actor=student, thread=thread, body="two")
    async with socket_for(student) as ws:
        replayed, _ = await join(ws, thread, since=0)
        assert [(e["type"], e["seq"]) for e in replayed] == [
            ("message.created", 1),
            ("message.created", 2),
        ]
    # Offline: new messages, an edit and a delete of what the client has, a resolve.
    await post(actor=teacher, thread=thread, body="three")
    await sync_to_async(message_edit)(actor=student, message=first, body="one, edited")
    await post(actor=teacher, thread=thread, body="four")
    await sync_to_async(message_delete)(actor=student, message=second)
    await sync_to_async(thread_update)(actor=teacher, thread=thread, resolved=True)

    async with socket_for(student) as ws:
        replayed, _ = await join(ws, thread, since=2)
        summary = [
            (e["type"], e["seq"], e["data"].get("body", e["data"].get("title"))) for e in replayed
        ]
        assert summary == [
            ("message.created", 3, "three"),
            ("message.edited", 4, "one, edited"),
            ("message.created", 5, "four"),
            ("message.deleted", 6, ""),
            ("thread.resolved", 7, "Bar 3 rushes"),
        ]
        assert replayed[-1]["data"]["resolved"] is True
        # Live from here: the next one arrives once, copies of replayed ones never.
        await sync_to_async(realtime.publish)(thread.topic, "message.created", {}, seq=5)
        await post(actor=teacher, thread=thread, body="eight")
        assert (await receive_frame(ws))["seq"] == 8
        await assert_quiet(ws)

    # Up to date: nothing is replayed.
    async with socket_for(student) as ws:
        replayed, _ = await join(ws, thread, since=8)
        assert replayed == []


async def test_a_lost_event_is_filled_in_from_the_database(
    live_world: World, live_scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread, teacher = live_scene.thread, live_world.teacher
    post = sync_to_async(message_post)
    async with socket_for(live_world.student) as ws:
        await join(ws, thread)
        await post(actor=teacher, thread=thread, body="one")
        assert (await receive_frame(ws))["seq"] == 1
        with monkeypatch.context() as layer_down:
            layer_down.setattr(realtime, "publish", lambda *args, **kwargs: None)
            await post(actor=teacher, thread=thread, body="lost on the way")
        await post(actor=teacher, thread=thread, body="three")
        got = [await receive_frame(ws) for _ in range(2)]
        assert [(e["seq"], e["data"]["body"]) for e in got] == [
            (2, "lost on the way"),
            (3, "three"),
        ]
        await assert_quiet(ws)


async def test_removing_a_user_from_the_course_cuts_them_off(
    live_world: World, live_scene: Scene
) -> None:
    topic = live_scene.thread.topic
    async with socket_for(live_world.student) as student, socket_for(live_world.teacher) as teacher:
        await join(teacher, live_scene.thread)
        await join(student, live_scene.thread)
        await receive_frame(teacher)  # the student joined
        await Enrollment.objects.filter(user=live_world.student, course=live_world.course).adelete()
        frame = await receive_frame(student)
        assert without_message(frame) == error_frame("forbidden", topic)
        # The others see the student leave; the student hears nothing more of the thread.
        assert viewers(await receive_frame(teacher)) == ["teacher"]
        await send_frame(teacher, message_frame(live_scene, "still there?"))
        assert (await receive_frame(teacher))["type"] == "message.created"
        await assert_quiet(student)
        await send_frame(student, message_frame(live_scene, "yes"))
        assert without_message(await receive_frame(student)) == error_frame("not_subscribed", topic)
        assert without_message(await subscribe(student, topic)) == error_frame("forbidden", topic)
        # The socket itself stays open for what the student still may see.
        own = f"user:{live_world.student.pk}"
        assert await subscribe(student, own) == {"type": "subscribed", "topic": own}


async def test_a_thread_deleted_with_its_segment_drops_its_subscribers(
    live_world: World, live_scene: Scene
) -> None:
    async with socket_for(live_world.teacher) as ws:
        await join(ws, live_scene.thread)
        await live_scene.segment.adelete()
        frame = await receive_frame(ws)
        assert without_message(frame) == error_frame("forbidden", live_scene.thread.topic)


async def test_a_flood_is_throttled_and_the_socket_stays_open(
    live_world: World, live_scene: Scene
) -> None:
    topic = live_scene.thread.topic
    async with socket_for(live_world.student) as ws:
        await join(ws, live_scene.thread)
        for n in range(SEND_LIMIT + 5):
            await send_frame(ws, message_frame(live_scene, f"spam {n}"))
        frames = [await receive_frame(ws) for _ in range(SEND_LIMIT + 5)]
        created = [f for f in frames if f["type"] == "message.created"]
        refused = [f for f in frames if f["type"] == "error"]
        assert [f["data"]["body"] for f in created] == [f"spam {n}" for n in range(SEND_LIMIT)]
        assert len(refused) == 5
        assert {without_message(f)["code"] for f in refused} == {"rate_limited"}
        assert "try again" in refused[0]["message"]
        # Still open: other frames work.
        await send_frame(ws, {"type": "typing", "topic": topic})
        assert (await receive_frame(ws))["type"] == "typing"
    assert await ThreadMessage.objects.acount() == SEND_LIMIT


@pytest.mark.parametrize(
    ("frame_extra", "field"),
    [
        ({"body": "x" * 4001}, "4000"),
        ({"body": "   "}, "text"),
        ({"body": None}, "body"),
        ({"body": "ok", "video_time": 11}, "video_time"),
        ({"body": "ok", "video_time": "soon"}, "video_time"),
        ({"body": "ok", "video_time": True}, "video_time"),
    ],
)
async def test_bad_message_frames_are_invalid(
    live_world: World, live_scene: Scene, frame_extra: dict[str, Any], field: str
) -> None:
    topic = live_scene.thread.topic
    async with socket_for(live_world.student) as ws:
        await join(ws, live_scene.thread)
        await send_frame(ws, {"type": "message", "topic": topic, **frame_extra})
        frame = await receive_frame(ws)
        assert without_message(frame) == error_frame("invalid", topic)
        assert field in frame["message"]
        await assert_quiet(ws)
    assert await ThreadMessage.objects.acount() == 0


async def test_presence_counts_users_not_sockets(live_world: World, live_scene: Scene) -> None:
    thread = live_scene.thread
    async with socket_for(live_world.teacher) as teacher:
        await join(teacher, thread)
        async with socket_for(live_world.student) as tab1:
            await join(tab1, thread)
            assert viewers(await receive_frame(teacher)) == ["student", "teacher"]
            async with socket_for(live_world.student) as tab2:
                # The second tab learns who is here; the others hear nothing new.
                _, presence = await join(tab2, thread)
                assert viewers(presence) == ["student", "teacher"]
                await assert_quiet(teacher)
            await assert_quiet(teacher)  # one tab closed: the student is still here
            await send_frame(tab1, {"type": "unsubscribe", "topic": thread.topic})
            assert (await receive_frame(tab1))["type"] == "unsubscribed"
            assert viewers(await receive_frame(teacher)) == ["teacher"]
    assert await ThreadViewer.objects.acount() == 0


async def test_keepalive_keeps_presence_and_a_dead_servers_rows_expire(
    live_world: World, live_scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from plugins.threads.selectors import PRESENCE_TTL, thread_viewer_list

    thread = live_scene.thread
    # A row a killed server left behind: older than the TTL, it no longer counts.
    await ThreadViewer.objects.acreate(
        thread=thread,
        user=live_world.student,
        channel_name="gone-server.channel",
        seen_at=timezone.now() - PRESENCE_TTL - timedelta(seconds=1),
    )
    monkeypatch.setattr(consumers, "KEEPALIVE_SECONDS", 0.05)
    async with socket_for(live_world.teacher) as ws:
        _, presence = await join(ws, thread)
        assert viewers(presence) == ["teacher"]
        row = await ThreadViewer.objects.aget(user=live_world.teacher)
        await ThreadViewer.objects.filter(pk=row.pk).aupdate(
            seen_at=timezone.now() - PRESENCE_TTL - timedelta(seconds=1)
        )
        await assert_quiet(ws)  # a few keepalives pass
        fresh = await sync_to_async(thread_viewer_list)(thread_id=thread.pk)
        assert [v["username"] for v in fresh] == ["teacher"]
    assert not await ThreadViewer.objects.filter(channel_name="gone-server.channel").aexists()


async def test_anonymous_and_foreign_origin_connections_are_refused(
    live_world: World, live_scene: Scene
) -> None:
    async with open_websocket(headers=ws_headers(origin=SAME_ORIGIN)) as ws:
        await assert_closed(ws, consumers.CLOSE_UNAUTHENTICATED)
    session = await session_cookie_for(live_world.teacher)
    accepted, _ = await handshake(
        headers=ws_headers(session=session, origin="https://evil.example")
    )
    assert not accepted
    # The same session from the site itself is fine.
    headers = ws_headers(session=session, origin=SAME_ORIGIN)
    async with open_websocket(headers=headers) as ws2:
        await join(ws2, live_scene.thread)


async def test_an_admin_demoted_or_a_user_deactivated_is_cut_off(
    live_world: World, live_scene: Scene
) -> None:
    topic = live_scene.thread.topic
    admin = await User.objects.acreate(username="watcher", role=User.Role.ADMIN)
    async with socket_for(admin) as ws, socket_for(live_world.student) as student:
        await join(ws, live_scene.thread)
        await join(student, live_scene.thread)
        await receive_frame(ws)  # the student joined
        admin.role = User.Role.STUDENT
        await admin.asave()
        assert without_message(await receive_frame(ws)) == error_frame("forbidden", topic)
        assert viewers(await receive_frame(student)) == ["student"]  # the admin left
        # A login (last_login only) re-checks nothing; a deactivation does.
        live_world.student.last_login = live_world.student.date_joined
        await live_world.student.asave(update_fields=["last_login"])
        await assert_quiet(student)
        live_world.student.is_active = False
        await live_world.student.asave()
        assert without_message(await receive_frame(student)) == error_frame("forbidden", topic)
