"""Uploads against the real server process: the local signed PUT and tus 1.0, on loopback.

The server is ``manage.py runpractika --no-worker`` started as a subprocess on a free port
with the bench environment (DEBUG=1, PRACTIKA_VAR_DIR=var/bench, SQLite WAL), so the
resident memory measured (``/proc/<pid>/status``: VmRSS sampled every 10 ms, and VmHWM) is
the serving process's own, not this client's. Clips are requested through the API
(``POST /api/v1/clips/``, untimed) by a student with a knox token; each timed upload is the
body's transfer and the server's answer (for tus: creation + PATCHes). Every stored
original is read back and compared by SHA-256. Clips are not committed (the bodies are
random bytes, not videos) and are deleted, with their files, at the end.

(a) 100 MiB through the signed PUT; (b) 100 MiB through tus in one PATCH and in 8 MiB
chunks; (c) 100 concurrent uploads of 20 MiB (32 client threads), through the signed PUT
and through tus in 8 MiB chunks. Targets (ISSUE 4): each 100 MiB upload under 3 s, server
RSS growth under 50 MB; concurrent: zero errors, all byte-identical, RSS bounded.
"""

from __future__ import annotations

import hashlib
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests

from bench.common import (
    BENCH_VAR,
    ROOT,
    Row,
    bench_student_exercise,
    print_table,
    proc_status_kib,
    setup_django,
    summarize,
)

MIB = 1024 * 1024
BIG = 100 * MIB
BIG_SAMPLES = 3
CHUNK = 8 * MIB
SMALL = 20 * MIB
CONCURRENT_UPLOADS = 100
CLIENT_THREADS = 32
TIMEOUT = 300
TARGET_SECONDS = 3.0
TARGET_RSS_MB = 50.0
TUS = {"Tus-Resumable": "1.0.0"}


