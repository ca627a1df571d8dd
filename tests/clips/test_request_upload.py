"""``POST /api/v1/clips/``: the upload target of API.md, attempts, max takes, bad input."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from plugins.clips.models import PracticeClip, UploadSession
from practika_site.courses.models import ExercisePage
from practika_site.users.models import User
from tests.api.assertions import assert_error

from .conftest import Clients, World
from .helpers import CLIPS, request_upload

pytestmark = pytest.mark.django_db


def test_answer_has_exactly_the_api_md_shape(clients: Clients, world: World, settings: Any) -> None:
    before = timezone.now()
    target = request_upload(
        clients.student,
        world.exercise,
        duration_sec=12.5,
        filename="my take.mov",
        size_bytes=1234,
        content_type="video/quicktime",
        sha256="a" * 64,
    )
    assert set(target) == {
        "clip_id",
        "url",
        "method",
        "headers",
        "expires_at",
        "max_bytes",
        "tus_url",
    }
    clip = PracticeClip.objects.get(pk=target["clip_id"])
    assert clip.owner == world.student
    assert clip.exercise_id == world.exercise.pk
    assert clip.course_id == world.course.pk
    assert clip.status == PracticeClip.Status.AWAITING_UPLOAD
    assert clip.declared_duration == 12.5
    assert clip.declared_size == 1234
    assert clip.declared_sha256 == "a" * 64
    assert clip.original_key.startswith(f"clips/{clip.pk}/original/")
    assert target["method"] == "PUT"
    assert target["headers"] == {"Content-Type": "video/quicktime"}
    assert target["max_bytes"] == 1234  # the declared size is the limit
    assert target["url"].startswith("http://testserver/api/v1/uploads/")
    assert target["tus_url"] == f"http://testserver/api/v1/clips/{clip.pk}/tus/"
    expires_at = parse_datetime(target["expires_at"])
    assert expires_at is not None
    ttl = timedelta(seconds=settings.PRACTIKA_UPLOAD_TTL_SECONDS)
    assert before + ttl - timedelta(seconds=5) <= expires_at <= timezone.now() + ttl


def test_without_a_declared_size_the_limit_is_the_site_limit(
    clients: Clients, world: World, settings: Any
) -> None:
    target = request_upload(clients.student, world.exercise)
    assert target["max_bytes"] == settings.PRACTIKA_UPLOAD_MAX_BYTES
    assert target["headers"] == {"Content-Type": "application/octet-stream"}


def test_attempt_numbers_count_per_student_and_exercise(clients: Clients, world: World) -> None:
    for _ in range(3):
        request_upload(clients.student, world.exercise)
    request_upload(clients.student, world.exercise2)
    request_upload(clients.student2, world.exercise)

    def attempts(user: User, exercise: ExercisePage) -> list[int | None]:
        clips = PracticeClip.objects.filter(owner=user, exercise=exercise)
        return sorted(clips.values_list("attempt_number", flat=True))  # type: ignore[type-var]

    assert attempts(world.student, world.exercise) == [1, 2, 3]
    assert attempts(world.student, world.exercise2) == [1]
    assert attempts(world.student2, world.exercise) == [1]


def test_max_takes_reached_is_409(clients: Clients, world: World) -> None:
    exercise = ExercisePage.objects.get(pk=world.exercise.pk)
    exercise.max_takes = 2
    exercise.save_revision().publish()
    request_upload(clients.student, world.exercise)
    request_upload(clients.student, world.exercise)
    body = {"exercise_id": str(world.exercise.uuid), "duration_sec": 3}
    response = clients.student.post(CLIPS, body, format="json")
    error = assert_error(response, 409, "max_takes_reached")
    assert error["details"] == {"max_takes": 2}
    assert PracticeClip.objects.filter(owner=world.student).count() == 2
    # Another student still has both takes.
    request_upload(clients.student2, world.exercise)


def test_unenrolled_student_gets_404(clients: Clients, world: World) -> None:
    body = {"exercise_id": str(world.exercise.uuid), "duration_sec": 3}
    assert_error(clients.outsider.post(CLIPS, body, format="json"), 404, "not_found")
    assert_error(
        clients.student.post(
            CLIPS, {"exercise_id": str(uuid.uuid4()), "duration_sec": 3}, format="json"
        ),
        404,
        "not_found",
    )
    assert not PracticeClip.objects.exists()


def test_anonymous_is_401(anon_client: APIClient, world: World) -> None:
    body = {"exercise_id": str(world.exercise.uuid), "duration_sec": 3}
    assert_error(anon_client.post(CLIPS, body, format="json"), 401, "not_authenticated")
    assert_error(anon_client.get(CLIPS), 401, "not_authenticated")
    assert not PracticeClip.objects.exists()


DROP = object()  # leave the field out of the body

BAD_INPUT: list[tuple[str, dict[str, Any], int, str, str | None]] = [
    ("missing exercise", {"exercise_id": DROP}, 400, "invalid", "exercise_id"),
    ("malformed exercise", {"exercise_id": "nope"}, 400, "invalid", "exercise_id"),
    ("missing duration", {"duration_sec": DROP}, 400, "invalid", "duration_sec"),
    ("zero duration", {"duration_sec": 0}, 400, "invalid", "duration_sec"),
    ("negative duration", {"duration_sec": -4}, 400, "invalid", "duration_sec"),
    ("text duration", {"duration_sec": "long"}, 400, "invalid", "duration_sec"),
    ("nan duration", {"duration_sec": "NaN"}, 400, "invalid", "duration_sec"),
    ("endless duration", {"duration_sec": 1e9}, 400, "invalid", "duration_sec"),
    ("zero size", {"size_bytes": 0}, 400, "invalid", "size_bytes"),
    ("negative size", {"size_bytes": -1}, 400, "invalid", "size_bytes"),
    ("short sha256", {"sha256": "abc"}, 400, "invalid", "sha256"),
    ("non-hex sha256", {"sha256": "z" * 64}, 400, "invalid", "sha256"),
    ("image type", {"content_type": "image/png"}, 415, "media_unsupported_type", None),
    ("html type", {"content_type": "text/html"}, 415, "media_unsupported_type", None),
    ("too large", {"size_bytes": 10**13}, 413, "upload_too_large", None),
]


@pytest.mark.parametrize(
    ("fields", "status", "code", "field"),
    [case[1:] for case in BAD_INPUT],
    ids=[case[0] for case in BAD_INPUT],
)
def test_bad_input_is_refused_and_writes_nothing(
    clients: Clients,
    world: World,
    fields: dict[str, Any],
    status: int,
    code: str,
    field: str | None,
) -> None:
    body: dict[str, Any] = {"exercise_id": str(world.exercise.uuid), "duration_sec": 3, **fields}
    body = {key: value for key, value in body.items() if value is not DROP}
    error = assert_error(clients.student.post(CLIPS, body, format="json"), status, code)
    if field is not None:
        assert field in error["details"], error
    assert not PracticeClip.objects.exists()
    assert not UploadSession.objects.exists()


def test_size_over_the_site_limit_is_413(clients: Clients, world: World, settings: Any) -> None:
    settings.PRACTIKA_UPLOAD_MAX_BYTES = 1000
    body = {"exercise_id": str(world.exercise.uuid), "duration_sec": 3, "size_bytes": 1001}
    assert_error(clients.student.post(CLIPS, body, format="json"), 413, "upload_too_large")
    body["size_bytes"] = 1000
    assert clients.student.post(CLIPS, body, format="json").status_code == 201


def test_content_type_is_case_insensitive_and_parameters_are_allowed(
    clients: Clients, world: World
) -> None:
    target = request_upload(clients.student, world.exercise, content_type="Video/MP4")
    assert target["headers"] == {"Content-Type": "video/mp4"}
    target = request_upload(
        clients.student, world.exercise, content_type='video/webm; codecs="vp9,opus"'
    )
    assert target["headers"]["Content-Type"].startswith("video/webm")


def test_filename_never_escapes_the_clip_prefix(clients: Clients, world: World) -> None:
    target = request_upload(clients.student, world.exercise, filename="../../etc/passwd")
    clip = PracticeClip.objects.get(pk=target["clip_id"])
    assert clip.original_key == f"clips/{clip.pk}/original/passwd"
    target = request_upload(clients.student, world.exercise, filename="...")
    clip = PracticeClip.objects.get(pk=target["clip_id"])
    assert clip.original_key == f"clips/{clip.pk}/original/take.mp4"
