"""Fixtures for the threads plugin: the clips tests' course world, plus takes with segments."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from plugins.clips.models import PracticeClip
from plugins.clips.services import clip_request_upload
from plugins.segments.models import VideoSegment
from plugins.threads.models import PracticeThread
from plugins.threads.services import thread_create
from practika_site.users.models import User
from tests.clips import conftest as clips_fixtures
from tests.clips.conftest import Clients, Published, World

# The clips tests' fixtures, shared: a course world (module-scoped, or committed), clients,
# isolated storage, the published-events recorder and generated videos.
_fresh_site_root_cache = clips_fixtures._fresh_site_root_cache
clients = clips_fixtures.clients
dirs = clips_fixtures.dirs
h264_mp4 = clips_fixtures.h264_mp4
live_world = clips_fixtures.live_world
published = clips_fixtures.published
videos = clips_fixtures.videos
world = clips_fixtures.world

__all__ = ["Clients", "Published", "World"]

TAKE_SECONDS = 10.0

# pytest-django's django_capture_on_commit_callbacks: run what the services left for the commit
# (events, signals) in tests whose transaction never commits.
OnCommit = Callable[..., AbstractContextManager[list[Callable[[], object]]]]


def make_take(world: World, owner: User | None = None) -> PracticeClip:
    """A take as the student asks to upload it (declared 10 s; never processed)."""
    target = clip_request_upload(
        actor=owner or world.student,
        exercise_id=world.exercise.uuid,
        duration_sec=TAKE_SECONDS,
        absolute_url=lambda path: f"http://testserver{path}",
    )
    return target.clip


def make_reference(world: World) -> PracticeClip:
    """The teacher's reference video of the exercise, which every student of the course sees."""
    clip = make_take(world, owner=world.teacher)
    PracticeClip.objects.filter(pk=clip.pk).update(
        kind=PracticeClip.Kind.REFERENCE, attempt_number=None
    )
    clip.refresh_from_db()
    return clip


def make_segment(
    clip: PracticeClip, by: User, start: float = 1.0, end: float = 4.0
) -> VideoSegment:
    return VideoSegment.objects.create(clip=clip, start=start, end=end, created_by=by)


@dataclass(frozen=True)
class Scene:
    """The student's take with a segment the teacher cut, and a thread on it."""

    take: PracticeClip
    segment: VideoSegment
    thread: PracticeThread


def make_scene(world: World) -> Scene:
    take = make_take(world)
    segment = make_segment(take, world.teacher)
    thread = thread_create(actor=world.teacher, segment=segment, title="Bar 3 rushes")
    return Scene(take=take, segment=segment, thread=thread)


@pytest.fixture
def scene(world: World) -> Scene:
    return make_scene(world)


@pytest.fixture
def live_scene(live_world: World) -> Scene:
    return make_scene(live_world)


@pytest.fixture
def admin_client(client_for: Callable[[User], APIClient], admin_user: User) -> APIClient:
    return client_for(admin_user)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks: OnCommit) -> OnCommit:
    return django_capture_on_commit_callbacks
