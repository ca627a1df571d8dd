"""The signed PUT on local storage: streamed to disk, single use, bounded, expiring."""

from __future__ import annotations

import io
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.http import HttpRequest
from django.utils import timezone

from plugins.clips.errors import UploadTooLarge
from plugins.clips.models import PracticeClip, UploadSession
from plugins.clips.signing import sign
from plugins.clips.uploads import stream_body_to
from tests.api.assertions import assert_error, response_json

from .conftest import Clients, Dirs, World
from .helpers import clip, commit, put_bytes, request_upload, sha256, stored_bytes

pytestmark = pytest.mark.django_db


def _no_temp_files(dirs: Dirs) -> bool:
    return not dirs.uploads.exists() or not any(dirs.uploads.iterdir())


def test_put_stores_the_exact_bytes(
    clients: Clients, world: World, small_bytes: bytes, dirs: Dirs
) -> None:
    target = request_upload(clients.student, world.exercise, size_bytes=len(small_bytes))
    response = put_bytes(target, small_bytes)
    assert response.status_code == 200
    assert response_json(response) == {
        "clip_id": target["clip_id"],
        "size_bytes": len(small_bytes),
        "sha256": sha256(small_bytes),
    }
    stored = clip(target["clip_id"])
    assert stored_bytes(stored.original_key) == small_bytes
    assert stored.status == PracticeClip.Status.AWAITING_UPLOAD  # until commit
    session = UploadSession.objects.get(clip=stored)
    assert session.protocol == UploadSession.Protocol.SIGNED_PUT
    assert session.completed_at is not None
    assert _no_temp_files(dirs)


def test_put_without_a_declared_size(clients: Clients, world: World, small_bytes: bytes) -> None:
    target = request_upload(clients.student, world.exercise)
    assert put_bytes(target, small_bytes).status_code == 200
    assert stored_bytes(clip(target["clip_id"]).original_key) == small_bytes


def test_second_put_is_409(clients: Clients, world: World, small_bytes: bytes) -> None:
    target = request_upload(clients.student, world.exercise)
    assert put_bytes(target, small_bytes).status_code == 200
    assert_error(put_bytes(target, b"other bytes"), 409, "upload_already_done")
    assert stored_bytes(clip(target["clip_id"]).original_key) == small_bytes


def test_put_after_commit_is_409(clients: Clients, world: World, small_bytes: bytes) -> None:
    target = request_upload(clients.student, world.exercise)
    assert put_bytes(target, small_bytes).status_code == 200
    assert commit(clients.student, target["clip_id"]).status_code == 202
    assert_error(put_bytes(target, b"other bytes"), 409, "clip_state_conflict")
    assert stored_bytes(clip(target["clip_id"]).original_key) == small_bytes


def test_tampered_token_is_403(clients: Clients, world: World, small_bytes: bytes) -> None:
    target = request_upload(clients.student, world.exercise)
    url: str = target["url"]
    token = url.rstrip("/").rsplit("/", 1)[1]
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    assert_error(
        put_bytes({**target, "url": url.replace(token, flipped)}, small_bytes), 403, "bad_signature"
    )
    other = sign("media", {"c": target["clip_id"]}, expires_at=time.time() + 60)
    assert_error(
        put_bytes({**target, "url": url.replace(token, other)}, small_bytes), 403, "bad_signature"
    )
    assert not default_storage.exists(clip(target["clip_id"]).original_key)


def test_expired_link_is_403(clients: Clients, world: World, small_bytes: bytes) -> None:
    target = request_upload(clients.student, world.exercise)
    past = timezone.now() - timedelta(minutes=1)
    PracticeClip.objects.filter(pk=target["clip_id"]).update(upload_expires_at=past)
    old_token = sign("upload", {"c": target["clip_id"]}, expires_at=past.timestamp())
    url = target["url"].replace(target["url"].rstrip("/").rsplit("/", 1)[1], old_token)
    assert_error(put_bytes({**target, "url": url}, small_bytes), 403, "link_expired")
    assert not default_storage.exists(clip(target["clip_id"]).original_key)


def test_body_over_max_bytes_is_413_and_nothing_is_stored(
    clients: Clients, world: World, small_bytes: bytes, settings: Any, dirs: Dirs
) -> None:
    settings.PRACTIKA_UPLOAD_MAX_BYTES = len(small_bytes) - 1
    target = request_upload(clients.student, world.exercise)
    assert target["max_bytes"] == len(small_bytes) - 1
    assert_error(put_bytes(target, small_bytes), 413, "upload_too_large")
    stored = clip(target["clip_id"])
    assert not default_storage.exists(stored.original_key)
    assert not UploadSession.objects.filter(clip=stored).exists()
    assert _no_temp_files(dirs)
    # The link is still good for a body within the limit.
    assert put_bytes(target, small_bytes[:-1]).status_code == 200


def test_wrong_size_is_400_and_nothing_is_stored(
    clients: Clients, world: World, small_bytes: bytes, dirs: Dirs
) -> None:
    target = request_upload(clients.student, world.exercise, size_bytes=len(small_bytes))
    error = assert_error(put_bytes(target, small_bytes[:-10]), 400, "upload_size_mismatch")
    assert "size_bytes" in error["details"]
    assert not default_storage.exists(clip(target["clip_id"]).original_key)
    assert _no_temp_files(dirs)
    assert put_bytes(target, small_bytes).status_code == 200


def test_bigger_than_declared_is_413(
    clients: Clients, world: World, small_bytes: bytes, dirs: Dirs
) -> None:
    target = request_upload(clients.student, world.exercise, size_bytes=len(small_bytes) - 1)
    assert_error(put_bytes(target, small_bytes), 413, "upload_too_large")
    assert not default_storage.exists(clip(target["clip_id"]).original_key)
    assert _no_temp_files(dirs)


def test_put_for_a_deleted_clip_is_404(clients: Clients, world: World, small_bytes: bytes) -> None:
    target = request_upload(clients.student, world.exercise)
    PracticeClip.objects.filter(pk=target["clip_id"]).delete()
    assert_error(put_bytes(target, small_bytes), 404, "not_found")


def test_only_put_is_allowed(clients: Clients, world: World) -> None:
    target = request_upload(clients.student, world.exercise)
    path = target["url"].removeprefix("http://testserver")
    response = clients.student.post(path, b"x", content_type="application/octet-stream")
    assert_error(response, 405, "method_not_allowed")


class _Body(HttpRequest):
    """A request whose body has no Content-Length (chunked transfer)."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self._stream = io.BytesIO(data)

    def read(self, size: int | None = -1) -> bytes:
        return self._stream.read(-1 if size is None else size)


def test_limit_holds_without_content_length(tmp_path: Path) -> None:
    with (tmp_path / "out").open("wb") as target, pytest.raises(UploadTooLarge):
        stream_body_to(_Body(b"x" * 3_000_000), target, limit=2_500_000)
    with (tmp_path / "ok").open("wb") as target:
        size, digest = stream_body_to(_Body(b"y" * 3_000_000), target, limit=3_000_000)
    assert size == 3_000_000
    assert digest.hexdigest() == sha256(b"y" * 3_000_000)
