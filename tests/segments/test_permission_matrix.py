"""Who may do what with segments: every role against every segment endpoint and action, on a
segment the teacher cut in the student's take; nothing is written when a call is refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from huey_tasks.models import MediaJob
from plugins.clips.models import PracticeClip
from plugins.segments.models import VideoSegment
from practika_site.users.models import User
from tests.factories import UserFactory

from .conftest import Clients
from .helpers import SEGMENTS, clip_segments_url, create_segment

pytestmark = pytest.mark.django_db

ROLES = ("owner", "student2", "teacher", "other_teacher", "admin", "anonymous")
#: action -> expected status per role, in ROLES order.
MATRIX: dict[str, tuple[int, ...]] = {
    "list": (200, 404, 200, 404, 200, 401),
    "create": (201, 404, 201, 404, 201, 401),
    "detail": (200, 404, 200, 404, 200, 401),
    "update": (403, 404, 200, 404, 200, 401),
    "delete": (403, 404, 204, 404, 204, 401),
    "streams": (200, 404, 200, 404, 200, 401),
    "export": (202, 404, 202, 404, 202, 401),
}
CELLS = [
    (action, role, statuses[index])
    for action, statuses in MATRIX.items()
    for index, role in enumerate(ROLES)
]


def _client(role: str, clients: Clients, client_for: Callable[[User], APIClient]) -> APIClient:
    if role == "anonymous":
        return APIClient()
    if role == "admin":
        return client_for(UserFactory.create(username="matrix-admin", admin=True))
    return {
        "owner": clients.student,
        "student2": clients.student2,
        "teacher": clients.teacher,
        "other_teacher": clients.other_teacher,
    }[role]


def _call(client: APIClient, action: str, take: PracticeClip, segment_id: str) -> Any:
    url = f"{SEGMENTS}{segment_id}/"
    calls: dict[str, Callable[[], Any]] = {
        "list": lambda: client.get(clip_segments_url(take)),
        "create": lambda: client.post(
            clip_segments_url(take), {"start": 4.0, "end": 5.0, "title": "New"}, format="json"
        ),
        "detail": lambda: client.get(url),
        "update": lambda: client.patch(url, {"title": "Changed", "end": 3.5}, format="json"),
        "delete": lambda: client.delete(url),
        "streams": lambda: client.get(f"{url}streams/"),
        "export": lambda: client.post(f"{url}export/"),
    }
    return calls[action]()


@pytest.mark.parametrize(("action", "role", "expected"), CELLS)
def test_permission_matrix(
    clients: Clients,
    client_for: Callable[[User], APIClient],
    take: PracticeClip,
    action: str,
    role: str,
    expected: int,
) -> None:
    segment = create_segment(clients.teacher, take, 1.0, 3.0, "Teacher's")
    response = _call(_client(role, clients, client_for), action, take, segment["id"])
    assert response.status_code == expected, (action, role, response.content)
    if expected >= 400:
        body = response.json()
        assert set(body) == {"error"}
        assert VideoSegment.objects.count() == 1
        stored = VideoSegment.objects.get(pk=segment["id"])
        assert (stored.title, stored.start, stored.end) == ("Teacher's", 1.0, 3.0)
        assert stored.export_status == VideoSegment.ExportStatus.NONE
        assert not MediaJob.objects.filter(target_id=segment["id"]).exists()
