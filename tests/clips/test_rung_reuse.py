"""The first rendition is never encoded twice: it stands in for its own rung of the ladder.

An aligned H.264 source's remux is the top rung when that rung has the source's size; a
transcoded first rendition (VP9, HEVC...) is the lowest rung. The poster and the sprite are
made from rungs (keyframes every 2 s), not from the source, and ffmpeg reads a local
original in place.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from huey_tasks.media import hls
from huey_tasks.media.extras import make_poster, make_sprite
from huey_tasks.media.probe import ProbeResult
from plugins.clips import processing, storage
from plugins.clips.models import PracticeClip
from tests import mediafiles

from .conftest import Clients, World
from .helpers import clip, commit, upload

pytestmark = pytest.mark.django_db

ProcessFn = Callable[[Path], PracticeClip]


@pytest.fixture
def ladder_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The ``heights`` of every ladder encode the pipeline runs."""
    calls: list[list[int]] = []
    real = hls.encode_ladder

    def spy(*args: Any, heights: Any = hls.DEFAULT_HEIGHTS, **kwargs: Any) -> Any:
        calls.append(list(heights))
        return real(*args, heights=heights, **kwargs)

    monkeypatch.setattr(processing, "encode_ladder", spy)
    return calls


@pytest.fixture
def extras_inputs(monkeypatch: pytest.MonkeyPatch) -> dict[str, ProbeResult]:
    """What the poster and the sprite were made from (their probe)."""
    seen: dict[str, ProbeResult] = {}
    real_poster, real_sprite = make_poster, make_sprite

    def poster(src: Path, dest: Path, info: ProbeResult, at: float | None = None) -> Path:
        seen["poster"] = info
        return real_poster(src, dest, info, at=at)

    def sprite(src: Path, dest: Path, vtt: Path, info: ProbeResult, **kwargs: Any) -> Any:
        seen["sprite"] = info
        return real_sprite(src, dest, vtt, info, **kwargs)

    monkeypatch.setattr(processing, "make_poster", poster)
    monkeypatch.setattr(processing, "make_sprite", sprite)
    return seen


@pytest.fixture
def process(clients: Clients, world: World, django_capture_on_commit_callbacks: Any) -> ProcessFn:
    def run(path: Path) -> PracticeClip:
        clip_id = upload(clients.student, world.exercise, path.read_bytes(), filename=path.name)
        with django_capture_on_commit_callbacks(execute=True):
            assert commit(clients.student, clip_id).status_code == 202
        made = clip(clip_id)
        assert made.status == PracticeClip.Status.READY, (made.error_code, made.error_message)
        return made

    return run


def _rungs(made: PracticeClip) -> list[tuple[str, int, int]]:
    return [(r["name"], r["width"], r["height"]) for r in made.renditions]


def test_aligned_720p_h264_keeps_its_remux_as_the_top_rung(
    videos: Path, process: ProcessFn, ladder_calls: list[list[int]], extras_inputs: Any
) -> None:
    source = mediafiles.make_video(
        videos / "aligned-720.mp4", width=1280, height=720, duration=4, keyint=60
    )
    made = process(source)
    assert ladder_calls == [[360, 540]]  # 720p is not encoded
    assert _rungs(made) == [("360p", 640, 360), ("540p", 960, 540), ("source", 1280, 720)]
    top = made.renditions[-1]
    assert top["playlist"] == "source/index.m3u8"
    assert top["codecs"].startswith("avc1.")
    assert top["bandwidth"] > 0
    # The poster comes from the top rung, the sprite from the lowest (both H.264 rungs).
    assert (extras_inputs["poster"].width, extras_inputs["poster"].height) == (1280, 720)
    assert (extras_inputs["sprite"].width, extras_inputs["sprite"].height) == (640, 360)


def test_misaligned_720p_h264_gets_a_full_ladder(
    videos: Path, process: ProcessFn, ladder_calls: list[list[int]]
) -> None:
    source = mediafiles.make_video(
        videos / "misaligned-720.mp4", width=1280, height=720, duration=4, keyint=90
    )
    made = process(source)
    assert ladder_calls == [[360, 540, 720]]
    assert _rungs(made) == [("360p", 640, 360), ("540p", 960, 540), ("720p", 1280, 720)]


def test_small_aligned_h264_needs_no_ladder_run(
    h264_mp4: Path, process: ProcessFn, ladder_calls: list[list[int]], extras_inputs: Any
) -> None:
    made = process(h264_mp4)
    assert ladder_calls == []
    assert _rungs(made) == [("source", 320, 240)]
    assert extras_inputs["sprite"].video_codec == "h264"


def test_vp9_first_rendition_is_the_lowest_rung(
    videos: Path, process: ProcessFn, ladder_calls: list[list[int]], extras_inputs: Any
) -> None:
    source = mediafiles.make_video(
        videos / "take-540.webm",
        width=960,
        height=540,
        duration=3,
        vcodec="libvpx-vp9",
        acodec="libopus",
    )
    made = process(source)
    assert ladder_calls == [[540]]  # 360p was encoded once, as the first rendition
    assert _rungs(made) == [("source", 640, 360), ("540p", 960, 540)]
    assert all(r["codecs"].startswith("avc1.") for r in made.renditions)
    # Neither extra decodes the VP9 source.
    assert extras_inputs["sprite"].video_codec == "h264"
    assert (extras_inputs["sprite"].width, extras_inputs["sprite"].height) == (640, 360)
    assert extras_inputs["poster"].video_codec == "h264"
    assert (extras_inputs["poster"].width, extras_inputs["poster"].height) == (960, 540)


def test_a_local_original_is_read_in_place(
    h264_mp4: Path, process: ProcessFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_copy(*args: Any, **kwargs: Any) -> Path:
        raise AssertionError("the original was copied")

    monkeypatch.setattr(storage, "fetch_to_local", no_copy)
    made = process(h264_mp4)
    assert made.sha256


def test_stored_segments_are_hard_links_of_what_ffmpeg_wrote(
    h264_mp4: Path, process: ProcessFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    linked: list[tuple[int, int]] = []
    real = storage.store_local_file_link

    def spy(path: Path, key: str) -> str:
        result = real(path, key)
        stored = storage.local_path(key)
        assert stored is not None
        linked.append((path.stat().st_ino, stored.stat().st_ino))
        return result

    monkeypatch.setattr(storage, "store_local_file_link", spy)
    process(h264_mp4)
    assert linked
    assert all(source == stored for source, stored in linked)


def test_a_remux_far_above_the_rungs_bit_rate_is_not_reused(
    videos: Path, process: ProcessFn, ladder_calls: list[list[int]]
) -> None:
    # Lossless noise: tens of Mbit/s, far over 4x the 800 kbit/s peaks of a 240p rung.
    source = mediafiles.make_video(
        videos / "aligned-240-heavy.mp4",
        duration=4,
        keyint=60,
        video_args=("-vf", "noise=alls=60:allf=t", "-qp", "0"),
    )
    made = process(source)
    assert ladder_calls == [[240]]  # re-encoded instead
    assert _rungs(made) == [("240p", 320, 240)]
