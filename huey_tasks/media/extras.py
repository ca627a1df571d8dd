"""Extras of a ready clip: a poster, a scrubbing sprite with its WebVTT map, waveform peaks.

Every output is written to a temporary name next to its destination and moved into
place, so a reader never sees a half-written file and a retried job simply overwrites.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from .ffmpeg import MediaProcessingError, input_args, run_ffmpeg, timeout_for
from .probe import ProbeResult, median_keyframe_interval

POSTER_MAX_WIDTH = 1280
MAX_THUMBNAILS = 100
WAVEFORM_SAMPLE_RATE = 8000


@contextlib.contextmanager
def _atomic_output(dest: Path) -> Iterator[Path]:
    """A temporary path next to ``dest`` that replaces ``dest`` once the block succeeds.

    The temporary name keeps the extension (ffmpeg picks the muxer from it) and contains no
    ``%``, which ffmpeg's image writer would expand.
    """
    dest = dest.resolve()
    if "%" in dest.name:
        raise ValueError(f"output file name may not contain '%': {dest.name}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    temporary = dest.with_name(f".{dest.stem}.tmp{dest.suffix}")
    try:
        yield temporary
        os.replace(temporary, dest)
    finally:
        temporary.unlink(missing_ok=True)


def _scaled(probe: ProbeResult, width: int) -> tuple[int, int]:
    """Even size ``width`` wide (at most the source's) with the display aspect ratio."""
    width = min(width, probe.width)
    width = max(2, width // 2 * 2)
    return width, max(2, 2 * round(width * probe.height / probe.width / 2))


def make_poster(src: Path, dest_jpg: Path, probe: ProbeResult, at: float | None = None) -> Path:
    """A JPEG of the frame about 10% into the video (or at ``at`` s), at most 1280 pixels
    wide, upright."""
    if at is None:
        at = probe.duration * 0.1
    at = max(0.0, min(at, probe.duration - 3.0 / max(probe.fps, 1.0)))
    with _atomic_output(dest_jpg) as temporary:
        try:
            _grab_frame(src, temporary, probe, at)
        except MediaProcessingError:
            if at == 0:
                raise
            # A seek past the last decodable frame writes nothing; the first frame will do.
            _grab_frame(src, temporary, probe, 0.0)
    return dest_jpg


def _grab_frame(src: Path, dest: Path, probe: ProbeResult, at: float) -> None:
    width, height = _scaled(probe, POSTER_MAX_WIDTH)
    # -ss before the input seeks to the keyframe before ``at`` and decodes from there: fast.
    args = ["-ss", f"{at:.3f}", *input_args(src), "-map", f"0:{probe.video_stream_index}"]
    args += ["-frames:v", "1", "-vf", f"scale={width}:{height},setsar=1", "-q:v", "3"]
    run_ffmpeg([*args, "-f", "image2", "-update", "1", str(dest)], timeout=timeout_for(0))


@dataclass(frozen=True)
class Sprite:
    """Layout of a thumbnail sprite: ``count`` tiles of ``tile_width`` x ``tile_height``
    in rows of ``columns``, tile ``i`` showing time ``i * interval``."""

    interval: float
    count: int
    columns: int
    rows: int
    tile_width: int
    tile_height: int


def sprite_layout(
    probe: ProbeResult, *, interval: float | None, tile_width: int, columns: int
) -> Sprite:
    """Tiles every ``interval`` seconds (default: :func:`default_sprite_interval`)."""
    if interval is None:
        interval = default_sprite_interval(probe)
    count = max(1, math.ceil(probe.duration / interval - 1e-6))
    width, height = _scaled(probe, tile_width)
    columns = min(columns, count)
    return Sprite(interval, count, columns, math.ceil(count / columns), width, height)


def default_sprite_interval(probe: ProbeResult) -> float:
    """At least 1 s and at most :data:`MAX_THUMBNAILS` tiles; when the source has keyframes
    up to 2 s apart, their spacing, so that only keyframes need decoding (about ten times
    faster than decoding every frame, and phones write keyframes every 1-2 s)."""
    interval = max(1.0, math.ceil(probe.duration / MAX_THUMBNAILS * 10) / 10)
    spacing = median_keyframe_interval(probe)
    if interval < spacing <= 2.0:
        interval = round(spacing, 3)
    return interval


def make_sprite(
    src: Path,
    dest_jpg: Path,
    dest_vtt: Path,
    probe: ProbeResult,
    *,
    interval: float | None = None,
    tile_width: int = 160,
    columns: int = 10,
    image_url: str | None = None,
) -> Sprite:
    """One JPEG of thumbnails and a WebVTT map for scrubbing previews.

    Each cue's text is ``<image_url>#xywh=x,y,w,h``; ``image_url`` defaults to the bare
    file name of ``dest_jpg`` (e.g. ``sprite.jpg``), which whoever serves the VTT replaces
    with a signed URL of the sprite.
    """
    layout = sprite_layout(probe, interval=interval, tile_width=tile_width, columns=columns)
    args: list[str] = []
    if len(probe.keyframe_times) >= 2 and median_keyframe_interval(probe) <= layout.interval:
        # Keyframes are at least as dense as the thumbnails: decoding only them is
        # many times faster and picks nearly the same frames. (A lone keyframe would give
        # the fps filter a single frame and, for a short take, no tile at all.)
        args += ["-skip_frame", "nokey"]
    graph = (
        f"fps=1/{layout.interval:g}:round=down,"
        f"scale={layout.tile_width}:{layout.tile_height},setsar=1,"
        f"tile={layout.columns}x{layout.rows}"
    )
    args += [*input_args(src), "-map", f"0:{probe.video_stream_index}", "-vf", graph]
    with _atomic_output(dest_jpg) as temporary:
        args += ["-frames:v", "1", "-q:v", "5", "-f", "image2", "-update", "1", str(temporary)]
        run_ffmpeg(args, timeout=timeout_for(probe.duration, factor=1.0))
    with _atomic_output(dest_vtt) as temporary:
        temporary.write_text(sprite_vtt(layout, probe.duration, image_url or dest_jpg.name))
    return layout


def sprite_vtt(layout: Sprite, duration: float, image_url: str) -> str:
    """WebVTT whose cues cover ``[0, duration]``, each pointing at its tile."""
    lines = ["WEBVTT", ""]
    for index in range(layout.count):
        start = index * layout.interval
        end = min(duration, start + layout.interval)
        x = index % layout.columns * layout.tile_width
        y = index // layout.columns * layout.tile_height
        lines += [
            f"{_vtt_time(start)} --> {_vtt_time(end)}",
            f"{image_url}#xywh={x},{y},{layout.tile_width},{layout.tile_height}",
            "",
        ]
    return "\n".join(lines)


def _vtt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    return f"{hours:02d}:{minutes:02d}:{millis // 1000:02d}.{millis % 1000:03d}"


class WaveformJSON(TypedDict):
    peaks_per_second: int
    peaks: list[float]


class PeakMeter:
    """Absolute peak per bucket of signed 16-bit little-endian mono samples, fed in chunks.

    Works on ``array`` slices so the per-sample work runs in C (``max``/``min``).
    """

    def __init__(self, samples_per_peak: int) -> None:
        self.samples_per_peak = samples_per_peak
        self.peaks: list[float] = []
        self._pending = bytearray()

    def feed(self, chunk: bytes) -> None:
        self._pending += chunk
        bucket_bytes = self.samples_per_peak * 2
        whole = len(self._pending) // bucket_bytes * bucket_bytes
        if whole:
            self._measure(bytes(self._pending[:whole]))
            del self._pending[:whole]

    def finish(self) -> list[float]:
        usable = len(self._pending) // 2 * 2
        if usable:
            self._measure(bytes(self._pending[:usable]))
        self._pending.clear()
        return self.peaks

    def _measure(self, data: bytes) -> None:
        samples = array("h")
        samples.frombytes(data)
        if sys.byteorder == "big":
            samples.byteswap()
        step = self.samples_per_peak
        for start in range(0, len(samples), step):
            bucket = samples[start : start + step]
            peak = max(max(bucket), -min(bucket))
            self.peaks.append(round(min(1.0, peak / 32768), 4))


def make_waveform(
    src: Path, dest_json: Path, probe: ProbeResult, *, peaks_per_second: int = 20
) -> WaveformJSON:
    """Write ``{"peaks_per_second": N, "peaks": [...]}``: the absolute peak (0..1 of full
    scale) of every 1/N s of the first audio stream, mixed to mono. Empty without audio."""
    peaks: list[float] = []
    if probe.audio_stream_index is not None:
        samples_per_peak = max(1, WAVEFORM_SAMPLE_RATE // peaks_per_second)
        meter = PeakMeter(samples_per_peak)
        args = [*input_args(src), "-map", f"0:{probe.audio_stream_index}", "-vn", "-ac", "1"]
        args += ["-ar", str(samples_per_peak * peaks_per_second), "-f", "s16le", "pipe:1"]
        run_ffmpeg(args, timeout=timeout_for(probe.duration, factor=0.5), stdout_sink=meter.feed)
        peaks = meter.finish()
    data: WaveformJSON = {"peaks_per_second": peaks_per_second, "peaks": peaks}
    with _atomic_output(dest_json) as temporary:
        temporary.write_text(json.dumps(data, separators=(",", ":")))
    return data
