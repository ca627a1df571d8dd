"""Body limits in front of Django (practika_site/core/upload_limits.py), against real uvicorn.

Raw sockets, so each test controls exactly when body bytes go out: a refused body gets its
413 before it is sent (or as soon as it passes the limit) and never reaches the disk.
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import requests
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.test import Client
from knox.models import AuthToken

from plugins.clips.models import PracticeClip, UploadSession
from tests.clips.conftest import Dirs, World, dirs, live_world
from tests.factories import UserFactory
from tests.live import AsgiLiveServer

__all__ = ["dirs", "live_world"]  # fixtures of the clips tests, used here too

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 15.0
MIB = 1024 * 1024


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    sent_body_bytes: int
    interim: list[int] = field(default_factory=list)

    def error(self) -> dict[str, Any]:
        assert self.headers.get("content-type", "").startswith("application/json"), self.headers
        data = json.loads(self.body)
        assert set(data) == {"error"}
        assert set(data["error"]) == {"code", "message", "details"}
        error: dict[str, Any] = data["error"]
        return error


def _head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: testserver",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin1")


def _read_answer(sock: socket.socket, sent: int) -> Answer:
    """Read responses until a final one is complete (interim 1xx answers are collected)."""
    data = b""
    interim: list[int] = []
    while True:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed before an answer: {data!r}"
            data += chunk
        head, _, data = data.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin1").split("\r\n")
        status = int(status_line.split(" ")[1])
        if 100 <= status < 200:
            interim.append(status)
            continue
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(data) < length:
            chunk = sock.recv(65536)
            assert chunk, "connection closed inside the answer"
            data += chunk
        return Answer(status, headers, data[:length], sent, interim)


def _send_until_answered(sock: socket.socket, chunks: Iterator[bytes]) -> int:
    """Send ``chunks`` until the server starts answering (or hangs up); bytes sent."""
    sent = 0
    for chunk in chunks:
        readable, _, _ = select.select([sock], [], [], 0)
        if readable:
            break
        try:
            sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += len(chunk)
    return sent


def _chunked(body: Iterator[bytes]) -> Iterator[bytes]:
    for chunk in body:
        yield b"%x\r\n%s\r\n" % (len(chunk), chunk)
    yield b"0\r\n\r\n"


def raw_request(
    server: AsgiLiveServer,
    method: str,
    path: str,
    headers: dict[str, str],
    body: Iterator[bytes] | None = None,
    *,
    chunked: bool = False,
    wait_for_continue: bool = False,
) -> Answer:
    """One request on its own connection; ``body`` is sent only while no answer has come."""
    with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as sock:
        if chunked:
            headers = {**headers, "Transfer-Encoding": "chunked"}
        sock.sendall(_head(method, path, headers))
        if wait_for_continue:
            readable, _, _ = select.select([sock], [], [], TIMEOUT)
            assert readable, "no answer to Expect: 100-continue"
            peek = sock.recv(64, socket.MSG_PEEK)
            if not peek.startswith(b"HTTP/1.1 100"):
                return _read_answer(sock, 0)
            sock.recv(len(b"HTTP/1.1 100 Continue\r\n\r\n"))
        sent = 0
        if body is not None:
            framed = _chunked(body) if chunked else body
            sent = _send_until_answered(sock, framed)
        return _read_answer(sock, sent)


def _repeat(chunk: bytes, times: int) -> Iterator[bytes]:
    for _ in range(times):
        yield chunk


@dataclass(frozen=True)
class Live:
    server: AsgiLiveServer
    world: World
    token: str

    def request_upload(self, **fields: Any) -> dict[str, Any]:
        body = {"exercise_id": str(self.world.exercise.uuid), "duration_sec": 3, **fields}
        response = requests.post(
            f"{self.server.url}/api/v1/clips/",
            json=body,
            headers={"Authorization": f"Token {self.token}"},
            timeout=TIMEOUT,
        )
        assert response.status_code == 201, response.text
        target: dict[str, Any] = response.json()
        return target


@pytest.fixture
def live(asgi_live_server: AsgiLiveServer, live_world: World) -> Live:
    _, token = AuthToken.objects.create(user=live_world.student)
    return Live(asgi_live_server, live_world, token)


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def _nothing_written(dirs: Dirs, clip_id: str) -> None:
    assert not dirs.uploads.exists() or not list(dirs.uploads.iterdir())
    assert not default_storage.exists(PracticeClip.objects.get(pk=clip_id).original_key)
    assert not UploadSession.objects.filter(clip_id=UUID(clip_id)).exists()


def test_anonymous_oversized_content_length_is_refused_before_the_body(
    asgi_live_server: AsgiLiveServer, settings: Any
) -> None:
    settings.PRACTIKA_REQUEST_MAX_BYTES = 10_000
    answer = raw_request(
        asgi_live_server,
        "POST",
        "/api/v1/clips/",
        {"Content-Type": "application/json", "Content-Length": str(50 * 1024**3)},
    )
    assert answer.status == 413
    assert answer.error()["code"] == "too_large"
    assert answer.headers["connection"] == "close"
    assert answer.sent_body_bytes == 0


def test_chunked_body_over_the_small_cap_is_cut_off(
    asgi_live_server: AsgiLiveServer, settings: Any
) -> None:
    settings.PRACTIKA_REQUEST_MAX_BYTES = 10_000
    answer = raw_request(
        asgi_live_server,
        "POST",
        "/api/v1/auth/token/",
        {"Content-Type": "application/json"},
        _repeat(b" " * 4096, 64 * 256),  # 64 MiB, never all sent
        chunked=True,
    )
    assert answer.status == 413
    assert answer.error()["code"] == "too_large"
    assert answer.headers["connection"] == "close"
    assert answer.sent_body_bytes < 16 * MIB


def test_small_bodies_still_reach_the_api(live: Live) -> None:
    target = live.request_upload(size_bytes=10)
    assert target["max_bytes"] == 10


def test_signed_put_over_the_global_limit_is_refused_before_the_body(
    live: Live, settings: Any, dirs: Dirs
) -> None:
    target = live.request_upload()
    settings.PRACTIKA_UPLOAD_MAX_BYTES = 5 * MIB
    answer = raw_request(
        live.server,
        "PUT",
        _path(target["url"]),
        {"Content-Type": "video/mp4", "Content-Length": str(6 * MIB)},
    )
    assert answer.status == 413
    assert answer.error()["code"] == "too_large"
    assert answer.sent_body_bytes == 0
    _nothing_written(dirs, target["clip_id"])


def test_signed_put_over_the_clips_limit_is_refused_before_the_body(live: Live, dirs: Dirs) -> None:
    target = live.request_upload(size_bytes=1000)
    answer = raw_request(
        live.server,
        "PUT",
        _path(target["url"]),
        {"Content-Type": "video/mp4", "Content-Length": str(100 * MIB)},
    )
    # The view itself answered (its code), having read nothing: the connection closes.
    assert answer.status == 413
    assert answer.error()["code"] == "upload_too_large"
    assert answer.headers["connection"] == "close"
    _nothing_written(dirs, target["clip_id"])


def test_expect_continue_gets_the_413_instead_of_the_go_ahead(live: Live, dirs: Dirs) -> None:
    target = live.request_upload(size_bytes=1000)
    answer = raw_request(
        live.server,
        "PUT",
        _path(target["url"]),
        {"Content-Type": "video/mp4", "Content-Length": "2000", "Expect": "100-continue"},
        wait_for_continue=True,
    )
    assert answer.interim == []
    assert answer.status == 413
    assert answer.error()["code"] == "upload_too_large"
    _nothing_written(dirs, target["clip_id"])


def test_expect_continue_within_the_limit_uploads(live: Live, dirs: Dirs) -> None:
    target = live.request_upload(size_bytes=1000)
    with socket.create_connection((live.server.host, live.server.port), timeout=TIMEOUT) as sock:
        headers = {"Content-Type": "video/mp4", "Content-Length": "1000", "Expect": "100-continue"}
        sock.sendall(_head("PUT", _path(target["url"]), headers))
        assert sock.recv(64).startswith(b"HTTP/1.1 100")
        sock.sendall(b"x" * 1000)
        answer = _read_answer(sock, 1000)
    assert answer.status == 200, answer.body
    clip = PracticeClip.objects.get(pk=target["clip_id"])
    with default_storage.open(clip.original_key, "rb") as stored:
        assert stored.read() == b"x" * 1000


def test_chunked_signed_put_past_the_clips_limit_stops_there(live: Live, dirs: Dirs) -> None:
    target = live.request_upload(size_bytes=100_000)
    answer = raw_request(
        live.server,
        "PUT",
        _path(target["url"]),
        {"Content-Type": "video/mp4"},
        _repeat(b"v" * 65536, 1024),  # 64 MiB, never all sent
        chunked=True,
    )
    assert answer.status == 413
    assert answer.error()["code"] == "upload_too_large"
    assert answer.headers["connection"] == "close"
    assert answer.sent_body_bytes < 16 * MIB
    _nothing_written(dirs, target["clip_id"])


def test_chunked_signed_put_within_the_limit_is_stored(live: Live) -> None:
    data = bytes(range(256)) * 1000
    target = live.request_upload(size_bytes=len(data))
    answer = raw_request(
        live.server,
        "PUT",
        _path(target["url"]),
        {"Content-Type": "video/mp4"},
        iter([data[:100_000], data[100_000:]]),
        chunked=True,
    )
    assert answer.status == 200, answer.body
    clip = PracticeClip.objects.get(pk=target["clip_id"])
    with default_storage.open(clip.original_key, "rb") as stored:
        assert stored.read() == data


def test_tus_patch_is_streamed_a_cut_chunk_keeps_what_arrived(live: Live, tmp_path: Path) -> None:
    """Django would have dropped the whole cut body; streamed, its prefix is on disk."""
    data = bytes(range(256)) * 4096  # 1 MiB
    target = live.request_upload(size_bytes=len(data))
    tus = {"Tus-Resumable": "1.0.0", "Authorization": f"Token {live.token}"}
    created = requests.post(
        target["tus_url"], headers={**tus, "Upload-Length": str(len(data))}, timeout=TIMEOUT
    )
    location = created.headers["Location"]
    head = _head(
        "PATCH",
        _path(location),
        {
            **tus,
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
            "Content-Length": str(len(data)),
        },
    )
    with socket.create_connection((live.server.host, live.server.port), timeout=TIMEOUT) as sock:
        sock.sendall(head + data[: len(data) // 2])
        sock.shutdown(socket.SHUT_RDWR)
    offset = 0
    for _ in range(200):  # until the view has written what arrived and let go of the upload
        response = requests.head(location, headers=tus, timeout=TIMEOUT)
        offset = int(response.headers["Upload-Offset"])
        if offset == len(data) // 2:
            break
        time.sleep(0.05)
    assert offset == len(data) // 2
    done = requests.patch(
        location,
        data=data[offset:],
        headers={
            **tus,
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        },
        timeout=TIMEOUT,
    )
    assert done.status_code == 204, done.text
    clip = PracticeClip.objects.get(pk=target["clip_id"])
    with default_storage.open(clip.original_key, "rb") as stored:
        assert stored.read() == data


def test_a_refused_small_body_is_read_so_the_client_gets_the_answer(live: Live) -> None:
    """An answer before the body (409 here) on a body the client sends at once."""
    data = b"z" * 300_000
    target = live.request_upload(size_bytes=len(data))
    headers = {"Content-Type": "video/mp4"}
    assert requests.put(target["url"], data=data, headers=headers, timeout=TIMEOUT).ok
    again = requests.put(target["url"], data=data, headers=headers, timeout=TIMEOUT)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "upload_already_done"
    assert "close" not in again.headers.get("Connection", "")


def _session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


def test_editors_may_send_large_bodies_to_the_cms_others_may_not(
    asgi_live_server: AsgiLiveServer, settings: Any
) -> None:
    settings.PRACTIKA_REQUEST_MAX_BYTES = 10_000
    editor = UserFactory.create(username="editor", admin=True)
    student = UserFactory.create(username="learner")
    body = b"title=x&" + b"a" * 20_000

    def post(cookie: str | None) -> Answer:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-Length": str(len(body)),
        }
        if cookie:
            headers["Cookie"] = cookie
        return raw_request(
            asgi_live_server, "POST", "/cms/documents/multiple/add/", headers, iter([body])
        )

    assert post(None).status == 413
    assert post(_session_cookie(student)).status == 413
    assert post("sessionid=not-a-session").status == 413
    allowed = post(_session_cookie(editor))
    assert allowed.status != 413  # Django had it (CSRF refuses it: this test sends no token)
