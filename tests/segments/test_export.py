"""``POST /api/v1/segments/{id}/export/``: the real ``segment_export`` job (Huey runs it inline)
on the processed take, checked by probing and decoding the MP4 it writes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from huey_tasks.media.probe import MediaCaps, probe
from huey_tasks.models import MediaJob
from plugins.clips.models import PracticeClip
from plugins.segments.models import VideoSegment
from plugins.segments.services import EXPORT_JOB_KIND
from tests.api.assertions import assert_error, response_json
from tests.mediafiles import make_video

from .conftest import (
    TAKE_FPS,
    TAKE_SECONDS,
    Clients,
    MediaDirs,
    Published,
    World,
    copy_clip,
    process_take,
    storage_settings,
)
from .helpers import SEGMENTS, body_of, create_segment, fetch

pytestmark = pytest.mark.django_db

CaptureFn = Callable[..., Any]
FRAME = 1 / TAKE_FPS


@pytest.fixture(scope="module")
def vp9_take(
    world: World,
    media_dirs: MediaDirs,
    tmp_path_factory: pytest.TempPathFactory,
    django_db_blocker: Any,
) -> PracticeClip:
    """A browser-like VP9/Opus take: every rendition is the ladder's own x264 encode."""
    video = make_video(
        tmp_path_factory.mktemp("vp9") / "take.webm",
        duration=TAKE_SECONDS,
        fps=TAKE_FPS,
        vcodec="libvpx-vp9",
        acodec="libopus",
        keyint=2 * TAKE_FPS,
    )
    with django_db_blocker.unblock(), storage_settings(media_dirs):
        return process_take(owner=world.student, exercise=world.exercise2, video=video)


def export(client: Any, segment: dict[str, Any], capture: CaptureFn) -> dict[str, Any]:
    """Ask for the export and run its job inline; the segment's answer after the job."""
    with capture(execute=True):
        response = client.post(f"{SEGMENTS}{segment['id']}/export/")
    assert response.status_code == 202, response.content
    assert response_json(response)["export"]["status"] in ("pending", "ready")
    detail: dict[str, Any] = response_json(client.get(f"{SEGMENTS}{segment['id']}/"))
    return detail


def download(url: str, into: Path) -> Path:
    response = fetch(url)
    assert response.status_code == 200, body_of(response)[:300]
    assert response["Content-Type"] == "video/mp4"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith('attachment; filename="segment-')
    into.write_bytes(body_of(response))
    return into


def decoded_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def job_of(segment: dict[str, Any]) -> MediaJob:
    return MediaJob.objects.get(kind=EXPORT_JOB_KIND, target_id=segment["id"])


def test_smart_cut_export_is_frame_accurate_and_copies_the_middle(
    clients: Clients,
    vp9_take: PracticeClip,
    published: Published,
    tmp_path: Path,
    django_capture_on_commit_callbacks: CaptureFn,
) -> None:
    take = vp9_take
    segment = create_segment(clients.student, take, 0.5, 6.5, "Whole phrase")
    detail = export(clients.student, segment, django_capture_on_commit_callbacks)
    assert detail["export"]["status"] == "ready", detail["export"]
    assert detail["export"]["progress"] == 100
    assert detail["export"]["error"] is None
    assert detail["export"]["url"].startswith("http://testserver/media/s/")

    job = job_of(segment)
    assert job.status == MediaJob.Status.SUCCEEDED
    # 2..6 s are two whole ladder segments, copied; only 0.5..2 and 6..6.5 were encoded.
    assert "smart_cut" in job.timings
    assert "reencode" not in job.timings

    mp4 = download(detail["export"]["url"], tmp_path / "export.mp4")
    info = probe(mp4, MediaCaps())
    assert abs(info.duration - 6.0) <= FRAME, info.duration
    assert decoded_frames(mp4) == round(6.0 * TAKE_FPS)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")

    events = published.of(f"clip:{take.pk}", "segment.export")
    assert events[0]["status"] == "pending"
    assert events[-1] == {
        "segment_id": segment["id"],
        "clip_id": str(take.pk),
        "status": "ready",
        "progress": 100,
        "error": None,
    }
    progress = [event["progress"] for event in events]
    assert progress == sorted(progress)


def test_a_range_inside_one_segment_is_re_encoded_whole(
    clients: Clients,
    vp9_take: PracticeClip,
    tmp_path: Path,
    django_capture_on_commit_callbacks: CaptureFn,
) -> None:
    segment = create_segment(clients.teacher, vp9_take, 2.2, 3.4)
    detail = export(clients.teacher, segment, django_capture_on_commit_callbacks)
    assert detail["export"]["status"] == "ready", detail["export"]
    assert "reencode" in job_of(segment).timings
    assert "smart_cut" not in job_of(segment).timings
    mp4 = download(detail["export"]["url"], tmp_path / "short.mp4")
    assert abs(probe(mp4, MediaCaps()).duration - 1.2) <= FRAME
    assert decoded_frames(mp4) == round(1.2 * TAKE_FPS)


