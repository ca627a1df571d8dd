"""Resumable (tus) uploads cut halfway: resumed in the same call after a dropped connection,
and by a later process from the record kept in the config dir. The server ends up with the
very bytes of the file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

import practika.uploads
from practika import ServerError
from practika.uploads import FileSlice
from tests.clips.conftest import World

from .helpers import LoginAs, stored_original

CHUNK = 32 * 1024
SliceFactory = Callable[..., FileSlice]


class Cut:
    """Makes request bodies fail once ``at`` bytes of the file went out, ``times`` times,
    as a connection dropped mid-PATCH does (the bytes before the cut reach the server)."""

    def __init__(self, at: int, times: int) -> None:
        self.at = at
        self.times = times
        self.cuts = 0

    def factory(self) -> SliceFactory:
        cut = self

        class CutSlice(FileSlice):
            def read(self, amount: int = -1) -> bytes:
                position = self.start + self.sent
                if cut.cuts < cut.times and position <= cut.at < self.start + self.length:
                    if position >= cut.at:
                        cut.cuts += 1
                        raise ConnectionResetError("connection dropped mid-upload (test)")
                    amount = min(amount if amount > 0 else cut.at, cut.at - position)
                return super().read(amount)

        return CutSlice


def test_a_dropped_connection_is_resumed_from_the_servers_offset(
    live_world: World, login_as: LoginAs, h264_mp4: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = h264_mp4.stat().st_size
    assert size > 4 * CHUNK
    cut = Cut(at=size // 2 + 1000, times=1)
    monkeypatch.setattr(practika.uploads, "FileSlice", cut.factory())
    student = login_as(live_world.student, chunk_size=CHUNK, backoff=0.01)
    methods: list[str] = []
    student.session.hooks["response"].append(lambda r, *a, **k: methods.append(r.request.method))
    progress: list[int] = []

    target = student.request_upload(str(live_world.exercise.uuid), 3.0, size_bytes=size)
    student.upload_file(target, h264_mp4, lambda done, total: progress.append(done), resumable=True)

    assert cut.cuts == 1
    assert "HEAD" in methods  # asked where to go on
    assert progress[-1] == size
    assert stored_original(target.clip_id) == h264_mp4.read_bytes()
    assert student.commit(target.clip_id).status in ("uploaded", "processing", "ready")


def test_an_interrupted_upload_is_resumed_by_a_later_process(
    live_world: World,
    login_as: LoginAs,
    h264_mp4: Path,
    monkeypatch: pytest.MonkeyPatch,
    config_home: Path,
) -> None:
    size = h264_mp4.stat().st_size
    exercise = str(live_world.exercise.uuid)
    # The first run: the connection drops at the same place on every try, until it gives up.
    cut = Cut(at=size // 2, times=100)
    monkeypatch.setattr(practika.uploads, "FileSlice", cut.factory())
    first = login_as(live_world.student, chunk_size=CHUNK, backoff=0.01)
    with pytest.raises(ServerError) as gave_up:
        first.practice(exercise, h264_mp4, resumable=True, wait=False)
    assert gave_up.value.code == "unreachable"
    records = list((config_home / "uploads").glob("*.json"))
    assert len(records) == 1
    assert (records[0].stat().st_mode & 0o777) == 0o600
    record = json.loads(records[0].read_text())
    assert 0 < record["offset"] <= size // 2
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home.parent))

    # A new process (a new client, a new token) finds the record and sends only the rest.
    second = login_as(live_world.student, chunk_size=CHUNK)
    progress: list[int] = []
    clip = second.practice(
        exercise, h264_mp4, wait=True, timeout=120, progress=lambda d, t: progress.append(d)
    )
    assert clip.id == record["clip_id"]
    assert progress[0] == record["offset"]
    assert progress[-1] == size
    assert clip.status == "ready"
    assert stored_original(clip.id) == h264_mp4.read_bytes()
    assert list((config_home / "uploads").glob("*.json")) == []
    # One take, not two: the interrupted clip was finished rather than abandoned.
    assert [c.id for c in second.clips(exercise=exercise)] == [clip.id]


def test_a_large_file_goes_over_tus_by_itself(
    live_world: World, login_as: LoginAs, h264_mp4: Path
) -> None:
    student = login_as(live_world.student, resumable_threshold=1024, chunk_size=CHUNK)
    methods: list[str] = []
    student.session.hooks["response"].append(lambda r, *a, **k: methods.append(r.request.method))
    target = student.request_upload(str(live_world.exercise.uuid), 3.0)
    student.upload_file(target, h264_mp4)
    assert methods.count("PATCH") == -(-h264_mp4.stat().st_size // CHUNK)
    assert "PUT" not in methods
    assert stored_original(target.clip_id) == h264_mp4.read_bytes()
