"""HLS output: fast remux, a first rendition playable while it encodes, and the ladder.

Segments are MPEG-TS rather than fragmented MP4: every HLS player (old iOS and Android,
smart TVs, hls.js) plays TS, each segment is a self-contained file with no init segment
to sign and serve separately, and the segments plugin can slice playlists segment by
segment. fMP4 would only be needed for HEVC/AV1, and the pipeline always delivers H.264.

Every function writes one rendition per sub-directory of ``out_dir`` (``<name>/index.m3u8``
and ``<name>/seg_00000.ts``...), so a master playlist written in ``out_dir`` refers to
each rendition by :attr:`Rendition.playlist`.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import av

from .ffmpeg import (
    OWN_SEGMENT_FORMAT,
    MediaProcessingError,
    input_args,
    run_ffmpeg,
    timeout_for,
)
from .probe import SEGMENT_SECONDS, ProbeResult

PLAYLIST_NAME = "index.m3u8"
SEGMENT_PATTERN = "seg_%05d.ts"
DEFAULT_HEIGHTS = (360, 540, 720)
#: The ladder never exceeds this frame rate (120 fps phone slow-motion stays smooth at 60).
MAX_LADDER_FPS = 60.0
#: Peak bit rate (bits/s) per rung at up to 30 fps, by the rung's short side.
_MAXRATE_BY_SHORT_SIDE = ((360, 800_000), (540, 1_600_000), (720, 2_800_000), (1080, 5_000_000))
#: Phones tag takes with GPS location and device names; published streams carry none.
_NO_METADATA = ("-map_metadata", "-1")
_AAC_OBJECT_TYPES = {"LC": "mp4a.40.2", "HE-AAC": "mp4a.40.5", "HE-AACv2": "mp4a.40.29"}


class Segment(NamedTuple):
    """One media segment of a playlist: its EXTINF duration (s) and its URI."""

    duration: float
    uri: str


@dataclass(frozen=True)
class Rendition:
    """One variant stream as the master playlist announces it.

    ``bandwidth`` is the measured peak bit rate of the segments (bits/s, TS overhead
    included, as a player downloads them), ``average_bandwidth`` their overall average.
    ``playlist`` is relative to the directory the rendition was written in.
    """

    name: str
    width: int
    height: int
    bandwidth: int
    average_bandwidth: int
    codecs: str
    frame_rate: float
    playlist: str
    segments: tuple[Segment, ...]

    @property
    def duration(self) -> float:
        return sum(segment.duration for segment in self.segments)


@dataclass(frozen=True)
class Rung:
    """A ladder step: output size and encoder budget."""

    name: str
    width: int
    height: int
    maxrate: int
    audio_bitrate: int


def parse_media_playlist(path: Path) -> list[Segment]:
    """The segments of a media playlist, in order (tags other than EXTINF are ignored)."""
    segments: list[Segment] = []
    duration: float | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:") :].split(",", 1)[0])
        elif line and not line.startswith("#") and duration is not None:
            segments.append(Segment(duration, line))
            duration = None
    return segments


def playlist_has_segments(path: Path, n: int = 1) -> bool:
    """Whether the playlist at ``path`` lists at least ``n`` segments whose files exist.

    Safe to poll while ffmpeg writes: its ``temp_file`` flag renames finished files into
    place, so a listed segment is complete.
    """
    try:
        segments = parse_media_playlist(path)
    except (OSError, ValueError):
        return False
    return len(segments) >= n and all((path.parent / s.uri).is_file() for s in segments[:n])


def segments_aligned(a: Rendition, b: Rendition, *, tolerance: float = 0.05) -> bool:
    """Whether two renditions cut their segments at the same times (EXTINF running sums).

    Players switch variants at segment boundaries, so a rung may join a ladder only when
    its boundaries match; the very end may differ (audio and video end apart).
    """
    if len(a.segments) != len(b.segments):
        return False
    end_a = end_b = 0.0
    for seg_a, seg_b in zip(a.segments[:-1], b.segments[:-1], strict=True):
        end_a += seg_a.duration
        end_b += seg_b.duration
        if abs(end_a - end_b) > tolerance:
            return False
    return True


def even(value: float) -> int:
    """Nearest even integer, at least 2 (H.264 4:2:0 needs even sizes)."""
    return max(2, 2 * round(value / 2))


def rung_size(probe: ProbeResult, short_side: int) -> tuple[int, int]:
    """Display size for a rung whose short side is ``short_side`` (never above the source).

    The short side decides, so a portrait 1080x1920 take gets 360x640, 540x960, 720x1280.
    """
    source_short = min(probe.width, probe.height)
    short = max(2, min(short_side, source_short) // 2 * 2)
    long = even(max(probe.width, probe.height) * short / source_short)
    return (long, short) if probe.width >= probe.height else (short, long)


def ladder_rungs(probe: ProbeResult, heights: Sequence[int] = DEFAULT_HEIGHTS) -> list[Rung]:
    """Rungs at each of ``heights`` up to the source's short side; a source smaller than the
    lowest rung gets one rung at its own size."""
    source_short = min(probe.width, probe.height)
    wanted = sorted({h for h in heights if h <= source_short}) or [source_short]
    return [_rung(probe, short) for short in wanted]


def _rung(probe: ProbeResult, short_side: int) -> Rung:
    width, height = rung_size(probe, short_side)
    short = min(width, height)
    maxrate = next((rate for side, rate in _MAXRATE_BY_SHORT_SIDE if short <= side), 8_000_000)
    if _output_fps(probe) > 31:
        maxrate = maxrate * 3 // 2  # high frame rates need more bits, not twice as many
    return Rung(f"{short}p", width, height, maxrate, 96_000 if short <= 360 else 128_000)


def _output_fps(probe: ProbeResult) -> float:
    return min(probe.fps, MAX_LADDER_FPS)


def _hls_args(segment_dir: str, playlist: str, playlist_type: str, seconds: float) -> list[str]:
    return [
        "-f",
        "hls",
        "-hls_time",
        f"{seconds:g}",
        "-hls_playlist_type",
        playlist_type,
        "-hls_segment_type",
        "mpegts",
        "-hls_list_size",
        "0",
        # temp_file: a poller never sees a half-written segment or playlist.
        "-hls_flags",
        "independent_segments+temp_file",
        "-hls_segment_filename",
        f"{segment_dir}/{SEGMENT_PATTERN}",
        playlist,
    ]


def _gop_args(probe: ProbeResult, seconds: float) -> list[str]:
    """Closed 2 s GOPs on exact boundaries, so every rung cuts segments at the same frames."""
    gop = str(max(1, round(_output_fps(probe) * seconds)))
    return [
        "-g",
        gop,
        "-keyint_min",
        gop,
        "-sc_threshold",
        "0",
        "-force_key_frames",
        f"expr:gte(t,n_forced*{seconds:g})",
    ]


def _x264_args() -> list[str]:
    return ["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-crf", "23"]


def _audio_channels(probe: ProbeResult) -> str:
    return str(min(2, max(1, probe.audio_channels)))


def remux_to_hls(
    src: Path,
    out_dir: Path,
    probe: ProbeResult,
    *,
    segment_seconds: float = SEGMENT_SECONDS,
    name: str = "source",
    on_progress: Callable[[float], None] | None = None,
    on_playable: Callable[[], None] | None = None,
    playable_segments: int = 1,
    threads: int = 2,
) -> Rendition:
    """Copy an H.264/AAC source into an HLS rendition without re-encoding (seconds).

    A VOD playlist; with ``on_playable`` an EVENT playlist instead (ffmpeg ends it with
    ENDLIST), which players can start while the remux runs: ``on_playable`` is called as
    :func:`transcode_first_rendition` calls it, within a tenth of a second.

    Segments cut at the source's keyframes, so their boundaries match the ladder only
    when :attr:`ProbeResult.keyframe_interval_ok`. Requires ``probe.is_fast_publishable``.
    """
    if not probe.is_fast_publishable:
        raise ValueError("remux_to_hls needs an upright H.264 source with AAC or no audio")
    target = _prepare(out_dir, name)
    playlist = target / PLAYLIST_NAME
    playlist_type = "event" if on_playable is not None else "vod"
    args = [*input_args(src), *_stream_maps(probe), "-c", "copy", *_NO_METADATA]
    args += _hls_args(str(target), str(playlist), playlist_type, segment_seconds)
    notify = _PlayableNotifier(playlist, playable_segments, on_playable, on_progress)
    run_ffmpeg(
        args,
        timeout=timeout_for(probe.duration, factor=0.5),
        threads=threads,
        duration=probe.duration,
        on_progress=notify.progress,
        # A remux writes the first segments within milliseconds: look often.
        progress_period=0.1 if on_playable is not None else 0.5,
    )
    notify.check()
    return build_rendition(out_dir, name, probe.width, probe.height, probe.fps)


def transcode_first_rendition(
    src: Path,
    out_dir: Path,
    probe: ProbeResult,
    *,
    height: int = 360,
    segment_seconds: float = SEGMENT_SECONDS,
    name: str = "first",
    on_progress: Callable[[float], None] | None = None,
    on_playable: Callable[[], None] | None = None,
    playable_segments: int = 1,
    threads: int = 2,
) -> Rendition:
    """Encode one H.264 rendition (short side ``height`` or the source's if smaller) as an
    EVENT playlist, which players can start while ffmpeg is still encoding.

    ``on_playable`` is called once, on the calling thread, as soon as the playlist lists
    ``playable_segments`` finished segments (checked on every progress tick); callers can
    also poll :func:`playlist_has_segments`.
    """
    rung = _rung(probe, height)
    target = _prepare(out_dir, name)
    playlist = target / PLAYLIST_NAME
    args = [*input_args(src), *_stream_maps(probe)]
    args += ["-vf", _scale_filter(probe, rung), *_x264_args(), *_rate_args(rung, "v:0")]
    args += _gop_args(probe, segment_seconds) + _audio_args(probe, [rung])
    args += [*_NO_METADATA, *_hls_args(str(target), str(playlist), "event", segment_seconds)]
    notify = _PlayableNotifier(playlist, playable_segments, on_playable, on_progress)
    run_ffmpeg(
        args,
        timeout=timeout_for(probe.duration),
        threads=threads,
        duration=probe.duration,
        on_progress=notify.progress,
        progress_period=0.2,  # how soon the first segments are noticed
    )
    notify.check()
    return build_rendition(out_dir, name, rung.width, rung.height, _output_fps(probe))


class _PlayableNotifier:
    """Relays progress and fires ``on_playable`` once the first segments exist."""

    def __init__(
        self,
        playlist: Path,
        segments: int,
        on_playable: Callable[[], None] | None,
        on_progress: Callable[[float], None] | None,
    ) -> None:
        self._playlist = playlist
        self._segments = segments
        self._on_playable = on_playable
        self._on_progress = on_progress

    def progress(self, fraction: float) -> None:
        self.check()
        if self._on_progress is not None:
            self._on_progress(fraction)

    def check(self) -> None:
        if self._on_playable is not None and playlist_has_segments(self._playlist, self._segments):
            callback, self._on_playable = self._on_playable, None
            callback()


def encode_ladder(
    src: Path,
    out_dir: Path,
    probe: ProbeResult,
    *,
    heights: Sequence[int] = DEFAULT_HEIGHTS,
    segment_seconds: float = SEGMENT_SECONDS,
    on_progress: Callable[[float], None] | None = None,
    threads: int = 2,
) -> list[Rendition]:
    """Encode every rung of :func:`ladder_rungs` in one ffmpeg process (one decode, one
    split) into VOD renditions with identical 2 s segment boundaries, lowest first.

    ffmpeg rotates frames upright while decoding (autorotate), and MPEG-TS carries no
    rotation, so players never rotate a second time.
    """
    rungs = ladder_rungs(probe, heights)
    out_dir = _output_root(out_dir)
    for rung in rungs:
        _prepare(out_dir, rung.name)
    args = [*input_args(src), "-filter_complex", _ladder_filter(probe, rungs)]
    for index, rung in enumerate(rungs):
        args += ["-map", f"[v{index}]"]
        if probe.audio_stream_index is not None:
            args += ["-map", f"0:{probe.audio_stream_index}"]
        args += _rate_args(rung, f"v:{index}")
    args += [*_x264_args(), *_gop_args(probe, segment_seconds), *_audio_args(probe, rungs)]
    args += [*_NO_METADATA, "-var_stream_map", _var_stream_map(probe, rungs)]
    args += _hls_args(f"{out_dir}/%v", f"{out_dir}/%v/{PLAYLIST_NAME}", "vod", segment_seconds)
    run_ffmpeg(
        args,
        timeout=timeout_for(probe.duration),
        threads=threads,
        duration=probe.duration,
        on_progress=on_progress,
    )
    fps = _output_fps(probe)
    return [build_rendition(out_dir, r.name, r.width, r.height, fps) for r in rungs]


def _stream_maps(probe: ProbeResult) -> list[str]:
    """The main video stream and the first audio stream (data and subtitles are dropped)."""
    maps = ["-map", f"0:{probe.video_stream_index}"]
    if probe.audio_stream_index is not None:
        maps += ["-map", f"0:{probe.audio_stream_index}"]
    return maps


def _fps_filter(probe: ProbeResult) -> str:
    return f"fps={MAX_LADDER_FPS:g}," if probe.fps > MAX_LADDER_FPS + 0.01 else ""


def _scale(rung: Rung) -> str:
    # Exact even sizes computed from the display size; square pixels; 8-bit 4:2:0 for
    # H.264 High profile whatever the source's pixel format.
    return f"scale={rung.width}:{rung.height},setsar=1,format=yuv420p"


def _scale_filter(probe: ProbeResult, rung: Rung) -> str:
    return f"{_fps_filter(probe)}{_scale(rung)}"


def _ladder_filter(probe: ProbeResult, rungs: Sequence[Rung]) -> str:
    """Decode once, split, scale per rung: ``[v0]``, ``[v1]``... lowest first."""
    labels = "".join(f"[s{index}]" for index in range(len(rungs)))
    graph = [f"[0:{probe.video_stream_index}]{_fps_filter(probe)}split={len(rungs)}{labels}"]
    graph += [f"[s{index}]{_scale(rung)}[v{index}]" for index, rung in enumerate(rungs)]
    return ";".join(graph)


def _rate_args(rung: Rung, spec: str) -> list[str]:
    return [f"-maxrate:{spec}", str(rung.maxrate), f"-bufsize:{spec}", str(rung.maxrate * 2)]


def _audio_args(probe: ProbeResult, rungs: Sequence[Rung]) -> list[str]:
    if probe.audio_stream_index is None:
        return ["-an"]
    args = ["-c:a", "aac", "-ac", _audio_channels(probe)]
    for index, rung in enumerate(rungs):
        args += [f"-b:a:{index}", str(rung.audio_bitrate)]
    return args


def _var_stream_map(probe: ProbeResult, rungs: Sequence[Rung]) -> str:
    audio = probe.audio_stream_index is not None
    return " ".join(
        f"v:{i}{f',a:{i}' if audio else ''},name:{rung.name}" for i, rung in enumerate(rungs)
    )


def _output_root(out_dir: Path) -> Path:
    """Absolute ``out_dir``; ``%`` is refused because ffmpeg expands it in output names."""
    resolved = out_dir.resolve()
    if "%" in str(resolved):
        raise ValueError(f"output directory may not contain '%': {resolved}")
    return resolved


def _prepare(out_dir: Path, name: str) -> Path:
    """An empty rendition directory (a retried job must not mix in old segments)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise ValueError(f"invalid rendition name {name!r}")
    target = _output_root(out_dir) / name
    target.mkdir(parents=True, exist_ok=True)
    for stale in target.iterdir():
        if stale.is_file():
            stale.unlink()
    return target


def rendition_to_mp4(
    out_dir: Path,
    rendition: Rendition,
    dest: Path,
    *,
    first: int = 0,
    count: int | None = None,
    threads: int = 2,
) -> Path:
    """Segments ``first`` to ``first + count`` (default: to the end) of a rendition this
    library wrote in ``out_dir``, as one MP4 of their video (stream copy, no encode).

    For tools that read one file (the sprite, the poster): a rung with keyframes every 2 s
    is much cheaper to read than the source, whose decoder may have to decode every frame.
    """
    segments = rendition.segments[first : None if count is None else first + count]
    if not segments:
        raise ValueError(f"{rendition.name} has no segments from {first}")
    directory = out_dir / Path(rendition.playlist).parent
    joined = dest.with_name(f".{dest.stem}.joined.ts")
    try:
        with joined.open("wb") as target:  # MPEG-TS segments concatenate into one stream
            for segment in segments:
                with (directory / segment.uri).open("rb") as part:
                    shutil.copyfileobj(part, target, 1024 * 1024)
        args = [*input_args(joined, formats=OWN_SEGMENT_FORMAT), "-map", "0:v:0", "-c", "copy"]
        duration = sum(segment.duration for segment in segments)
        run_ffmpeg(
            [*args, *_NO_METADATA, "-f", "mp4", str(dest)],
            timeout=timeout_for(duration, factor=0.2),
            threads=threads,
        )
    finally:
        joined.unlink(missing_ok=True)
    return dest


def segment_at(rendition: Rendition, seconds: float) -> tuple[int, float]:
    """The index of the segment playing at ``seconds``, and that time inside it."""
    start = 0.0
    for index, segment in enumerate(rendition.segments):
        if seconds < start + segment.duration or index == len(rendition.segments) - 1:
            return index, max(0.0, seconds - start)
        start += segment.duration
    raise ValueError(f"{rendition.name} has no segments")


def build_rendition(
    out_dir: Path, name: str, width: int, height: int, frame_rate: float
) -> Rendition:
    """Describe the rendition written in ``out_dir/name`` from its playlist and segments."""
    playlist = out_dir / name / PLAYLIST_NAME
    segments = tuple(parse_media_playlist(playlist))
    if not segments:
        raise MediaProcessingError("media_ffmpeg_failed", f"No segments were written for {name}.")
    sizes = [(playlist.parent / segment.uri).stat().st_size for segment in segments]
    peak, average = measure_bandwidth(segments, sizes)
    return Rendition(
        name=name,
        width=width,
        height=height,
        bandwidth=peak,
        average_bandwidth=average,
        codecs=segment_codecs(playlist.parent / segments[0].uri),
        frame_rate=round(frame_rate, 3),
        playlist=f"{name}/{PLAYLIST_NAME}",
        segments=segments,
    )


def measure_bandwidth(segments: Sequence[Segment], sizes: Sequence[int]) -> tuple[int, int]:
    """Peak and average bit rate of segments (bits/s).

    The peak ignores segments shorter than half the longest one (the tail of a clip), whose
    keyframe in a fraction of a second would announce a rate no real segment reaches.
    """
    longest = max(segment.duration for segment in segments)
    rates = [
        size * 8 / segment.duration
        for segment, size in zip(segments, sizes, strict=True)
        if segment.duration >= longest / 2 and segment.duration > 0
    ]
    total = sum(segment.duration for segment in segments)
    average = sum(sizes) * 8 / total if total > 0 else 0.0
    return int(max(rates, default=average)), int(average)


def segment_codecs(segment: Path) -> str:
    """The RFC 6381 CODECS value of an MPEG-TS segment, from its real H.264 SPS and AAC
    profile (``avc1.64001f,mp4a.40.2``)."""
    with segment.open("rb") as handle:
        container = av.open(
            handle,
            format="mpegts",
            container_options={"format_whitelist": "mpegts", "protocol_whitelist": "none"},
        )
        try:
            codecs = [_avc1(container)]
            if container.streams.audio:
                profile = container.streams.audio[0].codec_context.profile
                codecs.append(_AAC_OBJECT_TYPES.get(profile or "LC", "mp4a.40.2"))
        finally:
            container.close()
    return ",".join(codecs)


def _avc1(container: Any) -> str:
    video = container.streams.video[0]
    for packet in container.demux(video):
        sps = find_sps(bytes(packet))
        if sps is not None:
            return "avc1." + sps.hex()
    raise MediaProcessingError("media_ffmpeg_failed", "The H.264 output has no SPS.")


def find_sps(data: bytes) -> bytes | None:
    """profile_idc, constraint flags and level_idc of the first SPS in Annex B ``data``."""
    start = data.find(b"\x00\x00\x01")
    while start != -1 and start + 6 < len(data):
        if data[start + 3] & 0x1F == 7:
            return data[start + 4 : start + 7]
        start = data.find(b"\x00\x00\x01", start + 3)
    return None


def write_master_playlist(renditions: Sequence[Rendition], path: Path) -> Path:
    """Write the master playlist at ``path`` (next to the rendition directories).

    Variants are listed lowest bandwidth first; the file is replaced atomically.
    """
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for rendition in sorted(renditions, key=lambda r: r.bandwidth):
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={rendition.bandwidth},"
            f"AVERAGE-BANDWIDTH={rendition.average_bandwidth},"
            f"RESOLUTION={rendition.width}x{rendition.height},"
            f'CODECS="{rendition.codecs}",FRAME-RATE={rendition.frame_rate:.3f}'
        )
        lines.append(rendition.playlist)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return path
