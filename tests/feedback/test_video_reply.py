"""The video reply: requested on a feedback, then the very upload, commit and processing of a
take (real ffmpeg on a generated video), visible to the take's owner once published."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from plugins.clips.models import PracticeClip
from plugins.clips.services import clip_request_upload
from plugins.feedback.models import Feedback
from practika_site.core.errors import Forbidden, InvalidInput
from practika_site.courses.models import ExercisePage
from tests.api.assertions import assert_error, response_json
from tests.clips.helpers import commit, path_of, put_bytes

from .conftest import Clients, World
from .helpers import CLIPS, FEEDBACK, make_feedback, make_take

pytestmark = pytest.mark.django_db


def request_reply(client: Any, feedback: Feedback, **fields: Any) -> Any:
    body = {"duration_sec": 3.0, "content_type": "video/mp4", **fields}
    return client.post(f"{FEEDBACK}{feedback.pk}/reply/", body, format="json")


def test_video_reply_goes_through_the_pipeline_and_reaches_the_student(
    clients: Clients,
    world: World,
    take: PracticeClip,
    h264_mp4: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    feedback = make_feedback(take, world.teacher)
    data = h264_mp4.read_bytes()
    response = request_reply(clients.teacher, feedback, filename="reply.mp4", size_bytes=len(data))
    assert response.status_code == 201, response.content
    target = response_json(response)
    assert set(target) == {
        "clip_id",
        "url",
        "method",
        "headers",
        "expires_at",
        "max_bytes",
        "tus_url",
    }
    assert target["max_bytes"] == len(data)
    reply = PracticeClip.objects.get(pk=target["clip_id"])
    assert reply.kind == PracticeClip.Kind.REPLY
    assert reply.owner == world.teacher
    assert (reply.exercise_id, reply.course_id) == (take.exercise_id, take.course_id)
    assert reply.attempt_number is None
    # Linked to the draft only: the student cannot see a draft's reply.
    assert reply.reply_to_id is None
    feedback.refresh_from_db()
    assert feedback.reply_clip_id == reply.pk

    assert put_bytes(target, data).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        committed = commit(clients.teacher, str(reply.pk))
    assert committed.status_code == 202, getattr(committed, "content", b"")
    reply.refresh_from_db()
    assert reply.status == PracticeClip.Status.READY, (reply.error_code, reply.error_message)
    assert reply.duration == pytest.approx(3.0, abs=0.2)

    assert_error(clients.student.get(f"{CLIPS}{reply.pk}/"), 404, "not_found")
    listed = response_json(clients.student.get(CLIPS, {"kind": "reply"}))
    assert listed["results"] == []
    teacher_view = response_json(clients.teacher.get(f"{FEEDBACK}{feedback.pk}/"))
    assert teacher_view["reply"] == {"clip_id": str(reply.pk), "status": "ready", "playable": True}

    with django_capture_on_commit_callbacks(execute=True):
        assert clients.teacher.post(f"{FEEDBACK}{feedback.pk}/publish/").status_code == 200
    reply.refresh_from_db()
    assert reply.reply_to_id == take.pk

    seen = response_json(clients.student.get(f"{FEEDBACK}{feedback.pk}/"))
    assert seen["reply"] == {"clip_id": str(reply.pk), "status": "ready", "playable": True}
    assert response_json(clients.student.get(f"{CLIPS}{reply.pk}/"))["kind"] == "reply"
    streams = response_json(clients.student.get(f"{CLIPS}{reply.pk}/streams/"))
    playlist = Client().get(path_of(streams["hls"]))
    assert playlist.status_code == 200
    assert playlist["Content-Type"] == "application/vnd.apple.mpegurl"
    assert b"#EXTM3U" in b"".join(getattr(playlist, "streaming_content", [playlist.content]))
    # Nobody else sees it.
    assert_error(clients.student2.get(f"{CLIPS}{reply.pk}/streams/"), 404, "not_found")
    assert_error(clients.other_teacher.get(f"{CLIPS}{reply.pk}/"), 404, "not_found")


def test_reply_on_published_feedback_is_visible_at_once(
    clients: Clients, world: World, take: PracticeClip
) -> None:
    feedback = make_feedback(take, world.teacher, publish=True)
    response = request_reply(clients.teacher, feedback)
    assert response.status_code == 201, response.content
    reply_id = response_json(response)["clip_id"]
    assert PracticeClip.objects.get(pk=reply_id).reply_to_id == take.pk
    seen = response_json(clients.student.get(f"{FEEDBACK}{feedback.pk}/"))
    assert seen["reply"] == {"clip_id": reply_id, "status": "awaiting_upload", "playable": False}


def test_a_new_reply_replaces_the_old_one_and_deleting_feedback_removes_it(
    clients: Clients, world: World, take: PracticeClip
) -> None:
    # Replies are no takes: the exercise's limit, used up by the teacher's own take, does
    # not apply to them.
    ExercisePage.objects.filter(pk=world.exercise.pk).update(max_takes=1)
    make_take(world, owner=world.teacher)
    feedback = make_feedback(take, world.teacher)
    first = response_json(request_reply(clients.teacher, feedback))["clip_id"]
    second = response_json(request_reply(clients.teacher, feedback))["clip_id"]
    assert not PracticeClip.objects.filter(pk=first).exists()
    feedback.refresh_from_db()
    assert str(feedback.reply_clip_id) == second
    assert clients.teacher.delete(f"{FEEDBACK}{feedback.pk}/").status_code == 204
    assert not PracticeClip.objects.filter(pk=second).exists()
    assert PracticeClip.objects.filter(pk=take.pk).exists()


def test_reply_bad_input(clients: Clients, world: World, take: PracticeClip) -> None:
    feedback = make_feedback(take, world.teacher)
    before = PracticeClip.objects.count()
    for body, field in [
        ({"duration_sec": 0}, "duration_sec"),
        ({"duration_sec": 3, "exercise_id": str(world.exercise.uuid)}, "exercise_id"),
        ({"duration_sec": 3, "kind": "take"}, "kind"),
    ]:
        response = clients.teacher.post(f"{FEEDBACK}{feedback.pk}/reply/", body, format="json")
        assert field in assert_error(response, 400, "invalid")["details"]
    response = request_reply(clients.teacher, feedback, content_type="image/png")
    assert_error(response, 415, "media_unsupported_type")
    assert PracticeClip.objects.count() == before
    feedback.refresh_from_db()
    assert feedback.reply_clip_id is None


def test_only_the_courses_teachers_start_replies(world: World, take: PracticeClip) -> None:
    def reply_as(actor: Any, **fields: Any) -> Any:
        return clip_request_upload(
            actor=actor,
            exercise_id=world.exercise.uuid,
            duration_sec=3.0,
            kind=PracticeClip.Kind.REPLY,
            absolute_url=lambda path: f"http://testserver{path}",
            **fields,
        )

    with pytest.raises(Forbidden):
        reply_as(world.student)
    other = make_take(world, exercise=world.exercise2)
    with pytest.raises(InvalidInput):
        reply_as(world.teacher, reply_to=other)
    target = reply_as(world.teacher, reply_to=take)
    assert target.clip.reply_to == take
    assert target.clip.attempt_number is None
