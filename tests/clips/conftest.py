"""Fixtures for the clips plugin: a course with students and teachers, isolated storage."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from rest_framework.test import APIClient

from practika_site.core import realtime
from practika_site.courses.models import CoursePage, Enrollment, ExercisePage
from practika_site.users.models import User
from tests.courses.factories import enroll, make_course_tree, make_index
from tests.factories import UserFactory
from tests.mediafiles import make_video


@dataclass(frozen=True)
class Dirs:
    media: Path
    uploads: Path
    work: Path


@pytest.fixture(autouse=True)
def dirs(tmp_path: Path) -> Iterator[Dirs]:
    """Local storage, upload temp files and the pipeline's work dir under this test's tmp."""
    from django.conf import settings as django_settings

    dirs = Dirs(media=tmp_path / "media", uploads=tmp_path / "uploads", work=tmp_path / "work")
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
        # The heartbeat thread would write through its own connection while the test's
        # transaction holds the row; a beat is irrelevant to a job that ends in seconds.
        PRACTIKA_JOB_HEARTBEAT_SECONDS=600.0,
    ):
        yield dirs


@pytest.fixture(autouse=True)
def _fresh_site_root_cache() -> Iterator[None]:
    # Wagtail caches site root paths in the cache, which outlives each test's rollback.
    cache.clear()
    yield
    cache.clear()


@dataclass(frozen=True)
class World:
    """One course where ``student`` and ``student2`` practise and ``teacher`` teaches, and
    another course taught by ``other_teacher``."""

    course: CoursePage
    exercise: ExercisePage
    exercise2: ExercisePage
    other_course: CoursePage
    other_exercise: ExercisePage
    student: User
    student2: User
    teacher: User
    other_teacher: User
    outsider: User


def make_world() -> World:
    index = make_index()
    tree = make_course_tree(index, modules=1, lessons=1, exercises=2, title="Guitar")
    other = make_course_tree(index, modules=1, lessons=1, exercises=1, title="Piano")
    student = UserFactory.create(username="student")
    student2 = UserFactory.create(username="student2")
    teacher = UserFactory.create(username="teacher", teacher=True)
    other_teacher = UserFactory.create(username="other_teacher", teacher=True)
    outsider = UserFactory.create(username="outsider")
    enroll(student, tree.course)
    enroll(student2, tree.course)
    enroll(teacher, tree.course, Enrollment.Role.TEACHER)
    enroll(other_teacher, other.course, Enrollment.Role.TEACHER)
    enroll(student, other.course)
    return World(
        course=tree.course,
        exercise=tree.exercises[0],
        exercise2=tree.exercises[1],
        other_course=other.course,
        other_exercise=other.exercises[0],
        student=student,
        student2=student2,
        teacher=teacher,
        other_teacher=other_teacher,
        outsider=outsider,
    )


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """The course tree, built once per module inside a transaction rolled back at its end.

    Wagtail pages are slow to publish, so each test's own transaction (``db``) nests in
    this one as a savepoint. Treat the objects as read-only (re-fetch to change a page);
    tests that need committed data (``transactional_db``) use ``live_world`` instead.
    """
    with django_db_blocker.unblock():
        cache.clear()
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield make_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            cache.clear()


@pytest.fixture
def live_world(transactional_db: None) -> World:
    """``world`` for tests whose data must be committed (a live server, websockets).

    ``make_index`` puts back Wagtail's root page and site when an earlier test's flush
    removed them."""
    return make_world()


@dataclass(frozen=True)
class Clients:
    student: APIClient
    student2: APIClient
    teacher: APIClient
    other_teacher: APIClient
    outsider: APIClient


def clients_for(world: World, client_for: Callable[[User], APIClient]) -> Clients:
    return Clients(
        student=client_for(world.student),
        student2=client_for(world.student2),
        teacher=client_for(world.teacher),
        other_teacher=client_for(world.other_teacher),
        outsider=client_for(world.outsider),
    )


@pytest.fixture
def clients(world: World, client_for: Callable[[User], APIClient]) -> Clients:
    return clients_for(world, client_for)


@pytest.fixture(scope="session")
def videos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clip-videos")


@pytest.fixture(scope="session")
def h264_mp4(videos: Path) -> Path:
    """3 s of 320x240 H.264/AAC with 2 s GOPs: remuxed for a fast publish."""
    return make_video(videos / "take.mp4", duration=3, keyint=60)


@pytest.fixture(scope="session")
def small_bytes() -> bytes:
    """Arbitrary upload bytes for the transport tests (never processed)."""
    return bytes(range(256)) * 1024 + b"tail"


@dataclass
class Published:
    events: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def types(self, topic: str) -> list[str]:
        return [kind for t, kind, _ in self.events if t == topic]

    def of(self, topic: str, kind: str) -> list[dict[str, Any]]:
        return [data for t, k, data in self.events if t == topic and k == kind]


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> Published:
    """Every event the services publish (after commit), in order."""
    seen = Published()

    def record(topic: str, event_type: str, data: Any, *, seq: int | None = None) -> None:
        seen.events.append((topic, event_type, json.loads(json.dumps(data))))

    monkeypatch.setattr(realtime, "publish", record)
    return seen
