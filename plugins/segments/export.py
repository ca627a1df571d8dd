"""The ``segment_export`` job: a frame-accurate MP4 of a segment's range, for download.

Smart cut where the codecs allow it. When the clip's top rendition is one of the ladder's
own x264 encodes (every VP8/VP9/HEVC upload, and H.264 whose keyframes are off the 2 s
grid), it already holds most of the range as whole MPEG-TS segments that start on
keyframes: only the pieces before the first whole segment and after the last one are
encoded, from the original with the ladder's settings, and the rest is copied. Pieces
join in one H.264 track only with byte-identical SPS/PPS, which is checked; otherwise (the
top rendition is the remuxed original, no whole segment inside the range, the ladder not
finished) the range is re-encoded from the original, so an export never loses resolution
to being fast. Audio is encoded once for the whole range, so it has no seams.

ffmpeg runs through ``run_ffmpeg``/``input_args`` (format whitelist, timeout, nice); the
pieces are joined by remuxing packets with PyAV, which decodes nothing and opens only files
this job wrote or copied, each with its one demuxer whitelisted.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from huey_tasks.jobs import JobContext, JobFailed, register_job_handler
from huey_tasks.media.ffmpeg import MediaError, input_args, run_ffmpeg, timeout_for
from huey_tasks.media.hls import Rung, ladder_rungs
from huey_tasks.media.probe import MediaCaps, ProbeResult, probe
from plugins.clips import storage
from plugins.clips.models import PracticeClip

from .models import VideoSegment
from .playlists import PlaylistEntry, parse_playlist
from .services import EXPORT_JOB_KIND, segment_announce_export, segment_export_is_current

logger = logging.getLogger(__name__)

#: Mirrors the ladder's encoder settings (huey_tasks.media.hls): an encoded piece can join
#: copied ladder segments only with the same SPS/PPS, which is checked before joining.
LADDER_X264 = ("-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-crf", "23")
LADDER_MAX_FPS = 60.0
#: Settings of a full re-encode of the range.
EXPORT_X264 = ("-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p")
AUDIO_AAC = ("-c:a", "aac", "-b:a", "128k")
_TS_WHITELIST = {"format_whitelist": "mpegts", "protocol_whitelist": "none"}
_MP4_WHITELIST = {"format_whitelist": "mov,mp4,m4a,3gp,3g2,mj2", "protocol_whitelist": "none"}
_SPS, _PPS = 7, 8


def register() -> None:
    register_job_handler(EXPORT_JOB_KIND, segment_export)


class SmartCutUnavailable(Exception):
    """The range must be re-encoded whole (the reason is logged)."""


class ExportProgress:
    """The export's 0..100 on the segment and the job, announced at a sane rate."""

    def __init__(self, segment: VideoSegment, context: JobContext) -> None:
        self.segment = segment
        self.context = context
        self.last_sent = 0.0

    def set(self, percent: float, *, force: bool = False) -> None:
        value = max(self.segment.export_progress, min(99, int(percent)))
        now = time.monotonic()
        if value == self.segment.export_progress and not force:
            return
        if not force and now - self.last_sent < 0.5:
            return
        self.last_sent = now
        self.segment.export_progress = value
        with transaction.atomic():
            VideoSegment.objects.filter(
                pk=self.segment.pk, export_status=VideoSegment.ExportStatus.PENDING
            ).update(export_progress=value)
            segment_announce_export(self.segment)
        self.context.progress(value)

    def span(self, start: float, end: float) -> Callable[[float], None]:
        return lambda fraction: self.set(start + (end - start) * max(0.0, min(1.0, fraction)))


