"""Every feedback endpoint's happy path, as a teacher and a student use them."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from plugins.clips.models import PracticeClip
from plugins.feedback.models import Feedback, FeedbackMarker, RubricScore
from tests.api.assertions import assert_error, response_json

from .conftest import Clients, World
from .helpers import CLIPS, FEEDBACK, MARKERS, criteria, drawing, make_feedback

pytestmark = pytest.mark.django_db


def post_feedback(client: APIClient, take: PracticeClip, body: dict[str, Any]) -> Any:
    return client.post(f"{CLIPS}{take.pk}/feedback/", body, format="json")


def test_teacher_creates_feedback_with_scores_and_markers(
    clients: Clients, world: World, take: PracticeClip
) -> None:
    timing, tone = criteria(world.exercise)
    body = {
        "summary": "Good pulse.",
        "scores": [
            {"criterion_id": str(tone.uuid), "score": 2},
            {"criterion_id": str(timing.uuid), "score": 5},
        ],
        "markers": [
            {"time": 12.5, "end_time": 15.0, "kind": "fix", "text": "Rushed here."},
            {
                "time": 3.0,
                "kind": "drawing",
                "drawing": drawing(),
                "criterion_id": str(timing.uuid),
            },
            {"time": 7.0, "kind": "praise", "text": "Lovely tone."},
        ],
    }
    response = post_feedback(clients.teacher, take, body)
    assert response.status_code == 201, response.content
    data = response_json(response)
    feedback = Feedback.objects.get(pk=data["id"])
    assert data["clip_id"] == str(take.pk)
    assert data["segment_id"] is None
    assert data["author"] == {"id": str(world.teacher.pk), "username": "teacher"}
    assert data["summary"] == "Good pulse."
    assert data["status"] == "draft"
    assert data["published_at"] is None
    assert data["reply"] is None
    # Scores in rubric order, with the criterion as it was when scored.
    assert data["scores"] == [
        {"criterion_id": str(timing.uuid), "name": "Timing", "max_score": 5, "score": 5},
        {"criterion_id": str(tone.uuid), "name": "Tone", "max_score": 5, "score": 2},
    ]
    # Markers by time, whatever order they were sent in.
    assert [m["time"] for m in data["markers"]] == [3.0, 7.0, 12.5]
    drawn = data["markers"][0]
    assert drawn["kind"] == "drawing"
    assert drawn["drawing"] == drawing()
    assert drawn["criterion_id"] == str(timing.uuid)
    assert drawn["feedback_id"] == str(feedback.pk)
    assert data["markers"][2]["end_time"] == 15.0
    assert feedback.author == world.teacher
    assert feedback.markers.count() == 3
    assert feedback.scores.count() == 2


def test_feedback_on_a_segment(clients: Clients, world: World, take: PracticeClip) -> None:
    segment = take.segments.create(start=10.0, end=20.0, title="Bridge", created_by=world.teacher)
    body = {
        "summary": "The bridge.",
        "segment_id": str(segment.pk),
        "markers": [{"time": 12, "text": "Here."}],
    }
    response = post_feedback(clients.teacher, take, body)
    assert response.status_code == 201, response.content
    assert response_json(response)["segment_id"] == str(segment.pk)


def test_list_detail_update_delete(clients: Clients, world: World, take: PracticeClip) -> None:
    first = make_feedback(take, world.teacher)
    second = make_feedback(take, world.teacher, publish=True)
    listed = response_json(clients.teacher.get(f"{CLIPS}{take.pk}/feedback/"))
    assert listed["count"] == 2
    assert [item["id"] for item in listed["results"]] == [str(first.pk), str(second.pk)]

    detail = response_json(clients.teacher.get(f"{FEEDBACK}{first.pk}/"))
    assert detail["id"] == str(first.pk)
    assert len(detail["markers"]) == 2

    timing, _ = criteria(world.exercise)
    response = clients.teacher.patch(
        f"{FEEDBACK}{first.pk}/",
        {"summary": "Rewritten.", "scores": [{"criterion_id": str(timing.uuid), "score": 1}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    patched = response_json(response)
    assert patched["summary"] == "Rewritten."
    assert [(s["name"], s["score"]) for s in patched["scores"]] == [("Timing", 1)]
    assert patched["status"] == "draft"

    # A published feedback stays editable by its author, and stays published.
    response = clients.teacher.patch(f"{FEEDBACK}{second.pk}/", {"summary": "Later note."})
    assert response.status_code == 200, response.content
    assert response_json(response)["status"] == "published"
    assert response_json(response)["published_at"] is not None

    assert clients.teacher.delete(f"{FEEDBACK}{first.pk}/").status_code == 204
    assert not Feedback.objects.filter(pk=first.pk).exists()
    assert not FeedbackMarker.objects.filter(feedback_id=first.pk).exists()
    assert not RubricScore.objects.filter(feedback_id=first.pk).exists()


def test_markers_list_create_update_delete(
    clients: Clients, world: World, take: PracticeClip
) -> None:
    feedback = make_feedback(take, world.teacher, markers=1)
    url = f"{FEEDBACK}{feedback.pk}/markers/"
    response = clients.teacher.post(url, {"time": 0.5, "kind": "praise", "text": "Clean start."})
    assert response.status_code == 201, response.content
    created = response_json(response)
    assert created["feedback_id"] == str(feedback.pk)
    listed = response_json(clients.teacher.get(url))
    assert [m["time"] for m in listed] == [0.5, 1.0]

    marker_url = f"{MARKERS}{created['id']}/"
    assert response_json(clients.teacher.get(marker_url))["text"] == "Clean start."
    response = clients.teacher.patch(
        marker_url, {"end_time": 2.5, "kind": "drawing", "drawing": drawing()}, format="json"
    )
    assert response.status_code == 200, response.content
    updated = response_json(response)
    assert (updated["time"], updated["end_time"], updated["kind"]) == (0.5, 2.5, "drawing")
    assert updated["text"] == "Clean start."
    assert clients.teacher.delete(marker_url).status_code == 204
    assert [m["time"] for m in response_json(clients.teacher.get(url))] == [1.0]


def test_publish(clients: Clients, world: World, take: PracticeClip) -> None:
    feedback = make_feedback(take, world.teacher)
    response = clients.teacher.post(f"{FEEDBACK}{feedback.pk}/publish/")
    assert response.status_code == 200, response.content
    data = response_json(response)
    assert data["status"] == "published"
    assert data["published_at"]
    feedback.refresh_from_db()
    assert feedback.status == Feedback.Status.PUBLISHED
    assert_error(
        clients.teacher.post(f"{FEEDBACK}{feedback.pk}/publish/"), 409, "feedback_already_published"
    )


def test_student_sees_only_published_feedback(
    clients: Clients, world: World, take: PracticeClip
) -> None:
    draft = make_feedback(take, world.teacher)
    published = make_feedback(take, world.teacher, publish=True)
    listed = response_json(clients.student.get(f"{CLIPS}{take.pk}/feedback/"))
    assert [item["id"] for item in listed["results"]] == [str(published.pk)]
    assert clients.student.get(f"{FEEDBACK}{published.pk}/").status_code == 200
    assert_error(clients.student.get(f"{FEEDBACK}{draft.pk}/"), 404, "not_found")
    assert_error(clients.student.get(f"{FEEDBACK}{draft.pk}/markers/"), 404, "not_found")
    marker = draft.markers.first()
    assert marker is not None
    assert_error(clients.student.get(f"{MARKERS}{marker.pk}/"), 404, "not_found")
    timeline = response_json(clients.student.get(f"{CLIPS}{take.pk}/timeline/"))
    assert {e["feedback_id"] for e in timeline["entries"]} == {str(published.pk)}
    # The teacher sees both, drafts included.
    listed = response_json(clients.teacher.get(f"{CLIPS}{take.pk}/feedback/"))
    assert listed["count"] == 2
