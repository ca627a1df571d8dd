"""The practice flow through the SDK against a live server: upload a real video, watch it
get processed over the websocket, read its streams; and what another student sees of it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from practika import Conflict, NotFound, Practika, ProcessingFailed, ValidationError
from practika.models import ClipStatus, Event
from tests.clips.conftest import World
from tests.live import AsgiLiveServer

from .helpers import LoginAs, stored_original, wait_for_subscriber

pytestmark = pytest.mark.timeout(180)


def test_practice_flow_one_call_then_streams_and_the_other_students_view(
    live_world: World, login_as: LoginAs, h264_mp4: Path
) -> None:
    student = login_as(live_world.student)
    sent: list[tuple[int, int]] = []
    events: list[Event] = []
    clip = student.practice(
        str(live_world.exercise.uuid),
        h264_mp4,
        progress=lambda done, total: sent.append((done, total)),
        on_event=events.append,
        timeout=120,
    )
    size = h264_mp4.stat().st_size
    assert clip.status == "ready"
    assert clip.playable
    assert clip.duration == pytest.approx(3.0, abs=0.2)  # read from the MP4 header
    assert clip.exercise is not None
    assert clip.exercise.id == str(live_world.exercise.uuid)
    assert sent[-1] == (size, size)
    assert stored_original(clip.id) == h264_mp4.read_bytes()

    streams = student.streams(clip.id)
    master = requests_get(student, streams.hls)
    assert master.startswith("#EXTM3U")
    assert streams.renditions
    assert all(r.url.startswith("http") and r.height > 0 for r in streams.renditions)
    assert streams.poster is not None

    with pytest.raises(Conflict) as twice:
        student.commit(clip.id)
    assert twice.value.status == 409

    listed = list(student.clips(exercise=str(live_world.exercise.uuid)))
    assert [c.id for c in listed] == [clip.id]
    renamed = student.update_clip(clip.id, title="Take one")
    assert renamed.title == "Take one"
    with pytest.raises(ValidationError) as too_long:
        student.update_clip(clip.id, title="x" * 500)
    assert "title" in too_long.value.details
    assert student.clip(clip.id).title == "Take one"  # nothing half-written

    other = login_as(live_world.student2)
    for look in (other.clip, other.status, other.streams, other.commit):
        with pytest.raises(NotFound):
            look(clip.id)
    with pytest.raises(NotFound):
        other.wait_ready(clip.id, timeout=5)
    assert list(other.clips()) == []


def requests_get(client: Practika, url: str) -> str:
    response = client.session.get(url, timeout=10)
    assert response.status_code == 200, response.text
    return response.text


def test_wait_ready_follows_the_websocket_events(
    live_world: World, login_as: LoginAs, h264_mp4: Path
) -> None:
    student = login_as(live_world.student)
    target = student.request_upload(
        str(live_world.exercise.uuid), 3.0, size_bytes=h264_mp4.stat().st_size
    )
    student.upload_file(target, h264_mp4)
    seen: list[Event] = []
    result: list[ClipStatus] = []
    waiter = threading.Thread(
        target=lambda: result.append(
            student.wait_ready(target.clip_id, timeout=60, on_event=seen.append)
        )
    )
    waiter.start()
    # Commit only once wait_ready listens: with Huey in immediate mode the commit request
    # processes the clip before it answers.
    wait_for_subscriber(f"clip:{target.clip_id}")
    student.commit(target.clip_id)
    waiter.join(60)
    assert result
    assert result[0].status == "ready"
    kinds = [event.type for event in seen]
    assert kinds[-1] == "clip.ready", kinds
    assert "clip.playable" in kinds
    assert all(e.topic == f"clip:{target.clip_id}" for e in seen)
    playable = next(e for e in seen if e.type == "clip.playable")
    assert playable.clip_status is not None
    assert playable.clip_status.playable


def test_wait_ready_polls_when_the_websocket_is_out_of_reach(
    live_world: World, asgi_live_server: AsgiLiveServer, login_as: LoginAs, h264_mp4: Path
) -> None:
    from tests.conftest import free_port

    student = login_as(live_world.student, ws_url=f"ws://127.0.0.1:{free_port()}/ws/")
    target = student.request_upload(str(live_world.exercise.uuid), 3.0)
    student.upload_file(target, h264_mp4)
    committer = threading.Timer(0.5, student.commit, args=(target.clip_id,))
    committer.start()
    status = student.wait_ready(target.clip_id, timeout=60, poll_interval=0.2)
    committer.join()
    assert status.status == "ready"


def test_a_failed_clip_raises_processing_failed(
    live_world: World, login_as: LoginAs, tmp_path: Path
) -> None:
    from tests.mediafiles import make_text

    notes = make_text(tmp_path / "notes.mp4")
    student = login_as(live_world.student)
    with pytest.raises(ProcessingFailed) as failed:
        student.practice(str(live_world.exercise.uuid), notes, duration_sec=3.0, timeout=60)
    assert failed.value.code.startswith("media_")
    clip_id = failed.value.details["clip_id"]
    assert student.status(clip_id).status in ("failed", "rejected")
