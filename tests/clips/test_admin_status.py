"""The reference video's processing status on the exercise's edit form in the Wagtail admin,
and the fragment the form fetches again while the video is on its way."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from plugins.clips.models import PracticeClip
from practika_site.courses.models import ExercisePage
from practika_site.users.models import User

from .conftest import World
from .test_references import make_document, publish, references

pytestmark = pytest.mark.django_db


def edit_url(exercise: ExercisePage) -> str:
    return f"/cms/pages/{exercise.pk}/edit/"


def status_url(exercise: ExercisePage) -> str:
    return f"/cms/practika/reference-status/{exercise.pk}/"


@pytest.fixture
def admin_client(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_no_reference_video_no_panel(world: World, admin_client: Client) -> None:
    response = admin_client.get(edit_url(world.exercise))
    assert response.status_code == 200
    assert b"practika-reference-status" not in response.content
    assert b"js/clips/reference-status.js" in response.content


def test_a_new_document_asks_for_publishing(
    world: World, admin_client: Client, h264_mp4: Path
) -> None:
    page = ExercisePage.objects.get(pk=world.exercise.pk)
    page.reference_video = make_document(h264_mp4, title="Scale, slowly")
    page.save_revision()  # a draft: nothing is processed before publishing
    body = admin_client.get(edit_url(world.exercise)).content.decode()
    assert "Reference video status" in body
    assert "Scale, slowly</strong>: publish the page to prepare this video" in body
    assert "data-practika-poll" not in body


def test_processing_polls_then_ready_links_the_player(
    world: World, admin_client: Client, h264_mp4: Path
) -> None:
    publish(world.exercise, make_document(h264_mp4), user=world.teacher)
    [clip] = references(world.exercise)
    PracticeClip.objects.filter(pk=clip.pk).update(status="processing", progress=40)
    body = admin_client.get(edit_url(world.exercise)).content.decode()
    assert "Processing</strong> (40%)" in body
    assert f'data-practika-poll="{status_url(world.exercise)}"' in body

    response = admin_client.get(status_url(world.exercise))
    assert response.status_code == 200
    assert b"Processing</strong> (40%)" in response.content

    PracticeClip.objects.filter(pk=clip.pk).update(
        status="ready",
        progress=100,
        duration=3.0,
        width=320,
        height=240,
        playable_at=timezone.now(),
    )
    fragment = admin_client.get(status_url(world.exercise)).content.decode()
    assert "<strong>Ready</strong> · 3.0 s · 320\N{MULTIPLICATION SIGN}240" in fragment
    assert f'href="/player/clip/{clip.pk}/"' in fragment
    assert "data-practika-poll" not in fragment  # settled: the form stops asking


def test_a_failed_video_says_why(world: World, admin_client: Client, h264_mp4: Path) -> None:
    publish(world.exercise, make_document(h264_mp4), user=world.teacher)
    [clip] = references(world.exercise)
    PracticeClip.objects.filter(pk=clip.pk).update(
        status="rejected", error_message="The file has no video stream."
    )
    fragment = admin_client.get(status_url(world.exercise)).content.decode()
    assert "could not be prepared</strong>: The file has no video stream." in fragment


def test_the_fragment_is_for_the_page_editors_only(
    world: World, h264_mp4: Path, client: Client
) -> None:
    publish(world.exercise, make_document(h264_mp4), user=world.teacher)
    # Not logged in: Wagtail's admin login first.
    assert client.get(status_url(world.exercise)).status_code == 302
    # A student has no admin access at all; an unknown page is 404.
    client.force_login(world.student)
    assert client.get(status_url(world.exercise)).status_code in (302, 403)
    client.force_login(User.objects.create(username="boss", is_superuser=True, is_staff=True))
    assert client.get("/cms/practika/reference-status/999999/").status_code == 404
