"""Bad input: a clear 400 (or 409) in the one error format, naming the bad field, and nothing
written, not even the valid parts of the same request."""

from __future__ import annotations

from typing import Any

import pytest

from plugins.clips.models import PracticeClip
from plugins.feedback.drawing import MAX_PATH_POINTS, MAX_SHAPES
from plugins.feedback.models import MAX_MARKERS_PER_FEEDBACK, Feedback, FeedbackMarker, RubricScore
from tests.api.assertions import assert_error

from .conftest import Clients, World
from .helpers import CLIPS, FEEDBACK, MARKERS, criteria, make_feedback, make_take

pytestmark = pytest.mark.django_db

ARROW = {"type": "arrow", "start": [0.1, 0.1], "end": [0.9, 0.9], "color": "#00ff00", "width": 2}


def counts() -> tuple[int, int, int, int]:
    return (
        Feedback.objects.count(),
        FeedbackMarker.objects.count(),
        RubricScore.objects.count(),
        PracticeClip.objects.count(),
    )


def create(clients: Clients, take: PracticeClip, body: dict[str, Any]) -> dict[str, Any]:
    """POST as the teacher; asserts a 400 that wrote nothing; returns ``details``."""
    before = counts()
    response = clients.teacher.post(f"{CLIPS}{take.pk}/feedback/", body, format="json")
    error = assert_error(response, 400, "invalid")
    assert counts() == before
    details: dict[str, Any] = error["details"]
    return details


def valid_marker(**fields: Any) -> dict[str, Any]:
    return {"time": 1.0, "kind": "comment", "text": "Fine.", **fields}


def marker_errors(details: dict[str, Any], index: int) -> dict[str, Any]:
    """The errors of marker ``index``, the only bad one (errors of a list are by index, as
    DRF reports nested lists)."""
    assert list(details["markers"]) == [str(index)], details
    errors: dict[str, Any] = details["markers"][str(index)]
    return errors


def test_scores_out_of_range(clients: Clients, world: World, take: PracticeClip) -> None:
    timing, tone = criteria(world.exercise)
    details = create(
        clients,
        take,
        {
            "summary": "ok",
            "markers": [valid_marker()],
            "scores": [
                {"criterion_id": str(timing.uuid), "score": 3},
                {"criterion_id": str(tone.uuid), "score": 6},
            ],
        },
    )
    assert details == {"scores": {"1": {"score": ["Must be between 0 and 5."]}}}
    details = create(clients, take, {"scores": [{"criterion_id": str(tone.uuid), "score": -1}]})
    assert list(details["scores"]["0"]) == ["score"]


def test_foreign_and_repeated_criteria(clients: Clients, world: World, take: PracticeClip) -> None:
    foreign = criteria(world.exercise2)[0]
    timing = criteria(world.exercise)[0]
    details = create(
        clients,
        take,
        {
            "scores": [
                {"criterion_id": str(foreign.uuid), "score": 1},
                {"criterion_id": str(timing.uuid), "score": 1},
                {"criterion_id": str(timing.uuid), "score": 2},
            ],
            "markers": [valid_marker(criterion_id=str(foreign.uuid))],
        },
    )
    assert details["scores"] == {
        "0": {"criterion_id": ["Not a criterion of this exercise's rubric."]},
        "2": {"criterion_id": ["This criterion is scored twice."]},
    }
    assert marker_errors(details, 0) == {
        "criterion_id": ["Not a criterion of this exercise's rubric."]
    }


@pytest.mark.parametrize(
    ("marker", "field"),
    [
        ({"time": 30.5}, "time"),
        ({"time": 29.0, "end_time": 31.0}, "end_time"),
        ({"time": -1.0}, "time"),
        ({"time": 5.0, "end_time": 5.0}, "end_time"),
        ({"time": 5.0, "end_time": 4.0}, "end_time"),
        ({"text": ""}, "text"),
        ({"kind": "drawing", "text": "no drawing"}, "drawing"),
        ({"kind": "shout"}, "kind"),
        ({"time": "soon"}, "time"),
    ],
)
def test_bad_marker(
    clients: Clients, take: PracticeClip, marker: dict[str, Any], field: str
) -> None:
    details = create(clients, take, {"markers": [valid_marker(), valid_marker(**marker)]})
    assert list(marker_errors(details, 1)) == [field], details


