"""The client core against a live server: login, pages, typed errors; retries against stubs."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.throttling import UserRateThrottle

from practika import (
    AuthError,
    Conflict,
    NotFound,
    Practika,
    PractikaError,
    RateLimited,
    ServerError,
    ValidationError,
)
from practika.errors import error_from_response, parse_retry_after
from practika.models import Clip, Exercise
from tests.clips.conftest import World
from tests.courses.factories import enroll, make_course_tree, make_index
from tests.factories import TEST_PASSWORD
from tests.live import AsgiLiveServer

from .helpers import LoginAs


def test_login_me_courses_and_every_page_of_exercises(
    live_world: World, asgi_live_server: AsgiLiveServer, login_as: LoginAs
) -> None:
    tree = make_course_tree(make_index(as_site_root=False), modules=1, lessons=2, exercises=3)
    enroll(live_world.student, tree.course)
    client = login_as(live_world.student, page_size=2)
    me = client.me()
    assert (me.username, me.role) == ("student", "student")
    assert {c.title for c in client.courses()} >= {tree.course.title, live_world.course.title}
    detail = client.course(str(tree.course.uuid))
    assert [len(m.lessons) for m in detail.modules] == [2]

    # Six exercises at two a page: the iterator fetches three pages, each only when needed.
    pages: list[str] = []
    client.session.hooks["response"].append(lambda r, *a, **k: pages.append(r.url))
    exercises = client.exercises(course=str(tree.course.uuid))
    assert pages == []  # lazy: nothing fetched before the first item is asked for
    first = next(exercises)
    assert isinstance(first, Exercise)
    assert len(pages) == 1
    rest = list(exercises)
    assert [e.id for e in [first, *rest]] == [str(e.uuid) for e in tree.exercises]
    assert len(pages) == 3
    assert all("page_size=2" in url for url in pages)
    assert rest[0].course is not None
    assert rest[0].course.id == str(tree.course.uuid)
    assert client.exercise(first.id).title == tree.exercises[0].title

    client.logout()
    assert client.token is None
    with pytest.raises(AuthError):
        Practika(asgi_live_server.url, "revoked-or-made-up").me()


def test_token_and_url_from_the_environment(
    live_world: World,
    asgi_live_server: AsgiLiveServer,
    login_as: LoginAs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = login_as(live_world.student).token
    assert token is not None
    monkeypatch.setenv("PRACTIKA_URL", asgi_live_server.url)
    monkeypatch.setenv("PRACTIKA_TOKEN", token)
    assert Practika().me().username == "student"
    assert Practika.from_config().url == asgi_live_server.url


def test_every_error_class_from_the_live_server(
    live_world: World,
    asgi_live_server: AsgiLiveServer,
    login_as: LoginAs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(AuthError) as bad_token:
        Practika(asgi_live_server.url, "made-up").me()
    assert bad_token.value.status == 401
    client = login_as(live_world.student)

    with pytest.raises(ValidationError) as invalid:
        client.request_upload(str(live_world.exercise.uuid), -1.0, sha256="not-hex")
    assert invalid.value.status == 400
    assert set(invalid.value.fields) == {"duration_sec", "sha256"}
    assert list(client.clips()) == []  # nothing half-made

    with pytest.raises(ValidationError) as bad_filter:
        list(client.exercises(course="not-a-uuid"))
    assert "course" in bad_filter.value.details

    with pytest.raises(NotFound) as missing:
        client.exercise("00000000-0000-0000-0000-000000000000")
    assert missing.value.code == "not_found"

    with pytest.raises(Conflict):
        client.commit(client.request_upload(str(live_world.exercise.uuid), 3.0).clip_id)

    # Two requests a minute for users: the third is throttled, with Retry-After.
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/min"})
    cache.clear()
    client.me()
    client.me()
    with pytest.raises(RateLimited) as limited:
        client.me()
    assert limited.value.status == 429
    assert limited.value.code == "throttled"
    assert limited.value.retry_after is not None
    assert 0 < limited.value.retry_after <= 60


def test_login_refused_is_an_auth_error(
    live_world: World, asgi_live_server: AsgiLiveServer
) -> None:
    with pytest.raises(AuthError) as refused:
        Practika.login(asgi_live_server.url, "student", "wrong")
    assert refused.value.code == "invalid_credentials"
    client = Practika.login(asgi_live_server.url, "student", TEST_PASSWORD)
    assert client.me().username == "student"


# --- retries, against a stub server -------------------------------------------------------------
@dataclass
class Stub:
    """Answers from a script: each request takes the next ``(status, headers, body)``."""

    script: list[tuple[int, dict[str, str], Any]]
    seen: list[tuple[str, float]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def stub() -> Iterator[Stub]:
    state = Stub(script=[])

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            state.seen.append((self.command, time.monotonic()))
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            status, headers, body = state.script.pop(0) if state.script else (500, {}, None)
            payload = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


UNAVAILABLE = {"error": {"code": "unavailable", "message": "Down for a moment.", "details": {}}}
ME = {"id": "u1", "username": "student", "role": "student"}


def test_idempotent_calls_are_retried_on_502_503_504_honouring_retry_after(stub: Stub) -> None:
    stub.script = [(503, {"Retry-After": "1"}, UNAVAILABLE), (502, {}, None), (200, {}, ME)]
    client = Practika(stub.url, "token", retries=3, backoff=0.01)
    assert client.me().username == "student"
    times = [t for _, t in stub.seen]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.95  # Retry-After: 1 was honoured
    assert times[2] - times[1] < 0.5  # then the short backoff


def test_a_server_error_that_lasts_raises_server_error(stub: Stub) -> None:
    stub.script = [(504, {}, UNAVAILABLE)] * 3
    client = Practika(stub.url, "token", retries=2, backoff=0.01)
    with pytest.raises(ServerError) as failed:
        client.me()
    assert (failed.value.status, failed.value.code) == (504, "unavailable")
    assert len(stub.seen) == 3


def test_a_post_is_never_retried(stub: Stub) -> None:
    stub.script = [(503, {}, UNAVAILABLE), (201, {}, {"clip_id": "c", "url": "u"})]
    client = Practika(stub.url, "token", retries=3, backoff=0.01)
    with pytest.raises(ServerError):
        client.request_upload("exercise", 3.0)
    assert [method for method, _ in stub.seen] == ["POST"]


def test_an_unreachable_server_raises_after_retries() -> None:
    from tests.conftest import free_port

    client = Practika(f"http://127.0.0.1:{free_port()}", "t", retries=1, backoff=0.01, timeout=1)
    with pytest.raises(ServerError) as failed:
        client.me()
    assert failed.value.code == "unreachable"


# --- building errors and results ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, ValidationError),
        (401, AuthError),
        (403, AuthError),
        (404, NotFound),
        (409, Conflict),
        (413, ValidationError),
        (429, RateLimited),
        (500, ServerError),
        (503, ServerError),
        (418, PractikaError),
    ],
)
def test_error_classes_follow_the_status(status: int, kind: type[PractikaError]) -> None:
    body = {"error": {"code": "x", "message": "m", "details": {"f": ["bad"]}}}
    error = error_from_response(status, body, {"retry-after": "7"})
    assert type(error) is kind
    assert (error.code, error.status, str(error), error.details) == (
        "x",
        status,
        "m (x)",
        {"f": ["bad"]},
    )
    if isinstance(error, RateLimited):
        assert error.retry_after == 7


def test_an_error_without_the_error_format_still_has_a_class() -> None:
    error = error_from_response(502, "<html>Bad gateway</html>", {})
    assert isinstance(error, ServerError)
    assert (error.code, error.status) == ("http_error", 502)


def test_retry_after_as_an_http_date() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("soon") is None


def test_results_ignore_fields_they_do_not_know() -> None:
    clip = Clip.from_json(
        {
            "id": "c1",
            "status": "ready",
            "exercise": {"id": "e1", "title": "Scales", "new_field": 1},
            "duration": 3,
            "created_at": "2026-01-02T03:04:05Z",
            "something_new": {"nested": True},
        }
    )
    assert clip.exercise is not None
    assert clip.exercise.title == "Scales"
    assert clip.duration == 3.0
    assert isinstance(clip.duration, float)
    assert clip.created_at is not None
    assert clip.created_at.year == 2026
    assert clip.to_json()["something_new"] == {"nested": True}
    with pytest.raises(PractikaError) as shape:
        Clip.from_json({"status": "ready"})
    assert shape.value.code == "unexpected_response"
