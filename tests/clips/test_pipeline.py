"""The real pipeline: ffmpeg on generated videos, from the signed PUT to signed HLS streams.

Huey runs in immediate mode, so the job runs inline when the commit's on-commit callbacks
run (``django_capture_on_commit_callbacks(execute=True)``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.http.response import HttpResponseBase
from django.test import Client

from huey_tasks.models import MediaJob
from plugins.clips.models import PracticeClip
from tests import mediafiles
from tests.api.assertions import assert_error, response_json

from .conftest import Clients, Published, World
from .helpers import CLIPS, clip, commit, path_of, upload

pytestmark = pytest.mark.django_db


ProcessFn = Callable[[Clients, World, Path], PracticeClip]


@pytest.fixture
def process(django_capture_on_commit_callbacks: Any) -> ProcessFn:
    """Upload ``path`` as the student, commit, and run the job inline; the clip after it."""

    def run(clients: Clients, world: World, path: Path) -> PracticeClip:
        clip_id = upload(clients.student, world.exercise, path.read_bytes(), filename=path.name)
        with django_capture_on_commit_callbacks(execute=True):
            response = commit(clients.student, clip_id)
        assert response.status_code == 202, getattr(response, "content", b"")
        return clip(clip_id)

    return run


def get(url: str, **headers: str) -> HttpResponseBase:
    """A media URL fetched as a player does: no API token, no session."""
    return Client().get(path_of(url), headers=headers)


def body_of(response: HttpResponseBase) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return bytes(response.content)  # type: ignore[attr-defined]


def uris(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def resolve(base: str, uri: str) -> str:
    from urllib.parse import urljoin

    return urljoin(base, uri)


def assert_media(response: HttpResponseBase, status: int, content_type: str) -> None:
    assert response.status_code == status, body_of(response)[:300]
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"


def test_h264_take_becomes_ready_and_streams(
    clients: Clients, world: World, h264_mp4: Path, process: ProcessFn, published: Published
) -> None:
    made = process(clients, world, h264_mp4)
    assert made.status == PracticeClip.Status.READY, (made.error_code, made.error_message)
    assert made.progress == 100
    assert made.playable
    assert made.playable_at is not None
    assert made.ready_at is not None
    assert made.playable_at <= made.ready_at
    assert (made.width, made.height) == (320, 240)
    assert made.video_codec == "h264"
    assert made.audio_codec == "aac"
    assert made.duration == pytest.approx(3.0, abs=0.2)
    assert made.renditions
    assert made.hls_prefix.startswith(f"clips/{made.pk}/hls-")
    for key in (made.poster_key, made.sprite_key, made.thumbnails_vtt_key, made.waveform_key):
        assert key.startswith(made.hls_prefix)
    job = MediaJob.objects.get(target_id=made.pk)
    assert job.status == MediaJob.Status.SUCCEEDED
    assert job.kind == "clip_process"
    assert set(job.timings) >= {"fetch", "probe", "publish", "ladder", "extras"}

    status = response_json(clients.student.get(f"{CLIPS}{made.pk}/status/"))
    assert status == {
        "clip_id": str(made.pk),
        "status": "ready",
        "progress": 100,
        "playable": True,
        "error": None,
    }

    # Events on clip:<id>: progress, playable (before ready), ready; each is the status.
    topic = f"clip:{made.pk}"
    types = published.types(topic)
    assert "clip.progress" in types
    assert types.index("clip.playable") < types.index("clip.ready")
    assert types[-1] == "clip.ready"
    assert published.of(topic, "clip.ready") == [status]
    playable = published.of(topic, "clip.playable")[0]
    assert playable["playable"] is True
    assert playable["status"] == "processing"
    progress = [data["progress"] for data in published.of(topic, "clip.progress")]
    assert progress == sorted(progress)
    assert set(published.of(topic, "clip.progress")[0]) == set(status)

    streams = response_json(clients.student.get(f"{CLIPS}{made.pk}/streams/"))
    assert set(streams) >= {"hls", "renditions", "poster", "thumbnails_vtt", "waveform", "original"}
    for name in ("hls", "poster", "thumbnails_vtt", "waveform", "original"):
        assert streams[name].startswith("http://testserver/media/c/"), name
    assert streams["renditions"]
    for rendition in streams["renditions"]:
        assert {"height", "bandwidth", "url"} <= set(rendition)
        assert rendition["url"].startswith("http://testserver/")

    # The master playlist, rendered per request, with every variant's attributes.
    master = get(streams["hls"])
    assert_media(master, 200, "application/vnd.apple.mpegurl")
    assert "no-store" in master["Cache-Control"]
    master_text = body_of(master).decode()
    assert master_text.startswith("#EXTM3U")
    for line in master_text.splitlines():
        if line.startswith("#EXT-X-STREAM-INF:"):
            assert re.search(r"BANDWIDTH=\d+", line)
            assert re.search(r"RESOLUTION=\d+x\d+", line)
            assert 'CODECS="avc1.' in line
    variant_url = resolve(streams["hls"], uris(master_text)[0])
    variant = get(variant_url)
    assert_media(variant, 200, "application/vnd.apple.mpegurl")
    variant_text = body_of(variant).decode()
    assert "#EXT-X-ENDLIST" in variant_text
    segments = uris(variant_text)
    assert segments
    assert all(s.endswith(".ts") for s in segments)
    segment_url = resolve(variant_url, segments[0])

    whole = get(segment_url)
    assert_media(whole, 200, "video/mp2t")
    assert whole["Accept-Ranges"] == "bytes"
    data = body_of(whole)
    assert data[0] == 0x47  # an MPEG-TS sync byte
    part = get(segment_url, Range="bytes=188-375")
    assert_media(part, 206, "video/mp2t")
    assert part["Content-Range"] == f"bytes 188-375/{len(data)}"
    assert body_of(part) == data[188:376]
    tail = get(segment_url, Range="bytes=-100")
    assert tail.status_code == 206
    assert body_of(tail) == data[-100:]
    outside = get(segment_url, Range=f"bytes={len(data)}-")
    assert outside.status_code == 416
    assert outside["Content-Range"] == f"bytes */{len(data)}"

    poster = get(streams["poster"])
    assert_media(poster, 200, "image/jpeg")
    assert body_of(poster)[:3] == b"\xff\xd8\xff"
    vtt = get(streams["thumbnails_vtt"])
    assert_media(vtt, 200, "text/vtt")
    vtt_text = body_of(vtt).decode()
    assert vtt_text.startswith("WEBVTT")
    sprite_uri = re.search(r"^(\S+)#xywh=\d+,\d+,\d+,\d+$", vtt_text, re.MULTILINE)
    assert sprite_uri is not None
    assert_media(get(resolve(streams["thumbnails_vtt"], sprite_uri[1])), 200, "image/jpeg")
    waveform = get(streams["waveform"])
    assert_media(waveform, 200, "application/json")
    peaks = json.loads(body_of(waveform))
    assert peaks["peaks_per_second"] > 0
    assert peaks["peaks"]
    original = get(streams["original"])
    assert_media(original, 200, "video/mp4")
    assert "attachment" in original["Content-Disposition"]
    assert body_of(original) == h264_mp4.read_bytes()

    # A tampered token is 403; a path outside the clip is refused; others get 404.
    token = streams["hls"].split("/media/c/", 1)[1].split("/", 1)[0]
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    response = get(streams["hls"].replace(token, forged))
    assert_error(response, 403, "bad_signature")
    assert get(segment_url.replace(token, forged)).status_code == 403
    escape = streams["hls"].replace("master.m3u8", "../../clips/other/original/take.mp4")
    assert get(escape).status_code in (403, 404)
    assert_error(clients.student2.get(f"{CLIPS}{made.pk}/streams/"), 404, "not_found")
    teacher_streams = clients.teacher.get(f"{CLIPS}{made.pk}/streams/")
    assert teacher_streams.status_code == 200
    assert_error(clients.other_teacher.get(f"{CLIPS}{made.pk}/streams/"), 404, "not_found")


def test_streams_before_playable_is_409(clients: Clients, world: World, small_bytes: bytes) -> None:
    clip_id = upload(clients.student, world.exercise, small_bytes)
    assert_error(clients.student.get(f"{CLIPS}{clip_id}/streams/"), 409, "clip_not_playable")


def test_vp9_opus_webm_is_transcoded_and_ready(
    clients: Clients, world: World, videos: Path, process: ProcessFn, published: Published
) -> None:
    source = mediafiles.make_video(
        videos / "take-vp9.webm", duration=2, vcodec="libvpx-vp9", acodec="libopus"
    )
    made = process(clients, world, source)
    assert made.status == PracticeClip.Status.READY, (made.error_code, made.error_message)
    assert made.video_codec == "vp9"
    assert made.audio_codec == "opus"
    assert made.renditions
    assert all(r["codecs"].startswith("avc1.") for r in made.renditions)
    assert "clip.playable" in published.types(f"clip:{made.pk}")
    streams = response_json(clients.student.get(f"{CLIPS}{made.pk}/streams/"))
    master = body_of(get(streams["hls"])).decode()
    variant_url = resolve(streams["hls"], uris(master)[0])
    variant = body_of(get(variant_url)).decode()
    assert "#EXT-X-ENDLIST" in variant
    assert get(resolve(variant_url, uris(variant)[0])).status_code == 200


def test_portrait_take_plays_upright(
    clients: Clients, world: World, videos: Path, process: ProcessFn
) -> None:
    source = mediafiles.make_video(
        videos / "portrait.mp4", width=640, height=360, duration=3, rotate=90
    )
    made = process(clients, world, source)
    assert made.status == PracticeClip.Status.READY, (made.error_code, made.error_message)
    assert (made.width, made.height) == (360, 640)
    assert made.renditions
    for rendition in made.renditions:
        assert rendition["height"] > rendition["width"], rendition
    streams = response_json(clients.student.get(f"{CLIPS}{made.pk}/streams/"))
    resolutions = re.findall(r"RESOLUTION=(\d+)x(\d+)", body_of(get(streams["hls"])).decode())
    assert resolutions
    assert all(int(h) > int(w) for w, h in resolutions)


def test_short_take_with_one_keyframe_is_ready(
    clients: Clients, world: World, videos: Path, process: ProcessFn
) -> None:
    source = mediafiles.make_video(videos / "short.mp4", duration=2)
    made = process(clients, world, source)
    assert made.status == PracticeClip.Status.READY, (made.error_code, made.error_message)


@dataclass(frozen=True)
class Bad:
    make: Callable[[Path], Path]
    code: str


BAD_FILES: dict[str, Bad] = {
    "disguised_hls": Bad(
        lambda d: mediafiles.make_disguised_hls(d / "hls.mp4", "/etc/hostname"),
        "media_unsupported_container",
    ),
    "png": Bad(lambda d: mediafiles.make_png(d / "image.mp4"), "media_unsupported_container"),
    "text": Bad(lambda d: mediafiles.make_text(d / "notes.mp4"), "media_unsupported_container"),
    "random": Bad(
        lambda d: mediafiles.make_random_bytes(d / "noise.mp4"), "media_unsupported_container"
    ),
    "audio_only": Bad(lambda d: mediafiles.make_audio_only(d / "audio.m4a"), "media_no_video"),
}


@pytest.fixture
def bad_dir(tmp_path: Path) -> Path:
    path = tmp_path / "bad"
    path.mkdir()
    return path


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_malicious_files_are_rejected_and_the_server_still_serves(
    clients: Clients,
    world: World,
    bad_dir: Path,
    process: ProcessFn,
    published: Published,
    name: str,
) -> None:
    bad = BAD_FILES[name]
    made = process(clients, world, bad.make(bad_dir))
    assert made.status == PracticeClip.Status.REJECTED
    assert made.error_code == bad.code
    assert made.error_message
    assert not made.playable
    job = MediaJob.objects.get(target_id=made.pk)
    assert job.status == MediaJob.Status.FAILED
    assert job.error_code == bad.code
    assert job.attempts == 1  # a rejected file is never retried
    status = response_json(clients.student.get(f"{CLIPS}{made.pk}/status/"))
    assert status["status"] == "rejected"
    assert status["error"] == {"code": bad.code, "message": made.error_message}
    assert published.of(f"clip:{made.pk}", "clip.failed") == [status]
    assert_error(clients.student.get(f"{CLIPS}{made.pk}/streams/"), 409, "clip_not_playable")
    # The server keeps serving: another request, another upload.
    assert clients.student.get(CLIPS).status_code == 200
    assert upload(clients.student, world.exercise, b"next take")
