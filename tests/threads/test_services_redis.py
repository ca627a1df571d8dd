"""Threads across real server processes sharing Redis (``make services-test``).

Two ``runpractika`` processes use channels_redis and the Redis cache, and the test's database
(PostgreSQL with DATABASE_URL, else the SQLite test file). Without REDIS_URL these skip, and
with ``PRACTIKA_REQUIRE_SERVICES=1`` they fail instead. The restart test runs a redis-server
of its own on a free port and never touches the shared one.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from django.db import connection
from knox.models import AuthToken
from redis import Redis
from websockets.sync.client import ClientConnection, connect

from plugins.threads.models import ThreadMessage
from practika_site.users.models import User
from tests.conftest import services_required, skip_or_fail

from .conftest import Scene, World
from .processes import (
    PrivateRedis,
    ServerProcess,
    database_url,
    practika_servers,
    private_redis,
    redis_server_binary,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

TIMEOUT = 10.0
Frame = dict[str, Any]


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        skip_or_fail("REDIS_URL is not set", required=services_required())
    return url


def server_env(redis_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url(connection.settings_dict, connection.vendor),
        # Channels of this test only, on a Redis others may share.
        "CHANNEL_LAYER_PREFIX": f"practika-test-{uuid.uuid4().hex[:12]}",
        "PRACTIKA_VAR_DIR": str(tmp_path / "var"),
    }


def token(server: ServerProcess, username: str) -> str:
    """An API token, made here: the servers hash passwords as production does, unlike the
    test settings, so logging in over HTTP would need a password hashed their way."""
    _, value = AuthToken.objects.create(user=User.objects.get(username=username))
    return str(value)


def receive(ws: ClientConnection) -> Frame:
    frame = json.loads(ws.recv(timeout=TIMEOUT))
    assert isinstance(frame, dict), frame
    return frame


def receive_event(ws: ClientConnection) -> Frame:
    """The next frame that is not presence or typing."""
    while (frame := receive(ws))["type"] in ("presence", "typing"):
        pass
    return frame


@contextmanager
def open_thread(
    server: ServerProcess, username: str, scene: Scene, since: int | None = None
) -> Iterator[tuple[ClientConnection, list[Frame]]]:
    """A socket subscribed to the thread; the events replayed to it."""
    with connect(
        f"{server.ws_url}/ws/?token={token(server, username)}",
        open_timeout=TIMEOUT,
        close_timeout=TIMEOUT,
    ) as ws:
        ws.send(json.dumps({"type": "subscribe", "topic": scene.thread.topic, "since": since}))
        assert receive(ws) == {"type": "subscribed", "topic": scene.thread.topic}
        replayed = []
        while (frame := receive(ws))["type"] != "presence":
            replayed.append(frame)
        yield ws, replayed


def say(ws: ClientConnection, scene: Scene, body: str) -> None:
    ws.send(json.dumps({"type": "message", "topic": scene.thread.topic, "body": body}))


@pytest.fixture
def two_servers(redis_url: str, live_world: World, tmp_path: Path) -> Iterator[list[ServerProcess]]:
    with practika_servers(2, env=server_env(redis_url, tmp_path), log_dir=tmp_path) as servers:
        yield servers


def test_a_message_posted_on_one_server_reaches_a_client_of_the_other(
    two_servers: list[ServerProcess], live_world: World, live_scene: Scene
) -> None:
    a, b = two_servers
    with (
        open_thread(a, "teacher", live_scene) as (teacher, _),
        open_thread(b, "student", live_scene) as (student, _),
    ):
        # Presence crosses processes too: the teacher (on a) sees the student (on b) join.
        presence = receive(teacher)
        assert [v["username"] for v in presence["data"]["viewers"]] == ["student", "teacher"]

        say(student, live_scene, "from b")
        event = receive_event(teacher)
        assert (event["type"], event["seq"], event["data"]["body"]) == (
            "message.created",
            1,
            "from b",
        )
        assert receive_event(student) == event  # its own, back from Redis
        response = requests.post(
            f"{a.url}/api/v1/threads/{live_scene.thread.pk}/messages/",
            json={"body": "from a, over REST"},
            headers={"Authorization": f"Token {token(a, 'teacher')}"},
            timeout=TIMEOUT,
        )
        assert response.status_code == 201, response.text
        assert receive_event(student)["data"] == response.json()

        teacher.send(json.dumps({"type": "typing", "topic": live_scene.thread.topic}))
        while (frame := receive(student))["type"] != "typing":
            pass
        assert frame["data"]["user"]["username"] == "teacher"


def test_restarting_redis_loses_no_message(
    redis_url: str, live_world: World, live_scene: Scene, tmp_path: Path
) -> None:
    """On a redis-server of its own (``redis_url`` only says this run has Redis)."""
    if redis_server_binary() is None:
        skip_or_fail("redis-server is not installed", required=services_required())
    with private_redis(tmp_path) as redis:
        env = server_env(redis.url, tmp_path)
        group_channel = f"{env['CHANNEL_LAYER_PREFIX']}__group__thread.{live_scene.thread.pk}"
        with practika_servers(2, env=env, log_dir=tmp_path) as (a, b):
            run_restart_scenario(a, b, redis, live_scene, group_channel)


def run_restart_scenario(
    a: ServerProcess, b: ServerProcess, redis: PrivateRedis, scene: Scene, group_channel: str
) -> None:
    with (
        open_thread(a, "teacher", scene) as (teacher, _),
        open_thread(b, "student", scene) as (student, _),
    ):
        say(student, scene, "before")
        assert receive_event(teacher)["seq"] == 1

        redis.stop()
        # Redis is gone: the message is stored; its broadcast is lost.
        say(student, scene, "while redis was down")
        _wait_until_stored(2)

        redis.start()  # empty: every subscription and cached value is gone
        # Both servers subscribe again by themselves (channels_redis retries every second).
        _wait_until_subscribed(redis, group_channel, servers=2)
        # Stored and announced on b, received on a once both found Redis again; the teacher's
        # server notices the gap (seq 2 never came) and reads it from the database.
        say(student, scene, "after")
        got = [receive_event(teacher) for _ in range(2)]
        assert [(e["seq"], e["data"]["body"]) for e in got] == [
            (2, "while redis was down"),
            (3, "after"),
        ]

    # A client that dropped during the outage catches up by replay, in order, once.
    with open_thread(a, "teacher", scene, since=1) as (_, replayed):
        assert [(e["seq"], e["data"]["body"]) for e in replayed] == [
            (2, "while redis was down"),
            (3, "after"),
        ]
    assert list(ThreadMessage.objects.order_by("seq").values_list("body", flat=True)) == [
        "before",
        "while redis was down",
        "after",
    ]


def _wait_until_stored(count: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while ThreadMessage.objects.count() < count:
        assert time.monotonic() < deadline, "the message was not stored"
        time.sleep(0.05)


def _wait_until_subscribed(redis: PrivateRedis, channel: str, *, servers: int) -> None:
    client = Redis.from_url(redis.url)
    try:
        deadline = time.monotonic() + 30
        while dict(client.pubsub_numsub(channel)).get(channel.encode(), 0) < servers:
            assert time.monotonic() < deadline, "the servers did not subscribe again"
            time.sleep(0.1)
    finally:
        client.close()
