"""Publishing: the ``feedback.published`` event on the take's topic and the
``feedback_published`` signal, both after commit, and a refused second publish."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction

from plugins.clips.models import PracticeClip
from plugins.feedback.models import Feedback
from plugins.feedback.services import feedback_publish, feedback_update
from plugins.feedback.signals import feedback_published
from tests.api.assertions import assert_error, response_json

from .conftest import Clients, Published, World
from .helpers import FEEDBACK, make_feedback

pytestmark = pytest.mark.django_db


@pytest.fixture
def signals() -> Any:
    received: list[dict[str, Any]] = []

    def on_feedback_published(sender: type[Feedback], **kwargs: Any) -> None:
        received.append({"sender": sender, **kwargs})

    feedback_published.connect(on_feedback_published, dispatch_uid="test-feedback-published")
    yield received
    feedback_published.disconnect(dispatch_uid="test-feedback-published")


def test_publish_sends_the_event_and_the_signal_after_commit(
    clients: Clients,
    world: World,
    take: PracticeClip,
    published: Published,
    signals: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    feedback = make_feedback(take, world.teacher)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = clients.teacher.post(f"{FEEDBACK}{feedback.pk}/publish/")
    assert response.status_code == 200, response.content
    # Nothing has left before the commit.
    assert published.events == []
    assert signals == []
    for callback in callbacks:
        callback()

    topic = f"clip:{take.pk}"
    assert published.types(topic) == ["feedback.published"]
    (data,) = published.of(topic, "feedback.published")
    # The payload is the feedback as the API answers it, to the student too.
    assert data == response_json(response)
    assert data == response_json(clients.student.get(f"{FEEDBACK}{feedback.pk}/"))
    assert json.loads(json.dumps(data)) == data
    assert data["status"] == "published"
    assert len(data["markers"]) == 2

    (signal,) = signals
    assert signal["sender"] is Feedback
    assert signal["feedback"].pk == feedback.pk
    assert signal["feedback"].status == Feedback.Status.PUBLISHED
    assert signal["feedback"].clip.owner == world.student


def test_publishing_twice_is_a_conflict(
    clients: Clients,
    world: World,
    take: PracticeClip,
    published: Published,
    signals: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    feedback = make_feedback(take, world.teacher)
    with django_capture_on_commit_callbacks(execute=True):
        first = clients.teacher.post(f"{FEEDBACK}{feedback.pk}/publish/")
    published_at = response_json(first)["published_at"]
    with django_capture_on_commit_callbacks(execute=True):
        second = clients.teacher.post(f"{FEEDBACK}{feedback.pk}/publish/")
    error = assert_error(second, 409, "feedback_already_published")
    assert error["details"]["feedback_id"] == str(feedback.pk)
    feedback.refresh_from_db()
    assert feedback.published_at is not None
    assert feedback.published_at.isoformat().replace("+00:00", "Z") == published_at
    assert published.types(f"clip:{take.pk}") == ["feedback.published"]
    assert len(signals) == 1


def test_a_rolled_back_publish_sends_nothing(
    world: World,
    take: PracticeClip,
    published: Published,
    signals: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    feedback = make_feedback(take, world.teacher)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        feedback_publish(feedback=feedback, actor=world.teacher)
        transaction.set_rollback(True)
    feedback.refresh_from_db()
    assert feedback.status == Feedback.Status.DRAFT
    assert published.events == []
    assert signals == []


def test_editing_sends_nothing(
    world: World,
    take: PracticeClip,
    published: Published,
    signals: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        feedback = make_feedback(take, world.teacher)
        feedback_update(feedback=feedback, actor=world.teacher, summary="Edited.")
    assert published.events == []
    assert signals == []
