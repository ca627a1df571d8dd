"""Threads against a real uvicorn server, with the ``websockets`` client and HTTP over one
port, as browsers and the SDK use them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from plugins.threads.models import ThreadMessage
from plugins.threads.services import SEND_LIMIT
from practika_site.core.consumers import CLOSE_UNAUTHENTICATED
from practika_site.courses.models import Enrollment
from tests.factories import TEST_PASSWORD
from tests.live import AsgiLiveServer, api_token

from .conftest import Scene, World

TIMEOUT = 5.0
QUIET = 0.3

pytestmark = pytest.mark.django_db(transaction=True)

Frame = dict[str, Any]


def receive(ws: ClientConnection) -> Frame:
    frame = json.loads(ws.recv(timeout=TIMEOUT))
    assert isinstance(frame, dict), frame
    return frame


def assert_quiet(ws: ClientConnection) -> None:
    with pytest.raises(TimeoutError):
        ws.recv(timeout=QUIET)


def receive_skipping_presence(ws: ClientConnection) -> Frame:
    while (frame := receive(ws))["type"] == "presence":
        pass
    return frame


@contextmanager
def thread_socket(
    server: AsgiLiveServer, username: str, scene: Scene, since: int | None = None
) -> Iterator[tuple[ClientConnection, list[Frame]]]:
    """A token client subscribed to the thread; yields the socket and the replayed events."""
    token = api_token(server, username, TEST_PASSWORD)
    with connect(
        f"{server.ws_url}/ws/?token={token}", open_timeout=TIMEOUT, close_timeout=TIMEOUT
    ) as ws:
        ws.send(json.dumps({"type": "subscribe", "topic": scene.thread.topic, "since": since}))
        assert receive(ws) == {"type": "subscribed", "topic": scene.thread.topic}
        replayed = []
        while (frame := receive(ws))["type"] != "presence":
            replayed.append(frame)
        yield ws, replayed


def rest_post(server: AsgiLiveServer, username: str, scene: Scene, body: str) -> Frame:
    token = api_token(server, username, TEST_PASSWORD)
    response = requests.post(
        f"{server.url}/api/v1/threads/{scene.thread.pk}/messages/",
        json={"body": body},
        headers={"Authorization": f"Token {token}"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 201, response.text
    data: Frame = response.json()
    return data


def message(scene: Scene, body: str) -> str:
    return json.dumps({"type": "message", "topic": scene.thread.topic, "body": body})


def test_two_users_chat_over_real_sockets_and_rest(
    asgi_live_server: AsgiLiveServer, live_world: World, live_scene: Scene
) -> None:
    topic = live_scene.thread.topic
    with (
        thread_socket(asgi_live_server, "teacher", live_scene) as (teacher, _),
        thread_socket(asgi_live_server, "student", live_scene) as (student, _),
    ):
        student.send(message(live_scene, "Here is my question"))
        asked = receive_skipping_presence(teacher)
        assert (asked["type"], asked["seq"], asked["data"]["body"]) == (
            "message.created",
            1,
            "Here is my question",
        )
        assert receive_skipping_presence(student) == asked

        # Posted over REST, received over the socket: one service for both paths.
        answer = rest_post(asgi_live_server, "teacher", live_scene, "Here is **the** answer")
        event = receive(student)
        assert event == {"type": "message.created", "topic": topic, "seq": 2, "data": answer}

        teacher.send(json.dumps({"type": "typing", "topic": topic}))
        typing = receive(student)
        assert (typing["type"], typing["data"]["user"]["username"]) == ("typing", "teacher")


def test_reconnect_with_since_gets_the_missed_messages_once(
    asgi_live_server: AsgiLiveServer, live_world: World, live_scene: Scene
) -> None:
    with thread_socket(asgi_live_server, "student", live_scene) as (student, _):
        student.send(message(live_scene, "before the drop"))
        assert receive(student)["seq"] == 1
    for n in range(2, 5):
        rest_post(asgi_live_server, "teacher", live_scene, f"missed {n}")
    with thread_socket(asgi_live_server, "student", live_scene, since=1) as (student, replayed):
        assert [(e["seq"], e["data"]["body"]) for e in replayed] == [
            (2, "missed 2"),
            (3, "missed 3"),
            (4, "missed 4"),
        ]
        rest_post(asgi_live_server, "teacher", live_scene, "live again")
        assert receive(student)["seq"] == 5
        assert_quiet(student)


def test_refusals(asgi_live_server: AsgiLiveServer, live_world: World, live_scene: Scene) -> None:
    endpoint = f"{asgi_live_server.ws_url}/ws/"
    with connect(endpoint, open_timeout=TIMEOUT) as anonymous, pytest.raises(ConnectionClosed) as e:
        anonymous.recv(timeout=TIMEOUT)
    assert e.value.rcvd is not None
    assert e.value.rcvd.code == CLOSE_UNAUTHENTICATED

    token = api_token(asgi_live_server, "teacher", TEST_PASSWORD)
    with pytest.raises(InvalidStatus) as refused:
        connect(
            endpoint,
            additional_headers={"Authorization": f"Token {token}"},
            origin=Origin("https://evil.example"),
            open_timeout=TIMEOUT,
        )
    assert refused.value.response.status_code == 403

    other = api_token(asgi_live_server, "student2", TEST_PASSWORD)
    with connect(f"{endpoint}?token={other}", open_timeout=TIMEOUT) as ws:
        ws.send(json.dumps({"type": "subscribe", "topic": live_scene.thread.topic}))
        frame = receive(ws)
        assert (frame["type"], frame["code"], frame["topic"]) == (
            "error",
            "forbidden",
            live_scene.thread.topic,
        )


def test_flood_and_removal_over_a_real_socket(
    asgi_live_server: AsgiLiveServer, live_world: World, live_scene: Scene
) -> None:
    with thread_socket(asgi_live_server, "student", live_scene) as (student, _):
        for n in range(SEND_LIMIT + 3):
            student.send(message(live_scene, f"flood {n}"))
        frames = [receive(student) for _ in range(SEND_LIMIT + 3)]
        assert [f["type"] for f in frames].count("message.created") == SEND_LIMIT
        assert [f.get("code") for f in frames if f["type"] == "error"] == ["rate_limited"] * 3

        Enrollment.objects.filter(user=live_world.student, course=live_world.course).delete()
        frame = receive(student)
        assert (frame["type"], frame["code"]) == ("error", "forbidden")
        rest_post(asgi_live_server, "teacher", live_scene, "after the removal")
        assert_quiet(student)
    assert ThreadMessage.objects.count() == SEND_LIMIT + 1
