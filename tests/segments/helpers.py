"""Small steps of the segments API, as a client takes them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.http.response import HttpResponseBase
from django.test import Client
from rest_framework.test import APIClient

from plugins.clips.models import PracticeClip
from tests.api.assertions import response_json

SEGMENTS = "/api/v1/segments/"
SEGMENT_FIELDS = {
    "id",
    "clip_id",
    "start",
    "end",
    "duration",
    "title",
    "created_by",
    "status",
    "export",
    "created_at",
    "updated_at",
}


def clip_segments_url(clip: PracticeClip | str) -> str:
    clip_id = clip.pk if isinstance(clip, PracticeClip) else clip
    return f"/api/v1/clips/{clip_id}/segments/"


def create_segment(
    client: APIClient, clip: PracticeClip, start: float, end: float, title: str = ""
) -> dict[str, Any]:
    """``POST /api/v1/clips/{id}/segments/``; asserts 201 and returns the segment."""
    body = {"start": start, "end": end, "title": title}
    response = client.post(clip_segments_url(clip), body, format="json")
    assert response.status_code == 201, response.content
    data: dict[str, Any] = response_json(response)
    return data


def path_of(url: str) -> str:
    """The path and query of an absolute URL, for Django's test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def fetch(url: str, **headers: str) -> HttpResponseBase:
    """A media URL fetched as a player does: no API token, no session."""
    return Client().get(path_of(url), headers=headers)


def body_of(response: HttpResponseBase) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return bytes(response.content)  # type: ignore[attr-defined]


def uris(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def tag_value(playlist: str, tag: str) -> str:
    """The value of the first ``#TAG:value`` line."""
    for line in playlist.splitlines():
        if line.startswith(f"{tag}:"):
            return line.split(":", 1)[1]
    raise AssertionError(f"{tag} not in playlist:\n{playlist}")