def segment_export(context: JobContext) -> None:
    segment = VideoSegment.objects.select_related("clip").filter(pk=context.target_id).first()
    if segment is None or segment_export_is_current(segment):
        return  # deleted meanwhile, or finished by an earlier attempt
    if segment.export_status != VideoSegment.ExportStatus.PENDING:
        return  # the range changed and the request was dropped
    work = Path(settings.PRACTIKA_MEDIA_WORK_DIR) / f"{context.job_id}-{context.attempt}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        output = _export(segment, context, work)
        _publish(segment, context, output)
    except MediaError as exc:
        raise JobFailed(exc.code, exc.message, getattr(exc, "stderr_tail", "")) from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _export(segment: VideoSegment, context: JobContext, work: Path) -> Path:
    clip = segment.clip
    progress = ExportProgress(segment, context)
    progress.set(1, force=True)
    with context.stage("fetch"):
        suffix = Path(clip.original_key).suffix.lower()[:10] or ".bin"
        source = storage.fetch_to_local(clip.original_key, work / f"original{suffix}")
    with context.stage("probe"):
        info = probe(source, MediaCaps.from_settings())
    progress.set(10, force=True)
    output = work / "export.mp4"
    start, end = segment.start, segment.end
    try:
        with context.stage("smart_cut"):
            plan = smart_cut_plan(clip, info, start, end, work / "ladder")
            smart_cut(source, info, plan, output, work, on_progress=progress.span(10, 90))
        return output
    except SmartCutUnavailable as reason:
        context.timings.pop("smart_cut", None)
        logger.info("Segment %s: full re-encode (%s).", segment.pk, reason)
    with context.stage("reencode"):
        reencode(source, info, start, end, output, on_progress=progress.span(10, 90))
    return output


def export_key(segment: VideoSegment) -> str:
    """One key per range: a retried job rewrites the same file, a new range gets its own
    (and its name is the download's file name)."""
    return f"{segment.storage_prefix}segment-{segment.start:.3f}-{segment.end:.3f}s.mp4"


def _publish(segment: VideoSegment, context: JobContext, output: Path) -> None:
    """Move the finished file into storage, then point the segment at it (or clean up)."""
    key = export_key(segment)
    with context.stage("store"):
        storage.store_local_file(output, key)
    with transaction.atomic():
        context.beat()  # still this worker's job
        current = VideoSegment.objects.select_for_update().filter(pk=segment.pk).first()
        if current is None or (current.start, current.end) != (segment.start, segment.end):
            # Deleted (its files were removed at commit, before this one was written).
            transaction.on_commit(_delete_later(key), robust=True)
            return
        previous = current.export_key
        current.export_status = VideoSegment.ExportStatus.READY
        current.export_progress = 100
        current.export_key = key
        current.export_start, current.export_end = current.start, current.end
        current.export_error_code = current.export_error_message = ""
        current.export_finished_at = timezone.now()
        current.save(
            update_fields=[
                "export_status",
                "export_progress",
                "export_key",
                "export_start",
                "export_end",
                "export_error_code",
                "export_error_message",
                "export_finished_at",
                "updated_at",
            ]
        )
        segment_announce_export(current)
        if previous and previous != key:
            transaction.on_commit(_delete_later(previous), robust=True)


def _delete_later(key: str) -> Callable[[], None]:
    return lambda: storage.delete_keys([key])


# --- full re-encode -------------------------------------------------------------------------
def reencode(
    source: Path,
    info: ProbeResult,
    start: float,
    end: float,
    output: Path,
    *,
    on_progress: Callable[[float], None] | None = None,
) -> None:
    """``[start, end)`` of ``source`` as H.264/AAC MP4, exact to the frame.

    ``-ss`` before the input seeks to the keyframe before ``start`` and decodes, dropping
    frames before ``start``; ``-t`` stops before ``end``.
    """
    duration = end - start
    args = ["-ss", f"{start:.6f}", *input_args(source), "-t", f"{duration:.6f}"]
    args += ["-map", f"0:{info.video_stream_index}"]
    if info.audio_stream_index is not None:
        args += ["-map", f"0:{info.audio_stream_index}", *AUDIO_AAC]
    args += [*_fps_filter(info, "-vf"), *EXPORT_X264, "-map_metadata", "-1"]
    args += ["-movflags", "+faststart", "-f", "mp4", str(output)]
    run_ffmpeg(
        args,
        timeout=timeout_for(duration),
        threads=settings.PRACTIKA_FFMPEG_THREADS,
        duration=duration,
        on_progress=on_progress,
    )


def _fps_filter(info: ProbeResult, option: str) -> list[str]:
    return [option, f"fps={LADDER_MAX_FPS:g}"] if info.fps > LADDER_MAX_FPS + 0.01 else []


# --- smart cut ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SmartCutPlan:
    """Encode ``[start, copied[0].start)`` and ``[copied[-1].end, end)``; copy ``copied``."""

    start: float
    end: float
    rung: Rung
    frame_rate: float
    copied: tuple[Path, ...]
    copied_start: float
    copied_end: float


