"""Source videos shared by the media tests, made once per session (each well under 1 s)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from huey_tasks.media.probe import MediaCaps, ProbeResult, probe
from tests.mediafiles import make_video

FakeProbe = Callable[..., ProbeResult]

_BASE_PROBE = ProbeResult(
    container="mov",
    format_name="mov,mp4,m4a,3gp,3g2,mj2",
    duration=10.0,
    width=1280,
    height=720,
    coded_width=1280,
    coded_height=720,
    rotation=0,
    fps=30.0,
    video_codec="h264",
    video_profile="High",
    pix_fmt="yuv420p",
    video_bit_rate=2_000_000,
    video_stream_index=0,
    audio_codec="aac",
    audio_profile="LC",
    audio_channels=2,
    audio_stream_index=1,
    stream_count=2,
    keyframe_times=(0.0, 2.0, 4.0, 6.0, 8.0),
)


@pytest.fixture(scope="session")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media-sources")


@pytest.fixture(scope="session")
def gop2_mp4(sources: Path) -> Path:
    """4 s, 320x240, H.264 with a keyframe every 2 s, AAC."""
    return make_video(sources / "gop2.mp4", duration=4, keyint=60)


@pytest.fixture(scope="session")
def src_720(sources: Path) -> Path:
    """4 s of 1280x720 H.264/AAC with 2 s GOPs."""
    return make_video(sources / "s720.mp4", width=1280, height=720, duration=4, keyint=60)


@pytest.fixture(scope="session")
def src_360(sources: Path) -> Path:
    return make_video(sources / "s360.mp4", width=640, height=360, duration=3)


@pytest.fixture(scope="session")
def portrait(sources: Path) -> Path:
    """A phone take: 640x360 frames stored sideways with ``rotate=90`` (shown 360x640)."""
    return make_video(sources / "portrait.mp4", width=640, height=360, duration=3, rotate=90)


@pytest.fixture(scope="session")
def vp9_odd(sources: Path) -> Path:
    """VP9 in WebM at an odd size (641x359), no audio."""
    return make_video(sources / "odd.webm", width=641, height=359, vcodec="libvpx-vp9", acodec=None)


@pytest.fixture
def caps() -> MediaCaps:
    return MediaCaps()


@pytest.fixture
def probe_of(caps: MediaCaps) -> Callable[[Path], ProbeResult]:
    def run(path: Path) -> ProbeResult:
        return probe(path, caps)

    return run


@pytest.fixture
def fake_probe() -> FakeProbe:
    """A ProbeResult of a 10 s 1280x720 H.264/AAC file, with fields overridden."""

    def make(**overrides: Any) -> ProbeResult:
        return dataclasses.replace(_BASE_PROBE, **overrides)

    return make
