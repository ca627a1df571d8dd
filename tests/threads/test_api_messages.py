"""``/api/v1/threads/{id}/messages/`` and ``/api/v1/messages/{id}/``: post, list since a
seq, edit and delete one's own; events and the signal after commit; who may do what."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from plugins.threads.models import PracticeThread, ThreadMessage
from plugins.threads.services import message_post
from plugins.threads.signals import thread_message_created
from practika_site.users.models import User
from tests.api.assertions import assert_error, response_json

from .conftest import Clients, OnCommit, Published, Scene, World

pytestmark = pytest.mark.django_db


def messages_url(thread: PracticeThread) -> str:
    return f"/api/v1/threads/{thread.pk}/messages/"


def message_url(message_id: object) -> str:
    return f"/api/v1/messages/{message_id}/"


def post(client: APIClient, thread: PracticeThread, **body: Any) -> dict[str, Any]:
    response = client.post(messages_url(thread), body, format="json")
    assert response.status_code == 201, response.content
    data: dict[str, Any] = response_json(response)
    return data


def listing(client: APIClient, thread: PracticeThread, query: str = "") -> dict[str, Any]:
    response = client.get(messages_url(thread) + query)
    assert response.status_code == 200, response.content
    data: dict[str, Any] = response_json(response)
    return data


@pytest.fixture
def sent_signals() -> Iterator[list[ThreadMessage]]:
    received: list[ThreadMessage] = []

    def receiver(sender: Any, message: ThreadMessage, **kwargs: Any) -> None:
        assert sender is ThreadMessage
        received.append(message)

    thread_message_created.connect(receiver, dispatch_uid="tests.threads.receiver")
    yield received
    thread_message_created.disconnect(dispatch_uid="tests.threads.receiver")


def test_post_and_list(
    clients: Clients,
    world: World,
    scene: Scene,
    published: Published,
    on_commit: OnCommit,
    sent_signals: list[ThreadMessage],
) -> None:
    with on_commit(execute=True):
        first = post(clients.teacher, scene.thread, body="Try **slower**", video_time=1.5)
        second = post(clients.student, scene.thread, body="ok `metronome` at http://a.example")
    assert first["seq"] == first["updated_seq"] == 1
    assert second["seq"] == 2
    assert first["author"] == {"id": str(world.teacher.pk), "username": "teacher"}
    assert first["html"] == "Try <strong>slower</strong>"
    assert second["html"] == (
        'ok <code>metronome</code> at <a href="http://a.example" rel="nofollow noopener">'
        "http://a.example</a>"
    )
    assert first["video_time"] == 1.5
    assert second["video_time"] is None
    assert (first["edited_at"], first["deleted"]) == (None, False)

    data = listing(clients.student, scene.thread)
    assert data["results"] == [first, second]
    assert (data["next"], data["last_seq"]) == (None, 2)

    # The events carry the REST JSON and the seq, after commit, JSON-safe.
    topic = scene.thread.topic
    assert published.of(topic, "message.created") == [first, second]
    assert json.loads(json.dumps(first)) == first
    assert [m.pk for m in sent_signals] == [uuid.UUID(first["id"]), uuid.UUID(second["id"])]
    assert sent_signals[0].thread.segment.clip == scene.take


def test_nothing_leaves_before_the_commit(
    clients: Clients, scene: Scene, published: Published, sent_signals: list[ThreadMessage]
) -> None:
    post(clients.teacher, scene.thread, body="never committed")  # the test rolls it back
    assert published.events == []
    assert sent_signals == []


def test_list_since_and_pages(clients: Clients, world: World, scene: Scene) -> None:
    for n in range(1, 8):
        message_post(actor=world.teacher, thread=scene.thread, body=f"m{n}")
    data = listing(clients.student, scene.thread, "?since=2&page_size=3")
    assert [m["seq"] for m in data["results"]] == [3, 4, 5]
    assert data["last_seq"] == 7
    assert data["next"].endswith(f"{messages_url(scene.thread)}?since=5&page_size=3")
    page2 = listing(clients.student, scene.thread, "?since=5&page_size=3")
    assert [m["seq"] for m in page2["results"]] == [6, 7]
    assert page2["next"] is None
    assert listing(clients.student, scene.thread, "?since=7")["results"] == []


def test_edit_and_delete_own_message(
    clients: Clients, world: World, scene: Scene, published: Published, on_commit: OnCommit
) -> None:
    with on_commit(execute=True):
        message = post(clients.student, scene.thread, body="frist", video_time=2)
        post(clients.teacher, scene.thread, body="reply")
        edited = clients.student.patch(message_url(message["id"]), {"body": "first"}, format="json")
        assert edited.status_code == 200, edited.content
        cleared = clients.student.patch(
            message_url(message["id"]), {"video_time": None}, format="json"
        )
        deleted = clients.student.delete(message_url(message["id"]))
        assert deleted.status_code == 204
        # Deleting a tombstone again is harmless and announces nothing.
        assert clients.student.delete(message_url(message["id"])).status_code == 204
    after_edit = response_json(edited)
    assert (after_edit["body"], after_edit["seq"], after_edit["updated_seq"]) == ("first", 1, 3)
    assert after_edit["edited_at"] is not None
    assert response_json(cleared)["video_time"] is None

    tombstone = response_json(clients.teacher.get(message_url(message["id"])))
    assert (tombstone["deleted"], tombstone["body"], tombstone["html"]) == (True, "", "")
    assert (tombstone["seq"], tombstone["updated_seq"]) == (1, 5)
    topic = scene.thread.topic
    assert published.types(topic) == [
        "message.created",
        "message.created",
        "message.edited",
        "message.edited",
        "message.deleted",
    ]
    assert published.of(topic, "message.deleted") == [tombstone]
    # A client that had everything up to seq 2 learns the message's current state once.
    since_two = listing(clients.teacher, scene.thread, "?since=2")["results"]
    assert since_two == [tombstone]
    assert [m["seq"] for m in listing(clients.teacher, scene.thread)["results"]] == [2, 1]


def test_editing_a_deleted_message_is_a_conflict(clients: Clients, scene: Scene) -> None:
    message = post(clients.student, scene.thread, body="oops")
    clients.student.delete(message_url(message["id"]))
    response = clients.student.patch(message_url(message["id"]), {"body": "x"}, format="json")
    assert_error(response, 409, "message_deleted")


def test_others_may_not_edit_or_delete(
    clients: Clients, world: World, scene: Scene, admin_client: APIClient
) -> None:
    message = post(clients.student, scene.thread, body="mine")
    url = message_url(message["id"])
    assert_error(clients.teacher.patch(url, {"body": "theirs"}, format="json"), 403, "forbidden")
    assert_error(clients.teacher.delete(url), 403, "forbidden")
    assert_error(admin_client.patch(url, {"body": "admin's"}, format="json"), 403, "forbidden")
    stored = ThreadMessage.objects.get(pk=message["id"])
    assert (stored.body, stored.deleted, stored.updated_seq) == ("mine", False, 1)
    # Admins moderate: they may delete.
    assert admin_client.delete(url).status_code == 204
    assert ThreadMessage.objects.get(pk=message["id"]).deleted


@pytest.mark.parametrize("who", ["student2", "other_teacher", "outsider"])
def test_others_get_404(clients: Clients, world: World, scene: Scene, who: str) -> None:
    message = message_post(actor=world.student, thread=scene.thread, body="private")
    client: APIClient = getattr(clients, who)
    for response in (
        client.get(messages_url(scene.thread)),
        client.post(messages_url(scene.thread), {"body": "hi"}, format="json"),
        client.get(message_url(message.pk)),
        client.patch(message_url(message.pk), {"body": "x"}, format="json"),
        client.delete(message_url(message.pk)),
    ):
        assert_error(response, 404, "not_found")
    assert list(ThreadMessage.objects.values_list("body", "deleted")) == [("private", False)]


BAD_POSTS: list[tuple[dict[str, Any], str]] = [
    ({}, "body"),
    ({"body": ""}, "body"),
    ({"body": " \n "}, "body"),
    ({"body": "x" * 4001}, "body"),
    ({"body": "ok", "video_time": -0.5}, "video_time"),
    ({"body": "ok", "video_time": 10.01}, "video_time"),
    ({"body": "ok", "video_time": "later"}, "video_time"),
    ({"body": "ok", "seq": 1}, "seq"),
    ({"body": "ok", "author": "x"}, "author"),
    ({"body": "ok", "deleted": True}, "deleted"),
    ({"body": "ok", "html": "<b>x</b>"}, "html"),
]


@pytest.mark.parametrize(("body", "field"), BAD_POSTS)
def test_bad_post_writes_nothing(
    clients: Clients, scene: Scene, body: dict[str, Any], field: str, published: Published
) -> None:
    response = clients.student.post(messages_url(scene.thread), body, format="json")
    error = assert_error(response, 400, "invalid")
    assert field in error["details"], error
    assert ThreadMessage.objects.count() == 0
    assert PracticeThread.objects.get().last_seq == 0


def test_a_body_of_exactly_the_limit_is_fine(clients: Clients, scene: Scene) -> None:
    assert len(post(clients.student, scene.thread, body="x" * 4000)["body"]) == 4000


@pytest.mark.parametrize(
    ("query", "field"),
    [("?since=-1", "since"), ("?since=abc", "since"), ("?page_size=0", "page_size")],
)
def test_bad_list_query(clients: Clients, scene: Scene, query: str, field: str) -> None:
    error = assert_error(clients.student.get(messages_url(scene.thread) + query), 400, "invalid")
    assert field in error["details"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "y" * 4001}, "body"),
        ({"video_time": 99}, "video_time"),
        ({"seq": 5}, "seq"),
        ({"thread_id": str(uuid.uuid4())}, "thread_id"),
    ],
)
def test_bad_edit_changes_nothing(
    clients: Clients, world: World, scene: Scene, body: dict[str, Any], field: str
) -> None:
    message = message_post(actor=world.student, thread=scene.thread, body="as sent")
    response = clients.student.patch(message_url(message.pk), body, format="json")
    error = assert_error(response, 400, "invalid")
    assert field in error["details"], error
    stored = ThreadMessage.objects.get(pk=message.pk)
    assert (stored.body, stored.updated_seq, stored.edited_at) == ("as sent", 1, None)
    assert PracticeThread.objects.get().last_seq == 1


def test_message_queries_do_not_grow(
    clients: Clients,
    world: World,
    scene: Scene,
    django_assert_max_num_queries: Callable[[int], Any],
) -> None:
    authors: list[User] = [world.student, world.teacher]
    for n in range(12):
        message_post(actor=authors[n % 2], thread=scene.thread, body=f"**m{n}**")
    # auth (token + user), thread, page of messages with their authors.
    with django_assert_max_num_queries(5):
        data = listing(clients.teacher, scene.thread)
    assert len(data["results"]) == 12
    with django_assert_max_num_queries(5):
        clients.student.get(message_url(data["results"][0]["id"]))
    # Posting costs the same however long the thread is (savepoints of the checks included).
    with django_assert_max_num_queries(18):
        post(clients.student, scene.thread, body="one more")


def test_rest_posts_share_the_socket_rate_limit(clients: Clients, scene: Scene) -> None:
    from plugins.threads.services import SEND_LIMIT

    for n in range(SEND_LIMIT):
        post(clients.student, scene.thread, body=f"quick {n}")
    response = clients.student.post(messages_url(scene.thread), {"body": "one too many"})
    error = assert_error(response, 429, "rate_limited")
    assert 0 < error["details"]["retry_after"] <= 10
    assert ThreadMessage.objects.filter(thread=scene.thread).count() == SEND_LIMIT
    # The limit is per user: the teacher still talks.
    post(clients.teacher, scene.thread, body="slow down")
