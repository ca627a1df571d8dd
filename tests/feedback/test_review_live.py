"""The review queue, live: ``review:<course uuid>`` over ``/ws/`` (the whole ASGI stack,
Channels' communicator, in-memory layer), who may follow it, what arrives, and the queue page
naming the topics it follows."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from plugins.clips.models import PracticeClip
from plugins.clips.signals import clip_ready
from plugins.feedback import review_events
from plugins.feedback.models import Feedback
from plugins.feedback.services import feedback_update
from plugins.notifications.models import Notification
from practika_site.core import consumers
from practika_site.courses.models import CoursePage, Enrollment
from practika_site.users.models import User
from tests.factories import UserFactory
from tests.realtime.helpers import (
    SAME_ORIGIN,
    Frame,
    assert_closed,
    assert_quiet,
    error_frame,
    open_websocket,
    receive_frame,
    subscribe,
    token_for,
    without_message,
    ws_headers,
)

from .conftest import Published, World, make_world
from .helpers import make_feedback, make_take

QUEUE = "/review/"


def review_topic(course: CoursePage) -> str:
    return f"review:{course.uuid}"


def take_event(event_type: str, course: CoursePage, take: PracticeClip) -> Frame:
    return {
        "type": event_type,
        "topic": review_topic(course),
        "seq": None,
        "data": {"clip_id": str(take.pk)},
    }


@asynccontextmanager
async def socket_for(user: User) -> AsyncIterator[WebsocketCommunicator]:
    async with open_websocket(headers=ws_headers(token=await token_for(user))) as ws:
        yield ws


@pytest.fixture
def course_world(db: None) -> World:
    """``world`` for this module's own transaction: the module-scoped one would stay open
    (uncommitted) while the websocket tests of this module run on their ``live_world``."""
    return make_world()


def becomes_ready(take: PracticeClip) -> None:
    """As the pipeline ends: the signal after the commit that made the take ready."""
    clip_ready.send(sender=PracticeClip, clip=take)


# --- over the websocket ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_teacher_hears_takes_arrive_get_reviewed_and_go(live_world: World) -> None:
    world = live_world
    topic = review_topic(world.course)
    async with socket_for(world.teacher) as ws:
        assert await subscribe(ws, topic) == {"type": "subscribed", "topic": topic}

        take = await sync_to_async(make_take)(world)
        await sync_to_async(becomes_ready)(take)
        assert await receive_frame(ws) == take_event("review.take_ready", world.course, take)

        await sync_to_async(make_feedback)(take, world.teacher, publish=True)
        assert await receive_frame(ws) == take_event("review.take_reviewed", world.course, take)

        removed = take_event("review.take_removed", world.course, take)
        await take.adelete()  # which forgets its pk
        assert await receive_frame(ws) == removed
        await assert_quiet(ws)


@pytest.mark.django_db(transaction=True)
async def test_other_courses_and_other_clips_stay_quiet(live_world: World) -> None:
    world = live_world
    async with socket_for(world.teacher) as ws:
        await subscribe(ws, review_topic(world.course))
        # Another course's take.
        elsewhere = await sync_to_async(make_take)(world, exercise=world.other_exercise)
        await sync_to_async(becomes_ready)(elsewhere)
        await elsewhere.adelete()
        # A teacher's reference video is in no queue.
        reference = await sync_to_async(make_take)(world, owner=world.teacher)
        reference.kind = PracticeClip.Kind.REFERENCE
        await reference.asave(update_fields=["kind"])
        await sync_to_async(becomes_ready)(reference)
        await reference.adelete()
        # A take still uploading never was in the queue either.
        uploading = await sync_to_async(make_take)(
            world, status=PracticeClip.Status.AWAITING_UPLOAD
        )
        await uploading.adelete()
        await assert_quiet(ws)


@pytest.mark.django_db(transaction=True)
async def test_an_admin_may_follow_any_course(live_world: World) -> None:
    admin = await sync_to_async(UserFactory.create)(username="boss", admin=True)
    async with socket_for(admin) as ws:
        for course in (live_world.course, live_world.other_course):
            topic = review_topic(course)
            assert await subscribe(ws, topic) == {"type": "subscribed", "topic": topic}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["student", "other_teacher", "outsider"])
async def test_students_and_other_teachers_are_refused(live_world: World, who: str) -> None:
    user: User = getattr(live_world, who)
    topic = review_topic(live_world.course)
    async with socket_for(user) as ws:
        assert without_message(await subscribe(ws, topic)) == error_frame("forbidden", topic)
        # The socket keeps working.
        own = f"user:{user.pk}"
        assert await subscribe(ws, own) == {"type": "subscribed", "topic": own}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "course_id",
    ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "12345"],
    ids=["invalid", "unknown", "a-page-pk"],
)
async def test_bad_and_unknown_course_ids_are_refused(live_world: World, course_id: str) -> None:
    topic = f"review:{course_id}"
    async with socket_for(live_world.teacher) as ws:
        assert without_message(await subscribe(ws, topic)) == error_frame("forbidden", topic)


@pytest.mark.django_db(transaction=True)
async def test_an_anonymous_socket_is_closed() -> None:
    async with open_websocket(headers=ws_headers(origin=SAME_ORIGIN)) as ws:
        await assert_closed(ws, consumers.CLOSE_UNAUTHENTICATED)


@pytest.mark.django_db(transaction=True)
async def test_a_teacher_made_a_student_or_removed_is_cut_off(live_world: World) -> None:
    world = live_world
    topic = review_topic(world.course)
    enrollment = await Enrollment.objects.aget(user=world.teacher, course=world.course)
    async with socket_for(world.teacher) as ws:
        await subscribe(ws, topic)
        enrollment.role = Enrollment.Role.STUDENT
        await enrollment.asave()
        assert without_message(await receive_frame(ws)) == error_frame("forbidden", topic)

        enrollment.role = Enrollment.Role.TEACHER
        await enrollment.asave()
        assert await subscribe(ws, topic) == {"type": "subscribed", "topic": topic}
        await enrollment.adelete()
        assert without_message(await receive_frame(ws)) == error_frame("forbidden", topic)


# --- publishing, without sockets ------------------------------------------------------------


def test_events_leave_after_commit_only(
    course_world: World, published: Published, django_capture_on_commit_callbacks: Any
) -> None:
    world = course_world
    topic = review_topic(world.course)
    take = make_take(world)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        feedback = make_feedback(take, world.teacher, publish=True)
    assert published.types(topic) == []
    for callback in callbacks:
        callback()
    assert published.of(topic, "review.take_reviewed") == [{"clip_id": str(take.pk)}]
    # Editing a published feedback changes no queue.
    with django_capture_on_commit_callbacks(execute=True):
        feedback_update(feedback=feedback, actor=world.teacher, summary="Edited.")
    assert published.types(topic) == ["review.take_reviewed"]


def test_deleting_published_feedback_puts_the_take_back(
    course_world: World, published: Published, django_capture_on_commit_callbacks: Any
) -> None:
    from plugins.feedback.services import feedback_delete

    world = course_world
    topic = review_topic(world.course)
    take = make_take(world)
    draft = make_feedback(take, world.teacher)
    shown = make_feedback(take, world.teacher, publish=True)
    with django_capture_on_commit_callbacks(execute=True):
        feedback_delete(feedback=draft, actor=world.teacher)  # a draft: no queue changed
    assert published.types(topic) == []
    with django_capture_on_commit_callbacks(execute=True):
        feedback_delete(feedback=shown, actor=world.teacher)
    assert published.of(topic, "review.take_ready") == [{"clip_id": str(take.pk)}]


def test_a_broken_review_event_breaks_nothing(
    course_world: World,
    published: Published,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(clip: PracticeClip) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(review_events, "_course_uuid", broken)
    world = course_world
    take = make_take(world)
    take_id = take.pk  # delete() forgets it
    with django_capture_on_commit_callbacks(execute=True):
        becomes_ready(take)  # must not raise
        feedback = make_feedback(take, world.teacher, publish=True)
        take.delete()
    assert "Could not tell the review queue review.take_ready" in caplog.text
    assert "Could not tell the review queue review.take_reviewed" in caplog.text
    assert "Could not tell the review queue review.take_removed" in caplog.text
    # What the events were about still happened, and the other receivers still ran.
    assert not PracticeClip.objects.filter(pk=take_id).exists()
    assert not Feedback.objects.filter(pk=feedback.pk).exists()  # gone with its take
    assert published.types(f"clip:{take_id}") == ["feedback.published"]
    assert Notification.objects.filter(user=world.student).count() == 2  # ready, reviewed
    assert not [topic for topic, _, _ in published.events if topic.startswith("review:")]


# --- the page -------------------------------------------------------------------------------


def followed_topics(response: Any) -> list[str]:
    """The topics in the page's ``review-topics`` JSON, which queue.js subscribes to."""
    found = re.search(
        r'<script id="review-topics" type="application/json">(.*?)</script>',
        response.content.decode(),
    )
    assert found is not None, "the page names no topics"
    topics = json.loads(found.group(1))
    assert isinstance(topics, list)
    return topics


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_follows_the_courses_the_viewer_teaches_only(
    course_world: World, admin_user: User
) -> None:
    world = course_world
    course, other = review_topic(world.course), review_topic(world.other_course)
    assert followed_topics(logged_in(world.teacher).get(QUEUE)) == [course]
    assert followed_topics(logged_in(world.other_teacher).get(QUEUE)) == [other]
    assert sorted(followed_topics(logged_in(admin_user).get(QUEUE))) == sorted([course, other])
    # Filtered, the page still follows every course (the script skips the others' events).
    filtered = logged_in(world.teacher).get(QUEUE, {"course": str(world.course.uuid)})
    assert followed_topics(filtered) == [course]
    # The results part that htmx swaps in names none; a student gets no queue at all.
    part = logged_in(world.teacher).get(QUEUE, headers={"HX-Request": "true"})
    assert part.status_code == 200
    assert b"review-topics" not in part.content
    refused = logged_in(world.student).get(QUEUE)
    assert refused.status_code == 403
    assert b"review:" not in refused.content
