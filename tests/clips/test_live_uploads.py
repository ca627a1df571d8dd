"""Uploads against the real server (uvicorn, ASGI): a standard tus client, a cut connection."""

from __future__ import annotations

import hashlib
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.core.files.storage import default_storage
from knox.models import AuthToken
from tusclient.client import TusClient

from plugins.clips.models import PracticeClip
from tests.live import AsgiLiveServer

from .conftest import World

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 30


@dataclass(frozen=True)
class Live:
    server: AsgiLiveServer
    world: World
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"}

    def request_upload(self, size: int) -> dict[str, Any]:
        response = requests.post(
            f"{self.server.url}/api/v1/clips/",
            json={
                "exercise_id": str(self.world.exercise.uuid),
                "duration_sec": 3,
                "size_bytes": size,
            },
            headers=self.auth,
            timeout=TIMEOUT,
        )
        assert response.status_code == 201, response.text
        target: dict[str, Any] = response.json()
        return target

    def commit(self, clip_id: str) -> requests.Response:
        return requests.post(
            f"{self.server.url}/api/v1/clips/{clip_id}/commit/", headers=self.auth, timeout=TIMEOUT
        )


@pytest.fixture
def live(asgi_live_server: AsgiLiveServer, live_world: World) -> Live:
    _, token = AuthToken.objects.create(user=live_world.student)
    return Live(server=asgi_live_server, world=live_world, token=token)


@pytest.fixture
def payload(tmp_path: Path) -> Path:
    path = tmp_path / "take.bin"
    path.write_bytes(hashlib.shake_256(b"practika").digest(700_001))
    return path


def _stored(clip_id: str) -> bytes:
    clip = PracticeClip.objects.get(pk=clip_id)
    with default_storage.open(clip.original_key, "rb") as handle:
        data: bytes = handle.read()
    return data


def test_signed_put_over_http(live: Live, payload: Path) -> None:
    data = payload.read_bytes()
    target = live.request_upload(len(data))
    assert target["url"].startswith(f"{live.server.url}/api/v1/uploads/")
    response = requests.put(target["url"], data=data, headers=target["headers"], timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    assert response.json()["sha256"] == hashlib.sha256(data).hexdigest()
    assert _stored(target["clip_id"]) == data
    assert live.commit(target["clip_id"]).status_code == 202


def test_tuspy_uploads_in_chunks_and_resumes(live: Live, payload: Path) -> None:
    data = payload.read_bytes()
    target = live.request_upload(len(data))
    client = TusClient(target["tus_url"], headers=live.auth)
    uploader = client.uploader(file_path=str(payload), chunk_size=64 * 1024)
    uploader.upload(stop_at=300_000)  # the first part, then the "connection" is gone
    assert uploader.url is not None
    assert uploader.url.startswith(f"{live.server.url}/api/v1/clips/{target['clip_id']}/tus/")
    assert uploader.offset >= 300_000
    # A new client (as after a restart) resumes at the server's offset (HEAD) and finishes.
    resumed = TusClient(target["tus_url"], headers=live.auth).uploader(
        file_path=str(payload), chunk_size=200_000, url=uploader.url
    )
    assert resumed.offset == uploader.offset
    resumed.upload()
    assert _stored(target["clip_id"]) == data
    response = live.commit(target["clip_id"])
    assert response.status_code == 202, response.text
    assert PracticeClip.objects.get(pk=target["clip_id"]).sha256 == hashlib.sha256(data).hexdigest()


def test_tuspy_whole_file_in_one_patch(live: Live, payload: Path) -> None:
    data = payload.read_bytes()
    target = live.request_upload(len(data))
    uploader = TusClient(target["tus_url"], headers=live.auth).uploader(
        file_path=str(payload), chunk_size=len(data)
    )
    uploader.upload()
    assert _stored(target["clip_id"]) == data


def _patch_cut_halfway(url: str, token: str, data: bytes, offset: int) -> None:
    """A PATCH that announces every remaining byte, sends half of them, and hangs up."""
    parts = urlsplit(url)
    remaining = data[offset:]
    head = (
        f"PATCH {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: Token {token}\r\nTus-Resumable: 1.0.0\r\n"
        f"Upload-Offset: {offset}\r\nContent-Type: application/offset+octet-stream\r\n"
        f"Content-Length: {len(remaining)}\r\n\r\n"
    )
    assert parts.hostname is not None
    assert parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT) as sock:
        sock.sendall(head.encode() + remaining[: len(remaining) // 2])
        sock.shutdown(socket.SHUT_RDWR)


def test_connection_cut_mid_patch_then_resume_is_byte_identical(live: Live, payload: Path) -> None:
    data = payload.read_bytes()
    target = live.request_upload(len(data))
    tus = {"Tus-Resumable": "1.0.0", **live.auth}
    created = requests.post(
        target["tus_url"], headers={**tus, "Upload-Length": str(len(data))}, timeout=TIMEOUT
    )
    assert created.status_code == 201
    location = created.headers["Location"]
    _patch_cut_halfway(location, live.token, data, 0)
    # The PATCH body streams into the partial file, so every byte that arrived is kept;
    # the offset grows to that as the cut request's view finishes.
    half = len(data) // 2
    deadline = time.monotonic() + TIMEOUT
    while True:
        head = requests.head(location, headers=tus, timeout=TIMEOUT)
        assert head.status_code == 200
        assert head.headers["Tus-Resumable"] == "1.0.0"
        offset = int(head.headers["Upload-Offset"])
        if offset == half or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert offset == half
    response = requests.patch(
        location,
        data=data[offset:],
        headers={
            **tus,
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        },
        timeout=TIMEOUT,
    )
    assert response.status_code == 204, response.text
    assert response.headers["Upload-Offset"] == str(len(data))
    assert _stored(target["clip_id"]) == data
    assert live.commit(target["clip_id"]).status_code == 202


def test_concurrent_retries_of_one_chunk_never_corrupt_the_file(live: Live, payload: Path) -> None:
    data = payload.read_bytes()
    target = live.request_upload(len(data))
    tus = {"Tus-Resumable": "1.0.0", **live.auth}
    created = requests.post(
        target["tus_url"], headers={**tus, "Upload-Length": str(len(data))}, timeout=TIMEOUT
    )
    location = created.headers["Location"]
    half = len(data) // 2

    def send(chunk: bytes, offset: int) -> int:
        headers = {
            **tus,
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        }
        return requests.patch(location, data=chunk, headers=headers, timeout=TIMEOUT).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        first = list(pool.map(lambda _: send(data[:half], 0), range(4)))
        assert sorted(first) == [204, 409, 409, 409]
        rest = list(pool.map(lambda _: send(data[half:], half), range(4)))
    assert sorted(rest) == [204, 409, 409, 409]
    assert _stored(target["clip_id"]) == data
