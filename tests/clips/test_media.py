"""The signed media view on its own: tokens, paths, ranges (files made by hand, no ffmpeg)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http.response import HttpResponseBase
from django.test import Client
from django.utils import timezone

from plugins.clips.media import media_token
from plugins.clips.models import PracticeClip
from plugins.clips.signing import sign
from tests.api.assertions import assert_error

from .conftest import World

pytestmark = pytest.mark.django_db

DATA = bytes(range(256)) * 40  # 10240 bytes


@pytest.fixture
def made(world: World) -> PracticeClip:
    clip = PracticeClip(
        owner=world.student,
        exercise=world.exercise,
        course=world.course,
        attempt_number=1,
        max_bytes=1000,
        upload_expires_at=timezone.now() + timedelta(hours=1),
        status=PracticeClip.Status.READY,
        playable_at=timezone.now(),
        hls_prefix="",
    )
    clip.original_key = f"clips/{clip.id}/original/take.mp4"
    clip.hls_prefix = f"clips/{clip.id}/hls-1/"
    clip.renditions = [
        {
            "name": "360p",
            "width": 640,
            "height": 360,
            "bandwidth": 900_000,
            "codecs": "avc1.64001e,mp4a.40.2",
            "playlist": "360p/index.m3u8",
        }
    ]
    clip.save()
    default_storage.save(f"{clip.hls_prefix}360p/seg_00000.ts", ContentFile(DATA))
    default_storage.save(
        f"{clip.hls_prefix}360p/index.m3u8",
        ContentFile(b"#EXTM3U\n#EXTINF:2.0,\nseg_00000.ts\n#EXT-X-ENDLIST\n"),
    )
    return clip


def get(
    clip: PracticeClip, path: str, token: str | None = None, **headers: str
) -> HttpResponseBase:
    return Client().get(f"/media/c/{token or media_token(clip)}/{path}", headers=headers)


def body(response: HttpResponseBase) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]


def test_master_renders_every_rendition(made: PracticeClip) -> None:
    response = get(made, "master.m3u8")
    assert response.status_code == 200
    text = body(response).decode()
    assert (
        "#EXT-X-STREAM-INF:BANDWIDTH=900000,AVERAGE-BANDWIDTH=900000,RESOLUTION=640x360,"
        'CODECS="avc1.64001e,mp4a.40.2"\nhls-1/360p/index.m3u8\n'
    ) in text
    variant = get(made, "hls-1/360p/index.m3u8")
    assert body(variant) == b"#EXTM3U\n#EXTINF:2.0,\nseg_00000.ts\n#EXT-X-ENDLIST\n"


@pytest.mark.parametrize(
    ("header", "status", "expected", "content_range"),
    [
        ("bytes=0-", 206, DATA, "bytes 0-10239/10240"),
        ("bytes=10-19", 206, DATA[10:20], "bytes 10-19/10240"),
        ("bytes=10000-99999", 206, DATA[10000:], "bytes 10000-10239/10240"),
        ("bytes=-20", 206, DATA[-20:], "bytes 10220-10239/10240"),
        ("bytes=-99999", 206, DATA, "bytes 0-10239/10240"),
        ("bytes=10240-", 416, b"", "bytes */10240"),
        ("bytes=20-10", 416, b"", "bytes */10240"),
        ("bytes=0-1,5-6", 200, DATA, None),  # several ranges: the whole file
        ("lines=0-1", 200, DATA, None),
    ],
)
def test_ranges(
    made: PracticeClip, header: str, status: int, expected: bytes, content_range: str | None
) -> None:
    response = get(made, "hls-1/360p/seg_00000.ts", Range=header)
    assert response.status_code == status
    assert body(response) == expected
    assert response.get("Content-Range") == content_range
    if status != 416:
        assert response["Content-Type"] == "video/mp2t"
        assert response["Content-Length"] == str(len(expected))
        assert response["X-Content-Type-Options"] == "nosniff"


def test_head_answers_without_a_body(made: PracticeClip) -> None:
    response = Client().head(f"/media/c/{media_token(made)}/hls-1/360p/seg_00000.ts")
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(DATA))
    assert body(response) == b""


def test_expired_or_foreign_tokens_are_403(made: PracticeClip) -> None:
    expired = sign("media", {"c": str(made.pk)}, expires_at=time.time() - 1)
    assert_error(get(made, "master.m3u8", token=expired), 403, "link_expired")
    upload = sign("upload", {"c": str(made.pk)}, expires_at=time.time() + 60)
    assert_error(get(made, "master.m3u8", token=upload), 403, "bad_signature")
    assert_error(get(made, "master.m3u8", token="garbage"), 403, "bad_signature")


def test_paths_stay_inside_the_clip(made: PracticeClip, world: World) -> None:
    for path in ("hls-1/../../other/original/take.mp4", "hls-1/./360p/index.m3u8", "nope.ts"):
        assert get(made, path).status_code == 404, path
    response = Client().post(f"/media/c/{media_token(made)}/master.m3u8")
    assert response.status_code == 405


def test_a_deleted_clip_is_404(made: PracticeClip) -> None:
    token = media_token(made)
    PracticeClip.objects.filter(pk=made.pk).delete()
    assert_error(get(made, "master.m3u8", token=token), 404, "not_found")


def test_a_clip_that_stopped_being_playable_has_no_master(made: PracticeClip) -> None:
    PracticeClip.objects.filter(pk=made.pk).update(status=PracticeClip.Status.FAILED)
    assert get(made, "master.m3u8").status_code == 404
