"""``practika`` on the command line against a live server: tables, --json, exit codes."""

from __future__ import annotations

import io
import json
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

import practika.uploads
from practika import cli
from tests.clips.conftest import World
from tests.live import AsgiLiveServer

from .helpers import LoginAs, stored_original, wait_for_subscriber
from .test_resumable import CHUNK, Cut

pytestmark = pytest.mark.timeout(240)


class Run:
    """Runs ``practika ARGS`` in-process and keeps what it printed."""

    def __init__(self) -> None:
        self.out = ""
        self.err = ""

    def __call__(self, *args: str) -> int:
        out, err = io.StringIO(), io.StringIO()
        code = cli.main(list(args), out=out, err=err)
        self.out, self.err = out.getvalue(), err.getvalue()
        return code

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def run() -> Run:
    return Run()


def login(run: Run, server: AsgiLiveServer, username: str = "student") -> None:
    from tests.factories import TEST_PASSWORD

    args = ("--url", server.url, "login", "--username", username, "--password", TEST_PASSWORD)
    assert run(*args) == cli.EXIT_OK, run.err


def test_login_lists_and_exit_codes(
    live_world: World, asgi_live_server: AsgiLiveServer, run: Run, config_home: Path
) -> None:
    assert run("exercises") == cli.EXIT_AUTH  # not logged in yet
    assert "practika login" in run.err
    wrong = ("--url", asgi_live_server.url, "login", "--username", "student", "--password", "x")
    assert run(*wrong) == cli.EXIT_AUTH
    login(run, asgi_live_server)
    stored = config_home / "credentials.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert json.loads(stored.read_text())["url"] == asgi_live_server.url

    assert run("exercises") == cli.EXIT_OK
    lines = run.out.splitlines()
    assert lines[0].split() == ["ID", "TITLE", "COURSE", "TARGET", "S"]
    assert any(live_world.exercise.title in line for line in lines[1:])
    assert run("--json", "courses") == cli.EXIT_OK
    assert {c["id"] for c in run.json()} == {
        str(live_world.course.uuid),
        str(live_world.other_course.uuid),
    }
    assert run("me") == cli.EXIT_OK
    assert "student" in run.out

    assert run("status", "00000000-0000-0000-0000-000000000000") == cli.EXIT_NOT_FOUND
    assert run("exercises", "--course", "not-a-uuid") == cli.EXIT_USAGE
    assert "course:" in run.err
    assert run("upload", str(live_world.exercise.uuid), "/no/such/file.mp4") == cli.EXIT_USAGE
    assert run() == cli.EXIT_USAGE
    assert run("--help") == cli.EXIT_OK

    assert run("logout") == cli.EXIT_OK
    assert not stored.exists()
    assert run("me") == cli.EXIT_AUTH


def test_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    text = capsys.readouterr().out
    for line in ("0  ok", "3  not logged in", "4  not found", "5  timed out"):
        assert line in text


def test_upload_wait_then_everything_about_the_clip(
    live_world: World,
    asgi_live_server: AsgiLiveServer,
    run: Run,
    login_as: LoginAs,
    h264_mp4: Path,
) -> None:
    login(run, asgi_live_server)
    exercise = str(live_world.exercise.uuid)
    assert run("--json", "upload", exercise, str(h264_mp4), "--wait") == cli.EXIT_OK, run.err
    clip = run.json()
    assert clip["status"] == "ready"
    clip_id = str(clip["id"])

    assert run("status", clip_id) == cli.EXIT_OK
    assert "ready" in run.out
    assert run("streams", clip_id) == cli.EXIT_OK
    assert "hls" in run.out
    assert ".m3u8" in run.out
    assert run("clips") == cli.EXIT_OK
    assert clip_id in run.out

    teacher = login_as(live_world.teacher)
    segment = teacher.create_segment(clip_id, start=0.0, end=2.0, title="Bars 1-2")
    feedback = teacher.create_feedback(clip_id, summary="Good pulse.")
    teacher.publish_feedback(feedback.id)
    thread = teacher.create_thread(segment.id, title="Timing", body="First note")

    assert run("segments", clip_id) == cli.EXIT_OK
    assert "Bars 1-2" in run.out
    assert run("feedback", clip_id) == cli.EXIT_OK
    assert "Good pulse." in run.out
    assert run("timeline", clip_id) == cli.EXIT_OK
    assert "segment" in run.out
    assert run("attempts", exercise) == cli.EXIT_OK
    assert clip_id in run.out
    assert run("threads", segment.id) == cli.EXIT_OK
    assert "Timing" in run.out
    assert run("notifications") == cli.EXIT_OK
    assert run("commit-twice-is-not-a-command") == cli.EXIT_USAGE

    # watch: the replayed first message, then one posted live.
    watcher = Run()
    codes: list[int] = []
    watching = threading.Thread(
        target=lambda: codes.append(
            watcher("watch", thread.id, "--since", "0", "--count", "2", "--timeout", "20")
        )
    )
    watching.start()
    wait_for_subscriber(f"thread:{thread.id}")
    teacher.post_message(thread.id, "Second note")
    watching.join(30)
    assert codes == [cli.EXIT_OK], watcher.err
    printed = [line for line in watcher.out.splitlines() if line.startswith("#")]
    assert [line.split(": ", 1)[1] for line in printed] == ["First note", "Second note"]
    assert run("watch", thread.id, "--timeout", "0.5") == cli.EXIT_TIMEOUT_OR_FAILED

    # The other student sees none of it.
    login(run, asgi_live_server, "student2")
    assert run("status", clip_id) == cli.EXIT_NOT_FOUND
    assert run("watch", thread.id, "--timeout", "1") == cli.EXIT_AUTH


def test_an_interrupted_resumable_upload_continues_on_the_next_run(
    live_world: World,
    asgi_live_server: AsgiLiveServer,
    run: Run,
    h264_mp4: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    login(run, asgi_live_server)
    monkeypatch.setattr(practika.uploads, "DEFAULT_CHUNK_SIZE", CHUNK)
    monkeypatch.setattr("practika.client.DEFAULT_CHUNK_SIZE", CHUNK)
    exercise = str(live_world.exercise.uuid)
    with monkeypatch.context() as broken:
        broken.setattr(practika.uploads, "FileSlice", Cut(at=CHUNK * 2 + 5, times=100).factory())
        broken.setattr("practika.transport.RetryPolicy.delay", lambda self, *a: 0.0)
        upload = ("upload", exercise, str(h264_mp4), "--resumable")
        assert run(*upload) == cli.EXIT_SERVER
    assert "unreachable" in run.err
    assert run("--json", *upload) == cli.EXIT_OK, run.err
    clip = run.json()
    assert stored_original(str(clip["id"])) == h264_mp4.read_bytes()
