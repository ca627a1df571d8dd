"""Progress across attempts (``exercises/{id}/attempts/``) and the teachers' review queue."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from plugins.clips.models import PracticeClip
from plugins.feedback.services import MarkerInput, feedback_create, feedback_publish
from tests.api.assertions import response_json

from .conftest import Clients, World
from .helpers import REVIEW_QUEUE, criteria, drawing, make_feedback, make_take

pytestmark = pytest.mark.django_db


def attempts(client: APIClient, world: World, **params: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/exercises/{world.exercise.uuid}/attempts/", params)
    assert response.status_code == 200, response.content
    results: list[dict[str, Any]] = response_json(response)["results"]
    return results


def queue(client: APIClient, **params: str) -> list[str]:
    response = client.get(REVIEW_QUEUE, params)
    assert response.status_code == 200, response.content
    return [item["id"] for item in response_json(response)["results"]]


def test_attempts_chart_the_published_feedback(clients: Clients, world: World) -> None:
    timing, tone = criteria(world.exercise)
    first = make_take(world)
    second = make_take(world)
    theirs = make_take(world, owner=world.student2)
    make_take(world, exercise=world.exercise2)  # another exercise: not listed
    # Two published feedback on the first take: its scores are their means.
    make_feedback(first, world.teacher, publish=True, scores={0: 2, 1: 3})
    make_feedback(first, world.teacher, publish=True, scores={0: 3}, markers=1)
    mixed = feedback_create(
        clip=second,
        actor=world.teacher,
        markers=[
            MarkerInput(time=1, kind="praise", text="Yes."),
            MarkerInput(time=2, kind="fix", text="No."),
            MarkerInput(time=3, kind="drawing", drawing=drawing()),
        ],
    )
    feedback_publish(feedback=mixed, actor=world.teacher)
    make_feedback(second, world.teacher, scores={0: 5})  # a draft counts for nothing

    mine = attempts(clients.student, world)
    assert [item["id"] for item in mine] == [str(first.pk), str(second.pk)]
    one, two = mine
    assert one["attempt_number"] == 1
    assert one["student"] == {"id": str(world.student.pk), "username": "student"}
    assert one["status"] == "ready"
    assert one["duration"] == 30.0
    assert one["feedback_count"] == 2
    assert one["marker_counts"] == {"comment": 3, "praise": 0, "fix": 0, "drawing": 0}
    assert one["scores"] == [
        {
            "criterion_id": str(timing.uuid),
            "name": "Timing",
            "max_score": 5,
            "score": 2.5,
            "count": 2,
        },
        {"criterion_id": str(tone.uuid), "name": "Tone", "max_score": 5, "score": 3.0, "count": 1},
    ]
    assert two["feedback_count"] == 1
    assert two["marker_counts"] == {"comment": 0, "praise": 1, "fix": 1, "drawing": 1}
    assert two["scores"] == []

    # The teacher gets every student's takes, by student, and can pick one student.
    everyone = attempts(clients.teacher, world)
    assert [item["id"] for item in everyone] == [str(first.pk), str(second.pk), str(theirs.pk)]
    only = attempts(clients.teacher, world, student=str(world.student2.pk))
    assert [item["id"] for item in only] == [str(theirs.pk)]
    # Another student of the course sees only their own, whatever they ask for.
    assert [item["id"] for item in attempts(clients.student2, world)] == [str(theirs.pk)]
    assert attempts(clients.student2, world, student=str(world.student.pk)) == []


def test_review_queue(clients: Clients, world: World, client_for: Any, admin_user: Any) -> None:
    now = timezone.now()
    oldest = make_take(world, created_at=now - timedelta(days=3))
    newer = make_take(world, owner=world.student2, created_at=now - timedelta(days=1))
    other_exercise = make_take(world, exercise=world.exercise2, created_at=now - timedelta(days=2))
    reviewed = make_take(world, created_at=now - timedelta(days=4))
    make_feedback(reviewed, world.teacher, publish=True)
    drafted = make_take(world, created_at=now - timedelta(hours=1))
    make_feedback(drafted, world.teacher)  # a draft keeps it in the queue
    make_take(world, status=PracticeClip.Status.PROCESSING, duration=None)  # not ready
    piano = make_take(world, exercise=world.other_exercise)

    assert queue(clients.teacher) == [
        str(oldest.pk),
        str(other_exercise.pk),
        str(newer.pk),
        str(drafted.pk),
    ]
    assert queue(clients.teacher, exercise=str(world.exercise.uuid)) == [
        str(oldest.pk),
        str(newer.pk),
        str(drafted.pk),
    ]
    assert queue(clients.teacher, course=str(world.other_course.uuid)) == []
    assert queue(clients.other_teacher) == [str(piano.pk)]
    assert queue(clients.student) == []
    assert str(piano.pk) in queue(client_for(admin_user))

    first = response_json(clients.teacher.get(REVIEW_QUEUE, {"page_size": 1}))
    assert first["count"] == 4
    assert first["next"]
    item = first["results"][0]
    assert item["course"] == {"id": str(world.course.uuid), "title": "Guitar"}
    assert item["exercise"] == {"id": str(world.exercise.uuid), "title": world.exercise.title}
    assert item["student"] == {"id": str(world.student.pk), "username": "student"}
    assert item["draft_count"] == 0
    assert item["duration"] == 30.0
    drafted_item = response_json(clients.teacher.get(REVIEW_QUEUE))["results"][3]
    assert drafted_item["draft_count"] == 1
