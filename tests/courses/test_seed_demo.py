"""``manage.py seed_demo``: the demo data API.md promises, idempotent, DEBUG only."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from rest_framework.test import APIClient
from wagtail.documents import get_document_model
from wagtail.models import Page, Revision, Site

from practika_site.courses.models import (
    CourseIndexPage,
    CoursePage,
    Enrollment,
    ExercisePage,
    LessonPage,
    ModulePage,
    RubricCriterion,
)
from practika_site.users.management.commands import seed_demo
from practika_site.users.models import User

DEMO_PASSWORD = "demo-pass-for-tests"


@pytest.fixture(scope="session")
def _reference_videos() -> dict[int, bytes]:
    return {}


@pytest.fixture(autouse=True)
def _reuse_reference_videos(
    monkeypatch: pytest.MonkeyPatch, _reference_videos: dict[int, bytes]
) -> None:
    """ffmpeg really makes each distinct reference video once per session; later seeds
    reuse its bytes (six encodes per seed would dominate these tests' time)."""
    make = seed_demo._make_reference_video

    def cached(path: Path, *, tone: int) -> Path:
        if tone not in _reference_videos:
            _reference_videos[tone] = make(path, tone=tone).read_bytes()
        path.write_bytes(_reference_videos[tone])
        return path

    monkeypatch.setattr(seed_demo, "_make_reference_video", cached)


@pytest.fixture(autouse=True)
def _media_in_tmp(tmp_path: Path) -> Iterator[None]:
    """The reference videos (documents, and their clips' copies) go under this test's tmp."""
    storages = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media", "base_url": "/media/"},
        },
    }
    with override_settings(STORAGES=storages, MEDIA_ROOT=tmp_path / "media"):
        yield


def _seed(**options: object) -> str:
    out = StringIO()
    with override_settings(DEBUG=True, PRACTIKA_DEMO_PASSWORD=DEMO_PASSWORD):
        call_command("seed_demo", stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def _row_counts() -> dict[str, int]:
    models = [m for m in apps.get_models() if m._meta.app_label in {"users", "courses", "auth"}]
    models += [Page, Revision, Site, apps.get_model("wagtailcore", "GroupPagePermission")]
    models += [get_document_model()]
    if apps.is_installed("plugins.clips"):  # reference clips, made when exercises publish
        models += [
            apps.get_model("clips", "PracticeClip"),
            apps.get_model("huey_tasks", "MediaJob"),
        ]
    return {model._meta.label: model._default_manager.count() for model in models}


@pytest.mark.django_db
def test_creates_users_course_and_enrollments() -> None:
    output = _seed()
    assert "created  user student" in output

    users = {user.username: user for user in User.objects.all()}
    assert {"student", "student2", "teacher", "author", "admin"} <= set(users)
    assert [users[name].role for name in ("student", "student2", "teacher", "author")] == [
        "student",
        "student",
        "teacher",
        "teacher",
    ]
    admin = users["admin"]
    assert admin.role == User.Role.ADMIN
    assert admin.is_superuser
    assert admin.is_staff
    assert all(user.check_password(DEMO_PASSWORD) for user in users.values())
    assert list(users["author"].groups.values_list("name", flat=True)) == ["Moderators"]

    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, CourseIndexPage)
    assert not Page.objects.filter(depth=2, slug="home").exists()  # Wagtail's welcome page

    course = CoursePage.objects.get()
    assert ModulePage.objects.child_of(course).count() == 2
    for module in ModulePage.objects.child_of(course):
        lessons = LessonPage.objects.child_of(module)
        assert lessons.count() == 2
        for lesson in lessons:
            assert 1 <= ExercisePage.objects.child_of(lesson).count() <= 2
    exercises = ExercisePage.objects.all()
    assert all(e.instructions and e.target_duration_sec > 0 for e in exercises)
    assert any(e.max_takes is None for e in exercises)
    assert any(e.max_takes for e in exercises)
    assert all(e.rubric_criteria.exists() for e in exercises)
    # Published through revisions, never by setting live by hand.
    for page in Page.objects.type(
        CourseIndexPage, CoursePage, ModulePage, LessonPage, ExercisePage
    ):
        assert page.live
        assert page.live_revision_id is not None
        assert not page.has_unpublished_changes

    roles = dict(Enrollment.objects.values_list("user__username", "role"))
    assert roles == {"student": "student", "student2": "student", "teacher": "teacher"}


@pytest.mark.django_db
def test_second_run_changes_nothing() -> None:
    _seed()
    before = _row_counts()
    criteria_before = set(RubricCriterion.objects.values_list("uuid", flat=True))
    output = _seed()
    assert _row_counts() == before
    assert set(RubricCriterion.objects.values_list("uuid", flat=True)) == criteria_before
    assert "created" not in output


@pytest.mark.django_db
def test_every_exercise_has_a_generated_reference_video() -> None:
    output = _seed()
    exercises = list(ExercisePage.objects.select_related("reference_video"))
    assert exercises
    for exercise in exercises:
        document = exercise.reference_video
        assert document is not None
        assert document.title == f"Reference: {exercise.title}"
        assert document.file.name.endswith(".mp4")
        with document.file.open("rb") as handle:
            assert handle.read(12)[4:8] == b"ftyp"  # an MP4 ffmpeg wrote
        # The live revision carries it, so publishing handed it to the pipeline.
        live = exercise.live_revision
        assert live is not None
        assert live.content["reference_video"] == document.pk
    assert output.count("created  reference video") == len(exercises)
    if apps.is_installed("plugins.clips"):
        clips = apps.get_model("clips", "PracticeClip").objects.filter(kind="reference")
        assert clips.count() == len(exercises)


@pytest.mark.django_db
def test_attaches_reference_videos_to_exercises_seeded_without_them() -> None:
    _seed()
    for exercise in ExercisePage.objects.all():
        exercise.reference_video = None
        exercise.save_revision().publish()
    documents = get_document_model().objects.count()
    output = _seed()
    assert get_document_model().objects.count() == documents  # found again, not regenerated
    assert "created  reference video" not in output
    assert not ExercisePage.objects.filter(reference_video__isnull=True).exists()
    assert all(not page.has_unpublished_changes for page in ExercisePage.objects.all())


@pytest.mark.django_db
def test_keeps_a_changed_password() -> None:
    _seed()
    student = User.objects.get(username="student")
    student.set_password("my-own-password")
    student.save()
    _seed()
    student.refresh_from_db()
    assert student.check_password("my-own-password")


@pytest.mark.django_db
def test_refuses_with_debug_off_unless_forced() -> None:
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.filter(username="student").exists()
    with override_settings(DEBUG=False):
        call_command("seed_demo", "--force", stdout=StringIO())
    assert User.objects.filter(username="student").exists()


@pytest.mark.django_db
def test_demo_users_work_end_to_end() -> None:
    _seed()
    api = APIClient()
    token = api.post(
        "/api/v1/auth/token/", {"username": "student", "password": DEMO_PASSWORD}
    ).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    exercises = api.get("/api/v1/exercises/").json()
    assert exercises["count"] == ExercisePage.objects.count()
    site = Client()
    assert site.get(exercises["results"][0]["url"]).status_code == 200

    author = Client()
    assert author.login(username="author", password=DEMO_PASSWORD)
    assert author.get("/cms/").status_code == 200
    lesson = LessonPage.objects.first()
    assert lesson is not None
    user = User.objects.get(username="author")
    assert lesson.permissions_for_user(user).can_publish()
    assert Group.objects.get(name="Moderators").permissions.filter(codename="access_admin")
