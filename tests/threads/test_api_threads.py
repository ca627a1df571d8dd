"""``/api/v1/segments/{id}/threads/`` and ``/api/v1/threads/{id}/``: create, list, read,
rename, resolve and reopen; who sees what; bad input; flat query counts."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from plugins.threads.models import PracticeThread, ThreadMessage
from plugins.threads.services import thread_create
from practika_site.courses.models import Enrollment
from practika_site.users.models import User
from tests.api.assertions import assert_error, response_json

from .conftest import Clients, OnCommit, Published, Scene, World, make_reference, make_segment

pytestmark = pytest.mark.django_db


def threads_url(segment_id: object) -> str:
    return f"/api/v1/segments/{segment_id}/threads/"


def thread_url(thread_id: object) -> str:
    return f"/api/v1/threads/{thread_id}/"


def test_teacher_starts_a_thread_with_a_first_message(
    clients: Clients, world: World, scene: Scene, published: Published, on_commit: OnCommit
) -> None:
    body = {"title": "  Intonation  ", "body": "Listen at **0:02**", "video_time": 2.0}
    with on_commit(execute=True):
        response = clients.teacher.post(threads_url(scene.segment.pk), body, format="json")
    assert response.status_code == 201, response.content
    data = response_json(response)
    assert data["title"] == "Intonation"
    assert data["segment_id"] == str(scene.segment.pk)
    assert data["clip_id"] == str(scene.take.pk)
    assert data["created_by"] == {"id": str(world.teacher.pk), "username": "teacher"}
    assert data["resolved"] is False
    assert data["resolved_by"] is None
    assert data["last_seq"] == 1
    message = ThreadMessage.objects.get(thread_id=data["id"])
    assert (message.seq, message.body, message.video_time) == (1, "Listen at **0:02**", 2.0)
    created = published.of(f"thread:{data['id']}", "message.created")
    assert [event["body"] for event in created] == ["Listen at **0:02**"]


def test_owner_starts_a_thread_without_a_message(clients: Clients, scene: Scene) -> None:
    response = clients.student.post(threads_url(scene.segment.pk), {"title": "Help"}, format="json")
    assert response.status_code == 201, response.content
    data = response_json(response)
    assert data["last_seq"] == 0
    assert not ThreadMessage.objects.filter(thread_id=data["id"]).exists()


def test_list_threads_of_a_segment(clients: Clients, world: World, scene: Scene) -> None:
    thread_create(actor=world.student, segment=scene.segment, title="Second")
    other_segment = make_segment(scene.take, world.teacher, start=5, end=6)
    thread_create(actor=world.teacher, segment=other_segment, title="Elsewhere")
    for client in (clients.student, clients.teacher):
        response = client.get(threads_url(scene.segment.pk))
        assert response.status_code == 200
        data = response_json(response)
        assert data["count"] == 2
        assert [t["title"] for t in data["results"]] == ["Second", "Bar 3 rushes"]


def test_detail_rename_resolve_and_reopen(
    clients: Clients, world: World, scene: Scene, published: Published, on_commit: OnCommit
) -> None:
    url = thread_url(scene.thread.pk)
    assert response_json(clients.student.get(url))["title"] == "Bar 3 rushes"

    def patch(client: APIClient, body: dict[str, Any]) -> dict[str, Any]:
        with on_commit(execute=True):
            response = client.patch(url, body, format="json")
        assert response.status_code == 200, response.content
        data: dict[str, Any] = response_json(response)
        return data

    assert patch(clients.student, {"title": "Bar 3"})["title"] == "Bar 3"
    resolved = patch(clients.teacher, {"resolved": True})
    assert resolved["resolved"] is True
    assert resolved["resolved_by"] == {"id": str(world.teacher.pk), "username": "teacher"}
    assert resolved["resolved_at"] is not None
    # Resolving again changes nothing and announces nothing.
    assert patch(clients.teacher, {"resolved": True}) == resolved

    reopened = patch(clients.student, {"resolved": False})
    assert (reopened["resolved"], reopened["resolved_by"], reopened["resolved_at"]) == (
        False,
        None,
        None,
    )
    topic = scene.thread.topic
    assert published.types(topic) == ["thread.updated", "thread.resolved", "thread.reopened"]
    assert [e["last_seq"] for _, _, e in published.events] == [1, 2, 3]
    assert published.of(topic, "thread.reopened") == [reopened]


@pytest.mark.parametrize("who", ["student2", "other_teacher", "outsider"])
def test_others_get_404_everywhere(clients: Clients, scene: Scene, who: str) -> None:
    client: APIClient = getattr(clients, who)
    for response in (
        client.get(threads_url(scene.segment.pk)),
        client.post(threads_url(scene.segment.pk), {"title": "x"}, format="json"),
        client.get(thread_url(scene.thread.pk)),
        client.patch(thread_url(scene.thread.pk), {"resolved": True}, format="json"),
    ):
        assert_error(response, 404, "not_found")
    assert PracticeThread.objects.count() == 1
    assert PracticeThread.objects.get().resolved is False


def test_unknown_ids_are_404(clients: Clients) -> None:
    assert_error(clients.teacher.get(threads_url(uuid.uuid4())), 404, "not_found")
    assert_error(clients.teacher.get(thread_url(uuid.uuid4())), 404, "not_found")
    assert_error(clients.teacher.get("/api/v1/threads/not-a-uuid/"), 404, "not_found")


def test_anonymous_is_401(anon_client: APIClient, scene: Scene) -> None:
    assert_error(anon_client.get(thread_url(scene.thread.pk)), 401, "not_authenticated")


def test_admin_sees_every_thread(
    world: World, scene: Scene, client_for: Callable[[User], APIClient], admin_user: User
) -> None:
    admin = client_for(admin_user)
    assert admin.get(thread_url(scene.thread.pk)).status_code == 200
    assert response_json(admin.get(threads_url(scene.segment.pk)))["count"] == 1


def test_reference_threads_are_private_to_their_creator_and_teachers(
    clients: Clients, world: World
) -> None:
    segment = make_segment(make_reference(world), world.teacher)
    # Every student of the course sees the reference video, and may ask about it...
    for client in (clients.student, clients.student2):
        response = client.post(threads_url(segment.pk), {"title": "How?"}, format="json")
        assert response.status_code == 201, response.content
    mine = response_json(clients.student.get(threads_url(segment.pk)))["results"]
    assert [t["created_by"]["username"] for t in mine] == ["student"]
    # ...but not into another student's thread.
    assert_error(clients.student2.get(thread_url(mine[0]["id"])), 404, "not_found")
    assert response_json(clients.teacher.get(threads_url(segment.pk)))["count"] == 2
    assert_error(clients.outsider.get(threads_url(segment.pk)), 404, "not_found")


def test_a_student_removed_from_the_course_loses_the_thread(
    clients: Clients, world: World, scene: Scene
) -> None:
    assert clients.student.get(thread_url(scene.thread.pk)).status_code == 200
    # The test's transaction rolls this back for the module's other tests.
    Enrollment.objects.filter(user=world.student, course=world.course).delete()
    assert_error(clients.student.get(thread_url(scene.thread.pk)), 404, "not_found")
    # The take is still theirs, but the course's conversations are not.
    assert clients.student.get(f"/api/v1/clips/{scene.take.pk}/").status_code == 200


BAD_CREATES: list[tuple[dict[str, Any], str]] = [
    ({}, "title"),
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"title": "ok", "body": "x" * 4001}, "body"),
    ({"title": "ok", "body": "   "}, "body"),
    ({"title": "ok", "body": "hi", "video_time": -1}, "video_time"),
    ({"title": "ok", "body": "hi", "video_time": 10.5}, "video_time"),
    ({"title": "ok", "body": "hi", "video_time": "soon"}, "video_time"),
    ({"title": "ok", "created_by": "someone"}, "created_by"),
    ({"title": "ok", "resolved": True}, "resolved"),
    ({"title": "ok", "last_seq": 7}, "last_seq"),
    ({"title": "ok", "segment": "x"}, "segment"),
]


@pytest.mark.parametrize(("body", "field"), BAD_CREATES)
def test_bad_create_writes_nothing(
    clients: Clients, scene: Scene, body: dict[str, Any], field: str
) -> None:
    response = clients.teacher.post(threads_url(scene.segment.pk), body, format="json")
    error = assert_error(response, 400, "invalid")
    assert field in error["details"], error
    assert PracticeThread.objects.count() == 1
    assert ThreadMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"resolved": "maybe"}, "resolved"),
        ({"resolved_by": "x"}, "resolved_by"),
        ({"last_seq": 99}, "last_seq"),
        ({"segment_id": str(uuid.uuid4())}, "segment_id"),
    ],
)
def test_bad_update_changes_nothing(
    clients: Clients, scene: Scene, body: dict[str, Any], field: str, published: Published
) -> None:
    response = clients.teacher.patch(thread_url(scene.thread.pk), body, format="json")
    error = assert_error(response, 400, "invalid")
    assert field in error["details"], error
    thread = PracticeThread.objects.get()
    assert (thread.title, thread.resolved, thread.last_seq) == ("Bar 3 rushes", False, 0)
    assert published.events == []


def test_thread_list_and_detail_queries_do_not_grow(
    clients: Clients,
    world: World,
    scene: Scene,
    django_assert_max_num_queries: Callable[[int], Any],
) -> None:
    for n in range(6):
        thread = thread_create(actor=world.student, segment=scene.segment, title=f"T{n}")
        clients.teacher.patch(thread_url(thread.pk), {"resolved": True}, format="json")
    # auth (token + user), segment, count, page: the same for 1 thread or 7.
    with django_assert_max_num_queries(6):
        data = response_json(clients.teacher.get(threads_url(scene.segment.pk)))
    assert data["count"] == 7
    assert sum(1 for t in data["results"] if t["resolved_by"]) == 6
    with django_assert_max_num_queries(4):
        assert clients.teacher.get(thread_url(scene.thread.pk)).status_code == 200