def smart_cut_plan(
    clip: PracticeClip, info: ProbeResult, start: float, end: float, into: Path
) -> SmartCutPlan:
    """The whole top-rung segments inside the range, fetched into ``into``."""
    if clip.status != PracticeClip.Status.READY or not clip.renditions:
        raise SmartCutUnavailable("the ladder is not finished")
    top = max(clip.renditions, key=lambda r: (int(r["height"]), int(r["bandwidth"])))
    size = (int(top["width"]), int(top["height"]))
    rung = next((r for r in ladder_rungs(info) if (r.width, r.height) == size), None)
    if rung is None:
        raise SmartCutUnavailable(f"the top rendition {top['name']} is no ladder rung")
    playlist_key = clip.hls_prefix + top["playlist"]
    with default_storage.open(playlist_key, "rb") as handle:
        playlist = parse_playlist(handle.read().decode())
    inside = [e for e in playlist.entries if e.start >= start - 1e-3 and e.end <= end + 1e-3]
    if not inside:
        raise SmartCutUnavailable("no whole segment lies inside the range")
    into.mkdir(parents=True, exist_ok=True)
    directory = playlist_key.rsplit("/", 1)[0]
    copied = tuple(_fetch_entry(directory, entry, into) for entry in inside)
    return SmartCutPlan(
        start=start,
        end=end,
        rung=rung,
        frame_rate=float(top.get("frame_rate") or min(info.fps, LADDER_MAX_FPS)),
        copied=copied,
        copied_start=inside[0].start,
        copied_end=inside[-1].end,
    )


def _fetch_entry(directory: str, entry: PlaylistEntry, into: Path) -> Path:
    name = entry.uri.rsplit("/", 1)[-1]
    if "/" in entry.uri or not name.endswith(".ts"):
        raise SmartCutUnavailable(f"unexpected segment URI {entry.uri!r}")
    return storage.fetch_to_local(f"{directory}/{name}", into / name)


def smart_cut(
    source: Path,
    info: ProbeResult,
    plan: SmartCutPlan,
    output: Path,
    work: Path,
    *,
    on_progress: Callable[[float], None] | None = None,
) -> None:
    # Half a frame of slack: piece boundaries come from EXTINF sums and must neither
    # repeat nor drop the frame on a boundary.
    half_frame = 0.5 / plan.frame_rate
    pieces: list[Path] = []
    head = plan.copied_start - plan.start
    if head > half_frame:
        pieces.append(
            _encode_piece(source, info, plan, plan.start, head - half_frame, work / "head.ts")
        )
        _assert_joinable(pieces[0], plan.copied[0])  # before encoding anything else
    pieces += plan.copied
    tail = plan.end - plan.copied_end
    if tail > half_frame:
        tail_start = plan.copied_end - half_frame
        length = plan.end - tail_start
        pieces.append(_encode_piece(source, info, plan, tail_start, length, work / "tail.ts"))
        _assert_joinable(pieces[-1], plan.copied[0])
    if on_progress:
        on_progress(0.6)
    audio = None
    if info.audio_stream_index is not None:
        audio = _encode_audio(source, info, plan.start, plan.end, work / "audio.m4a")
    if on_progress:
        on_progress(0.8)
    try:
        join_pieces(pieces, audio, output, frame_rate=plan.frame_rate)
    except av.FFmpegError as exc:  # e.g. timestamps the MP4 muxer refuses
        raise SmartCutUnavailable(f"the pieces could not be joined ({exc})") from exc


def _encode_piece(
    source: Path, info: ProbeResult, plan: SmartCutPlan, start: float, length: float, out: Path
) -> Path:
    """``length`` s from ``start`` as the ladder would have encoded them, in MPEG-TS."""
    rung = plan.rung
    gop = str(max(1, round(min(info.fps, LADDER_MAX_FPS) * 2)))
    fps = f"fps={LADDER_MAX_FPS:g}," if info.fps > LADDER_MAX_FPS + 0.01 else ""
    args = ["-ss", f"{start:.6f}", *input_args(source), "-t", f"{length:.6f}"]
    args += ["-map", f"0:{info.video_stream_index}", "-an"]
    args += ["-vf", f"{fps}scale={rung.width}:{rung.height},setsar=1,format=yuv420p"]
    args += [*LADDER_X264, "-maxrate:v:0", str(rung.maxrate), "-bufsize:v:0", str(rung.maxrate * 2)]
    args += ["-g", gop, "-keyint_min", gop, "-sc_threshold", "0", "-map_metadata", "-1"]
    args += ["-f", "mpegts", str(out)]
    run_ffmpeg(args, timeout=timeout_for(length), threads=settings.PRACTIKA_FFMPEG_THREADS)
    return out


