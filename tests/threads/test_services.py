"""The services on their own: who may write, the seqs they take, what replay returns, and
the per-user send limit."""

from __future__ import annotations

import time

import pytest

from plugins.threads import services
from plugins.threads.errors import RateLimited
from plugins.threads.models import PracticeThread
from plugins.threads.selectors import thread_events_since
from plugins.threads.services import (
    message_delete,
    message_edit,
    message_post,
    message_send_allowed,
    thread_create,
    thread_update,
)
from practika_site.core.errors import Forbidden, NotFound
from practika_site.courses.models import Enrollment

from .conftest import Scene, World, make_segment, make_take

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["student2", "other_teacher", "outsider"])
def test_services_refuse_those_who_cannot_see_the_thread(
    world: World, scene: Scene, who: str
) -> None:
    stranger = getattr(world, who)
    message = message_post(actor=world.student, thread=scene.thread, body="mine")
    with pytest.raises(NotFound):
        message_post(actor=stranger, thread=scene.thread, body="hi")
    with pytest.raises(NotFound):
        thread_update(actor=stranger, thread=scene.thread, resolved=True)
    with pytest.raises(NotFound):
        message_edit(actor=stranger, message=message, body="x")
    with pytest.raises(NotFound):
        message_delete(actor=stranger, message=message)
    with pytest.raises(NotFound):
        thread_create(actor=stranger, segment=scene.segment, title="x")
    assert PracticeThread.objects.get().last_seq == 1


def test_a_student_out_of_the_course_may_not_start_a_thread_on_their_take(
    world: World,
) -> None:
    segment = make_segment(make_take(world), world.teacher)
    Enrollment.objects.filter(user=world.student, course=world.course).delete()
    with pytest.raises(Forbidden):
        thread_create(actor=world.student, segment=segment, title="Still mine?")


def test_every_change_takes_the_next_seq(world: World, scene: Scene) -> None:
    thread = scene.thread
    first = message_post(actor=world.student, thread=thread, body="a")
    second = message_post(actor=world.teacher, thread=thread, body="b")
    edited = message_edit(actor=world.student, message=first, body="a2")
    renamed = thread_update(actor=world.teacher, thread=thread, title="New title")
    gone = message_delete(actor=world.teacher, message=second)
    assert [(m.seq, m.updated_seq) for m in (first, second)] == [(1, 1), (2, 2)]
    assert (edited.seq, edited.updated_seq) == (1, 3)
    assert (renamed.state_seq, renamed.last_change) == (4, "thread.updated")
    assert (gone.seq, gone.updated_seq, gone.deleted, gone.body) == (2, 5, True, "")
    assert PracticeThread.objects.get().last_seq == 5
    # Unchanged edits take nothing.
    message_edit(actor=world.student, message=first, body="a2")
    thread_update(actor=world.teacher, thread=thread, title="New title", resolved=False)
    assert PracticeThread.objects.get().last_seq == 5


def test_replay_gives_each_thing_once_as_it_is_now(world: World, scene: Scene) -> None:
    thread = scene.thread
    first = message_post(actor=world.student, thread=thread, body="a")
    message_post(actor=world.teacher, thread=thread, body="b")
    message_edit(actor=world.student, message=first, body="a, again")
    message_edit(actor=world.student, message=first, body="a, last")
    thread_update(actor=world.teacher, thread=thread, resolved=True)
    thread_update(actor=world.teacher, thread=thread, resolved=False)
    thread.refresh_from_db()
    everything = thread_events_since(thread=thread, since=0)
    assert [(e["type"], e["seq"]) for e in everything] == [
        ("message.created", 2),
        ("message.created", 4),
        ("thread.reopened", 6),
    ]
    assert everything[1]["data"]["body"] == "a, last"
    assert [(e["type"], e["seq"]) for e in thread_events_since(thread=thread, since=2)] == [
        ("message.edited", 4),
        ("thread.reopened", 6),
    ]
    assert thread_events_since(thread=thread, since=6) == []


def _sleep_until_into_window(fraction: float, window: float) -> None:
    time.sleep(window - time.time() % window + fraction * window)


def test_the_send_limit_slides_across_window_boundaries(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "SEND_WINDOW_SECONDS", 1)
    _sleep_until_into_window(0.6, 1)
    for _ in range(services.SEND_LIMIT):
        message_send_allowed(actor=world.student)
    with pytest.raises(RateLimited) as refused:
        message_send_allowed(actor=world.student)
    assert refused.value.code == "rate_limited"
    assert refused.value.details["retry_after"] == 1
    # A new fixed window has begun, but the last second's burst still counts.
    _sleep_until_into_window(0.05, 1)
    with pytest.raises(RateLimited):
        message_send_allowed(actor=world.student)
    message_send_allowed(actor=world.student2)  # per user
    # Quiet for a while: allowed again.
    time.sleep(2.1)
    message_send_allowed(actor=world.student)
