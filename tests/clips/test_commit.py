"""``POST /api/v1/clips/{id}/commit/``: verify the upload, then enqueue processing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from huey_tasks.models import MediaJob
from plugins.clips.models import PracticeClip
from tests.api.assertions import assert_error, response_json

from .conftest import Clients, World
from .helpers import clip, commit, put_bytes, request_upload, sha256, upload

pytestmark = pytest.mark.django_db


def test_commit_without_upload_is_409(clients: Clients, world: World) -> None:
    target = request_upload(clients.student, world.exercise)
    assert_error(commit(clients.student, target["clip_id"]), 409, "upload_missing")
    assert clip(target["clip_id"]).status == PracticeClip.Status.AWAITING_UPLOAD
    assert not MediaJob.objects.exists()


def test_commit_after_upload_enqueues_processing_after_commit(
    clients: Clients, world: World, small_bytes: bytes, django_capture_on_commit_callbacks: Any
) -> None:
    clip_id = upload(clients.student, world.exercise, small_bytes, sha256=sha256(small_bytes))
    with mock.patch("huey_tasks.tasks.media_job_run_task") as run_task:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = commit(clients.student, clip_id)
        assert response.status_code == 202
        body = response_json(response)
        assert body["clip_id"] == clip_id
        assert body["status"] == "uploaded"
        job = MediaJob.objects.get()
        assert job.kind == "clip_process"
        assert job.status == MediaJob.Status.QUEUED
        assert str(job.target_id) == clip_id
        run_task.assert_not_called()  # nothing leaves before the transaction commits
        for callback in callbacks:
            callback()
        run_task.assert_called_once_with(job_id=str(job.pk))
    stored = clip(clip_id)
    assert stored.status == PracticeClip.Status.UPLOADED
    assert stored.size_bytes == len(small_bytes)
    assert stored.sha256 == sha256(small_bytes)
    assert stored.uploaded_at is not None


def test_commit_twice_is_409(clients: Clients, world: World, small_bytes: bytes) -> None:
    clip_id = upload(clients.student, world.exercise, small_bytes)
    assert commit(clients.student, clip_id).status_code == 202
    error = assert_error(commit(clients.student, clip_id), 409, "clip_state_conflict")
    assert error["details"] == {"clip_id": clip_id, "status": "uploaded"}
    assert MediaJob.objects.count() == 1


def test_checksum_mismatch_is_400(clients: Clients, world: World, small_bytes: bytes) -> None:
    clip_id = upload(clients.student, world.exercise, small_bytes, sha256="0" * 64)
    error = assert_error(commit(clients.student, clip_id), 400, "upload_checksum_mismatch")
    assert "sha256" in error["details"]
    assert clip(clip_id).status == PracticeClip.Status.AWAITING_UPLOAD
    assert not MediaJob.objects.exists()


def test_uppercase_checksum_matches(clients: Clients, world: World, small_bytes: bytes) -> None:
    clip_id = upload(
        clients.student, world.exercise, small_bytes, sha256=sha256(small_bytes).upper()
    )
    assert commit(clients.student, clip_id).status_code == 202


def test_size_is_checked_against_the_stored_object(
    clients: Clients, world: World, small_bytes: bytes
) -> None:
    target = request_upload(clients.student, world.exercise, size_bytes=len(small_bytes))
    # An object that did not come through our upload views (as a bad S3 PUT would leave it).
    default_storage.save(clip(target["clip_id"]).original_key, ContentFile(small_bytes[:-1]))
    error = assert_error(commit(clients.student, target["clip_id"]), 400, "upload_size_mismatch")
    assert "size_bytes" in error["details"]
    assert not MediaJob.objects.exists()


def test_commit_after_expiry_is_409(clients: Clients, world: World, small_bytes: bytes) -> None:
    clip_id = upload(clients.student, world.exercise, small_bytes)
    past = timezone.now() - timedelta(seconds=1)
    PracticeClip.objects.filter(pk=clip_id).update(upload_expires_at=past)
    assert_error(commit(clients.student, clip_id), 409, "upload_expired")


def test_another_student_gets_404_and_the_teacher_403(
    clients: Clients, world: World, small_bytes: bytes
) -> None:
    clip_id = upload(clients.student, world.exercise, small_bytes)
    assert_error(commit(clients.student2, clip_id), 404, "not_found")
    assert_error(commit(clients.other_teacher, clip_id), 404, "not_found")
    assert_error(commit(clients.outsider, clip_id), 404, "not_found")
    assert_error(commit(clients.teacher, clip_id), 403, "forbidden")
    assert clip(clip_id).status == PracticeClip.Status.AWAITING_UPLOAD
    assert commit(clients.student, clip_id).status_code == 202


def test_unknown_and_malformed_ids_are_404(clients: Clients, world: World) -> None:
    assert_error(commit(clients.student, "00000000-0000-4000-8000-000000000000"), 404, "not_found")
    assert_error(commit(clients.student, "12345"), 404, "not_found")


def test_put_and_commit_need_no_more_than_the_answer(
    clients: Clients, world: World, small_bytes: bytes
) -> None:
    """The SDK's flow, verbatim: request, PUT with the returned headers, commit."""
    target = request_upload(
        clients.student,
        world.exercise,
        filename="take.webm",
        content_type="video/webm",
        size_bytes=len(small_bytes),
        sha256=sha256(small_bytes),
    )
    assert put_bytes(target, small_bytes).status_code == 200
    assert commit(clients.student, target["clip_id"]).status_code == 202
    assert clip(target["clip_id"]).original_key.endswith("/original/take.webm")