def _encode_audio(source: Path, info: ProbeResult, start: float, end: float, out: Path) -> Path:
    args = ["-ss", f"{start:.6f}", *input_args(source), "-t", f"{end - start:.6f}"]
    args += ["-map", f"0:{info.audio_stream_index}", "-vn", *AUDIO_AAC, "-f", "mp4", str(out)]
    run_ffmpeg(args, timeout=timeout_for(end - start), threads=settings.PRACTIKA_FFMPEG_THREADS)
    return out


@contextmanager
def _open(path: Path, options: dict[str, str], container_format: str | None) -> Iterator[Any]:
    with path.open("rb") as handle:
        container = av.open(handle, format=container_format, container_options=options)
        try:
            yield container
        finally:
            container.close()


def _ts(path: Path) -> Any:
    return _open(path, _TS_WHITELIST, "mpegts")


def parameter_sets(path: Path) -> tuple[bytes, ...]:
    """The SPS and PPS NAL units in the first keyframe of an MPEG-TS file's H.264 stream."""
    with _ts(path) as container:
        for packet in container.demux(container.streams.video[0]):
            if packet.is_keyframe and packet.size:
                return tuple(
                    nal
                    for nal in _nal_units(bytes(packet))
                    if nal and nal[0] & 0x1F in (_SPS, _PPS)
                )
    return ()


def _nal_units(data: bytes) -> list[bytes]:
    units, index = [], data.find(b"\x00\x00\x01")
    while index != -1:
        following = data.find(b"\x00\x00\x01", index + 3)
        units.append(data[index + 3 : following if following != -1 else len(data)].rstrip(b"\x00"))
        index = following
    return units


def _assert_joinable(encoded: Path, copied: Path) -> None:
    """One H.264 track takes one SPS/PPS: an encoded piece must have the copied ones'."""
    ours, theirs = parameter_sets(encoded), parameter_sets(copied)
    if not ours or ours != theirs:
        # The top rendition is not the ladder's own encode (a remuxed original), or the
        # ladder's settings changed.
        raise SmartCutUnavailable("the encoded piece's SPS/PPS differ from the copied ones")


def join_pieces(
    pieces: Sequence[Path], audio: Path | None, output: Path, *, frame_rate: float
) -> None:
    """One MP4 from the H.264 pieces (MPEG-TS, played back to back) and the audio track.

    Each piece's timestamps are shifted to follow the previous piece's last frame; nothing
    is decoded.
    """
    with _ts(pieces[0]) as first:
        video_template = first.streams.video[0]
        target = av.open(str(output), "w", format="mp4", options={"movflags": "+faststart"})
        try:
            video = target.add_stream_from_template(video_template)
            video.time_base = video_template.time_base
            if audio is None:
                _copy_video(pieces, video, target, frame_rate)
            else:
                with _open(audio, _MP4_WHITELIST, None) as audio_input:
                    audio_out = target.add_stream_from_template(audio_input.streams.audio[0])
                    _copy_video(pieces, video, target, frame_rate)
                    for packet in audio_input.demux(audio_input.streams.audio[0]):
                        if packet.dts is None:
                            continue
                        packet.stream = audio_out
                        target.mux(packet)
        finally:
            target.close()


def _copy_video(pieces: Sequence[Path], video: Any, target: Any, frame_rate: float) -> None:
    cursor = 0  # where the next piece starts, in the video time base
    for piece in pieces:
        with _ts(piece) as container:
            stream = container.streams.video[0]
            frame = max(1, round(1 / (frame_rate * stream.time_base)))
            packets = [p for p in container.demux(stream) if p.dts is not None and p.size]
            if not packets:
                continue
            first = min(p.pts for p in packets)
            shift = cursor - first
            for packet in packets:
                packet.pts += shift
                packet.dts += shift
                packet.stream = video
                target.mux(packet)
            cursor = max(p.pts for p in packets) + frame
