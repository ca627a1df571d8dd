"""``/api/v1/clips/{id}/segments/`` and ``/api/v1/segments/{id}/`` on a really processed take:
create, list, detail, update, delete, validation, visibility and events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from plugins.clips.models import PracticeClip
from plugins.clips.signals import clip_failed, clip_ready
from plugins.segments.models import VideoSegment
from practika_site.users.models import User
from tests.api.assertions import assert_error, response_json
from tests.factories import UserFactory

from .conftest import TAKE_SECONDS, Clients, Published, World, copy_clip
from .helpers import SEGMENT_FIELDS, SEGMENTS, clip_segments_url, create_segment

pytestmark = pytest.mark.django_db

CaptureFn = Callable[..., Any]


def test_owner_cuts_a_segment_instantly_and_it_is_announced(
    clients: Clients,
    world: World,
    take: PracticeClip,
    published: Published,
    django_capture_on_commit_callbacks: CaptureFn,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        data = create_segment(clients.student, take, 1.25, 4.5, "The fast run")
    assert set(data) == SEGMENT_FIELDS
    assert data["clip_id"] == str(take.pk)
    assert (data["start"], data["end"], data["duration"]) == (1.25, 4.5, 3.25)
    assert data["title"] == "The fast run"
    assert data["created_by"] == {"id": str(world.student.pk), "username": "student"}
    assert data["status"] == "ready"  # the take is ready: its slices play at once
    assert data["export"] == {"status": "none", "progress": 0, "error": None, "url": None}
    assert data["created_at"].endswith("Z")
    segment = VideoSegment.objects.get(pk=data["id"])
    assert segment.created_by == world.student
    # The event is the API's answer, through JSON.
    assert published.of(f"clip:{take.pk}", "segment.created") == [data]


def test_teacher_cuts_too_and_both_see_the_list_in_playback_order(
    clients: Clients, world: World, take: PracticeClip
) -> None:
    late = create_segment(clients.student, take, 5.0, 6.5, "Ending")
    early = create_segment(clients.teacher, take, 0.0, 2.0, "Intro")
    assert early["created_by"]["username"] == "teacher"
    for client in (clients.student, clients.teacher):
        page = response_json(client.get(clip_segments_url(take)))
        assert page["count"] == 2
        assert [s["id"] for s in page["results"]] == [early["id"], late["id"]]
        assert set(page["results"][0]) == SEGMENT_FIELDS


def test_admin_may_cut_and_see_every_segment(
    client_for: Callable[[User], APIClient], take: PracticeClip, clients: Clients
) -> None:
    admin = client_for(UserFactory.create(username="segments-admin", admin=True))
    create_segment(clients.student, take, 0.0, 1.0)
    create_segment(admin, take, 2.0, 3.0)
    assert response_json(admin.get(clip_segments_url(take)))["count"] == 2


def test_detail_update_and_delete_with_events(
    clients: Clients,
    take: PracticeClip,
    published: Published,
    django_capture_on_commit_callbacks: CaptureFn,
) -> None:
    created = create_segment(clients.teacher, take, 1.0, 3.0, "Bar 4")
    url = f"{SEGMENTS}{created['id']}/"
    assert response_json(clients.student.get(url)) == created

    with django_capture_on_commit_callbacks(execute=True):
        response = clients.teacher.patch(url, {"title": "Bar 5", "end": 3.5}, format="json")
    assert response.status_code == 200, response.content
    updated = response_json(response)
    assert (updated["title"], updated["start"], updated["end"]) == ("Bar 5", 1.0, 3.5)
    assert updated["duration"] == 2.5
    assert published.of(f"clip:{take.pk}", "segment.updated") == [updated]

    with django_capture_on_commit_callbacks(execute=True):
        response = clients.teacher.delete(url)
    assert response.status_code == 204
    assert not VideoSegment.objects.filter(pk=created["id"]).exists()
    assert_error(clients.teacher.get(url), 404, "not_found")
    deleted = published.of(f"clip:{take.pk}", "segment.deleted")
    assert deleted == [{"id": created["id"], "clip_id": str(take.pk)}]


def test_the_creator_may_edit_a_title_only_patch_leaves_the_range(
    clients: Clients, take: PracticeClip
) -> None:
    created = create_segment(clients.student, take, 2.0, 4.0)
    response = clients.student.patch(f"{SEGMENTS}{created['id']}/", {"title": "x"}, format="json")
    assert response.status_code == 200
    assert (response_json(response)["start"], response_json(response)["end"]) == (2.0, 4.0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": -0.5, "end": 2.0}, "start"),
        ({"start": 1.0, "end": TAKE_SECONDS + 0.5}, "end"),
        ({"start": 1.0, "end": 1.3}, "end"),  # shorter than 0.5 s
        ({"start": 3.0, "end": 3.0}, "end"),
        ({"start": 4.0, "end": 2.0}, "end"),
        ({"start": TAKE_SECONDS, "end": TAKE_SECONDS + 1}, "start"),
    ],
)
def test_ranges_outside_the_clip_are_refused_with_field_details(
    clients: Clients, take: PracticeClip, body: dict[str, Any], field: str
) -> None:
    response = clients.student.post(clip_segments_url(take), body, format="json")
    error = assert_error(response, 400, "segment_range_invalid")
    assert field in error["details"], error
    assert isinstance(error["details"][field], list)
    assert not VideoSegment.objects.exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"start": "soon", "end": 2.0}, {"start"}),
        ({"start": 1.0, "end": [2]}, {"end"}),
        ({"start": "nan", "end": 2.0}, {"start"}),
        ({"start": 1.0, "end": "Infinity"}, {"end"}),
        ({"start": True, "end": 2.0}, {"start"}),
        ({"end": 2.0}, {"start"}),
        ({"start": 1.0}, {"end"}),
        ({"start": 1.0, "end": 2.0, "title": "x" * 201}, {"title"}),
        ({"start": 1.0, "end": 2.0, "colour": "red"}, {"colour"}),
    ],
)
def test_bad_fields_are_refused_and_nothing_is_written(
    clients: Clients, take: PracticeClip, body: dict[str, Any], fields: set[str]
) -> None:
    response = clients.student.post(clip_segments_url(take), body, format="json")
    error = assert_error(response, 400, "invalid")
    assert set(error["details"]) == fields, error
    assert not VideoSegment.objects.exists()


@pytest.mark.parametrize(
    "field",
    ["id", "clip_id", "created_by", "status", "export", "export_status", "export_key", "duration"],
)
def test_server_owned_fields_cannot_be_written(
    clients: Clients, world: World, take: PracticeClip, field: str
) -> None:
    owned: dict[str, Any] = {
        "id": "00000000-0000-0000-0000-000000000001",
        "clip_id": str(take.pk),
        "created_by": str(world.teacher.pk),
        "status": "failed",
        "export": {"status": "ready"},
        "export_status": "ready",
        "export_key": "clips/elsewhere.mp4",
        "duration": 99,
    }
    body = {"start": 1.0, "end": 2.0, field: owned[field]}
    error = assert_error(
        clients.student.post(clip_segments_url(take), body, format="json"), 400, "invalid"
    )
    assert field in error["details"]
    assert not VideoSegment.objects.exists()

    segment = create_segment(clients.student, take, 1.0, 2.0)
    url = f"{SEGMENTS}{segment['id']}/"
    patch = {"title": "new", field: owned[field]}
    assert_error(clients.student.patch(url, patch, format="json"), 400, "invalid")
    stored = VideoSegment.objects.get(pk=segment["id"])
    assert (stored.title, stored.status, stored.created_by_id) == ("", "ready", world.student.pk)


def test_an_update_with_a_bad_range_changes_nothing(clients: Clients, take: PracticeClip) -> None:
    segment = create_segment(clients.student, take, 1.0, 2.0, "Keep")
    url = f"{SEGMENTS}{segment['id']}/"
    for body in ({"end": TAKE_SECONDS + 1, "title": "Lost"}, {"start": 1.8}, {"end": "x"}):
        response = clients.student.patch(url, body, format="json")
        assert response.status_code == 400, response.content
    stored = VideoSegment.objects.get(pk=segment["id"])
    assert (stored.start, stored.end, stored.title) == (1.0, 2.0, "Keep")


def test_a_clip_that_cannot_play_yet_answers_409(
    clients: Clients, world: World, take: PracticeClip
) -> None:
    waiting = copy_clip(take, status=PracticeClip.Status.UPLOADED, playable_at=None)
    response = clients.student.post(
        clip_segments_url(waiting), {"start": 0, "end": 1}, format="json"
    )
    error = assert_error(response, 409, "segment_clip_not_playable")
    assert error["details"] == {"clip_id": str(waiting.pk), "status": "uploaded"}
    assert not VideoSegment.objects.exists()


def test_segments_of_a_clip_still_processing_follow_it(
    clients: Clients,
    take: PracticeClip,
    published: Published,
    django_capture_on_commit_callbacks: CaptureFn,
) -> None:
    processing = copy_clip(take, status=PracticeClip.Status.PROCESSING)
    first = create_segment(clients.student, processing, 0.0, 2.0)
    assert first["status"] == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        clip_ready.send(sender=PracticeClip, clip=processing)
    assert VideoSegment.objects.get(pk=first["id"]).status == "ready"
    events = published.of(f"clip:{processing.pk}", "segment.updated")
    assert [(e["id"], e["status"]) for e in events] == [(first["id"], "ready")]

    failing = copy_clip(take, status=PracticeClip.Status.PROCESSING)
    second = create_segment(clients.student, failing, 0.0, 2.0)
    clip_failed.send(sender=PracticeClip, clip=failing)
    assert VideoSegment.objects.get(pk=second["id"]).status == "failed"


def test_other_students_and_teachers_of_other_courses_get_404_everywhere(
    clients: Clients, take: PracticeClip
) -> None:
    segment = create_segment(clients.teacher, take, 1.0, 3.0, "Mine")
    url = f"{SEGMENTS}{segment['id']}/"
    for client in (clients.student2, clients.other_teacher, clients.outsider):
        assert_error(client.get(clip_segments_url(take)), 404, "not_found")
        body = {"start": 0, "end": 1}
        assert_error(client.post(clip_segments_url(take), body, format="json"), 404, "not_found")
        assert_error(client.get(url), 404, "not_found")
        assert_error(client.patch(url, {"title": "x"}, format="json"), 404, "not_found")
        assert_error(client.delete(url), 404, "not_found")
        assert_error(client.get(f"{url}streams/"), 404, "not_found")
        assert_error(client.post(f"{url}export/"), 404, "not_found")
    stored = VideoSegment.objects.get(pk=segment["id"])
    assert (stored.title, stored.export_status) == ("Mine", "none")
    assert VideoSegment.objects.count() == 1


def test_unknown_ids_and_anonymous_callers(
    clients: Clients, anon_client: APIClient, take: PracticeClip
) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    assert_error(clients.student.get(clip_segments_url(missing)), 404, "not_found")
    assert_error(clients.student.get(f"{SEGMENTS}{missing}/"), 404, "not_found")
    assert_error(anon_client.get(clip_segments_url(take)), 401, "not_authenticated")
    body = {"start": 0, "end": 1}
    assert_error(
        anon_client.post(clip_segments_url(take), body, format="json"), 401, "not_authenticated"
    )
    assert not VideoSegment.objects.exists()


def test_those_who_see_but_may_not_change_get_403(
    clients: Clients, world: World, take: PracticeClip
) -> None:
    # Everyone in the course sees the teacher's reference video, but only teachers cut it.
    reference = copy_clip(take, owner=world.teacher, kind=PracticeClip.Kind.REFERENCE)
    response = clients.student2.post(
        clip_segments_url(reference), {"start": 0, "end": 1}, format="json"
    )
    assert_error(response, 403, "forbidden")
    on_reference = create_segment(clients.teacher, reference, 0.0, 2.0, "Listen")
    url = f"{SEGMENTS}{on_reference['id']}/"
    assert response_json(clients.student2.get(url))["id"] == on_reference["id"]
    assert_error(clients.student2.patch(url, {"title": "x"}, format="json"), 403, "forbidden")
    assert_error(clients.student2.delete(url), 403, "forbidden")
    assert_error(clients.student2.post(f"{url}export/"), 403, "forbidden")

    # The take's owner sees the teacher's segment of their take; it stays the teacher's.
    teachers = create_segment(clients.teacher, take, 3.0, 5.0, "Teacher's")
    url = f"{SEGMENTS}{teachers['id']}/"
    assert_error(clients.student.patch(url, {"title": "x"}, format="json"), 403, "forbidden")
    assert_error(clients.student.delete(url), 403, "forbidden")
    assert set(VideoSegment.objects.values_list("title", flat=True)) == {"Listen", "Teacher's"}
    # ...and a teacher may change the student's own segment.
    students = create_segment(clients.student, take, 0.0, 1.0)
    response = clients.teacher.patch(
        f"{SEGMENTS}{students['id']}/", {"title": "Look here"}, format="json"
    )
    assert response.status_code == 200


def _queries(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries)


def test_query_counts_do_not_grow_with_segments(
    clients: Clients, take: PracticeClip, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    first = create_segment(clients.teacher, take, 0.0, 1.0)
    one = _queries(clients.student, clip_segments_url(take))
    for n in range(1, 10):
        create_segment(clients.teacher if n % 2 else clients.student, take, n * 0.5, n * 0.5 + 1)
    assert _queries(clients.student, clip_segments_url(take)) == one
    with django_assert_max_num_queries(6):
        page = clients.teacher.get(clip_segments_url(take))
    assert response_json(page)["count"] == 10
    with django_assert_max_num_queries(4):
        clients.student.get(f"{SEGMENTS}{first['id']}/")
