"""probe(): accepted containers and codecs, rotation, caps, keyframes, and rejections."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from huey_tasks.media.ffmpeg import MediaRejected
from huey_tasks.media.probe import (
    MediaCaps,
    ProbeResult,
    keyframes_aligned,
    keyframes_on_boundaries,
    probe,
    sniff_rejection,
)
from tests import mediafiles

ProbeOf = Callable[[Path], ProbeResult]


@pytest.mark.parametrize(
    ("name", "options", "expected"),
    [
        ("h264.mp4", {}, ("mov", "h264", "aac", True)),
        ("h264.mov", {}, ("mov", "h264", "aac", True)),
        ("h264.mkv", {}, ("matroska", "h264", "aac", True)),
        (
            "vp9.webm",
            {"vcodec": "libvpx-vp9", "acodec": "libopus"},
            ("matroska", "vp9", "opus", False),
        ),
        ("hevc.mp4", {"vcodec": "libx265"}, ("mov", "hevc", "aac", False)),
        ("silent.mp4", {"acodec": None}, ("mov", "h264", None, True)),
        ("10bit.mp4", {"pix_fmt": "yuv420p10le"}, ("mov", "h264", "aac", False)),
    ],
)
def test_probe_accepts_containers_and_codecs(
    tmp_path: Path,
    probe_of: ProbeOf,
    name: str,
    options: dict[str, Any],
    expected: tuple[str, str, str | None, bool],
) -> None:
    source = mediafiles.make_video(tmp_path / name, duration=2, **options)
    result = probe_of(source)
    container, video_codec, audio_codec, fast = expected
    assert result.container == container
    assert (result.video_codec, result.audio_codec) == (video_codec, audio_codec)
    assert result.has_audio is (audio_codec is not None)
    assert result.is_fast_publishable is fast
    assert (result.width, result.height) == (320, 240)
    assert (result.coded_width, result.coded_height) == (320, 240)
    assert result.rotation == 0
    assert result.fps == 30.0
    assert result.duration == pytest.approx(2.0, abs=0.1)
    assert result.stream_count == (2 if audio_codec else 1)
    assert (result.video_bit_rate or 0) > 10_000


@pytest.mark.parametrize("rotate", [90, 270])
def test_probe_reports_rotation_and_display_size(
    tmp_path: Path, probe_of: ProbeOf, rotate: int
) -> None:
    source = mediafiles.make_video(tmp_path / "phone.mp4", width=320, height=240, rotate=rotate)
    result = probe_of(source)
    assert result.rotation == rotate
    assert (result.width, result.height) == (240, 320)
    assert (result.coded_width, result.coded_height) == (320, 240)
    # MPEG-TS cannot carry the rotation: a rotated take is transcoded, not remuxed.
    assert not result.is_fast_publishable


def test_probe_odd_dimensions(vp9_odd: Path, probe_of: ProbeOf) -> None:
    result = probe_of(vp9_odd)
    assert (result.width, result.height) == (641, 359)
    assert not result.has_audio


def test_probe_portrait_4k_is_within_default_caps(tmp_path: Path, probe_of: ProbeOf) -> None:
    source = mediafiles.make_video(
        tmp_path / "p4k.mp4", width=2160, height=3840, duration=0.4, fps=5, acodec=None
    )
    assert (probe_of(source).width, probe_of(source).height) == (2160, 3840)


def test_probe_rejects_more_than_4k(tmp_path: Path, probe_of: ProbeOf) -> None:
    source = mediafiles.make_video(
        tmp_path / "big.mp4", width=3842, height=2160, duration=0.2, fps=5, acodec=None
    )
    with pytest.raises(MediaRejected) as caught:
        probe_of(source)
    assert caught.value.code == "media_dimensions_too_large"
    assert "3842x2160" in caught.value.message


@pytest.mark.parametrize(
    ("caps", "code"),
    [
        (MediaCaps(max_width=300), "media_dimensions_too_large"),
        (MediaCaps(max_height=200), "media_dimensions_too_large"),
        (MediaCaps(max_fps=25), "media_fps_too_high"),
        (MediaCaps(max_duration=3), "media_too_long"),
        (MediaCaps(max_streams=1), "media_too_many_streams"),
    ],
)
def test_probe_enforces_caps(gop2_mp4: Path, caps: MediaCaps, code: str) -> None:
    with pytest.raises(MediaRejected) as caught:
        probe(gop2_mp4, caps)
    assert caught.value.code == code
    assert "limit" in caught.value.message


def test_caps_from_settings(settings: Settings) -> None:
    settings.PRACTIKA_MEDIA_CAPS = {"max_fps": 60, "max_duration": "600"}
    caps = MediaCaps.from_settings()
    assert (caps.max_fps, caps.max_duration, caps.max_width) == (60.0, 600.0, 3840)
    del settings.PRACTIKA_MEDIA_CAPS
    assert MediaCaps.from_settings() == MediaCaps()
    settings.PRACTIKA_MEDIA_CAPS = {"max_fsp": 60}
    with pytest.raises(ValueError, match="max_fsp"):
        MediaCaps.from_settings()


def test_default_caps() -> None:
    assert MediaCaps() == MediaCaps(3840, 2160, 120.0, 3600.0, 8)


MaliciousMaker = Callable[[Path], Path]


def disguised_hls(path: Path) -> Path:
    return mediafiles.make_disguised_hls(path, "secret.ts")


def disguised_concat(path: Path) -> Path:
    return mediafiles.make_disguised_concat(path, "secret.mp4")


@pytest.mark.parametrize(
    ("maker", "code", "words"),
    [
        (disguised_hls, "media_unsupported_container", "HLS playlist"),
        (disguised_concat, "media_unsupported_container", "concat list"),
        (mediafiles.make_png, "media_unsupported_container", "image"),
        (mediafiles.make_jpeg, "media_unsupported_container", "image"),
        (mediafiles.make_gif, "media_unsupported_container", "image"),
        (mediafiles.make_html, "media_unsupported_container", "HTML"),
        (mediafiles.make_svg, "media_unsupported_container", "SVG"),
        (mediafiles.make_text, "media_unsupported_container", "text file"),
        (mediafiles.make_random_bytes, "media_unsupported_container", "unknown binary"),
        (mediafiles.make_audio_only, "media_no_video", "no video stream"),
        (mediafiles.make_empty, "media_unreadable", "empty"),
    ],
    ids=["hls", "concat", "png", "jpeg", "gif", "html", "svg", "text", "random", "m4a", "empty"],
)
def test_probe_rejects_malicious_and_wrong_files(
    tmp_path: Path, probe_of: ProbeOf, maker: MaliciousMaker, code: str, words: str
) -> None:
    upload = maker(tmp_path / "upload.mp4")
    with pytest.raises(MediaRejected) as caught:
        probe_of(upload)
    assert caught.value.code == code
    assert words in caught.value.message


@pytest.mark.parametrize(
    ("header", "name"),
    [(b"\x00\x00\x00\x18ftypisom", "fake.mp4"), (b"\x1a\x45\xdf\xa3", "fake.mkv")],
)
def test_probe_rejects_garbage_behind_a_valid_signature(
    tmp_path: Path, probe_of: ProbeOf, header: bytes, name: str
) -> None:
    upload = tmp_path / name
    upload.write_bytes(header + bytes(range(256)) * 64)
    with pytest.raises(MediaRejected) as caught:
        probe_of(upload)
    assert caught.value.code == "media_unreadable"


@pytest.mark.parametrize(
    ("name", "options", "code"),
    [
        ("moov_at_end.mp4", {}, "media_unreadable"),
        ("faststart.mp4", {"faststart": True}, "media_truncated"),
        ("cut.mkv", {}, "media_truncated"),
        ("cut.webm", {"vcodec": "libvpx-vp9", "acodec": "libopus"}, "media_truncated"),
    ],
)
def test_probe_rejects_truncated_uploads(
    tmp_path: Path, probe_of: ProbeOf, name: str, options: dict[str, Any], code: str
) -> None:
    whole = mediafiles.make_video(tmp_path / f"whole-{name}", duration=4, **options)
    assert probe_of(whole).duration == pytest.approx(4.0, abs=0.1)
    with pytest.raises(MediaRejected) as caught:
        probe_of(mediafiles.make_truncated(whole, tmp_path / name, fraction=0.5))
    assert caught.value.code == code


def test_sniff_names_heif_images() -> None:
    assert sniff_rejection(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00") is not None
    assert sniff_rejection(b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00") is None


@pytest.mark.parametrize(
    ("name", "options", "aligned"),
    [
        ("gop60.mp4", {"keyint": 60}, True),
        ("gop60.mkv", {"keyint": 60}, True),
        ("gop60_bframes.mp4", {"keyint": 60, "video_args": ("-preset", "veryfast")}, True),
        ("gop30.mp4", {"keyint": 30}, True),
        ("gop45.mp4", {"keyint": 45}, False),
        ("default_gop.mp4", {}, False),
    ],
)
def test_keyframes_aligned(
    tmp_path: Path, probe_of: ProbeOf, name: str, options: dict[str, Any], aligned: bool
) -> None:
    source = mediafiles.make_video(tmp_path / name, duration=5, **options)
    assert keyframes_aligned(source) is aligned
    assert probe_of(source).keyframe_interval_ok is aligned


def test_keyframe_times_are_presentation_times(tmp_path: Path, probe_of: ProbeOf) -> None:
    # With B-frames decode times run ahead of presentation times; the index must not leak
    # them into the keyframe times.
    source = mediafiles.make_video(
        tmp_path / "b.mp4", duration=5, keyint=45, video_args=("-preset", "veryfast")
    )
    assert probe_of(source).keyframe_times == (0.0, 1.5, 3.0, 4.5)


@pytest.mark.parametrize(
    ("times", "duration", "aligned"),
    [
        ((0.0, 2.0, 4.0), 5.0, True),
        ((0.0, 2.0, 4.0), 6.0, True),  # the last boundary is the end: nothing to cut
        ((0.0, 1.0, 2.0, 3.0, 4.0), 5.0, True),  # extra keyframes do not cut segments
        ((0.0, 2.033, 4.033), 5.0, True),  # first frame after the boundary (29.97 fps)
        ((0.0, 1.967, 4.0), 5.0, False),  # just before the boundary: cut happens later
        ((0.0, 2.0), 5.0, False),
        ((0.5, 2.0, 4.0), 5.0, False),
        ((), 5.0, False),
    ],
)
def test_keyframes_on_boundaries(times: tuple[float, ...], duration: float, aligned: bool) -> None:
    assert keyframes_on_boundaries(times, duration) is aligned


def test_probe_result_as_dict_is_json(gop2_mp4: Path, probe_of: ProbeOf) -> None:
    data = probe_of(gop2_mp4).as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["keyframe_count"] == 2
    assert data["is_fast_publishable"] is True
    assert data["keyframe_interval_ok"] is True
    assert "keyframe_times" not in data
