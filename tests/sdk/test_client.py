"""The SDK and CLI against a real running Practika (uvicorn in a thread, real HTTP)."""

import json
import stat
from pathlib import Path

import pytest

from practika import AuthError, NotFound, Practika, ValidationError
from practika.cli import main as cli
from practika.errors import Conflict, PractikaError, RateLimited, ServerError, error_from_response
from practika_site.users.models import User
from tests.courses.factories import enroll, make_course_tree, make_index
from tests.factories import TEST_PASSWORD
from tests.live import AsgiLiveServer


def test_login_and_walk_every_page_of_exercises(
    asgi_live_server: AsgiLiveServer, student: User
) -> None:
    index = make_index()
    tree = make_course_tree(index, modules=1, lessons=1, exercises=3)
    enroll(student, tree.course)
    client = Practika.login(asgi_live_server.url, student.username, TEST_PASSWORD)
    assert client.me()["username"] == student.username
    courses = list(client.courses())
    assert [c["id"] for c in courses] == [str(tree.course.uuid)]
    assert client.course(courses[0]["id"])["id"] == courses[0]["id"]
    # page_size 2 forces the SDK past the first page.
    client.session.params = {"page_size": 2}
    exercises = list(client.exercises(course=str(tree.course.uuid)))
    assert [e["id"] for e in exercises] == [str(e.uuid) for e in tree.exercises]
    assert client.exercise(exercises[0]["id"])["title"] == tree.exercises[0].title
    client.logout()
    with pytest.raises(AuthError):
        Practika(asgi_live_server.url, "revoked-token").me()


def test_errors_are_typed(asgi_live_server: AsgiLiveServer, student: User) -> None:
    with pytest.raises(AuthError) as denied:
        Practika.login(asgi_live_server.url, student.username, "wrong")
    assert denied.value.code == "invalid_credentials"
    client = Practika.login(asgi_live_server.url, student.username, TEST_PASSWORD)
    with pytest.raises(NotFound):
        client.exercise("00000000-0000-0000-0000-000000000000")
    with pytest.raises(ValidationError) as invalid:
        list(client.exercises(course="not-a-uuid"))
    assert "course" in invalid.value.details


def test_enroll_through_the_sdk(asgi_live_server: AsgiLiveServer, student: User) -> None:
    tree = make_course_tree(make_index(), modules=1, lessons=1, exercises=1)
    client = Practika.login(asgi_live_server.url, student.username, TEST_PASSWORD)
    assert list(client.exercises()) == []
    client.enroll(str(tree.course.uuid))
    assert len(list(client.exercises())) == 1


def test_unreachable_server_raises_after_retries() -> None:
    client = Practika("http://127.0.0.1:9", "token", retries=1, backoff=0.01, timeout=1)
    with pytest.raises(ServerError) as failed:
        client.me()
    assert failed.value.code == "unreachable"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, ValidationError),
        (401, AuthError),
        (403, AuthError),
        (404, NotFound),
        (409, Conflict),
        (429, RateLimited),
        (503, ServerError),
        (418, PractikaError),
    ],
)
def test_error_classes_follow_the_status(status: int, kind: type[PractikaError]) -> None:
    body = {"error": {"code": "x", "message": "m", "details": {"f": ["bad"]}}}
    error = error_from_response(status, body, {"Retry-After": "7"})
    assert type(error) is kind
    assert (error.code, error.status, str(error)) == ("x", status, "m (x)")
    if isinstance(error, RateLimited):
        assert error.retry_after == 7


def test_cli_login_stores_a_private_token_and_lists(
    asgi_live_server: AsgiLiveServer,
    student: User,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tree = make_course_tree(make_index(), modules=1, lessons=1, exercises=1)
    enroll(student, tree.course)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("PRACTIKA_TOKEN", raising=False)
    url = asgi_live_server.url
    assert cli(["--url", url, "exercises"]) == 3  # not logged in yet
    login = ["--url", url, "login", "--username", student.username, "--password", TEST_PASSWORD]
    assert cli(login) == 0
    stored = tmp_path / "practika" / "credentials.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert json.loads(stored.read_text())["url"] == url
    capsys.readouterr()
    assert cli(["exercises"]) == 0
    assert tree.exercises[0].title in capsys.readouterr().out
    assert cli(["--json", "courses"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["id"] == str(tree.course.uuid)
    assert cli(["me"]) == 0
    assert student.username in capsys.readouterr().out
    login[-1] = "wrong"
    assert cli(login) == 3


def test_practice_flow_from_upload_to_ready_streams(
    asgi_live_server: AsgiLiveServer, student: User, tmp_path: Path
) -> None:
    from tests.mediafiles import make_video

    tree = make_course_tree(make_index(), modules=1, lessons=1, exercises=1)
    enroll(student, tree.course)
    video = make_video(tmp_path / "take.mp4", duration=3.0)
    client = Practika.login(asgi_live_server.url, student.username, TEST_PASSWORD)
    sent: list[int] = []
    done = client.practice(
        str(tree.exercises[0].uuid),
        video,
        duration_sec=3.0,
        progress=lambda n, total: sent.append(n),
        timeout=120,
    )
    assert done["status"] == "ready", done
    assert sent[-1] == video.stat().st_size
    streams = client.streams(done["clip_id"])
    master = client.session.get(streams["hls"], timeout=10)
    assert master.status_code == 200
    assert master.text.startswith("#EXTM3U")
    with pytest.raises(Conflict):
        client.commit(done["clip_id"])
