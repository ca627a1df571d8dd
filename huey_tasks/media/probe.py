"""Safe probing of an uploaded video with PyAV (no ffprobe needed).

The file is checked in three independent layers before anything it says is trusted:

1. its first bytes must look like ISO BMFF (mp4/mov/m4a/3gp) or EBML (Matroska/WebM), which
   turns playlists, concat lists, images, text, HTML/SVG and random bytes away with a
   message naming what the file looks like;
2. libavformat opens it from a Python file object (so the name never selects a protocol
   or demuxer) with the same demuxer whitelist as every ffmpeg run and a protocol whitelist
   that allows nothing, so no demuxer can open a second file;
3. the detected demuxer must be mov or matroska.

Only then are the streams measured against :class:`MediaCaps`.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import statistics
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from .ffmpeg import INPUT_FORMAT_WHITELIST, MediaRejected, local_input_path

#: Demuxer names libavformat reports, mapped to the short container family we store.
CONTAINERS = {"mov,mp4,m4a,3gp,3g2,mj2": "mov", "matroska,webm": "matroska"}
#: Segment length of the HLS ladder, which source keyframes must match to be reused.
SEGMENT_SECONDS = 2.0
#: A keyframe this close after a segment boundary still cuts a segment at the same frame.
KEYFRAME_TOLERANCE = 0.05
_SNIFF_BYTES = 4096
_ISO_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid"}
_IMAGE_BRANDS = {b"heic", b"heix", b"hevc", b"mif1", b"msf1", b"avif", b"avis"}
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")


@dataclass(frozen=True)
class MediaCaps:
    """Limits an upload must respect; ``width``/``height`` are the long/short side limits."""

    max_width: int = 3840
    max_height: int = 2160
    max_fps: float = 120.0
    max_duration: float = 3600.0
    max_streams: int = 8

    @classmethod
    def from_settings(cls) -> MediaCaps:
        """Caps from ``settings.PRACTIKA_MEDIA_CAPS`` (a dict of field overrides), if any."""
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        try:
            overrides: Mapping[str, Any] = getattr(settings, "PRACTIKA_MEDIA_CAPS", None) or {}
        except ImproperlyConfigured:  # used outside a configured Django project
            overrides = {}
        return cls.from_mapping(overrides)

    @classmethod
    def from_mapping(cls, overrides: Mapping[str, Any]) -> MediaCaps:
        """Caps with ``overrides`` applied; unknown keys are a configuration error."""
        unknown = set(overrides) - {field.name for field in fields(cls)}
        if unknown:
            raise ValueError(f"Unknown media caps: {', '.join(sorted(unknown))}")
        defaults = cls()
        return cls(
            max_width=int(overrides.get("max_width", defaults.max_width)),
            max_height=int(overrides.get("max_height", defaults.max_height)),
            max_fps=float(overrides.get("max_fps", defaults.max_fps)),
            max_duration=float(overrides.get("max_duration", defaults.max_duration)),
            max_streams=int(overrides.get("max_streams", defaults.max_streams)),
        )


@dataclass(frozen=True)
class ProbeResult:
    """What the pipeline needs to know about an accepted upload.

    ``width``/``height`` are the display size (rotation and sample aspect ratio applied);
    ``coded_width``/``coded_height`` are the stored frame size. ``rotation`` is the
    clockwise rotation a player applies (0, 90, 180 or 270), as phones' ``rotate`` tag.
    ``keyframe_times`` are the video keyframes' presentation times from the first frame.
    """

    container: str
    format_name: str
    duration: float
    width: int
    height: int
    coded_width: int
    coded_height: int
    rotation: int
    fps: float
    video_codec: str
    video_profile: str | None
    pix_fmt: str | None
    video_bit_rate: int | None
    video_stream_index: int
    audio_codec: str | None
    audio_profile: str | None
    audio_channels: int
    audio_stream_index: int | None
    stream_count: int
    keyframe_times: tuple[float, ...]

    @property
    def has_audio(self) -> bool:
        return self.audio_stream_index is not None

    @property
    def keyframe_interval_ok(self) -> bool:
        """Whether the source's keyframes fall on the ladder's 2 s segment boundaries."""
        return keyframes_on_boundaries(self.keyframe_times, self.duration)

    @property
    def is_fast_publishable(self) -> bool:
        """Whether ``-c copy`` into HLS/MPEG-TS gives a stream every player can show upright.

        H.264 8-bit 4:2:0 with AAC or no audio; MPEG-TS cannot carry a rotation, so a
        rotated source must be transcoded (which applies the rotation to the pixels).
        """
        return (
            self.video_codec == "h264"
            and self.pix_fmt in ("yuv420p", "yuvj420p")
            and self.audio_codec in (None, "aac")
            and self.container in CONTAINERS.values()
            and self.rotation == 0
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (keyframe times summarised) for storing on a job."""
        data = asdict(self)
        data["keyframe_count"] = len(data.pop("keyframe_times"))
        data.update(
            has_audio=self.has_audio,
            keyframe_interval_ok=self.keyframe_interval_ok,
            is_fast_publishable=self.is_fast_publishable,
        )
        return data


