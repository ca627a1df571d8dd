"""The clips plugin's panels on the site's pages (``wagtail_hooks.py``): the practice room of
an exercise page and the progress on course, module and lesson pages. The browser side is in
tests/browser/test_practice_room.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Page

from plugins.clips.models import PracticeClip
from plugins.clips.wagtail_hooks import practice_room_panel
from practika_site.courses.models import ExercisePage
from practika_site.users.models import User

from .conftest import World

pytestmark = pytest.mark.django_db

ROOM = "<practika-practice-room"
PROGRESS = 'id="progress-heading"'


def make_clip(
    world: World,
    *,
    owner: User | None = None,
    exercise: ExercisePage | None = None,
    kind: str = PracticeClip.Kind.TAKE,
    status: str = PracticeClip.Status.READY,
    playable: bool = True,
) -> PracticeClip:
    owner = owner or world.student
    exercise = exercise or world.exercise
    attempt = None
    if kind == PracticeClip.Kind.TAKE:
        attempt = PracticeClip.objects.filter(owner=owner, exercise=exercise, kind=kind).count() + 1
    now = timezone.now()
    clip = PracticeClip(
        owner=owner,
        exercise=exercise,
        course=world.course,
        kind=kind,
        attempt_number=attempt,
        status=status,
        playable_at=now if playable else None,
        max_bytes=1000,
        upload_expires_at=now + timedelta(hours=1),
    )
    clip.original_key = f"clips/{clip.id}/original/take.mp4"
    clip.save()
    return clip


def html_of(client: Client, user: User | None, url: str) -> str:
    if user is not None:
        client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def lesson_of(world: World) -> Page:
    return world.exercise.get_parent().specific


def test_the_room_lists_the_viewers_own_takes(world: World, client: Client) -> None:
    first, second = make_clip(world), make_clip(world, status=PracticeClip.Status.FAILED)
    other = make_clip(world, owner=world.student2)

    html = html_of(client, world.student, world.exercise.url)
    assert ROOM in html
    assert f'data-exercise-id="{world.exercise.uuid}"' in html
    assert 'data-takes-used="2"' in html
    assert f'data-take-id="{first.pk}"' in html
    assert f'data-take-id="{second.pk}"' in html
    assert str(other.pk) not in html
    assert "Unlimited takes · 2 so far" in html

    html = html_of(client, world.student2, world.exercise.url)
    assert 'data-takes-used="1"' in html
    assert str(other.pk) in html
    assert str(first.pk) not in html


def test_no_room_outside_the_course(world: World, client: Client) -> None:
    html = html_of(client, world.outsider, world.exercise.url)
    assert ROOM not in html
    assert "to practise this exercise" in html
    client.logout()
    html = html_of(client, None, world.exercise.url)
    assert ROOM not in html
    assert "Log in</a> and enroll" in html


def test_the_take_parameter_shows_only_the_viewers_playable_takes(
    world: World, client: Client
) -> None:
    mine = make_clip(world)
    waiting = make_clip(world, status=PracticeClip.Status.PROCESSING, playable=False)
    theirs = make_clip(world, owner=world.student2)
    client.force_login(world.student)

    html = html_of(client, None, f"{world.exercise.url}?take={mine.pk}")
    assert f'streams-url="/api/v1/clips/{mine.pk}/streams/"' in html
    assert f'timeline-url="/api/v1/clips/{mine.pk}/timeline/"' in html
    for wanted in (theirs.pk, waiting.pk, "not-a-uuid", ""):
        html = html_of(client, None, f"{world.exercise.url}?take={wanted}")
        assert "<practika-player" not in html  # no reference either
        assert "data-take-section hidden" in html


def test_a_take_on_its_way_is_followed_live(world: World, client: Client) -> None:
    make_clip(world)
    pending = make_clip(world, status=PracticeClip.Status.PROCESSING, playable=False)
    html = html_of(client, world.student, world.exercise.url)
    assert f'data-pending-id="{pending.pk}"' in html
    assert 'data-pending-status="processing"' in html


def test_the_reference_plays_once_playable(world: World, client: Client) -> None:
    html = html_of(client, world.student, world.exercise.url)
    assert "This exercise has no reference video." in html

    reference = make_clip(
        world,
        owner=world.teacher,
        kind=PracticeClip.Kind.REFERENCE,
        status=PracticeClip.Status.PROCESSING,
        playable=False,
    )
    html = html_of(client, None, world.exercise.url)
    assert "data-reference-wait" in html
    assert f'data-reference-id="{reference.pk}"' in html

    PracticeClip.objects.filter(pk=reference.pk).update(playable_at=timezone.now())
    html = html_of(client, None, world.exercise.url)
    streams = f"/api/v1/clips/{reference.pk}/streams/"
    assert f'<practika-player streams-url="{streams}"' in html
    assert f'data-reference-streams-url="{streams}"' in html


def test_used_up_takes_close_the_recorder(world: World, client: Client) -> None:
    ExercisePage.objects.filter(pk=world.exercise.pk).update(max_takes=2)
    make_clip(world)
    html = html_of(client, world.student, world.exercise.url)
    assert "1 of 2 takes left" in html
    assert "data-no-takes hidden" in html
    make_clip(world)
    html = html_of(client, None, world.exercise.url)
    assert "0 of 2 takes left" in html
    assert "data-no-takes hidden" not in html
    assert "data-capture hidden" in html


def test_the_room_costs_the_same_queries_whatever_the_takes(world: World, client: Client) -> None:
    make_clip(world, kind=PracticeClip.Kind.REFERENCE, owner=world.teacher)
    make_clip(world)
    client.force_login(world.student)
    client.get(world.exercise.url)  # warm Wagtail's site cache

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(world.exercise.url).status_code == 200
        return len(captured)

    few = queries()
    for _ in range(6):
        make_clip(world)
    make_clip(world, status=PracticeClip.Status.PROCESSING, playable=False)
    assert queries() == few


def test_progress_on_lesson_module_and_course_pages(world: World, client: Client) -> None:
    make_clip(world)
    make_clip(world, status=PracticeClip.Status.PROCESSING, playable=False)
    lesson = lesson_of(world)
    module = lesson.get_parent().specific

    html = html_of(client, world.student, lesson.url)
    assert PROGRESS in html
    assert "<strong>1 of 2</strong> exercises practised" in html
    assert "Done · 2 takes" in html
    assert "Not started" in html
    assert f'data-feedback-for="{world.exercise.uuid}"' in html
    assert f'data-feedback-for="{world.exercise2.uuid}"' not in html
    for page in (module, world.course):
        html = html_of(client, None, page.url)
        assert "<strong>1 of 2</strong> exercises practised" in html

    # Someone else's takes are not your progress; outside the course there is none.
    html = html_of(client, world.student2, lesson.url)
    assert "<strong>0 of 2</strong> exercises practised" in html
    html = html_of(client, world.outsider, lesson.url)
    assert PROGRESS not in html
    client.logout()
    assert PROGRESS not in html_of(client, None, world.course.url)


def test_progress_costs_the_same_queries_whatever_the_takes(world: World, client: Client) -> None:
    make_clip(world)
    client.force_login(world.student)
    pages = [world.course.url, lesson_of(world).url]
    for url in pages:
        client.get(url)  # warm Wagtail's site cache

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = {url: queries(url) for url in pages}
    for _ in range(4):
        make_clip(world)
        make_clip(world, exercise=world.exercise2)
    assert {url: queries(url) for url in pages} == few


def test_an_authors_preview_explains_the_room(world: World, rf: RequestFactory) -> None:
    request = rf.get("/")
    request.user = world.teacher
    draft = ExercisePage(title="Arpeggios", instructions="<p>Slowly.</p>")
    html = practice_room_panel(request, draft)
    assert html is not None
    assert "Once this exercise is published" in html
    assert ROOM not in html
    request.user = AnonymousUser()
    assert practice_room_panel(request, draft) is None