def test_under_a_remuxed_original_the_range_is_re_encoded_whole(
    clients: Clients,
    take: PracticeClip,
    tmp_path: Path,
    django_capture_on_commit_callbacks: CaptureFn,
) -> None:
    # The H.264 take's keyframes are on the 2 s grid, so its top rendition is the original
    # itself: no piece encoded here could share its SPS/PPS.
    segment = create_segment(clients.student, take, 0.5, 6.5)
    detail = export(clients.student, segment, django_capture_on_commit_callbacks)
    assert detail["export"]["status"] == "ready", detail["export"]
    assert "reencode" in job_of(segment).timings
    mp4 = download(detail["export"]["url"], tmp_path / "full.mp4")
    assert abs(probe(mp4, MediaCaps()).duration - 6.0) <= FRAME
    assert decoded_frames(mp4) == round(6.0 * TAKE_FPS)


def test_exporting_again_reuses_the_file_and_a_new_range_drops_it(
    clients: Clients, take: PracticeClip, django_capture_on_commit_callbacks: CaptureFn
) -> None:
    segment = create_segment(clients.student, take, 4.0, 6.0)
    first = export(clients.student, segment, django_capture_on_commit_callbacks)
    stored = VideoSegment.objects.get(pk=segment["id"])
    assert default_storage.exists(stored.export_key)
    again = export(clients.student, segment, django_capture_on_commit_callbacks)
    assert again["export"]["status"] == "ready"
    assert MediaJob.objects.filter(kind=EXPORT_JOB_KIND).count() == 1
    assert VideoSegment.objects.get(pk=segment["id"]).export_key == stored.export_key
    assert first["export"]["url"].rsplit("/", 1)[1] == "export.mp4"

    with django_capture_on_commit_callbacks(execute=True):
        response = clients.student.patch(
            f"{SEGMENTS}{segment['id']}/", {"start": 3.0}, format="json"
        )
    assert response_json(response)["export"] == {
        "status": "none",
        "progress": 0,
        "error": None,
        "url": None,
    }
    assert not default_storage.exists(stored.export_key)
    assert_error(fetch(first["export"]["url"]), 404, "not_found")


def test_the_range_is_locked_while_an_export_runs(
    clients: Clients, take: PracticeClip, django_capture_on_commit_callbacks: CaptureFn
) -> None:
    segment = create_segment(clients.student, take, 1.0, 3.0)
    url = f"{SEGMENTS}{segment['id']}/"
    with django_capture_on_commit_callbacks() as queued:  # the job is not run yet
        response = clients.student.post(f"{url}export/")
    assert response_json(response)["export"]["status"] == "pending"
    assert_error(
        clients.student.patch(url, {"end": 4.0}, format="json"), 409, "segment_export_running"
    )
    assert clients.student.patch(url, {"title": "Renamed"}, format="json").status_code == 200
    # Asking again while it runs starts nothing new.
    assert clients.student.post(f"{url}export/").status_code == 202
    assert MediaJob.objects.filter(kind=EXPORT_JOB_KIND).count() == 1
    # The segment is deleted before the job runs: the job ends without writing anything.
    assert clients.student.delete(url).status_code == 204
    for callback in queued:
        callback()
    assert job_of(segment).status == MediaJob.Status.SUCCEEDED
    assert not default_storage.exists(f"{take.storage_prefix}segments/{segment['id']}")


def test_an_unreadable_original_fails_the_export_with_the_pipeline_code(
    clients: Clients,
    take: PracticeClip,
    published: Published,
    django_capture_on_commit_callbacks: CaptureFn,
) -> None:
    broken = copy_clip(take)
    broken.original_key = f"{broken.storage_prefix}original/notes.mp4"
    broken.save(update_fields=["original_key"])
    default_storage.save(broken.original_key, ContentFile(b"not a video at all\n" * 50))
    segment = create_segment(clients.student, broken, 1.0, 3.0)
    detail = export(clients.student, segment, django_capture_on_commit_callbacks)
    assert detail["export"]["status"] == "failed"
    assert detail["export"]["url"] is None
    assert detail["export"]["error"]["code"] == "media_unsupported_container"
    assert detail["export"]["error"]["message"]
    assert job_of(segment).status == MediaJob.Status.FAILED
    assert published.of(f"clip:{broken.pk}", "segment.export")[-1]["status"] == "failed"
