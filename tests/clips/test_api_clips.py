"""Clips list, detail, update and delete: who sees what, filters, and the files on delete."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from plugins.clips.models import PracticeClip, UploadSession
from plugins.clips.services import clip_delete
from practika_site.courses.models import ExercisePage
from practika_site.users.models import User
from tests.api.assertions import assert_error, response_json

from .conftest import Clients, Dirs, World
from .helpers import CLIPS, clip, commit, path_of, request_upload, upload

pytestmark = pytest.mark.django_db

TUS = {"Tus-Resumable": "1.0.0"}


def make_clip(
    world: World,
    *,
    owner: User | None = None,
    exercise: ExercisePage | None = None,
    title: str = "",
    status: str = PracticeClip.Status.AWAITING_UPLOAD,
    attempt: int | None = None,
) -> PracticeClip:
    """A clip row as the service leaves it (the API flow is tested elsewhere)."""
    owner = owner or world.student
    exercise = exercise or world.exercise
    course = world.other_course if exercise.pk == world.other_exercise.pk else world.course
    taken = PracticeClip.objects.filter(owner=owner, exercise=exercise).count()
    made = PracticeClip(
        owner=owner,
        exercise=exercise,
        course=course,
        attempt_number=attempt or taken + 1,
        title=title,
        status=status,
        max_bytes=1000,
        upload_expires_at=timezone.now() + timedelta(hours=1),
    )
    made.original_key = f"clips/{made.id}/original/take.mp4"
    made.save()
    return made


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response_json(response)["results"]]


def test_detail_shape(clients: Clients, world: World) -> None:
    made = make_clip(world, title="First try")
    response = clients.student.get(f"{CLIPS}{made.pk}/")
    assert response.status_code == 200
    body = response_json(response)
    assert body["id"] == str(made.pk)
    assert body["exercise"] == {"id": str(world.exercise.uuid), "title": world.exercise.title}
    assert body["course_id"] == str(world.course.uuid)
    assert body["owner"] == {"id": str(world.student.pk), "username": "student"}
    assert body["attempt_number"] == 1
    assert body["title"] == "First try"
    assert body["status"] == "awaiting_upload"
    assert body["playable"] is False
    assert body["error"] is None
    response = clients.student.get(f"{CLIPS}{made.pk}/status/")
    assert response_json(response) == {
        "clip_id": str(made.pk),
        "status": "awaiting_upload",
        "progress": 0,
        "playable": False,
        "error": None,
    }


def test_another_student_gets_404_everywhere(
    clients: Clients, world: World, small_bytes: bytes
) -> None:
    target = request_upload(clients.student, world.exercise, size_bytes=len(small_bytes))
    clip_id = target["clip_id"]
    other = clients.student2
    assert_error(other.get(f"{CLIPS}{clip_id}/"), 404, "not_found")
    assert_error(other.get(f"{CLIPS}{clip_id}/status/"), 404, "not_found")
    assert_error(other.get(f"{CLIPS}{clip_id}/streams/"), 404, "not_found")
    assert_error(commit(other, clip_id), 404, "not_found")
    assert_error(other.patch(f"{CLIPS}{clip_id}/", {"title": "mine"}), 404, "not_found")
    assert_error(other.delete(f"{CLIPS}{clip_id}/"), 404, "not_found")
    tus = other.post(path_of(target["tus_url"]), headers={**TUS, "Upload-Length": "10"})
    assert_error(tus, 404, "not_found")
    assert clip_id not in ids(other.get(CLIPS))
    assert ids(other.get(CLIPS, {"owner": str(world.student.pk)})) == []
    assert clip(clip_id).title == ""


def test_teachers_see_their_courses_clips_only(clients: Clients, world: World) -> None:
    guitar = make_clip(world)
    guitar2 = make_clip(world, owner=world.student2)
    piano = make_clip(world, exercise=world.other_exercise)
    assert set(ids(clients.teacher.get(CLIPS))) == {str(guitar.pk), str(guitar2.pk)}
    assert ids(clients.other_teacher.get(CLIPS)) == [str(piano.pk)]
    assert set(ids(clients.student.get(CLIPS))) == {str(guitar.pk), str(piano.pk)}
    assert ids(clients.student2.get(CLIPS)) == [str(guitar2.pk)]
    assert ids(clients.outsider.get(CLIPS)) == []
    # The teacher sees a clip's detail and status, but may not change it.
    assert clients.teacher.get(f"{CLIPS}{guitar.pk}/").status_code == 200
    assert clients.teacher.get(f"{CLIPS}{guitar.pk}/status/").status_code == 200
    assert_error(clients.teacher.patch(f"{CLIPS}{guitar.pk}/", {"title": "x"}), 403, "forbidden")
    assert_error(clients.teacher.delete(f"{CLIPS}{guitar.pk}/"), 403, "forbidden")
    assert_error(clients.other_teacher.get(f"{CLIPS}{guitar.pk}/"), 404, "not_found")


def test_admin_sees_everything(world: World, client_for: Callable[[User], Any]) -> None:
    from tests.factories import UserFactory

    admin = client_for(UserFactory.create(username="admin", admin=True))
    made = {str(make_clip(world).pk), str(make_clip(world, exercise=world.other_exercise).pk)}
    assert set(ids(admin.get(CLIPS))) == made


def test_filters(clients: Clients, world: World) -> None:
    first = make_clip(world, title="Scales in G")
    second = make_clip(world, exercise=world.exercise2, status=PracticeClip.Status.READY)
    third = make_clip(world, exercise=world.other_exercise, title="Chords")
    theirs = make_clip(world, owner=world.student2, title="scales again")
    get = clients.student.get
    assert ids(get(CLIPS, {"exercise": str(world.exercise.uuid)})) == [str(first.pk)]
    assert ids(get(CLIPS, {"course": str(world.other_course.uuid)})) == [str(third.pk)]
    assert ids(get(CLIPS, {"status": "ready"})) == [str(second.pk)]
    assert ids(get(CLIPS, {"search": "SCALES"})) == [str(first.pk)]
    assert set(ids(get(CLIPS, {"search": world.exercise2.title}))) == {str(second.pk)}
    assert len(ids(get(CLIPS, {"owner": str(world.student.pk)}))) == 3
    assert ids(get(CLIPS, {"owner": str(world.student2.pk)})) == []
    teacher = clients.teacher.get
    assert set(ids(teacher(CLIPS, {"search": "scales"}))) == {str(first.pk), str(theirs.pk)}
    assert ids(teacher(CLIPS, {"owner": str(world.student2.pk)})) == [str(theirs.pk)]
    assert set(ids(teacher(CLIPS, {"search": "student2"}))) == {str(theirs.pk)}
    # Ordering: newest first by default; by attempt number on request.
    assert ids(get(CLIPS)) == [str(third.pk), str(second.pk), str(first.pk)]
    assert ids(get(CLIPS, {"ordering": "created_at"})) == [
        str(first.pk),
        str(second.pk),
        str(third.pk),
    ]
    again = make_clip(world, title="again")
    assert again.attempt_number == 2
    assert ids(get(CLIPS, {"ordering": "-attempt_number"}))[0] == str(again.pk)
    assert ids(get(CLIPS, {"ordering": "status"}))[-1] == str(second.pk)


@pytest.mark.parametrize(
    "params",
    [
        {"exercise": "nope"},
        {"owner": "12"},
        {"course": "not-a-uuid"},
        {"status": "done"},
        {"ordering": "owner__password"},
        {"ordering": "-title;drop"},
    ],
)
def test_bad_filter_values_are_400(clients: Clients, world: World, params: dict[str, str]) -> None:
    error = assert_error(clients.student.get(CLIPS, params), 400, "invalid")
    assert set(error["details"]) == set(params)


def test_patch_title_and_notes(clients: Clients, world: World) -> None:
    made = make_clip(world)
    response = clients.student.patch(
        f"{CLIPS}{made.pk}/", {"title": "Better", "notes": "Slower next time."}, format="json"
    )
    assert response.status_code == 200
    body = response_json(response)
    assert body["title"] == "Better"
    assert body["notes"] == "Slower next time."
    made.refresh_from_db()
    assert (made.title, made.notes) == ("Better", "Slower next time.")
    response = clients.student.patch(f"{CLIPS}{made.pk}/", {"notes": ""}, format="json")
    assert response.status_code == 200
    made.refresh_from_db()
    assert (made.title, made.notes) == ("Better", "")


@pytest.mark.parametrize(
    "field",
    ["status", "owner", "attempt_number", "progress", "exercise", "kind", "size_bytes", "id"],
)
def test_patch_refuses_server_owned_fields_and_writes_nothing(
    clients: Clients, world: World, field: str
) -> None:
    made = make_clip(world)
    values = {
        "status": "ready",
        "owner": str(world.student2.pk),
        "attempt_number": 7,
        "progress": 100,
        "exercise": str(world.exercise2.uuid),
        "kind": "reference",
        "size_bytes": 5,
        "id": "00000000-0000-4000-8000-000000000000",
    }
    response = clients.student.patch(
        f"{CLIPS}{made.pk}/", {"title": "Renamed", field: values[field]}, format="json"
    )
    error = assert_error(response, 400, "invalid")
    assert field in error["details"]
    fresh = PracticeClip.objects.get(pk=made.pk)
    assert fresh.title == ""
    assert fresh.status == PracticeClip.Status.AWAITING_UPLOAD
    assert fresh.owner_id == world.student.pk
    assert fresh.attempt_number == 1


def test_create_refuses_server_owned_fields(clients: Clients, world: World) -> None:
    for field, value in (
        ("status", "ready"),
        ("owner", str(world.student2.pk)),
        ("attempt_number", 9),
    ):
        body = {"exercise_id": str(world.exercise.uuid), "duration_sec": 3, field: value}
        error = assert_error(clients.student.post(CLIPS, body, format="json"), 400, "invalid")
        assert field in error["details"]
    assert not PracticeClip.objects.exists()


def test_patch_validates_lengths(clients: Clients, world: World) -> None:
    made = make_clip(world)
    error = assert_error(
        clients.student.patch(f"{CLIPS}{made.pk}/", {"title": "x" * 201}, format="json"),
        400,
        "invalid",
    )
    assert "title" in error["details"]


def test_put_is_not_allowed(clients: Clients, world: World) -> None:
    made = make_clip(world)
    response = clients.student.put(f"{CLIPS}{made.pk}/", {"title": "x"}, format="json")
    assert_error(response, 405, "method_not_allowed")


def test_delete_removes_row_and_files(
    clients: Clients,
    world: World,
    small_bytes: bytes,
    dirs: Dirs,
    django_capture_on_commit_callbacks: Any,
) -> None:
    clip_id = upload(clients.student, world.exercise, small_bytes)
    assert commit(clients.student, clip_id).status_code == 202
    stored = clip(clip_id)
    default_storage.save(f"{stored.storage_prefix}hls-1/source/index.m3u8", ContentFile(b"#"))
    # An unfinished tus upload of another clip stays; this clip's partial file goes.
    partial = dirs.uploads / "partial.part"
    partial.write_bytes(b"half")
    UploadSession.objects.create(
        clip=stored, protocol="tus", temp_path=str(partial), expires_at=stored.upload_expires_at
    )
    keep = make_clip(world)
    default_storage.save(f"{keep.storage_prefix}original/take.mp4", ContentFile(b"keep"))
    with django_capture_on_commit_callbacks(execute=True):
        response = clients.student.delete(f"{CLIPS}{clip_id}/")
    assert response.status_code == 204
    assert not PracticeClip.objects.filter(pk=clip_id).exists()
    assert not (dirs.media / "clips" / clip_id).exists()
    assert not partial.exists()
    assert default_storage.exists(f"{keep.storage_prefix}original/take.mp4")
    assert_error(clients.student.get(f"{CLIPS}{clip_id}/"), 404, "not_found")


def test_delete_keeps_files_if_the_transaction_rolls_back(
    clients: Clients, world: World, small_bytes: bytes, dirs: Dirs
) -> None:
    clip_id = upload(clients.student, world.exercise, small_bytes)
    stored = clip(clip_id)

    def delete_then_fail() -> None:
        with transaction.atomic():
            clip_delete(clip=stored, actor=world.student)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError, match="rolled back"):
        delete_then_fail()
    assert PracticeClip.objects.filter(pk=clip_id).exists()
    assert Path(dirs.media / stored.original_key).exists()


@pytest.mark.parametrize("count", [3, 20])
def test_list_queries_do_not_grow_with_the_clips(
    clients: Clients, world: World, count: int, django_assert_max_num_queries: Any
) -> None:
    for n in range(count):
        exercise = (world.exercise, world.exercise2, world.other_exercise)[n % 3]
        make_clip(world, exercise=exercise, owner=world.student, title=f"take {n}")
    # Authentication (token), count and page: a fixed number, whatever the size.
    with django_assert_max_num_queries(6):
        response = clients.student.get(CLIPS)
    assert response.status_code == 200
    assert response_json(response)["count"] == count
    with django_assert_max_num_queries(7):
        assert clients.teacher.get(CLIPS).status_code == 200


@pytest.mark.parametrize(
    "clip_id", ["-" * 34, "0" * 32, "00000000-0000-4000-8000-000000000000", "not-a-uuid"]
)
def test_unknown_or_malformed_ids_are_404(clients: Clients, clip_id: str) -> None:
    for path in (f"{CLIPS}{clip_id}/", f"{CLIPS}{clip_id}/status/", f"{CLIPS}{clip_id}/streams/"):
        assert_error(clients.student.get(path), 404, "not_found")
