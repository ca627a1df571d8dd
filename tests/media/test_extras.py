"""Poster, thumbnail sprite with its WebVTT map, and waveform peaks."""

from __future__ import annotations

import itertools
import json
import re
from array import array
from collections.abc import Callable
from pathlib import Path

import av
import pytest

from huey_tasks.media.extras import (
    PeakMeter,
    default_sprite_interval,
    make_poster,
    make_sprite,
    make_waveform,
    sprite_layout,
    sprite_vtt,
)
from huey_tasks.media.probe import ProbeResult
from tests import mediafiles
from tests.media.conftest import FakeProbe

ProbeOf = Callable[[Path], ProbeResult]
JPEG_MAGIC = b"\xff\xd8\xff"


def image_size(path: Path) -> tuple[int, int]:
    with av.open(str(path)) as container:
        context = container.streams.video[0].codec_context
        return context.width, context.height


def test_poster_is_a_jpeg_of_the_source_size(
    src_720: Path, tmp_path: Path, probe_of: ProbeOf
) -> None:
    poster = make_poster(src_720, tmp_path / "poster.jpg", probe_of(src_720))
    assert poster.read_bytes().startswith(JPEG_MAGIC)
    assert image_size(poster) == (1280, 720)
    assert [p.name for p in tmp_path.iterdir()] == ["poster.jpg"]  # no temp file left


def test_poster_is_at_most_1280_wide(tmp_path: Path, probe_of: ProbeOf) -> None:
    source = mediafiles.make_video(
        tmp_path / "hd.mp4", width=1920, height=1080, duration=1, fps=10, acodec=None
    )
    poster = make_poster(source, tmp_path / "poster.jpg", probe_of(source))
    assert image_size(poster) == (1280, 720)


def test_poster_of_a_portrait_take_is_upright(
    portrait: Path, tmp_path: Path, probe_of: ProbeOf
) -> None:
    poster = make_poster(portrait, tmp_path / "poster.jpg", probe_of(portrait))
    assert image_size(poster) == (360, 640)


@pytest.mark.parametrize("at", [0.0, 2.5, 99.0])
def test_poster_at_any_time(gop2_mp4: Path, tmp_path: Path, probe_of: ProbeOf, at: float) -> None:
    poster = make_poster(gop2_mp4, tmp_path / "poster.jpg", probe_of(gop2_mp4), at=at)
    assert poster.read_bytes().startswith(JPEG_MAGIC)


def parse_vtt(text: str) -> list[tuple[float, float, str]]:
    def seconds(stamp: str) -> float:
        hours, minutes, rest = stamp.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(rest)

    cues = []
    lines = text.splitlines()
    assert lines[0] == "WEBVTT"
    for index, line in enumerate(lines):
        if " --> " in line:
            start, end = line.split(" --> ")
            cues.append((seconds(start), seconds(end), lines[index + 1]))
    return cues


@pytest.mark.parametrize(
    ("fixture", "count", "interval", "tile_height"),
    [("src_360", 3, 1.0, 90), ("gop2_mp4", 2, 2.0, 120)],
)
def test_sprite_and_vtt_cover_the_duration(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    probe_of: ProbeOf,
    fixture: str,
    count: int,
    interval: float,
    tile_height: int,
) -> None:
    source: Path = request.getfixturevalue(fixture)
    info = probe_of(source)
    layout = make_sprite(source, tmp_path / "sprite.jpg", tmp_path / "sprite.vtt", info)
    assert (layout.count, layout.interval, layout.columns, layout.rows) == (
        count,
        interval,
        count,
        1,
    )
    assert (tmp_path / "sprite.jpg").read_bytes().startswith(JPEG_MAGIC)
    width, height = image_size(tmp_path / "sprite.jpg")
    assert (width, height) == (count * 160, tile_height)
    cues = parse_vtt((tmp_path / "sprite.vtt").read_text())
    assert cues[0][0] == 0.0
    assert cues[-1][1] == pytest.approx(info.duration)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(cues))
    for index, (_, _, target) in enumerate(cues):
        match = re.fullmatch(r"sprite\.jpg#xywh=(\d+),(\d+),(\d+),(\d+)", target)
        assert match is not None
        x, y, w, h = map(int, match.groups())
        assert (x, y, w, h) == (index * 160, 0, 160, tile_height)
        assert x + w <= width
        assert y + h <= height


