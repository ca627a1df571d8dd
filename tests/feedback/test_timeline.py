"""The player's timeline: the clip's segments and the visible markers, one list by time."""

from __future__ import annotations

import pytest

from plugins.clips.models import PracticeClip
from plugins.feedback.services import MarkerInput, feedback_create, feedback_publish
from tests.api.assertions import response_json

from .conftest import Clients, World
from .helpers import CLIPS, criteria, drawing

pytestmark = pytest.mark.django_db


def test_timeline_merges_segments_and_markers_by_time(
    clients: Clients, world: World, take: PracticeClip
) -> None:
    timing = criteria(world.exercise)[0]
    intro = take.segments.create(start=0.0, end=8.0, title="Intro", created_by=world.teacher)
    bridge = take.segments.create(start=12.0, end=20.0, title="Bridge", created_by=world.student)
    on_bridge = feedback_create(
        clip=take,
        actor=world.teacher,
        segment_id=bridge.pk,
        markers=[
            MarkerInput(time=12.0, end_time=14.0, kind="fix", text="Rushed."),
            MarkerInput(time=15.5, kind="drawing", drawing=drawing(), criterion_id=timing.uuid),
        ],
    )
    feedback_publish(feedback=on_bridge, actor=world.teacher)
    draft = feedback_create(
        clip=take, actor=world.teacher, markers=[MarkerInput(time=4.0, text="Draft note.")]
    )

    teacher_view = response_json(clients.teacher.get(f"{CLIPS}{take.pk}/timeline/"))
    assert teacher_view["clip_id"] == str(take.pk)
    assert teacher_view["duration"] == 30.0
    assert [(e["type"], e["time"]) for e in teacher_view["entries"]] == [
        ("segment", 0.0),
        ("marker", 4.0),
        ("segment", 12.0),
        ("marker", 12.0),
        ("marker", 15.5),
    ]
    segment = teacher_view["entries"][0]
    assert segment == {
        "type": "segment",
        "id": str(intro.pk),
        "time": 0.0,
        "end_time": 8.0,
        "title": "Intro",
        "status": "ready",
        "feedback_id": None,
        "segment_id": str(intro.pk),
        "kind": None,
        "text": "",
        "drawing": None,
        "criterion_id": None,
    }
    assert teacher_view["entries"][1]["status"] == "draft"
    assert teacher_view["entries"][1]["feedback_id"] == str(draft.pk)
    drawn = teacher_view["entries"][4]
    assert drawn["kind"] == "drawing"
    assert drawn["drawing"] == drawing()
    assert drawn["criterion_id"] == str(timing.uuid)
    assert drawn["segment_id"] == str(bridge.pk)
    assert drawn["status"] == "published"
    assert teacher_view["entries"][3]["end_time"] == 14.0

    # The student sees the segments and the published markers only.
    student_view = response_json(clients.student.get(f"{CLIPS}{take.pk}/timeline/"))
    assert [(e["type"], e["time"]) for e in student_view["entries"]] == [
        ("segment", 0.0),
        ("segment", 12.0),
        ("marker", 12.0),
        ("marker", 15.5),
    ]
