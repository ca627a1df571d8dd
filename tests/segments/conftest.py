"""Fixtures for the segments plugin: the clips tests' world, plus a clip that went through the
real pipeline once per module (7 s of H.264/AAC with 2 s GOPs, so 4 HLS segments)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files import File
from django.core.files.storage import default_storage
from django.test import override_settings
from django.utils import timezone

from huey_tasks.jobs import JobContext
from huey_tasks.models import MediaJob
from plugins.clips.models import PracticeClip
from plugins.clips.processing import PROCESS_JOB_KIND, clip_process
from plugins.clips.services import clip_commit, clip_request_upload
from practika_site.courses.models import ExercisePage
from practika_site.users.models import User
from tests.clips.conftest import (
    Clients,
    Published,
    World,
    _fresh_site_root_cache,
    clients,
    clients_for,
    make_world,
    published,
    world,
)
from tests.mediafiles import make_video

__all__ = [
    "Clients",
    "Published",
    "World",
    "_fresh_site_root_cache",
    "clients",
    "clients_for",
    "make_world",
    "published",
    "world",
]

TAKE_SECONDS = 7.0
TAKE_FPS = 30


@dataclass(frozen=True)
class MediaDirs:
    media: Path
    uploads: Path
    work: Path


@contextmanager
def storage_settings(dirs: MediaDirs) -> Iterator[None]:
    """Local storage, upload temp files and the pipeline's work dir under ``dirs``."""
    from django.conf import settings as django_settings

    storages = {
        **django_settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": dirs.media, "base_url": "/media/"},
        },
    }
    with override_settings(
        STORAGES=storages,
        MEDIA_ROOT=dirs.media,
        PRACTIKA_STORAGE="local",
        PRACTIKA_UPLOAD_TEMP_DIR=str(dirs.uploads),
        PRACTIKA_MEDIA_WORK_DIR=str(dirs.work),
        # No heartbeat thread writing through its own connection into the test's transaction.
        PRACTIKA_JOB_HEARTBEAT_SECONDS=600.0,
    ):
        yield


@pytest.fixture(scope="module")
def media_dirs(tmp_path_factory: pytest.TempPathFactory) -> MediaDirs:
    root = tmp_path_factory.mktemp("segments-media")
    return MediaDirs(media=root / "media", uploads=root / "uploads", work=root / "work")


@pytest.fixture(autouse=True)
def dirs(media_dirs: MediaDirs) -> Iterator[MediaDirs]:
    """The module's storage for every test: the processed take's files live there."""
    with storage_settings(media_dirs):
        yield media_dirs


@pytest.fixture(scope="session")
def take_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """7 s of 320x240 H.264/AAC at 30 fps with a keyframe every 2 s."""
    path = tmp_path_factory.mktemp("segment-videos") / "take.mp4"
    return make_video(path, duration=TAKE_SECONDS, fps=TAKE_FPS, keyint=2 * TAKE_FPS)


def process_take(*, owner: User, exercise: ExercisePage, video: Path) -> PracticeClip:
    """Upload ``video`` as ``owner``'s take and run the real ``clip_process`` job on it.

    The job is claimed by hand: ``job_claim`` is durable and so refuses to run inside the
    module's transaction, which the per-test transactions of the API tests nest in.
    """
    target = clip_request_upload(
        actor=owner,
        exercise_id=exercise.uuid,
        duration_sec=TAKE_SECONDS,
        filename=video.name,
        size_bytes=video.stat().st_size,
        content_type="video/mp4",
        absolute_url=lambda path: f"http://testserver{path}",
    )
    with video.open("rb") as handle:
        default_storage.save(target.clip.original_key, File(handle, name=video.name))
    clip = clip_commit(clip=target.clip, actor=owner)
    job = MediaJob.objects.get(kind=PROCESS_JOB_KIND, target_id=clip.pk)
    MediaJob.objects.filter(pk=job.pk).update(
        status=MediaJob.Status.RUNNING, attempts=1, worker_id="tests", heartbeat_at=timezone.now()
    )
    clip_process(JobContext(job.pk, job.kind, clip.pk, 1, "tests"))
    MediaJob.objects.filter(pk=job.pk).update(status=MediaJob.Status.SUCCEEDED)
    clip.refresh_from_db()
    assert clip.status == PracticeClip.Status.READY, (clip.error_code, clip.error_message)
    return clip


@pytest.fixture(scope="module")
def take(
    world: World, media_dirs: MediaDirs, take_video: Path, django_db_blocker: Any
) -> PracticeClip:
    """``world.student``'s ready take, processed once per module (read-only for tests)."""
    with django_db_blocker.unblock(), storage_settings(media_dirs):
        return process_take(owner=world.student, exercise=world.exercise, video=take_video)


def copy_clip(clip: PracticeClip, **fields: Any) -> PracticeClip:
    """Another clip row over ``clip``'s processed files (a reference video, a take still
    processing...), without running the pipeline again."""
    values = {
        field.attname: getattr(clip, field.attname)
        for field in PracticeClip._meta.concrete_fields
        if not field.primary_key
    }
    values.update(attempt_number=None, **fields)
    copy = PracticeClip(**values)
    copy.save()
    return copy
