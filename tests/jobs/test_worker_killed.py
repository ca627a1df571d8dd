"""A real Huey consumer is killed with SIGKILL mid-transcode; another one finishes the clip.

Everything runs in subprocesses on a private SQLite file and SqliteHuey queue, as in
``make dev``: setup, consumer one (killed during the ladder), consumer two (its start-up
reaper requeues the job whose heartbeat stopped), and status reads.
"""

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from huey_tasks.media.hls import parse_media_playlist

ROOT = Path(__file__).resolve().parents[2]
SECONDS = 30  # long enough that the ladder is still running when the worker dies


@pytest.fixture
def scenario_env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "PRACTIKA_STORAGE", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="practika_site.settings.base",
        DEBUG="1",
        PRACTIKA_VAR_DIR=str(tmp_path / "var"),
        PRACTIKA_JOB_HEARTBEAT_SECONDS="1",
        PRACTIKA_JOB_STALE_SECONDS="3",
        PRACTIKA_JOB_RETRY_DELAY_SECONDS="1",
        HUEY_WORKERS="1",
        PYTHONPATH=str(ROOT),
    )
    return env


def _scenario(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.jobs.worker_scenario", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture
def consumers(scenario_env: dict[str, str]) -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            _kill_tree(process.pid)
            process.wait(timeout=10)


def _start_consumer(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "1", "--worker-type", "thread"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            child = int(stat.parent.name)
            found += [child, *_children(child)]
    return found


def _kill_tree(pid: int) -> None:
    """SIGKILL the worker and its ffmpeg: the whole machine dying, not a clean stop."""
    for victim in [pid, *_children(pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)


def _job_row(env: dict[str, str]) -> dict[str, Any]:
    """Read the job straight from the SQLite file: fast enough to catch the ladder stage."""
    database = Path(env["PRACTIKA_VAR_DIR"]) / "practika.sqlite3"
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as connection:
        row = connection.execute(
            "SELECT status, stage, attempts FROM huey_tasks_mediajob"
        ).fetchone()
    return {"job_status": row[0], "stage": row[1], "attempts": row[2]}


def _wait_for(read: Any, done: Any, timeout: float, pause: float = 0.3) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    state = read()
    while not done(state):
        assert time.monotonic() < deadline, f"timed out; last state {state}"
        time.sleep(pause)
        state = read()
    return state


def test_a_killed_worker_does_not_lose_the_clip(
    scenario_env: dict[str, str], consumers: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    _scenario(scenario_env, "setup", str(SECONDS), str(work))

    first = _start_consumer(scenario_env, tmp_path / "consumer1.log")
    consumers.append(first)
    state = _wait_for(
        lambda: _job_row(scenario_env),
        lambda s: s["job_status"] == "running" and s["stage"] == "ladder",
        timeout=90,
        pause=0.05,
    )
    assert state["attempts"] == 1
    _kill_tree(first.pid)
    first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL

    time.sleep(4)  # longer than PRACTIKA_JOB_STALE_SECONDS: the heartbeat has stopped
    second = _start_consumer(scenario_env, tmp_path / "consumer2.log")
    consumers.append(second)
    log = (tmp_path / "consumer2.log").read_text
    state = _wait_for(
        lambda: _scenario(scenario_env, "status"),
        lambda s: s["clip_status"] in ("ready", "failed"),
        timeout=150,
    )
    assert state["clip_status"] == "ready", (state, log())
    assert state["job_status"] == "succeeded"
    assert state["attempts"] == 2
    assert state["clip_progress"] == 100

    media = tmp_path / "var" / "media"
    assert state["renditions"]
    for rendition in state["renditions"]:
        playlist = media / state["hls_prefix"] / rendition["playlist"]
        segments = parse_media_playlist(playlist)
        assert playlist.read_text().rstrip().endswith("#EXT-X-ENDLIST")
        assert sum(s.duration for s in segments) == pytest.approx(SECONDS, abs=0.6)
        assert all((playlist.parent / s.uri).stat().st_size > 0 for s in segments)
    # Only the finished attempt's files remain.
    clip_dir = media / state["hls_prefix"]
    assert [p.name for p in clip_dir.parent.iterdir() if p.name.startswith("hls-")] == [
        clip_dir.name
    ]
