"""Live thread fan-out across two server processes that share Redis.

Two ``runpractika --no-worker`` processes (uvicorn, channels_redis pub/sub, Redis cache) on a
private ``redis-server`` of this benchmark's own (a free loopback port, no persistence) and
a SQLite database (WAL) of its own under var/bench/threads_fanout/. 500 websocket
subscribers (half on each server, spread over 10 users: a student and 9 teachers of the
course) watch one thread;
50 messages are posted over REST, alternately on each server, 200 ms apart. A delivery's
latency runs from just before the POST to the frame's arrival at a subscriber, so it
includes the request (auth, the locked seq, commit) and both hops through Redis. Then 200
more clients connect and subscribe at once; every handshake must succeed.

Clients and servers share this machine's cores; ``cores`` in the output says how many.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from bench.common import BENCH_VAR, Row, print_table, setup_django, summarize

if TYPE_CHECKING:
    from plugins.threads.models import PracticeThread

SUBSCRIBERS = 500
MESSAGES = 50
# A brisk conversation (5 a second), below the servers' saturation: latency, not a backlog.
POST_INTERVAL_SECONDS = 0.2
CONNECT_BURST = 200
USERS = 10
TARGET_P95_MS = 100.0
DELIVERY_TIMEOUT_SECONDS = 30.0
CONNECT_BATCH = 50  # the subscribers are set up in batches; the burst is all at once


@dataclass
class Setup:
    thread: PracticeThread
    tokens: list[str]  # one per user; subscribers and posters cycle through them


def build_data() -> Setup:
    from django.db import transaction
    from knox.models import AuthToken

    from plugins.clips.services import clip_request_upload
    from plugins.segments.models import VideoSegment
    from plugins.threads.services import thread_create
    from practika_site.courses.models import CoursePage, Enrollment
    from practika_site.users.models import User

    from .common import bench_student_exercise

    student, exercise = bench_student_exercise()
    course = CoursePage.objects.get(slug="bench-clips")
    with transaction.atomic():
        teachers = []
        for n in range(USERS - 1):
            teacher, _ = User.objects.get_or_create(
                username=f"bench-threads-teacher-{n}", defaults={"role": User.Role.TEACHER}
            )
            Enrollment.objects.update_or_create(
                course=course, user=teacher, defaults={"role": Enrollment.Role.TEACHER}
            )
            teachers.append(teacher)
        clip = clip_request_upload(
            actor=student,
            exercise_id=exercise.uuid,
            duration_sec=60,
            absolute_url=lambda path: f"http://127.0.0.1{path}",
        ).clip
        segment = VideoSegment.objects.create(clip=clip, start=0, end=10, created_by=teachers[0])
        # A fresh thread each run: seqs start at 1.
        thread = thread_create(actor=teachers[0], segment=segment, title="Bench fan-out")
        users = [student, *teachers]
        tokens = [AuthToken.objects.create(user=user)[1] for user in users]
    return Setup(thread=thread, tokens=tokens)


@dataclass
class Subscriber:
    ws: Any
    arrivals: dict[int, float] = field(default_factory=dict)
    closed: str | None = None  # why the server closed it early, if it did


async def _subscribe(url: str, topic: str) -> tuple[Any, float, float]:
    """Connect and subscribe; the socket, the handshake's and the subscribe's durations."""
    from websockets.asyncio.client import connect

    started = time.perf_counter()
    ws = await connect(url, open_timeout=60, close_timeout=5, max_queue=None)
    handshake = time.perf_counter() - started
    await ws.send(json.dumps({"type": "subscribe", "topic": topic}))
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=60))
        if frame["type"] == "subscribed":
            return ws, handshake, time.perf_counter() - started
        if frame["type"] == "error":
            raise RuntimeError(f"subscribe refused: {frame}")


async def _listen(subscriber: Subscriber) -> None:
    from websockets.exceptions import ConnectionClosed

    try:
        async for raw in subscriber.ws:
            now = time.perf_counter()
            if '"message.created"' not in raw:  # presence and the like: not timed
                continue
            frame = json.loads(raw)
            subscriber.arrivals[int(frame["data"]["body"].rsplit(" ", 1)[1])] = now
    except ConnectionClosed as exc:
        subscriber.closed = repr(exc)


def _post(url: str, token: str, n: int) -> None:
    response = requests.post(
        url, json={"body": f"bench {n}"}, headers={"Authorization": f"Token {token}"}, timeout=30
    )
    response.raise_for_status()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _servers_settled(setup: Setup) -> None:
    """Wait until the servers have seen every socket leave (their presence rows gone), so the
    burst measures connecting, not the previous phase's clean-up."""
    from asgiref.sync import sync_to_async

    from plugins.threads.models import ThreadViewer

    count = sync_to_async(ThreadViewer.objects.filter(thread=setup.thread).count)
    deadline = time.perf_counter() + 120
    while await count() and time.perf_counter() < deadline:
        await asyncio.sleep(0.2)


