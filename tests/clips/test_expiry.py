"""Uploads never committed are removed after their expiry (rows, stored files, temp files)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from plugins.clips.models import PracticeClip, UploadSession
from plugins.clips.services import clips_expire_uploads
from plugins.clips.tasks import clips_expire_uploads_task

from .conftest import Clients, Dirs, World
from .helpers import clip, commit, request_upload, upload

pytestmark = pytest.mark.django_db


def _expire(clip_id: str) -> None:
    past = timezone.now() - timedelta(minutes=5)
    PracticeClip.objects.filter(pk=clip_id).update(upload_expires_at=past)
    UploadSession.objects.filter(clip_id=UUID(clip_id)).update(expires_at=past)


def test_expired_uploads_are_removed_with_their_files(
    clients: Clients,
    world: World,
    small_bytes: bytes,
    dirs: Dirs,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Expired and never committed: an uploaded original, a half tus upload, nothing at all.
    uploaded = upload(clients.student, world.exercise, small_bytes)
    half = request_upload(clients.student, world.exercise, size_bytes=len(small_bytes))
    response = clients.student.post(
        half["tus_url"].removeprefix("http://testserver"),
        headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(len(small_bytes))},
    )
    assert response.status_code == 201
    location = response["Location"].removeprefix("http://testserver")
    response = clients.student.patch(
        location,
        small_bytes[:1000],
        content_type="application/offset+octet-stream",
        headers={"Tus-Resumable": "1.0.0", "Upload-Offset": "0"},
    )
    assert response.status_code == 204
    empty = request_upload(clients.student2, world.exercise)["clip_id"]
    for clip_id in (uploaded, half["clip_id"], empty):
        _expire(clip_id)
    partial = UploadSession.objects.get(clip_id=UUID(half["clip_id"])).temp_path
    assert partial
    # Kept: a committed clip past its upload expiry, and an upload still in its window.
    committed = upload(clients.student, world.exercise2, small_bytes)
    assert commit(clients.student, committed).status_code == 202
    _expire(committed)
    fresh = upload(clients.student2, world.exercise2, small_bytes)
    fresh_partial = dirs.uploads / "other.part"
    fresh_partial.write_bytes(b"someone else's partial upload")

    with django_capture_on_commit_callbacks(execute=True):
        assert clips_expire_uploads() == 3

    remaining = set(PracticeClip.objects.values_list("pk", flat=True))
    assert {str(pk) for pk in remaining} == {committed, fresh}
    for clip_id in (uploaded, half["clip_id"], empty):
        assert not (dirs.media / "clips" / clip_id).exists()
        assert not UploadSession.objects.filter(clip_id=UUID(clip_id)).exists()
    assert not Path(partial).exists()
    assert fresh_partial.exists()
    assert default_storage.exists(clip(committed).original_key)
    assert default_storage.exists(clip(fresh).original_key)
    # Nothing more to do on a second run.
    with django_capture_on_commit_callbacks(execute=True):
        assert clips_expire_uploads() == 0


def test_expiry_is_strictly_after_the_deadline(clients: Clients, world: World) -> None:
    clip_id = request_upload(clients.student, world.exercise)["clip_id"]
    deadline = clip(clip_id).upload_expires_at
    assert clips_expire_uploads(now=deadline) == 0
    assert clips_expire_uploads(now=deadline + timedelta(seconds=1)) == 1
    assert not PracticeClip.objects.filter(pk=clip_id).exists()


def test_periodic_task_runs_the_service(
    clients: Clients, world: World, django_capture_on_commit_callbacks: Any
) -> None:
    clip_id = request_upload(clients.student, world.exercise)["clip_id"]
    default_storage.save(clip(clip_id).original_key, ContentFile(b"partial"))
    _expire(clip_id)
    with django_capture_on_commit_callbacks(execute=True):
        clips_expire_uploads_task.call_local()
    assert not PracticeClip.objects.filter(pk=clip_id).exists()
