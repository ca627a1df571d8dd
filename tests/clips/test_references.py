"""Teachers' reference videos: an exercise's ``reference_video`` document becomes a
``reference`` clip when the exercise is published, goes through the pipeline, and is seen by
everyone in the course through ``GET /api/v1/exercises/{id}/reference/``."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from rest_framework.test import APIClient
from wagtail.documents import get_document_model

from huey_tasks.models import MediaJob
from plugins.clips.models import PracticeClip
from plugins.clips.services import PROCESS_JOB_KIND
from practika_site.courses.models import ExercisePage
from practika_site.users.models import User
from tests.api.assertions import assert_error, response_json

from .conftest import Clients, World
from .helpers import CLIPS, stored_bytes

pytestmark = pytest.mark.django_db


def reference_url(exercise: ExercisePage) -> str:
    return f"/api/v1/exercises/{exercise.uuid}/reference/"


def make_document(path: Path, *, title: str = "Scale, slowly", name: str | None = None) -> Any:
    document = get_document_model()(title=title)
    document.file.save(name or path.name, ContentFile(path.read_bytes()), save=False)
    document.save()
    return document


def publish(exercise: ExercisePage, document: Any, *, user: User | None = None) -> ExercisePage:
    """Set (or clear) the reference document and publish a revision, as the admin does."""
    page = ExercisePage.objects.get(pk=exercise.pk)
    page.reference_video = document
    page.save_revision(user=user).publish(user=user, skip_permission_checks=True)
    return page


def references(exercise: ExercisePage) -> list[PracticeClip]:
    return list(PracticeClip.objects.filter(exercise=exercise, kind=PracticeClip.Kind.REFERENCE))


def jobs_for(clip: PracticeClip) -> list[MediaJob]:
    return list(MediaJob.objects.filter(kind=PROCESS_JOB_KIND, target_id=clip.pk))


def test_publishing_with_a_document_makes_an_uploaded_reference_clip(
    world: World, h264_mp4: Path
) -> None:
    document = make_document(h264_mp4)
    publish(world.exercise, document, user=world.teacher)

    [clip] = references(world.exercise)
    data = h264_mp4.read_bytes()
    assert clip.status == PracticeClip.Status.UPLOADED
    assert clip.owner == world.teacher
    assert clip.course_id == world.course.pk
    assert clip.attempt_number is None
    assert clip.source_document_id == document.pk
    assert clip.declared_size == len(data)
    # The author's publish wrote rows only: the job copies the document.
    assert not default_storage.exists(clip.original_key)
    [job] = jobs_for(clip)
    assert job.status == MediaJob.Status.QUEUED


def test_the_job_imports_the_document_as_the_original(
    world: World, h264_mp4: Path, django_capture_on_commit_callbacks: Any
) -> None:
    document = make_document(h264_mp4)
    with django_capture_on_commit_callbacks(execute=True):
        publish(world.exercise, document, user=world.teacher)
    [clip] = references(world.exercise)
    data = h264_mp4.read_bytes()
    assert clip.status == PracticeClip.Status.READY, (clip.error_code, clip.error_message)
    assert clip.size_bytes == len(data)
    assert clip.sha256 == clip.declared_sha256 == hashlib.sha256(data).hexdigest()
    assert stored_bytes(clip.original_key) == data
    # On local disk the original is the document's file, hard-linked: no bytes copied.
    original = Path(default_storage.path(clip.original_key))
    assert original.stat().st_ino == Path(document.file.path).stat().st_ino


def test_a_document_deleted_before_the_job_fails_the_reference_clearly(
    world: World, h264_mp4: Path, django_capture_on_commit_callbacks: Any
) -> None:
    document = make_document(h264_mp4)
    publish(world.exercise, document, user=world.teacher)
    [clip] = references(world.exercise)
    document.delete()
    [job] = jobs_for(clip)
    from huey_tasks.jobs import job_run

    with django_capture_on_commit_callbacks(execute=True):
        job_run(job_id=job.pk)
    clip.refresh_from_db()
    assert clip.status == PracticeClip.Status.FAILED
    assert clip.error_code == "reference_document_missing"
    assert "upload it again" in clip.error_message
    job.refresh_from_db()
    assert (job.status, job.attempts) == (MediaJob.Status.FAILED, 1)


def test_unpublishing_the_exercise_retires_its_reference_clip(
    world: World, h264_mp4: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        publish(world.exercise, make_document(h264_mp4), user=world.teacher)
    [clip] = references(world.exercise)
    assert default_storage.exists(clip.original_key)
    with django_capture_on_commit_callbacks(execute=True):
        ExercisePage.objects.get(pk=world.exercise.pk).unpublish()
    assert references(world.exercise) == []
    assert not default_storage.exists(clip.storage_prefix.rstrip("/"))
    # Publishing again makes a new one.
    with django_capture_on_commit_callbacks(execute=True):
        document = ExercisePage.objects.get(pk=world.exercise.pk).reference_video
        publish(world.exercise, document, user=world.teacher)
    [again] = references(world.exercise)
    assert again.pk != clip.pk


def test_owner_falls_back_to_the_page_owner_or_a_superuser(
    world: World, h264_mp4: Path, admin_user: User
) -> None:
    publish(world.exercise, make_document(h264_mp4), user=None)
    [clip] = references(world.exercise)
    page = ExercisePage.objects.get(pk=world.exercise.pk)
    assert clip.owner == (page.owner or admin_user)


def test_the_reference_is_processed_to_ready(
    world: World, h264_mp4: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        publish(world.exercise, make_document(h264_mp4), user=world.teacher)
    [clip] = references(world.exercise)
    assert clip.status == PracticeClip.Status.READY
    assert clip.playable
    [job] = jobs_for(clip)
    assert job.status == MediaJob.Status.SUCCEEDED


def test_republishing_the_same_document_does_nothing(world: World, h264_mp4: Path) -> None:
    document = make_document(h264_mp4)
    publish(world.exercise, document, user=world.teacher)
    [first] = references(world.exercise)

    page = publish(world.exercise, document, user=world.teacher)
    page.title = "Renamed exercise"
    page.save_revision(user=world.teacher).publish(user=world.teacher, skip_permission_checks=True)

    assert references(world.exercise) == [first]
    assert len(jobs_for(first)) == 1


def test_a_new_document_replaces_the_reference_clip(
    world: World, h264_mp4: Path, django_capture_on_commit_callbacks: Any
) -> None:
    publish(world.exercise, make_document(h264_mp4), user=world.teacher)
    [old] = references(world.exercise)

    with django_capture_on_commit_callbacks(execute=True):
        publish(world.exercise, make_document(h264_mp4, name="take2.mp4"), user=world.teacher)

    [new] = references(world.exercise)
    assert new.pk != old.pk
    assert new.status == PracticeClip.Status.READY
    assert not PracticeClip.objects.filter(pk=old.pk).exists()
    assert not default_storage.exists(old.original_key)


def test_clearing_the_document_removes_the_reference_clip(
    world: World, h264_mp4: Path, django_capture_on_commit_callbacks: Any
) -> None:
    publish(world.exercise, make_document(h264_mp4), user=world.teacher)
    [old] = references(world.exercise)

    with django_capture_on_commit_callbacks(execute=True):
        publish(world.exercise, None, user=world.teacher)

    assert references(world.exercise) == []
    assert not default_storage.exists(old.original_key)


def test_other_pages_and_exercises_without_a_reference_make_no_clip(world: World) -> None:
    publish(world.exercise2, None, user=world.teacher)
    world.course.save_revision().publish()
    assert not PracticeClip.objects.filter(kind=PracticeClip.Kind.REFERENCE).exists()


def test_everyone_in_the_course_gets_the_reference_with_streams(
    world: World,
    clients: Clients,
    h264_mp4: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        publish(world.exercise, make_document(h264_mp4), user=world.teacher)
    [clip] = references(world.exercise)

    for client in (clients.student, clients.student2, clients.teacher):
        response = client.get(reference_url(world.exercise))
        assert response.status_code == 200, response.content
        body = response_json(response)
        assert body["clip_id"] == str(clip.pk)
        assert body["status"] == "ready"
        assert body["playable"] is True
        assert body["streams"]["hls"].startswith("http://testserver/media/c/")

    detail = clients.student.get(f"{CLIPS}{clip.pk}/")
    assert detail.status_code == 200
    assert response_json(detail)["kind"] == "reference"
    assert clients.student.get(f"{CLIPS}{clip.pk}/streams/").status_code == 200


def test_a_reference_not_yet_playable_has_no_streams(
    world: World, clients: Clients, h264_mp4: Path
) -> None:
    publish(world.exercise, make_document(h264_mp4), user=world.teacher)
    body = response_json(clients.student.get(reference_url(world.exercise)))
    assert body["status"] == "uploaded"
    assert body["playable"] is False
    assert "streams" not in body


def test_outside_the_course_the_reference_is_not_found(
    world: World, clients: Clients, h264_mp4: Path
) -> None:
    publish(world.exercise, make_document(h264_mp4), user=world.teacher)
    [clip] = references(world.exercise)
    for client in (clients.outsider, clients.other_teacher):
        assert client.get(reference_url(world.exercise)).status_code == 404
        assert_error(client.get(f"{CLIPS}{clip.pk}/"), 404, "not_found")
    assert APIClient().get(reference_url(world.exercise)).status_code == 401


def test_no_reference_is_a_404(world: World, clients: Clients) -> None:
    assert_error(clients.student.get(reference_url(world.exercise)), 404, "no_reference")


def test_students_and_teachers_may_not_change_the_reference(
    world: World, clients: Clients, h264_mp4: Path
) -> None:
    publish(world.exercise, make_document(h264_mp4), user=world.teacher)
    [clip] = references(world.exercise)
    for client in (clients.student, clients.student2):
        response = client.patch(f"{CLIPS}{clip.pk}/", {"title": "mine"}, format="json")
        assert response.status_code == 403, response.content
        assert client.delete(f"{CLIPS}{clip.pk}/").status_code == 403
    assert PracticeClip.objects.filter(pk=clip.pk, title=clip.title).exists()


def test_clip_list_filters_by_kind(world: World, clients: Clients, h264_mp4: Path) -> None:
    publish(world.exercise, make_document(h264_mp4), user=world.teacher)
    [clip] = references(world.exercise)
    query = f"{CLIPS}?exercise={world.exercise.uuid}"

    everything = response_json(clients.student.get(query))
    assert [item["id"] for item in everything["results"]] == [str(clip.pk)]
    takes = response_json(clients.student.get(f"{query}&kind=take"))
    assert takes["results"] == []
    refs = response_json(clients.student.get(f"{query}&kind=reference"))
    assert [item["id"] for item in refs["results"]] == [str(clip.pk)]
    assert_error(clients.student.get(f"{query}&kind=bogus"), 400, "invalid")


def test_an_unreadable_document_does_not_stop_the_publish(world: World, h264_mp4: Path) -> None:
    document = make_document(h264_mp4)
    default_storage.delete(document.file.name)
    page = publish(world.exercise, document, user=world.teacher)
    page.refresh_from_db()
    assert page.live
    assert not page.has_unpublished_changes
    assert references(world.exercise) == []


def test_reference_endpoint_query_bound(
    world: World, clients: Clients, h264_mp4: Path, django_assert_max_num_queries: Any
) -> None:
    publish(world.exercise, make_document(h264_mp4), user=world.teacher)
    with django_assert_max_num_queries(12):
        assert clients.student.get(reference_url(world.exercise)).status_code == 200