@dataclass
class FanOut:
    deliveries_ms: list[float]
    first_arrival_ms: list[float]
    last_arrival_ms: list[float]
    post_ms: list[float]
    server_cpu_ms_per_message: list[float]
    dropped: list[str]
    missing: int
    subscribe_ms: list[float]


async def fan_out(servers: list[Any], setup: Setup) -> FanOut:
    topic = setup.thread.topic
    subscribers: list[Subscriber] = []
    subscribe_ms: list[float] = []
    for start in range(0, SUBSCRIBERS, CONNECT_BATCH):
        batch = [
            _subscribe(
                f"{servers[n % 2].ws_url}/ws/?token={setup.tokens[n % len(setup.tokens)]}", topic
            )
            for n in range(start, min(start + CONNECT_BATCH, SUBSCRIBERS))
        ]
        for ws, _, subscribed in await asyncio.gather(*batch):
            subscribers.append(Subscriber(ws))
            subscribe_ms.append(subscribed * 1000)
    listeners = [asyncio.create_task(_listen(s)) for s in subscribers]
    await asyncio.sleep(2)  # the last joins' presence frames settle

    cpu_before = [_cpu_seconds(server.process.pid) for server in servers]
    sent: dict[int, float] = {}
    post_ms: list[float] = []
    for n in range(MESSAGES):
        url = f"{servers[n % 2].url}/api/v1/threads/{setup.thread.pk}/messages/"
        sent[n] = time.perf_counter()
        # The ten users take turns, each well inside the per-user limit of 10 per 10 s.
        poster = setup.tokens[n % len(setup.tokens)]
        await asyncio.to_thread(_post, url, poster, n)
        post_ms.append((time.perf_counter() - sent[n]) * 1000)
        await asyncio.sleep(POST_INTERVAL_SECONDS)
    deadline = time.perf_counter() + DELIVERY_TIMEOUT_SECONDS
    while time.perf_counter() < deadline and any(len(s.arrivals) < MESSAGES for s in subscribers):
        await asyncio.sleep(0.1)

    server_cpu_ms_per_message = [
        round((_cpu_seconds(server.process.pid) - before) * 1000 / MESSAGES, 1)
        for server, before in zip(servers, cpu_before, strict=True)
    ]
    per_message: dict[int, list[float]] = defaultdict(list)
    for subscriber in subscribers:
        for n, arrived in subscriber.arrivals.items():
            per_message[n].append((arrived - sent[n]) * 1000)
    dropped = [s.closed for s in subscribers if s.closed is not None]
    for listener in listeners:
        listener.cancel()
    await asyncio.gather(*(s.ws.close() for s in subscribers), return_exceptions=True)
    await _servers_settled(setup)
    return FanOut(
        deliveries_ms=[ms for values in per_message.values() for ms in values],
        first_arrival_ms=[min(values) for values in per_message.values()],
        last_arrival_ms=[max(values) for values in per_message.values()],
        post_ms=post_ms,
        server_cpu_ms_per_message=server_cpu_ms_per_message,
        missing=SUBSCRIBERS * MESSAGES - sum(len(v) for v in per_message.values()),
        dropped=dropped,
        subscribe_ms=subscribe_ms,
    )


@dataclass
class Burst:
    handshake_ms: list[float]
    subscribe_ms: list[float]
    failures: list[str]


