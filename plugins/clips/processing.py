"""The clip side of the media pipeline: the ``clip_process`` job handler.

Stages: fetch the original (on local disk ffmpeg reads the stored file in place), probe it,
publish a first playable rendition fast (remux for H.264/AAC, else the ladder's lowest rung
transcoded; either as an EVENT playlist stored while it grows), encode the rest of the
ladder (the first rendition stands in for its own rung where it can), make poster, sprite
and waveform, then switch the clip to ``ready``. Each attempt
writes under its own prefix and the clip points at it only when a stage is complete, so a
retried job never mixes halves of two attempts; older attempts are removed at the end.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from huey_tasks.jobs import JobContext, JobFailed, job_enqueue, register_job_handler
from huey_tasks.media.extras import make_poster, make_sprite, make_waveform
from huey_tasks.media.ffmpeg import MediaProcessingError, MediaRejected
from huey_tasks.media.hls import (
    MAX_LADDER_FPS,
    Rendition,
    Rung,
    build_rendition,
    encode_ladder,
    ladder_rungs,
    parse_media_playlist,
    remux_to_hls,
    rendition_to_mp4,
    rung_size,
    segment_at,
    segments_aligned,
    transcode_first_rendition,
)
from huey_tasks.media.probe import MediaCaps, ProbeResult, probe
from huey_tasks.models import MediaJob

from . import storage
from .models import PracticeClip
from .references import reference_original_import
from .services import PROCESS_JOB_KIND, clip_announce
from .signals import clip_failed, clip_ready

logger = logging.getLogger(__name__)

__all__ = [
    "PROCESS_JOB_KIND",
    "SOURCE_CLEANUP_JOB_KIND",
    "clip_job_finished",
    "clip_process",
    "clip_source_cleanup",
    "register",
]

SOURCE = "source"  # the first rendition: the remuxed original or the first transcoded rung
PLAYLIST = "index.m3u8"
FIRST_RUNG_SHORT_SIDE = 360  # a transcoded first rendition is the ladder's lowest rung
PLAYABLE_SEGMENTS = 2  # playable once this many segments (4 s) are stored
#: A remux may stand in for the top rung up to this multiple of the rung's peak bit rate.
REUSE_MAX_BITRATE_FACTOR = 4
SOURCE_CLEANUP_JOB_KIND = "clip_source_cleanup"
#: After the media URL lifetime, a little longer: a URL signed just before ready expires.
SOURCE_CLEANUP_MARGIN_SECONDS = 60


def register() -> None:
    register_job_handler(PROCESS_JOB_KIND, clip_process)
    register_job_handler(SOURCE_CLEANUP_JOB_KIND, clip_source_cleanup)


class ClipProgress:
    """Maps a stage's 0..1 onto the clip's 0..100 and publishes at a sane rate."""

    def __init__(self, clip: PracticeClip, context: JobContext) -> None:
        self.clip = clip
        self.context = context
        self.last_sent = 0.0

    def set(self, percent: float, *, force: bool = False) -> None:
        value = max(self.clip.progress, min(99, int(percent)))
        now = time.monotonic()
        if value == self.clip.progress and not force:
            return
        if not force and now - self.last_sent < 0.5:
            return
        self.last_sent = now
        _save(self.clip, progress=value)
        self.context.progress(value)
        clip_announce(self.clip, "clip.progress")

    def span(self, start: float, end: float) -> Callable[[float], None]:
        return lambda fraction: self.set(start + (end - start) * max(0.0, min(1.0, fraction)))


class ClipGone(JobFailed):
    """The clip was deleted while its job ran: stop, and remove what this attempt wrote."""

    def __init__(self) -> None:
        super().__init__("clip_missing", "The clip was deleted while it was processed.")


def _save(clip: PracticeClip, **fields: Any) -> None:
    """Write ``fields`` (and only them); ClipGone if the clip was deleted meanwhile."""
    for name, value in fields.items():
        setattr(clip, name, value)
    clip.updated_at = timezone.now()
    if not PracticeClip.objects.filter(pk=clip.pk).update(**fields, updated_at=clip.updated_at):
        raise ClipGone()


def clip_process(context: JobContext) -> None:
    clip = PracticeClip.objects.select_related("owner").filter(pk=context.target_id).first()
    if clip is None:
        raise JobFailed("clip_missing", "The clip was deleted before it was processed.")
    if clip.status in (PracticeClip.Status.READY, PracticeClip.Status.REJECTED):
        return  # finished by an earlier attempt
    _save(clip, status=PracticeClip.Status.PROCESSING, error_code="", error_message="")
    progress = ClipProgress(clip, context)
    progress.set(1, force=True)
    work = Path(settings.PRACTIKA_MEDIA_WORK_DIR) / f"{context.job_id}-{context.attempt}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        try:
            _run_stages(clip, context, progress, work)
        except MediaRejected as exc:
            _reject(clip, exc.code, exc.message)
            raise JobFailed(exc.code, exc.message) from exc
        except MediaProcessingError as exc:
            if not PracticeClip.objects.filter(pk=clip.pk).exists():
                # ffmpeg reads a local original in place: a deletion pulls it from under it.
                raise ClipGone() from exc
            raise JobFailed(exc.code, exc.message, exc.stderr_tail) from exc
    except ClipGone:
        # clip_delete removed the files when it committed; this attempt may have written
        # more since.
        storage.delete_prefix(clip.storage_prefix)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run_stages(
    clip: PracticeClip, context: JobContext, progress: ClipProgress, work: Path
) -> None:
    suffix = Path(clip.original_key).suffix.lower()[:10] or ".bin"
    with context.stage("fetch"):
        if clip.kind == PracticeClip.Kind.REFERENCE and not default_storage.exists(
            clip.original_key
        ):
            size, digest = reference_original_import(clip=clip)
            _save(clip, size_bytes=size, sha256=digest, declared_sha256=digest)
        # On local disk ffmpeg reads the stored original in place; S3 needs a local copy.
        source = storage.readable_local_file(clip.original_key, work / f"original{suffix}")
        if not clip.sha256:  # not known at commit (an S3 upload without a declared one)
            with source.open("rb") as handle:
                _save(clip, sha256=storage.sha256_of_stream(handle))
    progress.set(4, force=True)
    with context.stage("probe"):
        info = probe(source, MediaCaps.from_settings())
    _save(
        clip,
        duration=info.duration,
        width=info.width,
        height=info.height,
        fps=info.fps,
        video_codec=info.video_codec,
        audio_codec=info.audio_codec or "",
    )
    progress.set(6, force=True)
    prefix = f"{clip.storage_prefix}hls-{context.job_id.hex[:8]}-{context.attempt}/"
    hls = work / "hls"
    threads: int = settings.PRACTIKA_FFMPEG_THREADS
    with context.stage("publish"):
        first = _publish_first(clip, context, source, info, hls, prefix, progress, threads)
    with context.stage("ladder"):
        ladder = _ladder(source, info, first, hls, progress, threads)
        for rendition in ladder:
            if rendition.name != SOURCE:  # stored when it was published
                storage.store_tree(hls / rendition.name, f"{prefix}{rendition.name}/")
    progress.set(86, force=True)
    with context.stage("extras"):
        extras = _make_extras(source, info, hls, ladder, work / "extras", f"{prefix}extras/")
    progress.set(95)
    _finish(clip, context, prefix, [_rendition(r) for r in ladder], extras)


def _publish_first(
    clip: PracticeClip,
    context: JobContext,
    source: Path,
    info: ProbeResult,
    hls: Path,
    prefix: str,
    progress: ClipProgress,
    threads: int,
) -> Rendition:
    """Remux H.264/AAC in seconds, else encode a first rung; either plays while it grows."""
    if info.is_fast_publishable:
        publisher = GrowingPlaylistPublisher(
            clip, context, hls, prefix, progress.span(6, 25), (info.width, info.height), info.fps
        )
        first = remux_to_hls(
            source,
            hls,
            info,
            name=SOURCE,
            on_progress=publisher.on_progress,
            on_playable=publisher.on_playable,
            playable_segments=PLAYABLE_SEGMENTS,
            threads=threads,
        )
    else:
        size = rung_size(info, FIRST_RUNG_SHORT_SIDE)
        frame_rate = min(info.fps, MAX_LADDER_FPS)
        publisher = GrowingPlaylistPublisher(
            clip, context, hls, prefix, progress.span(6, 30), size, frame_rate
        )
        first = transcode_first_rendition(
            source,
            hls,
            info,
            height=FIRST_RUNG_SHORT_SIDE,
            name=SOURCE,
            on_progress=publisher.on_progress,
            on_playable=publisher.on_playable,
            playable_segments=PLAYABLE_SEGMENTS,
            threads=threads,
        )
    storage.store_tree(hls / SOURCE, f"{prefix}{SOURCE}/")
    _mark_playable(clip, context, prefix, _rendition(first))
    return first


class GrowingPlaylistPublisher:
    """Stores an EVENT playlist's finished segments while ffmpeg is still writing more.

    The library calls both hooks on this (the job's) thread, so database writes are safe.
    Only segments the playlist lists are stored: ffmpeg lists a segment once it is whole.
    """

    def __init__(
        self,
        clip: PracticeClip,
        context: JobContext,
        hls: Path,
        prefix: str,
        report: Callable[[float], None],
        size: tuple[int, int],
        frame_rate: float,
    ) -> None:
        self.clip, self.context, self.hls = clip, context, hls
        self.out = hls / SOURCE
        self.prefix = f"{prefix}{SOURCE}/"
        self.hls_prefix = prefix
        self.report = report
        self.size = size
        self.frame_rate = frame_rate
        self.stored: set[str] = set()
        self.last_sync = 0.0

    def on_playable(self) -> None:
        self.sync()
        # Measured from the segments so far; the finished rendition replaces it.
        growing = build_rendition(self.hls, SOURCE, *self.size, self.frame_rate)
        _mark_playable(self.clip, self.context, self.hls_prefix, _rendition(growing))

    def on_progress(self, fraction: float) -> None:
        self.report(fraction)
        if self.clip.playable_at is not None and time.monotonic() - self.last_sync >= 1.0:
            self.sync()

    def sync(self) -> None:
        self.last_sync = time.monotonic()
        playlist = self.out / PLAYLIST
        if not playlist.exists():
            return
        for segment in parse_media_playlist(playlist):
            if segment.uri not in self.stored:
                storage.store_local_file_link(self.out / segment.uri, self.prefix + segment.uri)
                self.stored.add(segment.uri)
        storage.store_local_file_link(playlist, self.prefix + PLAYLIST)


def _rendition(rendition: Rendition) -> dict[str, Any]:
    """What the clip keeps of a rendition to render master playlists (no segment list)."""
    return {
        "name": rendition.name,
        "width": rendition.width,
        "height": rendition.height,
        "bandwidth": rendition.bandwidth,
        "average_bandwidth": rendition.average_bandwidth,
        "codecs": rendition.codecs,
        "frame_rate": rendition.frame_rate,
        "playlist": rendition.playlist,
    }


def _short(width: int, height: int) -> int:
    return min(width, height)


def _ladder(
    source: Path,
    info: ProbeResult,
    first: Rendition,
    hls: Path,
    progress: ClipProgress,
    threads: int,
) -> list[Rendition]:
    """Every rung, lowest first. The first rendition stands in for the rung of its own size
    (so it is never encoded twice) where its segments line up with the ladder's; the other
    rungs are encoded in one ffmpeg run."""
    rungs = ladder_rungs(info)
    reused = _rung_served_by_first(first, rungs, info)
    heights = [_short(r.width, r.height) for r in rungs if r is not reused]
    encoded = _encode(source, info, hls, heights, progress, threads)
    if reused is not None and encoded and not segments_aligned(first, encoded[0]):
        # The keyframes promised boundaries the segments did not keep: encode that rung too.
        logger.warning("First rendition of %s misaligned; encoding its rung.", source.name)
        encoded += _encode(source, info, hls, [_short(reused.width, reused.height)], None, threads)
        reused = None
    renditions = list(encoded)
    if reused is not None or _keep_as_extra_top_rung(first, encoded, info):
        renditions.append(first)
    return sorted(renditions, key=lambda r: _short(r.width, r.height))


def _encode(
    source: Path,
    info: ProbeResult,
    hls: Path,
    heights: list[int],
    progress: ClipProgress | None,
    threads: int,
) -> list[Rendition]:
    if not heights:
        return []
    report = progress.span(30, 85) if progress is not None else None
    return encode_ladder(source, hls, info, heights=heights, on_progress=report, threads=threads)


def _rung_served_by_first(first: Rendition, rungs: list[Rung], info: ProbeResult) -> Rung | None:
    """The rung the first rendition can be, if any.

    A transcoded first rendition is the lowest rung, encoded with the ladder's settings. A
    remux is the top rung when that rung is the source's own size and the source's keyframes
    fall on the ladder's boundaries; and only within what the ladder itself would deliver
    (frame rate, stereo, a bit rate a few times the rung's), so a player switching rungs
    meets no surprise and no viewer is sent a camera's 50 Mbit/s.
    """
    if not rungs:
        return None
    if not info.is_fast_publishable:
        lowest = rungs[0]
        return lowest if (lowest.width, lowest.height) == (first.width, first.height) else None
    top = rungs[-1]
    if (top.width, top.height) != (info.width, info.height) or not info.keyframe_interval_ok:
        return None
    if info.fps > MAX_LADDER_FPS + 0.01 or info.audio_channels > 2:
        return None
    if (info.video_bit_rate or 0) > top.maxrate * REUSE_MAX_BITRATE_FACTOR:
        return None
    return top


def _keep_as_extra_top_rung(first: Rendition, ladder: list[Rendition], info: ProbeResult) -> bool:
    """A remux larger than the ladder's top rung joins it above, where its segments line up."""
    if not info.is_fast_publishable or not ladder:
        return False
    top = max(ladder, key=lambda r: r.height)
    return _short(first.width, first.height) > _short(top.width, top.height) and (
        segments_aligned(first, top)
    )


def _mark_playable(
    clip: PracticeClip, context: JobContext, prefix: str, rendition: dict[str, Any]
) -> None:
    context.beat()  # JobLost if the reaper gave this job to another worker
    first_time = clip.playable_at is None
    _save(
        clip,
        hls_prefix=prefix,
        renditions=[rendition],
        playable_at=clip.playable_at or timezone.now(),
    )
    # Later calls only refresh what the master playlist announces (the measured rendition).
    clip_announce(clip, "clip.playable" if first_time else "clip.progress")


def _make_extras(
    source: Path, info: ProbeResult, hls: Path, ladder: list[Rendition], out: Path, prefix: str
) -> dict[str, str]:
    """Poster from the top rung, sprite from the lowest, waveform from the source's audio.

    The rungs have a keyframe every 2 s whatever the source had, so only keyframes are
    decoded (a VP9 source would need every frame decoded: its decoders ignore skip_frame).
    """
    out.mkdir(parents=True, exist_ok=True)
    caps = MediaCaps.from_settings()
    top, lowest = ladder[-1], ladder[0]
    index, offset = segment_at(top, info.duration * 0.1)
    still = rendition_to_mp4(hls, top, out / ".poster-source.mp4", first=index, count=1)
    make_poster(still, out / "poster.jpg", probe(still, caps), at=offset)
    frames = rendition_to_mp4(hls, lowest, out / ".sprite-source.mp4")
    make_sprite(frames, out / "sprite.jpg", out / "thumbnails.vtt", probe(frames, caps))
    make_waveform(source, out / "waveform.json", info)
    for scratch in (still, frames):
        scratch.unlink()
    storage.store_tree(out, prefix)
    return {
        "poster_key": f"{prefix}poster.jpg",
        "sprite_key": f"{prefix}sprite.jpg",
        "thumbnails_vtt_key": f"{prefix}thumbnails.vtt",
        "waveform_key": f"{prefix}waveform.json",
    }


def _finish(
    clip: PracticeClip,
    context: JobContext,
    prefix: str,
    renditions: list[dict[str, Any]],
    extras: dict[str, str],
) -> None:
    with transaction.atomic():
        context.beat()  # still ours (and the job row stays locked until this commits)
        _save(
            clip,
            status=PracticeClip.Status.READY,
            progress=100,
            hls_prefix=prefix,
            renditions=renditions,
            ready_at=timezone.now(),
            **extras,
        )
        clip_announce(clip, "clip.ready")
        if all(rendition["name"] != SOURCE for rendition in renditions):
            # The ladder replaced the first rendition, but a viewer who started while the
            # clip was only playable may hold signed URLs to it until they expire.
            ttl: int = settings.PRACTIKA_MEDIA_URL_TTL_SECONDS
            delay = ttl + SOURCE_CLEANUP_MARGIN_SECONDS
            job_enqueue(kind=SOURCE_CLEANUP_JOB_KIND, target=clip, delay=delay)
        transaction.on_commit(lambda: _send(clip_ready, clip), robust=True)
    _remove_other_attempts(clip, prefix)


def _send(signal: Signal, clip: PracticeClip) -> None:
    """Send a clip signal after commit; a receiver's failure is logged (``robust``), never the
    job's (the clip's state is committed by then)."""
    signal.send(sender=PracticeClip, clip=clip)


def clip_source_cleanup(context: JobContext) -> None:
    """Delete the first rendition of a ready clip when the ladder replaced it (idempotent)."""
    clip = PracticeClip.objects.filter(pk=context.target_id).first()
    if clip is None or clip.status != PracticeClip.Status.READY or not clip.hls_prefix:
        return  # deleted (files and all), or processed again: nothing of this attempt left
    if any(rendition.get("name") == SOURCE for rendition in clip.renditions):
        return
    storage.delete_prefix(f"{clip.hls_prefix}{SOURCE}/")


def _remove_other_attempts(clip: PracticeClip, keep: str) -> None:
    try:
        directories, _ = default_storage.listdir(clip.storage_prefix.rstrip("/"))
    except (FileNotFoundError, NotADirectoryError):
        return
    for directory in directories:
        candidate = f"{clip.storage_prefix}{directory}/"
        if directory.startswith("hls-") and candidate != keep:
            storage.delete_prefix(candidate)


def _reject(clip: PracticeClip, code: str, message: str) -> None:
    with transaction.atomic():
        _save(clip, status=PracticeClip.Status.REJECTED, error_code=code, error_message=message)
        clip_announce(clip, "clip.failed")
        transaction.on_commit(lambda: _send(clip_failed, clip), robust=True)


def clip_job_finished(*, job: MediaJob) -> None:
    """A failed job leaves its clip ``failed`` with the job's error (unless rejected)."""
    if job.status != MediaJob.Status.FAILED:
        return
    with transaction.atomic():
        clip = PracticeClip.objects.select_for_update().filter(pk=job.target_id).first()
        if clip is None or clip.status in (
            PracticeClip.Status.READY,
            PracticeClip.Status.REJECTED,
            PracticeClip.Status.FAILED,
        ):
            return
        _save(
            clip,
            status=PracticeClip.Status.FAILED,
            error_code=job.error_code or "processing_failed",
            error_message=job.error_message or "Processing failed.",
        )
        clip_announce(clip, "clip.failed")
        transaction.on_commit(lambda: _send(clip_failed, clip), robust=True)
