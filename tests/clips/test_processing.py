"""The ``clip_process`` job when things go wrong: crashes, ffmpeg errors, deleted clips."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage

from huey_tasks.jobs import job_enqueue
from huey_tasks.media.extras import make_waveform
from huey_tasks.media.ffmpeg import MediaProcessingError
from huey_tasks.models import MediaJob
from huey_tasks.signals import media_job_finished
from plugins.clips import processing, storage
from plugins.clips.models import PracticeClip
from plugins.clips.services import clip_delete

from .conftest import Clients, Dirs, Published, World
from .helpers import clip, commit, upload

pytestmark = pytest.mark.django_db

Stage = Callable[..., Any]  # a pipeline step after the clip became playable


def _hls_dirs(made: PracticeClip) -> list[str]:
    prefix = made.storage_prefix.rstrip("/")
    if not default_storage.exists(prefix):
        return []
    directories, _ = default_storage.listdir(prefix)
    return sorted(d for d in directories if d.startswith("hls-"))


def _commit(clients: Clients, world: World, source: Path, capture: Any) -> PracticeClip:
    clip_id = upload(clients.student, world.exercise, source.read_bytes(), filename=source.name)
    with capture(execute=True):
        assert commit(clients.student, clip_id).status_code == 202
    return clip(clip_id)


def test_a_crashed_attempt_is_retried_and_the_clip_ends_ready(
    clients: Clients,
    world: World,
    h264_mp4: Path,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    dirs: Dirs,
) -> None:
    settings.PRACTIKA_JOB_RETRY_DELAY_SECONDS = 0  # the retry runs inline, too
    real: Stage = make_waveform
    calls: list[int] = []
    playable_before_retry: list[bool] = []

    def crash_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            playable_before_retry.append(PracticeClip.objects.get().playable)
            raise RuntimeError("worker hiccup")
        return real(*args, **kwargs)

    monkeypatch.setattr(f"{processing.__name__}.make_waveform", crash_once)
    made = _commit(clients, world, h264_mp4, django_capture_on_commit_callbacks)
    assert made.status == PracticeClip.Status.READY, (made.error_code, made.error_message)
    assert playable_before_retry == [True]  # the fast publish of attempt 1 already played
    job = MediaJob.objects.get(target_id=made.pk)
    assert (job.status, job.attempts) == (MediaJob.Status.SUCCEEDED, 2)
    # Attempt 1's files are gone; the clip points at attempt 2's.
    assert _hls_dirs(made) == [made.hls_prefix.removeprefix(made.storage_prefix).rstrip("/")]
    assert made.hls_prefix.endswith("-2/")
    assert not any(dirs.work.iterdir())


def test_an_ffmpeg_failure_fails_the_clip(
    clients: Clients,
    world: World,
    h264_mp4: Path,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    published: Published,
) -> None:
    def timeout(*args: Any, **kwargs: Any) -> Any:
        raise MediaProcessingError("media_timeout", "ffmpeg took too long.", "frame=  12 ...")

    monkeypatch.setattr(f"{processing.__name__}.make_waveform", timeout)
    made = _commit(clients, world, h264_mp4, django_capture_on_commit_callbacks)
    assert made.status == PracticeClip.Status.FAILED
    assert (made.error_code, made.error_message) == ("media_timeout", "ffmpeg took too long.")
    job = MediaJob.objects.get(target_id=made.pk)
    assert (job.status, job.error_code) == (MediaJob.Status.FAILED, "media_timeout")
    assert "frame=" in job.log_tail
    failed = published.of(f"clip:{made.pk}", "clip.failed")
    assert failed == [
        {
            "clip_id": str(made.pk),
            "status": "failed",
            "progress": made.progress,
            "playable": False,
            "error": {"code": "media_timeout", "message": "ffmpeg took too long."},
        }
    ]


def test_a_clip_deleted_while_processing_leaves_no_files(
    clients: Clients,
    world: World,
    h264_mp4: Path,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    dirs: Dirs,
) -> None:
    real: Stage = make_waveform

    def delete_first(*args: Any, **kwargs: Any) -> Any:
        doomed = PracticeClip.objects.get()
        clip_delete(clip=doomed, actor=doomed.owner)
        # Its files go when that commits, which here is only after the job: remove them now,
        # from under ffmpeg, which reads a local original in place.
        storage.delete_prefix(doomed.storage_prefix)
        return real(*args, **kwargs)

    monkeypatch.setattr(f"{processing.__name__}.make_waveform", delete_first)
    clip_id = upload(clients.student, world.exercise, h264_mp4.read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        assert commit(clients.student, clip_id).status_code == 202
    assert not PracticeClip.objects.filter(pk=clip_id).exists()
    job = MediaJob.objects.get(target_id=clip_id)
    assert (job.status, job.error_code) == (MediaJob.Status.FAILED, "clip_missing")
    assert job.attempts == 1
    assert not (dirs.media / "clips" / clip_id).exists()


def test_a_job_for_a_deleted_clip_fails_cleanly(
    clients: Clients, world: World, small_bytes: bytes, django_capture_on_commit_callbacks: Any
) -> None:
    clip_id = upload(clients.student, world.exercise, small_bytes)
    assert commit(clients.student, clip_id).status_code == 202  # the job waits in the queue
    doomed = clip(clip_id)
    with django_capture_on_commit_callbacks(execute=True):
        clip_delete(clip=doomed, actor=world.student)
        from huey_tasks.jobs import job_run

        job_run(job_id=MediaJob.objects.get(target_id=clip_id).pk)
    job = MediaJob.objects.get(target_id=clip_id)
    assert (job.status, job.error_code) == (MediaJob.Status.FAILED, "clip_missing")


def test_running_again_on_a_ready_clip_changes_nothing(
    clients: Clients, world: World, h264_mp4: Path, django_capture_on_commit_callbacks: Any
) -> None:
    made = _commit(clients, world, h264_mp4, django_capture_on_commit_callbacks)
    assert made.status == PracticeClip.Status.READY
    with django_capture_on_commit_callbacks(execute=True):
        again = job_enqueue(kind="clip_process", target=made)
    again.refresh_from_db()
    assert again.status == MediaJob.Status.SUCCEEDED
    after = clip(str(made.pk))
    assert (after.status, after.hls_prefix, after.ready_at) == (
        PracticeClip.Status.READY,
        made.hls_prefix,
        made.ready_at,
    )
    assert _hls_dirs(after) == [made.hls_prefix.removeprefix(made.storage_prefix).rstrip("/")]


def test_a_job_failed_by_the_reaper_fails_its_clip(
    clients: Clients,
    world: World,
    small_bytes: bytes,
    django_capture_on_commit_callbacks: Any,
    published: Published,
) -> None:
    clip_id = upload(clients.student, world.exercise, small_bytes)
    assert commit(clients.student, clip_id).status_code == 202
    PracticeClip.objects.filter(pk=clip_id).update(status=PracticeClip.Status.PROCESSING)
    job = MediaJob.objects.get(target_id=clip_id)
    job.status = MediaJob.Status.FAILED
    job.error_code = "job_worker_lost"
    job.error_message = "The worker stopped. No attempts left."
    job.save()
    with django_capture_on_commit_callbacks(execute=True):
        media_job_finished.send(sender=MediaJob, job=job)
        media_job_finished.send(sender=MediaJob, job=job)  # receivers are idempotent
    failed = clip(clip_id)
    assert failed.status == PracticeClip.Status.FAILED
    assert failed.error_code == "job_worker_lost"
    assert len(published.of(f"clip:{clip_id}", "clip.failed")) == 1
    # Jobs of other kinds are none of the clips plugin's business.
    other = MediaJob.objects.create(
        kind="something_else",
        target_type=ContentType.objects.get_for_model(PracticeClip),
        target_id=clip_id,
        status=MediaJob.Status.FAILED,
    )
    media_job_finished.send(sender=MediaJob, job=other)