# --- The server process ----------------------------------------------------------------------
@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str

    def rss_mb(self) -> float:
        return proc_status_kib(self.process.pid)["VmRSS"] / 1024

    def hwm_mb(self) -> float:
        return proc_status_kib(self.process.pid)["VmHWM"] / 1024


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server() -> Iterator[Server]:
    """``runpractika --no-worker`` on a free port, with this process's bench environment."""
    port = _free_port()
    env = {**os.environ, "DEBUG": "1", "PRACTIKA_VAR_DIR": str(BENCH_VAR)}
    log_path = BENCH_VAR / "uploads-server.log"
    command = [sys.executable, str(ROOT / "manage.py"), "runpractika", "--no-worker"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    server = Server(process, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited ({process.returncode}); see {log_path}")
            try:
                requests.get(f"{server.url}/api/v1/health/", timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not start within 60 s") from None
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class RssWatch:
    """The server's RSS before, at its peak during, and after a phase (sampled every 10 ms)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.before = self.peak = self.after = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            try:
                self.peak = max(self.peak, self.server.rss_mb())
            except (FileNotFoundError, ProcessLookupError):
                return

    def __enter__(self) -> RssWatch:
        self.before = self.peak = self.server.rss_mb()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.after = self.server.rss_mb()
        self.peak = max(self.peak, self.after)

    @property
    def growth(self) -> float:
        return self.after - self.before

    @property
    def peak_growth(self) -> float:
        return self.peak - self.before

    def describe(self, *, target: float | None = TARGET_RSS_MB) -> str:
        text = f"server RSS {self.before:.0f}->{self.after:.0f} MB, peak +{self.peak_growth:.1f} MB"
        if target is not None:
            text += f" (target < {target:g}: {'met' if self.peak_growth < target else 'MISSED'})"
        return text


# --- The client ----------------------------------------------------------------------------
@dataclass
class Client:
    server: Server
    token: str
    exercise_id: str
    clip_ids: list[str] = field(default_factory=list)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"}

    def request_upload(self, size: int) -> dict[str, Any]:
        response = requests.post(
            f"{self.server.url}/api/v1/clips/",
            json={
                "exercise_id": self.exercise_id,
                "duration_sec": 60,
                "size_bytes": size,
                "filename": "take.mp4",
                "content_type": "video/mp4",
            },
            headers=self.auth,
            timeout=TIMEOUT,
        )
        if response.status_code != 201:
            raise RuntimeError(f"POST /clips/: {response.status_code} {response.text[:300]}")
        target: dict[str, Any] = response.json()
        self.clip_ids.append(target["clip_id"])
        return target

    def signed_put(self, target: dict[str, Any], data: bytes) -> None:
        response = requests.put(
            target["url"], data=data, headers=target["headers"], timeout=TIMEOUT
        )
        if response.status_code != 200:
            raise RuntimeError(f"PUT: {response.status_code} {response.text[:300]}")

    def tus(self, target: dict[str, Any], data: bytes, chunk: int | None) -> None:
        created = requests.post(
            target["tus_url"],
            headers={**self.auth, **TUS, "Upload-Length": str(len(data))},
            timeout=TIMEOUT,
        )
        if created.status_code != 201:
            raise RuntimeError(f"tus POST: {created.status_code} {created.text[:300]}")
        location = created.headers["Location"]
        step = chunk or len(data)
        headers = {**self.auth, **TUS, "Content-Type": "application/offset+octet-stream"}
        with requests.Session() as session:
            for offset in range(0, len(data), step):
                response = session.patch(
                    location,
                    data=data[offset : offset + step],
                    headers={**headers, "Upload-Offset": str(offset)},
                    timeout=TIMEOUT,
                )
                if response.status_code != 204:
                    raise RuntimeError(f"tus PATCH: {response.status_code} {response.text[:300]}")


def stored_sha256(clip_id: str) -> str:
    from django.core.files.storage import default_storage

    from plugins.clips.models import PracticeClip

    clip = PracticeClip.objects.get(pk=clip_id)
    digest = hashlib.sha256()
    with default_storage.open(clip.original_key, "rb") as handle:
        for chunk in iter(lambda: handle.read(MIB), b""):
            digest.update(chunk)
    return digest.hexdigest()


def delete_clips(clip_ids: list[str]) -> None:
    from plugins.clips import storage
    from plugins.clips.models import PracticeClip

    for clip in PracticeClip.objects.filter(pk__in=clip_ids):
        storage.delete_prefix(clip.storage_prefix)
        clip.delete()


# --- The benchmarks ------------------------------------------------------------------------
Upload = Callable[[dict[str, Any], bytes], None]


def one_big(client: Client, name: str, upload: Upload, data: bytes) -> Row:
    """``BIG_SAMPLES`` sequential uploads of ``data``, each to its own clip."""
    expected = hashlib.sha256(data).hexdigest()
    durations: list[float] = []
    identical = 0
    with RssWatch(client.server) as rss:
        for _ in range(BIG_SAMPLES):
            target = client.request_upload(len(data))
            started = time.perf_counter()
            upload(target, data)
            durations.append(time.perf_counter() - started)
            identical += stored_sha256(target["clip_id"]) == expected
    slowest = max(durations)
    met = "met" if slowest < TARGET_SECONDS else "MISSED"
    return summarize(
        name,
        [d * 1000 for d in durations],
        note=f"{len(data) / statistics.median(durations) / 1e6:.0f} MB/s; "
        f"< {TARGET_SECONDS:g} s: {met}; {rss.describe()}; "
        f"sha256 identical {identical}/{BIG_SAMPLES}",
    )


def concurrent(client: Client, name: str, upload: Upload) -> tuple[Row, dict[str, object]]:
    """``CONCURRENT_UPLOADS`` uploads of ``SMALL`` bytes from ``CLIENT_THREADS`` threads."""
    base = random.Random(20).randbytes(SMALL)
    targets = [client.request_upload(SMALL) for _ in range(CONCURRENT_UPLOADS)]

    def payload(index: int) -> bytes:
        return hashlib.sha256(str(index).encode()).digest() + base[32:]

    def one(index: int) -> tuple[float, str | None]:
        data = payload(index)
        started = time.perf_counter()
        try:
            upload(targets[index], data)
        except Exception as exc:  # counted, not raised: the benchmark reports errors
            return time.perf_counter() - started, f"{type(exc).__name__}: {exc}"[:300]
        return time.perf_counter() - started, None

    with RssWatch(client.server) as rss, ThreadPoolExecutor(CLIENT_THREADS) as pool:
        started = time.perf_counter()
        outcomes = list(pool.map(one, range(CONCURRENT_UPLOADS)))
        wall = time.perf_counter() - started
    errors = [error for _, error in outcomes if error]
    identical = sum(
        stored_sha256(target["clip_id"]) == hashlib.sha256(payload(index)).hexdigest()
        for index, target in enumerate(targets)
        if not outcomes[index][1]
    )
    for error in sorted(set(errors))[:5]:
        print(f"  error: {error}")
    throughput = CONCURRENT_UPLOADS * SMALL / wall / 1e6
    in_flight = min(CLIENT_THREADS, CONCURRENT_UPLOADS) * SMALL / 1e6
    row = summarize(
        name,
        [seconds * 1000 for seconds, _ in outcomes],
        note=f"errors {len(errors)}; identical {identical}/{CONCURRENT_UPLOADS}; "
        f"wall {wall:.1f} s, {throughput:.0f} MB/s total; {rss.describe(target=None)} "
        f"with {in_flight:.0f} MB in flight",
    )
    summary: dict[str, object] = {
        "errors": len(errors),
        "identical": identical,
        "MB/s": round(throughput),
        "RSS peak growth MB": round(rss.peak_growth, 1),
    }
    return row, summary


def main() -> None:
    setup_django()
    from knox.models import AuthToken

    student, exercise = bench_student_exercise()
    _, token = AuthToken.objects.create(user=student)
    big = random.Random(100).randbytes(BIG)
    rows: list[Row] = []
    extra: dict[str, object] = {"server": "runpractika --no-worker (uvicorn)", "db": "sqlite-wal"}
    with running_server() as server:
        client = Client(server, token, str(exercise.uuid))
        try:
            start_rss = server.rss_mb()
            rows.append(one_big(client, "signed PUT 100 MiB", client.signed_put, big))
            rows.append(
                one_big(
                    client,
                    "tus 100 MiB, 1 PATCH",
                    lambda target, data: client.tus(target, data, None),
                    big,
                )
            )
            rows.append(
                one_big(
                    client,
                    "tus 100 MiB, 8 MiB PATCHes",
                    lambda target, data: client.tus(target, data, CHUNK),
                    big,
                )
            )
            del big
            for round_ in (1, 2):  # the second round shows whether RSS keeps growing
                name = f"{CONCURRENT_UPLOADS} x 20 MiB signed PUT, {CLIENT_THREADS} thr. #{round_}"
                row, summary = concurrent(client, name, client.signed_put)
                rows.append(row)
                extra[f"concurrent PUT #{round_}"] = summary
            name = f"{CONCURRENT_UPLOADS} x 20 MiB tus 8 MiB, {CLIENT_THREADS} thr."
            row, summary = concurrent(
                client, name, lambda target, data: client.tus(target, data, CHUNK)
            )
            rows.append(row)
            extra["concurrent tus"] = summary
            extra["server RSS MB start/end"] = f"{start_rss:.0f}/{server.rss_mb():.0f}"
            extra["server VmHWM MB"] = round(server.hwm_mb())
        finally:
            delete_clips(client.clip_ids)
            AuthToken.objects.filter(user=student).delete()
    print_table("uploads", "uploads: local signed PUT and tus on loopback", rows, extra=extra)


if __name__ == "__main__":
    main()
