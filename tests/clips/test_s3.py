"""S3 mode against moto's server over real HTTP: presigned PUT, multipart, pipeline, streams."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from plugins.clips.models import PracticeClip, UploadSession
from plugins.clips.services import clips_expire_uploads
from tests.api.assertions import assert_error, response_json

from .conftest import Clients, Dirs, World
from .helpers import CLIPS, clip, commit, path_of, request_upload, sha256

pytestmark = pytest.mark.django_db

MiB = 1024 * 1024


@pytest.fixture
def s3(s3_storage: tuple[str, str]) -> str:
    """Storage on moto; yields the endpoint URL."""
    endpoint, _bucket = s3_storage
    return endpoint


def s3_keys(prefix: str) -> list[str]:
    client = default_storage.connection.meta.client  # type: ignore[attr-defined]
    bucket = default_storage.bucket_name  # type: ignore[attr-defined]
    answer = client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in answer.get("Contents", []))


def s3_multipart_uploads(clip_id: str) -> list[str]:
    client = default_storage.connection.meta.client  # type: ignore[attr-defined]
    bucket = default_storage.bucket_name  # type: ignore[attr-defined]
    uploads = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    return [upload["UploadId"] for upload in uploads if clip_id in upload["Key"]]


def put(target: dict[str, Any], data: bytes) -> requests.Response:
    return requests.put(target["url"], data=data, headers=target["headers"], timeout=30)


def test_presigned_put_then_commit(
    s3: str, clients: Clients, world: World, small_bytes: bytes
) -> None:
    target = request_upload(
        clients.student,
        world.exercise,
        size_bytes=len(small_bytes),
        content_type="video/mp4",
        sha256=sha256(small_bytes),
    )
    assert target["url"].startswith(f"{s3}/")
    assert "X-Amz-Signature=" in target["url"]
    assert target["method"] == "PUT"
    assert target["headers"] == {"Content-Type": "video/mp4"}
    assert target["tus_url"].startswith("http://testserver/")
    assert_error(commit(clients.student, target["clip_id"]), 409, "upload_missing")
    assert put(target, small_bytes).status_code == 200
    response = commit(clients.student, target["clip_id"])
    assert response.status_code == 202
    stored = clip(target["clip_id"])
    assert stored.status == PracticeClip.Status.UPLOADED
    assert stored.size_bytes == len(small_bytes)
    assert stored.sha256 == sha256(small_bytes)
    assert default_storage.open(stored.original_key).read() == small_bytes


def test_commit_verifies_the_size_of_the_object(
    s3: str, clients: Clients, world: World, small_bytes: bytes
) -> None:
    target = request_upload(clients.student, world.exercise, size_bytes=len(small_bytes))
    key = clip(target["clip_id"]).original_key
    client = default_storage.connection.meta.client  # type: ignore[attr-defined]
    client.put_object(Bucket=default_storage.bucket_name, Key=key, Body=small_bytes[:-1])  # type: ignore[attr-defined]
    assert_error(commit(clients.student, target["clip_id"]), 400, "upload_size_mismatch")
    assert clip(target["clip_id"]).status == PracticeClip.Status.AWAITING_UPLOAD


def _multipart(client: Any, clip_id: str, **body: Any) -> Any:
    return client.post(f"{CLIPS}{clip_id}/multipart/", body, format="json")


def test_multipart_upload_start_parts_complete_commit(
    s3: str, clients: Clients, world: World, settings: Any
) -> None:
    settings.PRACTIKA_UPLOAD_PART_BYTES = 5 * MiB
    data = os.urandom(11 * MiB + 12345)
    target = request_upload(clients.student, world.exercise, size_bytes=len(data))
    response = _multipart(clients.student, target["clip_id"])
    assert response.status_code == 201, response.content
    plan = response_json(response)
    assert set(plan) == {"upload_id", "part_size", "parts", "expires_at"}
    part_size = plan["part_size"]
    assert part_size == 5 * MiB
    parts = plan["parts"]
    assert [p["part_number"] for p in parts] == list(range(1, len(parts) + 1))
    assert len(parts) == -(-len(data) // part_size)
    etags = []
    for part in parts:
        start = (part["part_number"] - 1) * part_size
        answer = requests.put(part["url"], data=data[start : start + part_size], timeout=30)
        assert answer.status_code == 200, answer.text
        etags.append({"part_number": part["part_number"], "etag": answer.headers["ETag"]})
    assert_error(commit(clients.student, target["clip_id"]), 409, "upload_missing")
    response = clients.student.post(
        f"{CLIPS}{target['clip_id']}/multipart/complete/",
        {"upload_id": plan["upload_id"], "parts": etags},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response_json(response) == {"clip_id": target["clip_id"], "size_bytes": len(data)}
    assert commit(clients.student, target["clip_id"]).status_code == 202
    stored = clip(target["clip_id"])
    assert stored.size_bytes == len(data)
    assert default_storage.open(stored.original_key).read() == data
    session = UploadSession.objects.get(clip=stored)
    assert session.protocol == UploadSession.Protocol.S3_MULTIPART
    assert session.completed_at is not None


def test_multipart_errors(
    s3: str, clients: Clients, world: World, django_capture_on_commit_callbacks: Any
) -> None:
    data = os.urandom(6 * MiB)
    target = request_upload(clients.student, world.exercise, size_bytes=len(data))
    clip_id = target["clip_id"]
    assert_error(_multipart(clients.student2, clip_id), 404, "not_found")
    assert_error(_multipart(clients.teacher, clip_id), 403, "forbidden")
    plan = response_json(_multipart(clients.student, clip_id))
    complete = f"{CLIPS}{clip_id}/multipart/complete/"
    # Parts that were never uploaded, and a malformed body.
    bogus = [{"part_number": p["part_number"], "etag": '"0"'} for p in plan["parts"]]
    response = clients.student.post(
        complete, {"upload_id": plan["upload_id"], "parts": bogus}, format="json"
    )
    assert_error(response, 400, "upload_parts_invalid")
    response = clients.student.post(complete, {"upload_id": plan["upload_id"]}, format="json")
    assert_error(response, 400, "invalid")
    response = clients.student.post(complete, {"upload_id": "other", "parts": bogus}, format="json")
    assert_error(response, 404, "not_found")
    # A new start replaces the unfinished upload (S3 aborts the old one after commit).
    with django_capture_on_commit_callbacks(execute=True):
        again = response_json(_multipart(clients.student, clip_id))
    assert again["upload_id"] != plan["upload_id"]
    assert UploadSession.objects.filter(clip_id=clip_id).count() == 1
    assert s3_multipart_uploads(clip_id) == [again["upload_id"]]
    # Abort.
    with django_capture_on_commit_callbacks(execute=True):
        response = clients.student.delete(f"{CLIPS}{clip_id}/multipart/")
    assert response.status_code == 204
    assert not UploadSession.objects.filter(clip_id=clip_id).exists()
    assert s3_multipart_uploads(clip_id) == []
    assert_error(clients.student.delete(f"{CLIPS}{clip_id}/multipart/"), 404, "not_found")


def test_multipart_needs_s3(clients: Clients, world: World) -> None:
    target = request_upload(clients.student, world.exercise, size_bytes=100)
    assert_error(_multipart(clients.student, target["clip_id"]), 409, "multipart_unavailable")


def test_multipart_needs_a_size(s3: str, clients: Clients, world: World, settings: Any) -> None:
    settings.PRACTIKA_UPLOAD_PART_BYTES = 5 * MiB
    target = request_upload(clients.student, world.exercise)
    error = assert_error(_multipart(clients.student, target["clip_id"]), 400, "invalid")
    assert "size_bytes" in error["details"]
    response = _multipart(clients.student, target["clip_id"], size_bytes=6 * MiB)
    assert response.status_code == 201
    assert len(response_json(response)["parts"]) == 2


def _fetch(url: str) -> tuple[int, str, bytes]:
    """A media URL as a player fetches it: Practika's own through the test client (following
    its redirect), S3's over HTTP."""
    if urlsplit(url).netloc == "testserver":
        response = Client().get(path_of(url))
        if response.status_code in (301, 302):
            return _fetch(urljoin(url, response["Location"]))
        content = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
        return response.status_code, response["Content-Type"], content
    answer = requests.get(url, timeout=30)
    return answer.status_code, answer.headers.get("Content-Type", ""), answer.content