def test_marker_outside_its_segment(clients: Clients, world: World, take: PracticeClip) -> None:
    segment = take.segments.create(start=10.0, end=20.0, created_by=world.teacher)
    details = create(
        clients,
        take,
        {"segment_id": str(segment.pk), "markers": [valid_marker(time=12), valid_marker(time=5)]},
    )
    assert marker_errors(details, 1) == {"time": ["Must be within the segment: 10 to 20 s."]}


def test_segment_of_another_clip(clients: Clients, world: World, take: PracticeClip) -> None:
    other = make_take(world, owner=world.student2)
    segment = other.segments.create(start=0.0, end=5.0, created_by=world.teacher)
    details = create(clients, take, {"segment_id": str(segment.pk), "summary": "x"})
    assert details == {"segment_id": ["Not a segment of this clip."]}


@pytest.mark.parametrize(
    ("shape", "where"),
    [
        ({**ARROW, "color": "red"}, "shapes[1].color"),
        ({**ARROW, "color": "#12345"}, "shapes[1].color"),
        ({**ARROW, "width": 0}, "shapes[1].width"),
        ({**ARROW, "width": 99}, "shapes[1].width"),
        ({**ARROW, "start": [0.1, 1.5]}, "shapes[1].start[1]"),
        ({**ARROW, "start": [0.1]}, "shapes[1].start"),
        ({**ARROW, "end": ["a", 0.2]}, "shapes[1].end[0]"),
        ({**ARROW, "end": [True, 0.2]}, "shapes[1].end[0]"),
        ({**ARROW, "fill": True}, "shapes[1].fill"),
        ({**ARROW, "type": "star"}, "shapes[1].type"),
        (
            {"type": "circle", "center": [0.5, 0.5], "color": "#000000", "width": 1},
            "shapes[1].radius: This field is required",
        ),
        (
            {"type": "circle", "center": [0.5, 0.5], "radius": 0, "color": "#000000", "width": 1},
            "shapes[1].radius",
        ),
        (
            {"type": "path", "points": [[0.1, 0.1]], "color": "#000000", "width": 1},
            "shapes[1].points",
        ),
        (
            {"type": "path", "points": [[0.1, 0.1], [0.2, -0.1]], "color": "#000000", "width": 1},
            "shapes[1].points[1][1]",
        ),
        ("arrow", "shapes[1]"),
    ],
)
def test_bad_drawing(clients: Clients, take: PracticeClip, shape: Any, where: str) -> None:
    bad = {"shapes": [ARROW, shape]}
    details = create(clients, take, {"markers": [valid_marker(kind="drawing", drawing=bad)]})
    message = marker_errors(details, 0)["drawing"][0]
    assert message.startswith(where), message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([ARROW], "drawing: Must be an object"),
        ({"shapes": []}, "shapes: Must be a list of 1 to 200 shapes."),
        ({"shapes": [ARROW], "layers": 2}, "layers: Not a field of a drawing."),
        ({"shapes": [ARROW] * (MAX_SHAPES + 1)}, "shapes: Must be a list of 1 to 200 shapes."),
    ],
)
def test_bad_drawing_document(
    clients: Clients, take: PracticeClip, value: Any, expected: str
) -> None:
    details = create(clients, take, {"markers": [valid_marker(kind="drawing", drawing=value)]})
    assert marker_errors(details, 0)["drawing"][0].startswith(expected)


def test_oversized_drawing(clients: Clients, take: PracticeClip) -> None:
    many_points = [[0.123456789, 0.987654321]] * MAX_PATH_POINTS
    path = {"type": "path", "points": many_points, "color": "#000000", "width": 1}
    # Each path is within its own cap; together they are over the 64 KB one.
    details = create(
        clients, take, {"markers": [valid_marker(kind="drawing", drawing={"shapes": [path] * 2})]}
    )
    message = marker_errors(details, 0)["drawing"][0]
    assert "at most 65536 are allowed" in message
    too_long = {**path, "points": [*many_points, [0.5, 0.5]]}
    details = create(
        clients, take, {"markers": [valid_marker(kind="drawing", drawing={"shapes": [too_long]})]}
    )
    assert marker_errors(details, 0)["drawing"][0].startswith("shapes[0].points: Must be a list")


