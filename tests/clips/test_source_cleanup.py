"""A first rendition the ladder replaced is deleted once no signed URL to it can be valid."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from huey.contrib.djhuey import HUEY

from huey_tasks.jobs import job_run
from huey_tasks.models import MediaJob
from plugins.clips.models import PracticeClip
from plugins.clips.processing import SOURCE_CLEANUP_JOB_KIND, SOURCE_CLEANUP_MARGIN_SECONDS
from tests import mediafiles

from .conftest import Clients, World
from .helpers import clip, commit, upload

pytestmark = pytest.mark.django_db


def _process(
    clients: Clients, world: World, path: Path, capture: Any
) -> tuple[PracticeClip, datetime]:
    clip_id = upload(clients.student, world.exercise, path.read_bytes(), filename=path.name)
    with capture(execute=True):
        assert commit(clients.student, clip_id).status_code == 202
    made = clip(clip_id)
    assert made.status == PracticeClip.Status.READY, (made.error_code, made.error_message)
    return made, datetime.now(tz=UTC)


def _source_files(made: PracticeClip) -> list[str]:
    key = f"{made.hls_prefix}source"
    if not default_storage.exists(key):
        return []
    return default_storage.listdir(key)[1]


def test_a_replaced_source_rendition_goes_after_the_url_lifetime(
    clients: Clients,
    world: World,
    videos: Path,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.PRACTIKA_MEDIA_URL_TTL_SECONDS = 600
    # Keyframes every 3 s: the remux cannot join the ladder, which replaces it.
    source = mediafiles.make_video(videos / "gop3.mp4", duration=4, keyint=90)
    made, ready_at = _process(clients, world, source, django_capture_on_commit_callbacks)
    assert "source" not in [r["name"] for r in made.renditions]
    assert "index.m3u8" in _source_files(made)  # a viewer of the first playlist still plays

    job = MediaJob.objects.get(kind=SOURCE_CLEANUP_JOB_KIND, target_id=made.pk)
    assert job.status == MediaJob.Status.QUEUED  # waits for Huey's schedule
    scheduled = [t for t in HUEY.scheduled() if t.kwargs == {"job_id": str(job.pk)}]
    assert len(scheduled) == 1
    eta = scheduled[0].eta.replace(tzinfo=UTC)
    delay = (eta - ready_at).total_seconds()
    assert delay == pytest.approx(600 + SOURCE_CLEANUP_MARGIN_SECONDS, abs=30)

    with django_capture_on_commit_callbacks(execute=True):
        job_run(job_id=job.pk)  # as Huey runs it when the time comes
    job.refresh_from_db()
    assert job.status == MediaJob.Status.SUCCEEDED
    assert _source_files(made) == []
    for rendition in made.renditions:  # the ladder is untouched
        assert default_storage.exists(made.hls_prefix + rendition["playlist"])
    assert default_storage.exists(made.poster_key)
    assert default_storage.exists(made.original_key)


def test_no_cleanup_when_the_source_rendition_is_a_rung(
    clients: Clients, world: World, h264_mp4: Path, django_capture_on_commit_callbacks: Any
) -> None:
    made, _ = _process(clients, world, h264_mp4, django_capture_on_commit_callbacks)
    assert [r["name"] for r in made.renditions] == ["source"]
    assert not MediaJob.objects.filter(kind=SOURCE_CLEANUP_JOB_KIND).exists()


def test_cleanup_is_idempotent_and_spares_a_rung_it_does_not_own(
    clients: Clients, world: World, h264_mp4: Path, django_capture_on_commit_callbacks: Any
) -> None:
    from huey_tasks.jobs import JobContext
    from plugins.clips.processing import clip_source_cleanup

    made, _ = _process(clients, world, h264_mp4, django_capture_on_commit_callbacks)
    context = JobContext(made.pk, SOURCE_CLEANUP_JOB_KIND, made.pk, 1, "test")
    clip_source_cleanup(context)  # the source is the clip's only rung: it stays
    assert "index.m3u8" in _source_files(made)
    PracticeClip.objects.filter(pk=made.pk).update(
        renditions=[{**made.renditions[0], "name": "240p"}]
    )
    clip_source_cleanup(context)
    clip_source_cleanup(context)
    assert _source_files(made) == []