def test_pipeline_and_streams_on_s3(
    s3: str,
    clients: Clients,
    world: World,
    h264_mp4: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    data = h264_mp4.read_bytes()
    target = request_upload(
        clients.student, world.exercise, size_bytes=len(data), content_type="video/mp4"
    )
    assert put(target, data).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert commit(clients.student, target["clip_id"]).status_code == 202
    made = clip(target["clip_id"])
    assert made.status == PracticeClip.Status.READY, (made.error_code, made.error_message)
    keys = s3_keys(made.storage_prefix)
    assert made.original_key in keys
    assert any(key.endswith(".ts") for key in keys)
    assert made.poster_key in keys

    streams = response_json(clients.student.get(f"{CLIPS}{made.pk}/streams/"))
    status, content_type, master = _fetch(streams["hls"])
    assert status == 200
    assert content_type == "application/vnd.apple.mpegurl"
    variants = [line for line in master.decode().splitlines() if line and line[0] != "#"]
    assert variants
    for variant in variants:
        variant_url = urljoin(streams["hls"], variant)
        status, content_type, playlist = _fetch(variant_url)
        assert status == 200, playlist[:200]
        assert content_type == "application/vnd.apple.mpegurl"
        segments = [line for line in playlist.decode().splitlines() if line and line[0] != "#"]
        assert segments
        for segment in segments:
            # Every segment URI is a presigned S3 GET that plays without any token.
            assert segment.startswith(f"{s3}/"), segment
            assert "X-Amz-Signature=" in segment
            answer = requests.get(segment, timeout=30)
            assert answer.status_code == 200
            assert answer.headers["Content-Type"] == "video/mp2t"
            assert answer.content[0] == 0x47
    status, content_type, _poster = _fetch(streams["poster"])
    assert (status, content_type) == (200, "image/jpeg")
    status, content_type, vtt = _fetch(streams["thumbnails_vtt"])
    assert (status, content_type) == (200, "text/vtt")
    sprite = next(line for line in vtt.decode().splitlines() if "#xywh=" in line)
    assert sprite.startswith(f"{s3}/")
    assert requests.get(sprite.split("#", 1)[0], timeout=30).status_code == 200
    status, _, original = _fetch(streams["original"])
    assert (status, original) == (200, data)
    assert_error(clients.student2.get(f"{CLIPS}{made.pk}/streams/"), 404, "not_found")


def test_delete_and_expiry_remove_s3_objects(
    s3: str,
    clients: Clients,
    world: World,
    small_bytes: bytes,
    django_capture_on_commit_callbacks: Any,
) -> None:
    target = request_upload(clients.student, world.exercise, size_bytes=len(small_bytes))
    assert put(target, small_bytes).status_code == 200
    prefix = clip(target["clip_id"]).storage_prefix
    assert s3_keys(prefix)
    with django_capture_on_commit_callbacks(execute=True):
        assert clients.student.delete(f"{CLIPS}{target['clip_id']}/").status_code == 204
    assert s3_keys(prefix) == []


def test_tus_upload_lands_in_s3_and_leaves_no_temp_file(
    s3: str,
    clients: Clients,
    world: World,
    small_bytes: bytes,
    dirs: Dirs,
    django_capture_on_commit_callbacks: Any,
) -> None:
    target = request_upload(clients.student, world.exercise, size_bytes=len(small_bytes))
    tus = {"Tus-Resumable": "1.0.0"}
    response = clients.student.post(
        path_of(target["tus_url"]), headers={**tus, "Upload-Length": str(len(small_bytes))}
    )
    assert response.status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        response = clients.student.patch(
            path_of(response["Location"]),
            small_bytes,
            content_type="application/offset+octet-stream",
            headers={**tus, "Upload-Offset": "0"},
        )
    assert response.status_code == 204
    key = clip(target["clip_id"]).original_key
    assert s3_keys(key) == [key]
    assert default_storage.open(key).read() == small_bytes
    assert not any(dirs.uploads.iterdir())
    assert commit(clients.student, target["clip_id"]).status_code == 202


def test_deleting_or_expiring_a_clip_aborts_its_multipart_upload(
    s3: str,
    clients: Clients,
    world: World,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.PRACTIKA_UPLOAD_PART_BYTES = 5 * MiB
    deleted = request_upload(clients.student, world.exercise, size_bytes=6 * MiB)["clip_id"]
    expired = request_upload(clients.student, world.exercise, size_bytes=6 * MiB)["clip_id"]
    for clip_id in (deleted, expired):
        plan = response_json(_multipart(clients.student, clip_id))
        part = requests.put(plan["parts"][0]["url"], data=b"x" * (5 * MiB), timeout=30)
        assert part.status_code == 200
        assert s3_multipart_uploads(clip_id) == [plan["upload_id"]]
    with django_capture_on_commit_callbacks(execute=True):
        assert clients.student.delete(f"{CLIPS}{deleted}/").status_code == 204
    assert s3_multipart_uploads(deleted) == []
    past = timezone.now() - timedelta(minutes=1)
    PracticeClip.objects.filter(pk=expired).update(upload_expires_at=past)
    with django_capture_on_commit_callbacks(execute=True):
        assert clips_expire_uploads() == 1
    assert s3_multipart_uploads(expired) == []
    assert not PracticeClip.objects.exists()
