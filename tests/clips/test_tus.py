"""The tus 1.0 server at ``tus_url``: creation, HEAD, PATCH, termination, expiration."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.http.response import HttpResponseBase
from django.utils import timezone
from rest_framework.test import APIClient

from plugins.clips.models import PracticeClip, UploadSession
from tests.api.assertions import assert_error

from .conftest import Clients, Dirs, World
from .helpers import clip, commit, path_of, put_bytes, request_upload, stored_bytes

pytestmark = pytest.mark.django_db

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"


def tus_create(client: APIClient, target: dict[str, Any], length: int, **headers: str) -> Any:
    return client.post(
        path_of(target["tus_url"]), headers={**TUS, "Upload-Length": str(length), **headers}
    )


def created(client: APIClient, target: dict[str, Any], length: int) -> str:
    response = tus_create(client, target, length)
    assert response.status_code == 201, response.content
    location: str = response["Location"]
    assert location.startswith("http://testserver/api/v1/clips/")
    return location


def head(client: APIClient, location: str, **headers: str) -> Any:
    return client.head(path_of(location), headers={**TUS, **headers})


def patch(
    client: APIClient,
    location: str,
    data: bytes,
    offset: int,
    content_type: str = OCTETS,
    **headers: str,
) -> Any:
    return client.patch(
        path_of(location),
        data,
        content_type=content_type,
        headers={**TUS, "Upload-Offset": str(offset), **headers},
    )


def offset_of(client: APIClient, location: str) -> int:
    response = head(client, location)
    assert response.status_code == 200
    return int(response["Upload-Offset"])


def assert_tus(response: HttpResponseBase) -> None:
    assert response["Tus-Resumable"] == "1.0.0", response.headers


@pytest.fixture
def target(clients: Clients, world: World, small_bytes: bytes) -> dict[str, Any]:
    return request_upload(clients.student, world.exercise, size_bytes=len(small_bytes))


def test_options_advertises_version_and_extensions(
    clients: Clients, target: dict[str, Any], settings: Any
) -> None:
    response = clients.student.options(path_of(target["tus_url"]))
    assert response.status_code == 204
    assert_tus(response)
    assert response["Tus-Version"] == "1.0.0"
    extensions = set(response["Tus-Extension"].split(","))
    assert {"creation", "termination", "expiration"} <= extensions
    assert int(response["Tus-Max-Size"]) == settings.PRACTIKA_UPLOAD_MAX_BYTES


def test_create_head_patch_in_chunks(
    clients: Clients, target: dict[str, Any], small_bytes: bytes, dirs: Dirs
) -> None:
    response = tus_create(clients.student, target, len(small_bytes))
    assert response.status_code == 201
    assert_tus(response)
    location = response["Location"]
    expires = parsedate_to_datetime(response["Upload-Expires"])
    assert abs(expires - clip(target["clip_id"]).upload_expires_at) < timedelta(seconds=1)

    response = head(clients.student, location)
    assert response.status_code == 200
    assert_tus(response)
    assert response["Upload-Offset"] == "0"
    assert response["Upload-Length"] == str(len(small_bytes))
    assert response["Cache-Control"] == "no-store"

    offset = 0
    for size in (100_000, 100_000, 60_000, len(small_bytes)):
        chunk = small_bytes[offset : offset + size]
        if not chunk:
            break
        response = patch(clients.student, location, chunk, offset)
        assert response.status_code == 204, response.content
        assert_tus(response)
        offset += len(chunk)
        assert response["Upload-Offset"] == str(offset)
        assert offset_of(clients.student, location) == offset
    assert offset == len(small_bytes)
    assert stored_bytes(clip(target["clip_id"]).original_key) == small_bytes
    assert not any(dirs.uploads.iterdir())  # the temp file was moved into place
    assert commit(clients.student, target["clip_id"]).status_code == 202


def test_whole_file_in_one_patch(
    clients: Clients, target: dict[str, Any], small_bytes: bytes
) -> None:
    location = created(clients.student, target, len(small_bytes))
    response = patch(clients.student, location, small_bytes, 0)
    assert response.status_code == 204
    assert stored_bytes(clip(target["clip_id"]).original_key) == small_bytes


def test_cut_halfway_then_resume_gives_identical_file(
    clients: Clients, world: World, small_bytes: bytes, client_for: Any
) -> None:
    target = request_upload(clients.student, world.exercise, size_bytes=len(small_bytes))
    location = created(clients.student, target, len(small_bytes))
    half = len(small_bytes) // 2 + 7
    assert patch(clients.student, location, small_bytes[:half], 0).status_code == 204
    # The connection drops; later, another client (new token) asks where to go on.
    resumed = client_for(world.student)
    offset = offset_of(resumed, location)
    assert offset == half
    response = patch(resumed, location, small_bytes[offset:], offset)
    assert response.status_code == 204
    stored = clip(target["clip_id"])
    assert stored_bytes(stored.original_key) == small_bytes
    assert commit(resumed, target["clip_id"]).status_code == 202
    assert clip(target["clip_id"]).sha256 == __import__("hashlib").sha256(small_bytes).hexdigest()


def test_wrong_offset_is_409_and_changes_nothing(
    clients: Clients, target: dict[str, Any], small_bytes: bytes
) -> None:
    location = created(clients.student, target, len(small_bytes))
    assert patch(clients.student, location, small_bytes[:1000], 0).status_code == 204
    session = UploadSession.objects.get(clip_id=target["clip_id"])
    before = Path(session.temp_path).read_bytes()
    # A retried chunk (already applied) and a chunk from the future.
    for offset in (0, 500, 2000):
        response = patch(clients.student, location, small_bytes[offset : offset + 1000], offset)
        error = assert_error(response, 409, "upload_offset_mismatch")
        assert error["details"] == {"offset": 1000}
        assert_tus(response)
    assert Path(session.temp_path).read_bytes() == before
    assert offset_of(clients.student, location) == 1000


def test_missing_or_wrong_tus_resumable_is_412(
    clients: Clients, target: dict[str, Any], small_bytes: bytes
) -> None:
    response = clients.student.post(
        path_of(target["tus_url"]), headers={"Upload-Length": str(len(small_bytes))}
    )
    assert_error(response, 412, "tus_version_unsupported")
    assert response["Tus-Version"] == "1.0.0"
    assert_tus(response)
    assert not UploadSession.objects.exists()
    location = created(clients.student, target, len(small_bytes))
    response = clients.student.patch(
        path_of(location),
        small_bytes[:10],
        content_type=OCTETS,
        headers={"Upload-Offset": "0", "Tus-Resumable": "0.2.2"},
    )
    assert_error(response, 412, "tus_version_unsupported")
    assert offset_of(clients.student, location) == 0


def test_patch_with_wrong_content_type_is_415(
    clients: Clients, target: dict[str, Any], small_bytes: bytes
) -> None:
    location = created(clients.student, target, len(small_bytes))
    response = patch(clients.student, location, small_bytes[:10], 0, "application/json")
    assert_error(response, 415, "tus_content_type")
    assert_tus(response)
    assert offset_of(clients.student, location) == 0


def test_patch_past_the_length_is_413_and_keeps_nothing_of_it(
    clients: Clients, target: dict[str, Any], small_bytes: bytes
) -> None:
    location = created(clients.student, target, len(small_bytes))
    assert patch(clients.student, location, small_bytes[:10], 0).status_code == 204
    response = patch(clients.student, location, small_bytes[10:] + b"extra", 10)
    assert_error(response, 413, "upload_too_large")
    assert offset_of(clients.student, location) == 10


def test_creation_checks_the_length(
    clients: Clients, world: World, target: dict[str, Any], small_bytes: bytes, settings: Any
) -> None:
    mismatch = tus_create(clients.student, target, len(small_bytes) - 1)
    assert_error(mismatch, 400, "upload_size_mismatch")
    assert_error(tus_create(clients.student, target, len(small_bytes) + 1), 413, "upload_too_large")
    response = clients.student.post(path_of(target["tus_url"]), headers=TUS)
    assert_error(response, 400, "invalid")
    assert_tus(response)
    response = tus_create(clients.student, target, 10, **{"Upload-Defer-Length": "1"})
    assert response.status_code == 400
    settings.PRACTIKA_UPLOAD_MAX_BYTES = 100
    undeclared = request_upload(clients.student, world.exercise)
    assert_error(tus_create(clients.student, undeclared, 101), 413, "upload_too_large")
    assert tus_create(clients.student, undeclared, 100).status_code == 201


def test_delete_terminates_the_upload(
    clients: Clients, target: dict[str, Any], small_bytes: bytes, dirs: Dirs
) -> None:
    location = created(clients.student, target, len(small_bytes))
    assert patch(clients.student, location, small_bytes[:1000], 0).status_code == 204
    response = clients.student.delete(path_of(location), headers=TUS)
    assert response.status_code == 204
    assert_tus(response)
    assert head(clients.student, location).status_code == 404
    assert not UploadSession.objects.exists()
    assert not any(dirs.uploads.iterdir())
    # The clip can still be uploaded from scratch.
    location = created(clients.student, target, len(small_bytes))
    assert patch(clients.student, location, small_bytes, 0).status_code == 204


def test_a_later_creation_replaces_an_unfinished_one(
    clients: Clients, target: dict[str, Any], small_bytes: bytes, dirs: Dirs
) -> None:
    first = created(clients.student, target, len(small_bytes))
    assert patch(clients.student, first, small_bytes[:1000], 0).status_code == 204
    second = created(clients.student, target, len(small_bytes))
    assert second != first
    assert head(clients.student, first).status_code == 404
    assert_error(patch(clients.student, first, small_bytes[1000:2000], 1000), 404, "not_found")
    assert offset_of(clients.student, second) == 0
    assert len(list(dirs.uploads.iterdir())) == 1
    assert patch(clients.student, second, small_bytes, 0).status_code == 204
    assert stored_bytes(clip(target["clip_id"]).original_key) == small_bytes
    # Once finished, a new creation is refused: the upload is done.
    assert_error(tus_create(clients.student, target, len(small_bytes)), 409, "upload_already_done")


def test_another_users_upload_is_404(
    clients: Clients, target: dict[str, Any], small_bytes: bytes
) -> None:
    for other in (clients.student2, clients.teacher, clients.outsider):
        response = tus_create(other, target, len(small_bytes))
        assert_error(response, 404, "not_found")
        assert_tus(response)
    location = created(clients.student, target, len(small_bytes))
    for other in (clients.student2, clients.teacher):
        assert head(other, location).status_code == 404
        assert_error(patch(other, location, small_bytes[:10], 0), 404, "not_found")
        assert_error(other.delete(path_of(location), headers=TUS), 404, "not_found")
    assert offset_of(clients.student, location) == 0


def test_anonymous_is_401(
    anon_client: APIClient, target: dict[str, Any], small_bytes: bytes
) -> None:
    response = tus_create(anon_client, target, len(small_bytes))
    assert_error(response, 401, "not_authenticated")
    assert_tus(response)


def test_expired_upload_is_410(
    clients: Clients, target: dict[str, Any], small_bytes: bytes
) -> None:
    location = created(clients.student, target, len(small_bytes))
    assert patch(clients.student, location, small_bytes[:10], 0).status_code == 204
    past = timezone.now() - timedelta(seconds=1)
    PracticeClip.objects.filter(pk=target["clip_id"]).update(upload_expires_at=past)
    UploadSession.objects.filter(clip_id=target["clip_id"]).update(expires_at=past)
    assert head(clients.student, location).status_code == 410
    response = patch(clients.student, location, small_bytes[10:], 10)
    assert_error(response, 410, "upload_expired")
    assert_tus(response)
    assert_error(tus_create(clients.student, target, len(small_bytes)), 410, "upload_expired")


def test_patch_after_commit_is_409(
    clients: Clients, target: dict[str, Any], small_bytes: bytes
) -> None:
    location = created(clients.student, target, len(small_bytes))
    assert patch(clients.student, location, small_bytes, 0).status_code == 204
    assert commit(clients.student, target["clip_id"]).status_code == 202
    response = patch(clients.student, location, b"more", len(small_bytes))
    assert response.status_code == 409
    assert_tus(response)
    assert head(clients.student, location)["Upload-Offset"] == str(len(small_bytes))
    assert_error(tus_create(clients.student, target, len(small_bytes)), 409, "clip_state_conflict")
    assert default_storage.size(clip(target["clip_id"]).original_key) == len(small_bytes)


def test_signed_put_then_tus_is_409(
    clients: Clients, target: dict[str, Any], small_bytes: bytes
) -> None:
    assert put_bytes(target, small_bytes).status_code == 200
    assert_error(tus_create(clients.student, target, len(small_bytes)), 409, "upload_already_done")


def test_commit_frees_an_unfinished_upload_of_the_same_clip(
    clients: Clients,
    target: dict[str, Any],
    small_bytes: bytes,
    dirs: Dirs,
    django_capture_on_commit_callbacks: Any,
) -> None:
    location = created(clients.student, target, len(small_bytes))
    assert patch(clients.student, location, small_bytes[:1000], 0).status_code == 204
    assert put_bytes(target, small_bytes).status_code == 200  # another way in won the race
    with django_capture_on_commit_callbacks(execute=True):
        assert commit(clients.student, target["clip_id"]).status_code == 202
    assert not any(dirs.uploads.iterdir())
    assert offset_of(clients.student, location) == 1000
    response = patch(clients.student, location, small_bytes[1000:], 1000)
    assert_error(response, 409, "clip_state_conflict")
    assert stored_bytes(clip(target["clip_id"]).original_key) == small_bytes
