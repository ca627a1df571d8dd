"""Small steps of the practice flow, as a client takes them, for the clips tests."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

from django.core.files.storage import default_storage
from django.http.response import HttpResponseBase
from rest_framework.test import APIClient

from plugins.clips.models import PracticeClip
from practika_site.courses.models import ExercisePage
from tests.api.assertions import response_json

CLIPS = "/api/v1/clips/"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def path_of(url: str) -> str:
    """The path and query of an absolute URL, for Django's test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def request_upload(
    client: APIClient, exercise: ExercisePage, *, duration_sec: float = 3.0, **fields: Any
) -> dict[str, Any]:
    """``POST /api/v1/clips/``; asserts 201 and returns the upload target."""
    body = {"exercise_id": str(exercise.uuid), "duration_sec": duration_sec, **fields}
    response = client.post(CLIPS, body, format="json")
    assert response.status_code == 201, response.content
    data: dict[str, Any] = response_json(response)
    return data


def put_bytes(target: dict[str, Any], data: bytes, **headers: str) -> HttpResponseBase:
    """The signed PUT, with no API token, sending exactly the returned headers."""
    client = APIClient()
    extra = {name: value for name, value in target["headers"].items() if name != "Content-Type"}
    return client.put(
        path_of(target["url"]),
        data,
        content_type=target["headers"].get("Content-Type", "application/octet-stream"),
        headers={**extra, **headers},
    )


def upload(client: APIClient, exercise: ExercisePage, data: bytes, **fields: Any) -> str:
    """Request an upload and PUT ``data``; returns the clip id."""
    target = request_upload(client, exercise, size_bytes=len(data), **fields)
    response = put_bytes(target, data)
    assert response.status_code == 200, getattr(response, "content", b"")
    return str(target["clip_id"])


def commit(client: APIClient, clip_id: str) -> HttpResponseBase:
    return client.post(f"{CLIPS}{clip_id}/commit/")


def stored_bytes(key: str) -> bytes:
    with default_storage.open(key, "rb") as handle:
        data: bytes = handle.read()
    return data


def clip(clip_id: str) -> PracticeClip:
    return PracticeClip.objects.get(pk=clip_id)