def test_server_owned_and_unknown_fields_are_refused(
    clients: Clients, world: World, take: PracticeClip
) -> None:
    details = create(
        clients,
        take,
        {
            "summary": "x",
            "status": "published",
            "author": str(world.student.pk),
            "clip_id": str(take.pk),
            "published_at": "2024-01-01T00:00:00Z",
        },
    )
    assert set(details) == {"status", "author", "clip_id", "published_at"}
    details = create(clients, take, {"markers": [valid_marker(feedback_id="x", id="y")]})
    assert set(marker_errors(details, 0)) == {"feedback_id", "id"}

    feedback = make_feedback(take, world.teacher)
    before = counts()
    response = clients.teacher.patch(
        f"{FEEDBACK}{feedback.pk}/", {"status": "published", "segment_id": None}, format="json"
    )
    assert set(assert_error(response, 400, "invalid")["details"]) == {"status", "segment_id"}
    feedback.refresh_from_db()
    assert feedback.status == "draft"
    assert counts() == before


def test_too_many_markers(clients: Clients, take: PracticeClip) -> None:
    details = create(clients, take, {"markers": [valid_marker()] * (MAX_MARKERS_PER_FEEDBACK + 1)})
    assert "markers" in details


def test_only_takes_that_play_get_feedback(clients: Clients, world: World) -> None:
    waiting = make_take(world, status=PracticeClip.Status.UPLOADED, duration=None)
    before = counts()
    response = clients.teacher.post(f"{CLIPS}{waiting.pk}/feedback/", {"summary": "x"})
    assert_error(response, 409, "clip_not_reviewable")
    reference = make_take(world)
    PracticeClip.objects.filter(pk=reference.pk).update(kind="reference", attempt_number=None)
    response = clients.teacher.post(f"{CLIPS}{reference.pk}/feedback/", {"summary": "x"})
    assert_error(response, 400, "clip_not_a_take")
    assert counts() == (before[0], before[1], before[2], before[3] + 1)


def test_marker_writes_validate_like_creation(
    clients: Clients, world: World, take: PracticeClip
) -> None:
    feedback = make_feedback(take, world.teacher, markers=1)
    marker = feedback.markers.get()
    before = counts()
    response = clients.teacher.post(
        f"{FEEDBACK}{feedback.pk}/markers/", {"time": 45.0, "text": "late"}, format="json"
    )
    assert assert_error(response, 400, "invalid")["details"] == {
        "time": ["Must be within the clip: 0 to 30 s."]
    }
    response = clients.teacher.patch(
        f"{MARKERS}{marker.pk}/", {"end_time": 0.5, "text": "changed"}, format="json"
    )
    assert assert_error(response, 400, "invalid")["details"] == {
        "end_time": ["Must be after time."]
    }
    response = clients.teacher.patch(
        f"{MARKERS}{marker.pk}/",
        {"drawing": {"shapes": [{**ARROW, "color": "blue"}]}},
        format="json",
    )
    assert "drawing" in assert_error(response, 400, "invalid")["details"]
    marker.refresh_from_db()
    assert (marker.text, marker.end_time, marker.drawing) == ("Note 0", None, None)
    assert counts() == before


def test_publish_needs_content(clients: Clients, world: World, take: PracticeClip) -> None:
    feedback = make_feedback(take, world.teacher, summary="", markers=0, scores={})
    response = clients.teacher.post(f"{FEEDBACK}{feedback.pk}/publish/")
    assert_error(response, 409, "feedback_empty")
    feedback.refresh_from_db()
    assert feedback.status == "draft"


def test_bad_filters(clients: Clients, world: World) -> None:
    url = f"/api/v1/exercises/{world.exercise.uuid}/attempts/"
    details = assert_error(clients.teacher.get(url, {"student": "nobody"}), 400, "invalid")
    assert "student" in details["details"]
    details = assert_error(
        clients.teacher.get("/api/v1/review-queue/", {"course": "x"}), 400, "invalid"
    )
    assert "course" in details["details"]