def sniff_rejection(head: bytes) -> str | None:
    """Why ``head`` (a file's first bytes) cannot be an mp4/mov/Matroska file, or ``None``."""
    if not head:
        return "The file is empty."
    if head[4:8] in _ISO_BOXES:
        if head[4:8] == b"ftyp" and head[8:12] in _IMAGE_BRANDS:
            return "The file is an image (HEIF/AVIF), not a video."
        return None
    if head.startswith(_EBML_MAGIC):
        return None
    return f"The file looks like {_describe(head)}, not a video."


def _describe(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    lowered = text[:256].lower()
    if text.startswith(b"#EXTM3U"):
        return "an HLS playlist"
    if text.startswith(b"ffconcat") or lowered.startswith(b"file "):
        return "an ffmpeg concat list"
    if head.startswith(_IMAGE_MAGIC) or head[8:12] == b"WEBP":
        return "an image"
    if b"<svg" in lowered:
        return "an SVG image"
    if text.startswith(b"<"):
        return "an HTML or XML document"
    if _is_text(head):
        return "a text file"
    return "an unknown binary format"


def _is_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # A multibyte character cut at the sniff boundary is still text.
        with contextlib.suppress(UnicodeDecodeError):
            head[:-3].decode("utf-8")
            return True
        return False
    return True


@contextlib.contextmanager
def open_input(path: Path | str) -> Iterator[Any]:
    """Open ``path`` with PyAV behind the three safety layers; raises :class:`MediaRejected`."""
    local = local_input_path(path)
    with local.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
        if not head:
            raise MediaRejected("media_unreadable", "The file is empty.")
        reason = sniff_rejection(head)
        if reason:
            raise MediaRejected("media_unsupported_container", reason)
        handle.seek(0)
        try:
            container = av.open(
                handle,
                # No protocol is called "none": the file itself is read through ``handle``,
                # and any second file a demuxer tried to open would fail.
                container_options={
                    "format_whitelist": INPUT_FORMAT_WHITELIST,
                    "protocol_whitelist": "none",
                },
                metadata_errors="replace",  # a badly encoded tag must not fail the probe
            )
        except av.FFmpegError as exc:
            raise MediaRejected(
                "media_unreadable", f"The file cannot be read as a video ({exc.strerror})."
            ) from exc
        try:
            if container.format.name not in CONTAINERS:
                raise MediaRejected(
                    "media_unsupported_container",
                    f"Container {container.format.name!r} is not accepted.",
                )
            yield container
        finally:
            container.close()


@dataclass
class _Scan:
    """Video packets seen: keyframe times, sizes and the span they cover (seconds)."""

    keyframes: list[float]
    first: float | None = None
    end: float = 0.0
    size: int = 0
    count: int = 0


def _main_video_stream(container: Any) -> Any:
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    raise MediaRejected("media_no_video", "The file has no video stream.")


def _first_audio_stream(container: Any) -> Any:
    return container.streams.audio[0] if container.streams.audio else None


def _seconds(value: int | None, time_base: Fraction | None) -> float | None:
    if value is None or time_base is None:
        return None
    return float(value * time_base)


def _scan_packets(container: Any, stream: Any) -> tuple[_Scan, Any]:
    """Demux the video stream (no decoding except the first frame) to find its keyframes."""
    scan = _Scan(keyframes=[])
    first_frame = None
    use_index = _index_is_complete(container, stream)
    try:
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            if first_frame is None:
                first_frame = _decode_first(stream, packet)
            elif use_index:
                break
            _add_packet(scan, packet, stream.time_base)
        if first_frame is None:
            first_frame = next(iter(stream.codec_context.decode(None)), None)
    except av.FFmpegError as exc:
        raise MediaRejected("media_unreadable", f"The video cannot be decoded ({exc}).") from exc
    if first_frame is None:
        raise MediaRejected("media_unreadable", "The video stream has no decodable frame.")
    if use_index:
        scan = _scan_index(stream)
    return scan, first_frame


def _decode_first(stream: Any, packet: Any) -> Any:
    frames = stream.codec_context.decode(packet)
    return frames[0] if frames else None


def _add_packet(scan: _Scan, packet: Any, time_base: Fraction) -> None:
    start = _seconds(packet.pts if packet.pts is not None else packet.dts, time_base)
    if start is None:
        return
    if scan.first is None:
        scan.first = start
    scan.end = max(scan.end, start + (_seconds(packet.duration, time_base) or 0.0))
    scan.size += packet.size
    scan.count += 1
    if packet.is_keyframe:
        scan.keyframes.append(start)


def _index_is_complete(container: Any, stream: Any) -> bool:
    """Whether the mov sample table lists every sample (not a fragmented mp4).

    Then keyframes and sizes come from the index, without reading the media data.
    """
    if CONTAINERS[container.format.name] != "mov" or stream.duration is None:
        return False
    entries = stream.index_entries
    if not entries:
        return False
    # A fragmented mp4 indexes only the fragments read so far: its index stops short.
    span = entries[len(entries) - 1].timestamp - entries[0].timestamp
    return bool(span >= stream.duration * 0.9)


def _scan_index(stream: Any) -> _Scan:
    """Keyframes from the mov index. Index times are decode times; shifting them so the
    first keyframe sits at the stream start gives presentation times, because an IDR frame's
    reorder delay is the same throughout a stream."""
    entries = stream.index_entries
    offset = (stream.start_time or 0) - entries[0].timestamp
    scan = _Scan(keyframes=[])
    for entry in entries:
        start = float((entry.timestamp + offset) * stream.time_base)
        if scan.first is None:
            scan.first = start
        scan.size += entry.size
        scan.count += 1
        if entry.is_keyframe:
            scan.keyframes.append(start)
    scan.end = float(((stream.start_time or 0) + stream.duration) * stream.time_base)
    return scan


def _truncated_in_index(container: Any, file_size: int) -> bool:
    """A mov file whose sample table points past its end was cut short."""
    for stream in container.streams:
        entries = stream.index_entries
        if entries and any(entry.pos + entry.size > file_size for entry in entries):
            return True
    return False


def _rotation(frame: Any, stream: Any) -> int:
    """Clockwise display rotation, snapped to a multiple of 90 degrees."""
    counter_clockwise = frame.rotation
    if not counter_clockwise:
        tag = stream.metadata.get("rotate")
        counter_clockwise = -float(tag) if tag else 0
    return round(-float(counter_clockwise) / 90.0) * 90 % 360


def _display_size(stream: Any, rotation: int) -> tuple[int, int]:
    width, height = stream.codec_context.width, stream.codec_context.height
    sar = stream.sample_aspect_ratio
    if sar and sar > 0 and sar != 1:
        width = max(2, round(width * float(sar)))
    return (height, width) if rotation in (90, 270) else (width, height)


def _fps(stream: Any, scan: _Scan, duration: float) -> float:
    if stream.average_rate and 0 < stream.average_rate < 10_000:
        return float(stream.average_rate)
    # Without an average (a browser's variable-rate MediaRecorder WebM), the guessed rate is
    # only the timestamps' tick, 1000/s in Matroska: the frames counted are the truth.
    if scan.count > 1 and duration > 0:
        return scan.count / duration
    if stream.guessed_rate and 0 < stream.guessed_rate < 10_000:
        return float(stream.guessed_rate)
    raise MediaRejected("media_unreadable", "The video frame rate cannot be determined.")


def _duration(container: Any, stream: Any, scan: _Scan) -> float:
    """Container duration, else the stream's, else the span of the demuxed packets
    (browser MediaRecorder WebM files carry no duration)."""
    if container.duration and container.duration > 0:
        return float(container.duration) / 1_000_000
    stream_duration = _seconds(stream.duration, stream.time_base)
    if stream_duration and stream_duration > 0:
        return stream_duration
    if scan.first is not None and scan.end > scan.first:
        return scan.end - scan.first
    raise MediaRejected("media_no_duration", "The video has no duration.")


def _check_caps(result: ProbeResult, caps: MediaCaps) -> None:
    long_side = max(result.coded_width, result.coded_height)
    short_side = min(result.coded_width, result.coded_height)
    if long_side > caps.max_width or short_side > caps.max_height:
        raise MediaRejected(
            "media_dimensions_too_large",
            f"The video is {result.coded_width}x{result.coded_height}; "
            f"the limit is {caps.max_width}x{caps.max_height}.",
        )
    if result.fps > caps.max_fps + 0.01:
        raise MediaRejected(
            "media_fps_too_high",
            f"The video has {result.fps:.2f} frames per second; the limit is {caps.max_fps:g}.",
        )
    if result.duration > caps.max_duration:
        raise MediaRejected(
            "media_too_long",
            f"The video lasts {result.duration:.0f} s; the limit is {caps.max_duration:.0f} s.",
        )


def _expected_video_duration(container: Any, stream: Any, duration: float) -> float:
    """How long the video stream claims to be: its own duration (mov) or DURATION tag
    (Matroska), else the container's."""
    own = _seconds(stream.duration, stream.time_base)
    if own and own > 0:
        return own
    match = re.fullmatch(r"(\d+):(\d+):(\d+(?:\.\d+)?)", stream.metadata.get("DURATION", ""))
    if match:
        hours, minutes, seconds = match.groups()
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    return duration


def _check_truncated(
    container: Any, stream: Any, scan: _Scan, duration: float, file_size: int
) -> None:
    """Reject a file whose packets stop well before its header says the video ends."""
    expected = _expected_video_duration(container, stream, duration)
    missing = expected - (scan.end - (scan.first or 0.0))
    if _truncated_in_index(container, file_size) or missing > max(1.0, expected * 0.05):
        raise MediaRejected(
            "media_truncated", "The file is incomplete (the upload was probably cut short)."
        )


def probe(path: Path, caps: MediaCaps) -> ProbeResult:
    """Inspect ``path`` safely and check it against ``caps``.

    Raises :class:`MediaRejected` with a specific code for anything we do not accept.
    """
    with open_input(path) as container:
        if len(container.streams) > caps.max_streams:
            raise MediaRejected(
                "media_too_many_streams",
                f"The file has {len(container.streams)} streams; "
                f"the limit is {caps.max_streams}.",
            )
        video = _main_video_stream(container)
        audio = _first_audio_stream(container)
        _check_coded_size(video, caps)
        scan, first_frame = _scan_packets(container, video)
        duration = _duration(container, video, scan)
        if duration <= 0:
            raise MediaRejected("media_no_duration", "The video has no duration.")
        _check_truncated(container, video, scan, duration, local_input_path(path).stat().st_size)
        result = _result(container, video, audio, scan, first_frame, duration)
    _check_caps(result, caps)
    return result


def _check_coded_size(video: Any, caps: MediaCaps) -> None:
    """Refuse absurd sizes before decoding a frame (a decoder would allocate for them)."""
    width, height = video.codec_context.width, video.codec_context.height
    if not width or not height:
        raise MediaRejected("media_unreadable", "The video has no frame size.")
    if max(width, height) > caps.max_width or min(width, height) > caps.max_height:
        raise MediaRejected(
            "media_dimensions_too_large",
            f"The video is {width}x{height}; the limit is {caps.max_width}x{caps.max_height}.",
        )


def _result(
    container: Any, video: Any, audio: Any, scan: _Scan, frame: Any, duration: float
) -> ProbeResult:
    rotation = _rotation(frame, video)
    width, height = _display_size(video, rotation)
    first = scan.first or 0.0
    return ProbeResult(
        container=CONTAINERS[container.format.name],
        format_name=container.format.name,
        duration=duration,
        width=width,
        height=height,
        coded_width=video.codec_context.width,
        coded_height=video.codec_context.height,
        rotation=rotation,
        fps=round(_fps(video, scan, duration), 3),
        video_codec=video.codec_context.name,
        video_profile=video.codec_context.profile,
        pix_fmt=video.codec_context.pix_fmt,
        video_bit_rate=_bit_rate(video, scan, duration),
        video_stream_index=video.index,
        audio_codec=audio.codec_context.name if audio is not None else None,
        audio_profile=audio.codec_context.profile if audio is not None else None,
        audio_channels=audio.codec_context.channels if audio is not None else 0,
        audio_stream_index=audio.index if audio is not None else None,
        stream_count=len(container.streams),
        keyframe_times=tuple(round(time - first, 6) for time in scan.keyframes),
    )


def _bit_rate(video: Any, scan: _Scan, duration: float) -> int | None:
    if scan.size and duration > 0:
        return int(scan.size * 8 / duration)
    return video.bit_rate or None


def keyframes_on_boundaries(
    times: tuple[float, ...] | list[float],
    duration: float,
    segment_seconds: float = SEGMENT_SECONDS,
    tolerance: float = KEYFRAME_TOLERANCE,
) -> bool:
    """Whether a keyframe starts every ``segment_seconds`` boundary inside ``duration``.

    The HLS muxer cuts at the first keyframe at or after each boundary, and the ladder
    forces one there, so a source matches the ladder when each boundary has a keyframe
    within ``tolerance`` after it. Extra keyframes between boundaries do no harm.
    """
    if not times or times[0] > tolerance:
        return False
    ordered = sorted(times)
    boundary = segment_seconds
    index = 0
    while boundary < duration - tolerance:
        while index < len(ordered) and ordered[index] < boundary - 1e-3:
            index += 1
        if index == len(ordered) or ordered[index] > boundary + tolerance:
            return False
        boundary += segment_seconds
    return True


def keyframes_aligned(
    path: Path,
    segment_seconds: float = SEGMENT_SECONDS,
    tolerance: float = KEYFRAME_TOLERANCE,
) -> bool:
    """Whether ``path``'s video keyframes fall on ``segment_seconds`` boundaries (demux only)."""
    with open_input(path) as container:
        video = _main_video_stream(container)
        scan, _ = _scan_packets(container, video)
        duration = _duration(container, video, scan)
    first = scan.first or 0.0
    times = [time - first for time in scan.keyframes]
    return keyframes_on_boundaries(times, duration, segment_seconds, tolerance)


def median_keyframe_interval(probe_result: ProbeResult) -> float:
    """Typical distance between keyframes (the duration if there is only one)."""
    times = probe_result.keyframe_times
    if len(times) < 2:
        return probe_result.duration
    return statistics.median(b - a for a, b in itertools.pairwise(times))