def test_sprite_rows_and_image_url(tmp_path: Path, probe_of: ProbeOf) -> None:
    source = mediafiles.make_video(tmp_path / "s.mp4", duration=6, fps=10, acodec=None)
    layout = make_sprite(
        source,
        tmp_path / "sprite.jpg",
        tmp_path / "sprite.vtt",
        probe_of(source),
        interval=0.5,
        tile_width=64,
        columns=5,
        image_url="https://cdn.example/sprite.jpg?sig=abc",
    )
    assert (layout.count, layout.columns, layout.rows, layout.tile_height) == (12, 5, 3, 48)
    assert image_size(tmp_path / "sprite.jpg") == (5 * 64, 3 * 48)
    cues = parse_vtt((tmp_path / "sprite.vtt").read_text())
    assert len(cues) == 12
    assert cues[7][2] == "https://cdn.example/sprite.jpg?sig=abc#xywh=128,48,64,48"


def test_sprite_layout_caps_thumbnails(fake_probe: FakeProbe) -> None:
    hour = sprite_layout(fake_probe(duration=3600.0), interval=None, tile_width=160, columns=10)
    assert hour.count <= 100
    assert hour.interval * hour.count >= 3600
    assert (hour.tile_width, hour.tile_height, hour.rows) == (160, 90, 10)
    short = sprite_layout(
        fake_probe(duration=2.5, keyframe_times=(0.0,)), interval=None, tile_width=160, columns=10
    )
    assert (short.count, short.interval, short.columns) == (3, 1.0, 3)


@pytest.mark.parametrize(
    ("duration", "keyframes", "interval"),
    [
        (60.0, (0.0, 2.0, 4.0, 6.0), 2.0),  # keyframes every 2 s: decode only those
        (60.0, (0.0, 1.0, 2.0), 1.0),
        (60.0, (0.0, 5.0, 10.0), 1.0),  # sparse keyframes: decode everything
        (600.0, (0.0, 2.0, 4.0), 6.0),  # the 100-tile cap wins
        (20.0, (0.0,), 1.0),
    ],
)
def test_default_sprite_interval(
    fake_probe: FakeProbe, duration: float, keyframes: tuple[float, ...], interval: float
) -> None:
    info = fake_probe(duration=duration, keyframe_times=keyframes)
    assert default_sprite_interval(info) == interval


def test_sprite_vtt_last_cue_ends_at_the_duration(fake_probe: FakeProbe) -> None:
    layout = sprite_layout(fake_probe(duration=2.5), interval=1.0, tile_width=160, columns=10)
    text = sprite_vtt(layout, 2.5, "sprite.jpg")
    assert "00:00:02.000 --> 00:00:02.500\nsprite.jpg#xywh=320,0,160,90" in text


def test_waveform_peaks(gop2_mp4: Path, tmp_path: Path, probe_of: ProbeOf) -> None:
    info = probe_of(gop2_mp4)
    data = make_waveform(gop2_mp4, tmp_path / "waveform.json", info, peaks_per_second=20)
    stored = json.loads((tmp_path / "waveform.json").read_text())
    assert stored == data
    assert set(stored) == {"peaks_per_second", "peaks"}
    assert stored["peaks_per_second"] == 20
    assert abs(len(stored["peaks"]) - info.duration * 20) <= 2
    assert all(0.0 <= peak <= 1.0 for peak in stored["peaks"])
    # lavfi's sine has an amplitude of 1/8 of full scale.
    middle = sorted(stored["peaks"])[len(stored["peaks"]) // 2]
    assert middle == pytest.approx(0.125, abs=0.03)


def test_waveform_without_audio_is_empty(vp9_odd: Path, tmp_path: Path, probe_of: ProbeOf) -> None:
    data = make_waveform(vp9_odd, tmp_path / "waveform.json", probe_of(vp9_odd))
    assert data == {"peaks_per_second": 20, "peaks": []}
    assert json.loads((tmp_path / "waveform.json").read_text()) == data


def test_peak_meter_is_independent_of_chunking() -> None:
    samples = array("h", [((i * 37) % 200 - 100) * 300 for i in range(10_007)])
    samples[5000] = -32768
    data = samples.tobytes()
    whole = PeakMeter(400)
    whole.feed(data)
    chunked = PeakMeter(400)
    for start in range(0, len(data), 333):
        chunked.feed(data[start : start + 333])
    assert whole.finish() == chunked.finish()
    assert len(whole.peaks) == 26
    assert whole.peaks[12] == 1.0
    assert whole.peaks[0] == pytest.approx(100 * 300 / 32768, abs=1e-4)
