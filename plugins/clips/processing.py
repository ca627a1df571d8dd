"""The clip side of the media pipeline: the ``clip_process`` job handler.

Stages: fetch the original to local disk, probe it, publish a first playable rendition fast
(remux for H.264/AAC, else a transcoded EVENT playlist that plays while it grows), encode
the ladder, make poster/sprite/waveform, then switch the clip to ``ready``. Each attempt
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
from django.db import transaction
from django.utils import timezone

from huey_tasks.jobs import JobContext, JobFailed, register_job_handler
from huey_tasks.media.extras import make_poster, make_sprite, make_waveform
from huey_tasks.media.ffmpeg import MediaProcessingError, MediaRejected
from huey_tasks.media.hls import (
    Rendition,
    encode_ladder,
    parse_media_playlist,
    remux_to_hls,
    segments_aligned,
    transcode_first_rendition,
)
from huey_tasks.media.probe import MediaCaps, ProbeResult, probe
from huey_tasks.models import MediaJob

from . import storage
from .models import PracticeClip
from .services import PROCESS_JOB_KIND, clip_announce
from .signals import clip_failed, clip_ready

logger = logging.getLogger(__name__)

__all__ = ["PROCESS_JOB_KIND", "clip_job_finished", "clip_process", "register"]

SOURCE = "source"  # the first rendition: the remuxed original or the first transcoded rung
PLAYLIST = "index.m3u8"


def register() -> None:
    register_job_handler(PROCESS_JOB_KIND, clip_process)


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
        source = storage.fetch_to_local(clip.original_key, work / f"original{suffix}")
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
        ladder = encode_ladder(
            source, hls, info, on_progress=progress.span(30, 85), threads=threads
        )
        for rendition in ladder:
            storage.store_tree(hls / rendition.name, f"{prefix}{rendition.name}/")
    renditions = [_rendition(r) for r in ladder]
    if _keep_source_rung(first, ladder, info):
        renditions.append(_rendition(first))
    progress.set(86, force=True)
    with context.stage("extras"):
        extras = _make_extras(source, info, work / "extras", f"{prefix}extras/", progress)
    _finish(clip, context, prefix, renditions, extras)


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
    """Remux H.264/AAC in seconds; else encode a first rung that plays while it grows."""
    if info.is_fast_publishable:
        first = remux_to_hls(
            source, hls, info, name=SOURCE, on_progress=progress.span(6, 25), threads=threads
        )
        storage.store_tree(hls / SOURCE, f"{prefix}{SOURCE}/")
        _mark_playable(clip, context, prefix, _rendition(first))
        return first
    publisher = GrowingPlaylistPublisher(clip, context, info, hls / SOURCE, prefix, progress)
    first = transcode_first_rendition(
        source,
        hls,
        info,
        name=SOURCE,
        on_progress=publisher.on_progress,
        on_playable=publisher.on_playable,
        playable_segments=2,
        threads=threads,
    )
    storage.store_tree(hls / SOURCE, f"{prefix}{SOURCE}/")
    _mark_playable(clip, context, prefix, _rendition(first))
    return first


class GrowingPlaylistPublisher:
    """Uploads an EVENT playlist's finished segments while ffmpeg is still writing more.

    The library calls both hooks on this (the job's) thread, so database writes are safe.
    Only segments the playlist lists are uploaded: ffmpeg lists a segment once it is whole.
    """

    def __init__(
        self,
        clip: PracticeClip,
        context: JobContext,
        info: ProbeResult,
        out: Path,
        prefix: str,
        progress: ClipProgress,
    ) -> None:
        self.clip, self.context, self.info, self.out = clip, context, info, out
        self.prefix = f"{prefix}{SOURCE}/"
        self.hls_prefix = prefix
        self.progress = progress
        self.uploaded: set[str] = set()
        self.last_sync = 0.0

    def on_playable(self) -> None:
        self.sync()
        rendition = _provisional_rendition(self.info)
        _mark_playable(self.clip, self.context, self.hls_prefix, rendition)

    def on_progress(self, fraction: float) -> None:
        self.progress.span(6, 30)(fraction)
        if self.clip.playable_at is not None and time.monotonic() - self.last_sync >= 1.0:
            self.sync()

    def sync(self) -> None:
        self.last_sync = time.monotonic()
        playlist = self.out / PLAYLIST
        if not playlist.exists():
            return
        for segment in parse_media_playlist(playlist):
            if segment.uri not in self.uploaded:
                storage.store_local_file_copy(self.out / segment.uri, self.prefix + segment.uri)
                self.uploaded.add(segment.uri)
        storage.store_local_file_copy(playlist, self.prefix + PLAYLIST)


def _provisional_rendition(info: ProbeResult) -> dict[str, Any]:
    """How the growing first rung is announced before ffmpeg has measured it."""
    short = min(360, min(info.width, info.height))
    scale = short / min(info.width, info.height)
    return {
        "name": SOURCE,
        "width": int(round(info.width * scale / 2) * 2),
        "height": int(round(info.height * scale / 2) * 2),
        "bandwidth": 1_200_000,
        "average_bandwidth": 900_000,
        "codecs": "avc1.64001e,mp4a.40.2" if info.has_audio else "avc1.64001e",
        "frame_rate": min(info.fps, 60.0),
        "playlist": f"{SOURCE}/{PLAYLIST}",
    }


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


def _keep_source_rung(first: Rendition, ladder: list[Rendition], info: ProbeResult) -> bool:
    """Keep the remuxed original as the top rung only where its segments line up."""
    if not info.is_fast_publishable or not ladder:
        return False
    top = max(ladder, key=lambda r: r.height)
    return min(first.width, first.height) > min(top.width, top.height) and segments_aligned(
        first, top
    )


def _mark_playable(
    clip: PracticeClip, context: JobContext, prefix: str, rendition: dict[str, Any]
) -> None:
    context.beat()  # JobLost if the reaper gave this job to another worker
    _save(
        clip,
        hls_prefix=prefix,
        renditions=[rendition],
        playable_at=clip.playable_at or timezone.now(),
    )
    clip_announce(clip, "clip.playable")


def _make_extras(
    source: Path, info: ProbeResult, out: Path, prefix: str, progress: ClipProgress
) -> dict[str, str]:
    out.mkdir(parents=True, exist_ok=True)
    make_poster(source, out / "poster.jpg", info)
    progress.set(90)
    make_sprite(source, out / "sprite.jpg", out / "thumbnails.vtt", info)
    progress.set(95)
    make_waveform(source, out / "waveform.json", info)
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
        transaction.on_commit(lambda: clip_ready.send(sender=PracticeClip, clip=clip))
    _remove_other_attempts(clip, prefix)


def _remove_other_attempts(clip: PracticeClip, keep: str) -> None:
    from django.core.files.storage import default_storage

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
        transaction.on_commit(lambda: clip_failed.send(sender=PracticeClip, clip=clip))


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
        transaction.on_commit(lambda: clip_failed.send(sender=PracticeClip, clip=clip))
