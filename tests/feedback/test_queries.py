"""Query counts stay flat however many rows: 10 feedback x 10 markers (and 10 takes) answer in
the same number of queries as one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from plugins.clips.models import PracticeClip
from plugins.feedback.services import MarkerInput, feedback_create

from .conftest import Clients, World
from .helpers import CLIPS, FEEDBACK, REVIEW_QUEUE, make_feedback, make_take

pytestmark = pytest.mark.django_db

MAX_QUERIES = 12


def queries(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries)


def fill(world: World, take: PracticeClip, count: int) -> None:
    for _ in range(count):
        make_feedback(take, world.teacher, publish=True, markers=10)
    for minute in range(count):
        take.segments.create(start=minute, end=minute + 0.5, created_by=world.teacher)


@pytest.mark.parametrize(
    "url",
    [
        lambda take, world: f"{CLIPS}{take.pk}/feedback/",
        lambda take, world: f"{FEEDBACK}{take.feedback.first().pk}/",
        lambda take, world: f"{FEEDBACK}{take.feedback.first().pk}/markers/",
        lambda take, world: f"{CLIPS}{take.pk}/timeline/",
        lambda take, world: f"/api/v1/exercises/{world.exercise.uuid}/attempts/",
        lambda take, world: REVIEW_QUEUE,
    ],
    ids=["feedback list", "feedback detail", "markers list", "timeline", "attempts", "queue"],
)
@pytest.mark.parametrize("viewer", ["teacher", "student"])
def test_queries_do_not_grow_with_rows(
    url: Callable[[PracticeClip, World], str],
    viewer: str,
    clients: Clients,
    world: World,
    django_assert_max_num_queries: Any,
) -> None:
    client = getattr(clients, viewer)
    small = make_take(world)
    fill(world, small, 1)
    make_take(world)  # one take waiting in the review queue
    few = queries(client, url(small, world))

    large = make_take(world)
    fill(world, large, 10)
    for _ in range(9):  # more takes for the attempts list and the review queue
        make_take(world)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(url(large, world))
    assert response.status_code == 200
    assert queries(client, url(large, world)) == few


def test_creating_with_many_markers_costs_the_same(world: World) -> None:
    # Validation runs no query per marker; the rows go in one INSERT (SQLite splits one past
    # ~99 rows by its parameter limit, hence 90 here).
    def create(count: int) -> int:
        take = make_take(world)
        markers = [MarkerInput(time=i * 0.05, text=f"n{i}") for i in range(count)]
        with CaptureQueriesContext(connection) as captured:
            feedback_create(clip=take, actor=world.teacher, summary="x", markers=markers)
        return len(captured.captured_queries)

    many = create(90)
    assert many <= MAX_QUERIES
    assert many == create(1)