async def connect_burst(servers: list[Any], setup: Setup) -> Burst:
    attempts = [
        _subscribe(
            f"{servers[n % 2].ws_url}/ws/?token={setup.tokens[n % len(setup.tokens)]}",
            setup.thread.topic,
        )
        for n in range(CONNECT_BURST)
    ]
    results = await asyncio.gather(*attempts, return_exceptions=True)
    burst = Burst(handshake_ms=[], subscribe_ms=[], failures=[])
    for result in results:
        if isinstance(result, BaseException):
            burst.failures.append(repr(result))
            continue
        _, handshake, subscribed = result
        burst.handshake_ms.append(handshake * 1000)
        burst.subscribe_ms.append(subscribed * 1000)
    await asyncio.gather(
        *(r[0].close() for r in results if not isinstance(r, BaseException)),
        return_exceptions=True,
    )
    return burst


def main() -> None:
    from tests.threads.processes import practika_servers, private_redis, redis_server_binary

    if redis_server_binary() is None:
        print("threads_fanout: skipped (no redis-server on PATH)")
        return
    # A database of its own: the servers write presence rows there, and it stays small.
    var_dir = BENCH_VAR / "threads_fanout"
    os.environ.setdefault("PRACTIKA_VAR_DIR", str(var_dir))
    setup_django()
    load_at_start = os.getloadavg()[0]  # others' work on this machine skews every number
    setup = build_data()
    env = {
        "PRACTIKA_VAR_DIR": os.environ["PRACTIKA_VAR_DIR"],
        "PRACTIKA_THROTTLE_USER": os.environ.get("PRACTIKA_THROTTLE_USER", "1000000/min"),
    }
    log_dir = var_dir / "logs"  # the servers' and Redis's, kept for a look after a bad run
    shutil.rmtree(log_dir, ignore_errors=True)
    with private_redis(log_dir) as redis:
        env["REDIS_URL"] = redis.url
        with practika_servers(2, env=env, log_dir=log_dir, name="fanout") as servers:
            result = asyncio.run(fan_out(servers, setup))
            burst = asyncio.run(connect_burst(servers, setup))
    rows: list[Row] = [
        summarize(
            f"fan-out: each delivery ({SUBSCRIBERS} subs x {MESSAGES} msgs)",
            result.deliveries_ms or [0.0],
            note=f"target p95 < {TARGET_P95_MS:.0f} ms; missing {result.missing}",
        ),
        summarize("fan-out: the POST itself", result.post_ms, note="201 back at the poster"),
        summarize(
            "fan-out: first subscriber, per message",
            result.first_arrival_ms or [0.0],
            note="POST -> the first socket has it",
        ),
        summarize(
            "fan-out: last subscriber, per message",
            result.last_arrival_ms or [0.0],
            note="POST -> the 500th socket has it",
        ),
        summarize(
            "setup: connect + subscribe (batches of 50)",
            result.subscribe_ms,
            note=f"{SUBSCRIBERS} sockets, 2 servers",
        ),
        summarize(
            f"burst: {CONNECT_BURST} handshakes at once",
            burst.handshake_ms or [0.0],
            note=f"failed: {len(burst.failures)}",
        ),
        summarize(
            f"burst: {CONNECT_BURST} handshake + subscribe",
            burst.subscribe_ms or [0.0],
            note="subscribe checks the thread in the DB",
        ),
    ]
    delivery_p95 = rows[0].p95_ms
    print_table(
        "threads_fanout",
        "threads_fanout: live thread fan-out, 2 server processes + Redis",
        rows,
        extra={
            "load_avg_at_start": round(load_at_start, 2),
            "servers": "2 x runpractika --no-worker (uvicorn)",
            "layer": "channels_redis pubsub on a private redis-server",
            "db": "sqlite-wal",
            "subscribers": SUBSCRIBERS,
            "messages": MESSAGES,
            "post_interval_ms": int(POST_INTERVAL_SECONDS * 1000),
            "server_cpu_ms_per_message": result.server_cpu_ms_per_message,
            "missing_deliveries": result.missing,
            "dropped_sockets": len(result.dropped),
            "failed_handshakes": len(burst.failures),
            "delivery_p95_ms": delivery_p95,
            "delivery_mean_ms": round(statistics.fmean(result.deliveries_ms or [0.0]), 2),
            "target_met": delivery_p95 < TARGET_P95_MS
            and result.missing == 0
            and not burst.failures,
        },
    )
    for reason in result.dropped[:5]:
        print(f"  dropped socket: {reason}")
    for failure in burst.failures[:5]:
        print(f"  failed handshake: {failure}")


if __name__ == "__main__":
    main()
