"""The permission matrix: every feedback, marker, timeline, attempts and review-queue endpoint
and action against the take's owner, another student of the course, the course's teacher, a
teacher of another course, an admin and an anonymous caller.

Each cell gets fresh rows (a draft and a published feedback by the teacher, with markers and
scores) and checks the status, the error format of a refusal, and that a refusal (and every
read) leaves the database exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from plugins.clips.models import PracticeClip
from plugins.feedback.models import Feedback, FeedbackMarker, RubricScore
from practika_site.users.models import User
from tests.api.assertions import assert_error

from .conftest import World
from .helpers import CLIPS, FEEDBACK, MARKERS, REVIEW_QUEUE, make_feedback, make_take

pytestmark = pytest.mark.django_db

ROLES = ("owner", "other_student", "teacher", "other_teacher", "admin", "anonymous")
ERROR_CODES = {401: "not_authenticated", 403: "forbidden", 404: "not_found"}


@dataclass(frozen=True)
class Rows:
    take: PracticeClip
    draft: Feedback
    published: Feedback
    draft_marker: FeedbackMarker
    published_marker: FeedbackMarker


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    url: Callable[[Rows, World], str]
    expected: tuple[int, int, int, int, int, int]  # in ROLES order
    body: dict[str, Any] | None = None

    def writes(self) -> bool:
        return self.method != "get"


def _feedback(which: str) -> Callable[[Rows, World], str]:
    return lambda rows, world: f"{FEEDBACK}{getattr(rows, which).pk}/"


def _marker(which: str) -> Callable[[Rows, World], str]:
    return lambda rows, world: f"{MARKERS}{getattr(rows, which).pk}/"


def _markers_of(which: str) -> Callable[[Rows, World], str]:
    return lambda rows, world: f"{FEEDBACK}{getattr(rows, which).pk}/markers/"


def _action(which: str, name: str) -> Callable[[Rows, World], str]:
    return lambda rows, world: f"{FEEDBACK}{getattr(rows, which).pk}/{name}/"


SEE_PUBLISHED = (200, 404, 200, 404, 200, 401)
SEE_DRAFT = (404, 404, 200, 404, 200, 401)
EDIT_PUBLISHED = (403, 404, 200, 404, 200, 401)
EDIT_DRAFT = (404, 404, 200, 404, 200, 401)
DELETE_PUBLISHED = (403, 404, 204, 404, 204, 401)
DELETE_DRAFT = (404, 404, 204, 404, 204, 401)
CREATE_PUBLISHED = (403, 404, 201, 404, 201, 401)
CREATE_DRAFT = (404, 404, 201, 404, 201, 401)
MARKER = {"time": 5.0, "kind": "comment", "text": "Here."}
REPLY = {"duration_sec": 3.0, "size_bytes": 1000, "content_type": "video/mp4"}

CASES = [
    Case("clip feedback list", "get", lambda r, w: f"{CLIPS}{r.take.pk}/feedback/", SEE_PUBLISHED),
    Case(
        "clip feedback create",
        "post",
        lambda r, w: f"{CLIPS}{r.take.pk}/feedback/",
        (403, 404, 201, 404, 201, 401),
        {"summary": "New."},
    ),
    Case("feedback detail, published", "get", _feedback("published"), SEE_PUBLISHED),
    Case("feedback detail, draft", "get", _feedback("draft"), SEE_DRAFT),
    Case(
        "feedback update, published",
        "patch",
        _feedback("published"),
        EDIT_PUBLISHED,
        {"summary": "Changed."},
    ),
    Case(
        "feedback update, draft", "patch", _feedback("draft"), EDIT_DRAFT, {"summary": "Changed."}
    ),
    Case("feedback delete, published", "delete", _feedback("published"), DELETE_PUBLISHED),
    Case("feedback delete, draft", "delete", _feedback("draft"), DELETE_DRAFT),
    Case("markers list, published", "get", _markers_of("published"), SEE_PUBLISHED),
    Case("markers list, draft", "get", _markers_of("draft"), SEE_DRAFT),
    Case("marker create, published", "post", _markers_of("published"), CREATE_PUBLISHED, MARKER),
    Case("marker create, draft", "post", _markers_of("draft"), CREATE_DRAFT, MARKER),
    Case("marker detail, published", "get", _marker("published_marker"), SEE_PUBLISHED),
    Case("marker detail, draft", "get", _marker("draft_marker"), SEE_DRAFT),
    Case(
        "marker update, published",
        "patch",
        _marker("published_marker"),
        EDIT_PUBLISHED,
        {"text": "Changed."},
    ),
    Case(
        "marker update, draft", "patch", _marker("draft_marker"), EDIT_DRAFT, {"text": "Changed."}
    ),
    Case("marker delete, published", "delete", _marker("published_marker"), DELETE_PUBLISHED),
    Case("marker delete, draft", "delete", _marker("draft_marker"), DELETE_DRAFT),
    Case("publish a draft", "post", _action("draft", "publish"), EDIT_DRAFT),
    # The reply is a clip the author owns: not even an admin records it for them.
    Case(
        "reply, published",
        "post",
        _action("published", "reply"),
        (403, 404, 201, 404, 403, 401),
        REPLY,
    ),
    Case("reply, draft", "post", _action("draft", "reply"), (404, 404, 201, 404, 403, 401), REPLY),
    Case("timeline", "get", lambda r, w: f"{CLIPS}{r.take.pk}/timeline/", SEE_PUBLISHED),
    # Another student of the course may ask, and gets their own (no) takes.
    Case(
        "attempts",
        "get",
        lambda r, w: f"/api/v1/exercises/{w.exercise.uuid}/attempts/",
        (200, 200, 200, 404, 200, 401),
    ),
    # Everyone signed in gets a queue: the takes of the courses they teach (none for students).
    Case("review queue", "get", lambda r, w: REVIEW_QUEUE, (200, 200, 200, 200, 200, 401)),
]


def _rows(world: World) -> Rows:
    take = make_take(world)
    draft = make_feedback(take, world.teacher)
    published = make_feedback(take, world.teacher, publish=True)
    draft_marker = draft.markers.first()
    published_marker = published.markers.first()
    assert draft_marker is not None
    assert published_marker is not None
    return Rows(take, draft, published, draft_marker, published_marker)


def _snapshot() -> tuple[list[Any], ...]:
    return (
        sorted(
            Feedback.objects.values_list(
                "id", "summary", "status", "published_at", "updated_at", "reply_clip_id"
            )
        ),
        sorted(
            FeedbackMarker.objects.values_list(
                "id", "time", "end_time", "kind", "text", "updated_at"
            )
        ),
        sorted(RubricScore.objects.values_list("id", "score")),
        sorted(PracticeClip.objects.values_list("id", "status", "reply_to_id")),
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_permission_matrix(
    case: Case,
    role: str,
    world: World,
    admin_user: User,
    client_for: Callable[[User], APIClient],
) -> None:
    users = {
        "owner": world.student,
        "other_student": world.student2,
        "teacher": world.teacher,
        "other_teacher": world.other_teacher,
        "admin": admin_user,
    }
    client = client_for(users[role]) if role in users else APIClient()
    rows = _rows(world)
    expected = case.expected[ROLES.index(role)]
    before = _snapshot()

    response = getattr(client, case.method)(case.url(rows, world), case.body, format="json")

    assert response.status_code == expected, (case.name, role, response.content)
    if expected >= 400:
        assert_error(response, expected, ERROR_CODES[expected])
    if expected >= 400 or not case.writes():
        assert _snapshot() == before, "a refused request or a read changed the database"
    else:
        assert _snapshot() != before, "an accepted write changed nothing"
