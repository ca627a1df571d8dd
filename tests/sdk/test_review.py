"""Everything hung off one processed take, through the SDK against a live server: segments,
feedback with markers, the timeline, attempts, the review queue, threads with live messages
(through a dropped connection and its replay), and notifications."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from practika import MESSAGE_EVENTS, AuthError, Conflict, NotFound, Practika, ValidationError
from practika.models import Clip, NewMarker
from tests.clips.conftest import World
from tests.live import AsgiLiveServer

from .helpers import CuttableProxy, LoginAs

pytestmark = pytest.mark.timeout(240)
EVENT_SECONDS = 10.0


@dataclass(frozen=True)
class Review:
    world: World
    clip: Clip
    student: Practika
    student2: Practika
    teacher: Practika


@pytest.fixture
def review(live_world: World, login_as: LoginAs, h264_mp4: Path) -> Review:
    student = login_as(live_world.student)
    clip = student.practice(str(live_world.exercise.uuid), h264_mp4, timeout=120)
    return Review(
        world=live_world,
        clip=clip,
        student=student,
        student2=login_as(live_world.student2),
        teacher=login_as(live_world.teacher),
    )


@pytest.fixture
def proxy(asgi_live_server: AsgiLiveServer) -> Iterator[CuttableProxy]:
    running = CuttableProxy(asgi_live_server.port)
    yield running
    running.close()


def test_segments_feedback_timeline_attempts_and_the_review_queue(review: Review) -> None:
    clip, student, teacher, other = review.clip, review.student, review.teacher, review.student2
    exercise = review.world.exercise

    queue = list(teacher.review_queue())
    assert [item.id for item in queue] == [clip.id]
    assert queue[0].student is not None
    assert queue[0].student.username == "student"
    assert list(student.review_queue()) == []

    # Segments: cut, list, rename, stream, export; bad input and the other student.
    segment = teacher.create_segment(clip.id, start=0.5, end=2.5, title="Intro")
    assert (segment.start, segment.end, segment.title) == (0.5, 2.5, "Intro")
    with pytest.raises(ValidationError) as backwards:
        teacher.create_segment(clip.id, start=2.0, end=1.0)
    assert backwards.value.details
    assert [s.id for s in student.segments(clip.id)] == [segment.id]
    assert teacher.update_segment(segment.id, title="Opening").title == "Opening"
    assert student.segment(segment.id).title == "Opening"
    streams = student.segment_streams(segment.id)
    assert streams.duration == pytest.approx(2.0, abs=0.05)
    playlist = student.session.get(streams.hls, timeout=10)
    assert playlist.status_code == 200
    assert playlist.text.startswith("#EXTM3U")
    for look in (other.segment, other.segment_streams):
        with pytest.raises(NotFound):
            look(segment.id)
    with pytest.raises(NotFound):
        list(other.segments(clip.id))
    exported = teacher.wait_export(teacher.export_segment(segment.id).id, timeout=120)
    assert exported.export is not None
    assert exported.export.url

    # Feedback: a draft with markers and scores, hidden from the student until published.
    criteria = teacher.exercise(str(exercise.uuid)).rubric_criteria
    draft = teacher.create_feedback(
        clip.id,
        summary="Steady tempo.",
        scores={criteria[0].id: 4},
        markers=[
            NewMarker(time=0.5, kind="praise", text="Clean start"),
            NewMarker(time=1.0, end_time=2.0, kind="fix", text="Rushed here"),
        ],
    )
    assert draft.status == "draft"
    assert [m.kind for m in draft.markers] == ["praise", "fix"]
    assert [(s.criterion_id, s.score) for s in draft.scores] == [(criteria[0].id, 4)]
    with pytest.raises(ValidationError) as bad_marker:
        teacher.add_marker(draft.id, NewMarker(time=1.0, kind="shout"))
    assert "kind" in bad_marker.value.details
    added = teacher.add_marker(draft.id, NewMarker(time=2.5, text="Nice ending"))
    assert teacher.update_marker(added.id, text="Nice ending!").text == "Nice ending!"
    assert len(teacher.markers(draft.id)) == 3
    teacher.delete_marker(added.id)
    assert [m.text for m in teacher.markers(draft.id)] == ["Clean start", "Rushed here"]
    assert list(student.clip_feedback(clip.id)) == []
    with pytest.raises(AuthError):
        student.create_feedback(clip.id, summary="I review myself")

    assert teacher.update_feedback(draft.id, summary="Steady tempo!").summary == "Steady tempo!"
    published = teacher.publish_feedback(draft.id)
    assert published.status == "published"
    assert published.published_at is not None
    with pytest.raises(Conflict):
        teacher.publish_feedback(draft.id)
    mine = list(student.clip_feedback(clip.id))
    assert [f.id for f in mine] == [draft.id]
    assert student.feedback(draft.id).summary == "Steady tempo!"
    with pytest.raises(NotFound):
        other.feedback(draft.id)

    timeline = student.timeline(clip.id)
    assert [e.time for e in timeline.entries] == sorted(e.time for e in timeline.entries)
    assert sorted((e.time, e.type, e.title or e.text) for e in timeline.entries) == [
        (0.5, "marker", "Clean start"),
        (0.5, "segment", "Opening"),
        (1.0, "marker", "Rushed here"),
    ]
    assert timeline.duration == pytest.approx(3.0, abs=0.2)

    (attempt,) = student.attempts(str(exercise.uuid))
    assert (attempt.id, attempt.feedback_count) == (clip.id, 1)
    assert [a.id for a in teacher.attempts(str(exercise.uuid))] == [clip.id]
    assert list(other.attempts(str(exercise.uuid))) == []
    assert list(teacher.review_queue()) == []  # reviewed now

    # The student hears of it.
    assert student.unread_count() >= 1
    kinds = {n.kind for n in student.notifications(unread=True)}
    assert kinds
    marked = student.mark_read(everything=True)
    assert marked.unread_count == 0
    assert student.unread_count() == 0

    teacher.delete_feedback(draft.id)
    with pytest.raises(NotFound):
        student.feedback(draft.id)
    teacher.delete_segment(segment.id)
    assert list(student.segments(clip.id)) == []


def test_thread_messages_live_through_a_dropped_connection(
    review: Review, proxy: CuttableProxy
) -> None:
    clip, student, teacher = review.clip, review.student, review.teacher
    segment = teacher.create_segment(clip.id, start=0.0, end=2.0, title="Bars 1-2")
    thread = teacher.create_thread(
        segment.id, title="Timing", body="Listen at 0:01", video_time=1.0
    )
    assert [t.id for t in student.segment_threads(segment.id)] == [thread.id]
    with pytest.raises(NotFound):
        review.student2.thread(thread.id)
    with pytest.raises(ValidationError) as empty:
        student.post_message(thread.id, "")
    assert "body" in empty.value.details

    through_proxy = Practika(
        student.url, student.token, ws_url=f"ws://127.0.0.1:{proxy.port}/ws/", backoff=0.05
    )
    topic = f"thread:{thread.id}"
    with through_proxy.events([topic], since=0, types=MESSAGE_EVENTS) as stream:
        replayed = stream.receive(EVENT_SECONDS)
        assert replayed is not None
        assert replayed.message is not None
        assert replayed.message.body == "Listen at 0:01"
        first_seq = replayed.seq
        assert first_seq is not None

        reply = teacher.post_message(thread.id, "Try it slower", video_time=1.5)
        live = stream.receive(EVENT_SECONDS)
        assert live is not None
        assert live.type == "message.created"
        assert live.message is not None
        assert live.message.id == reply.id

        # The connection drops; two messages are posted while the client is away.
        proxy.cut()
        missed = [teacher.post_message(thread.id, f"Missed {n}") for n in (1, 2)]
        teacher.edit_message(reply.id, body="Try it much slower")
        got = [stream.receive(EVENT_SECONDS) for _ in range(3)]
        assert stream.connections == 2
        assert [(e.type, e.message.id) for e in got if e and e.message] == [
            ("message.created", missed[0].id),
            ("message.created", missed[1].id),
            ("message.edited", reply.id),
        ]
        assert stream.receive(0.5) is None  # nothing twice

        own = student.post_message(thread.id, "Will do")
        echoed = stream.receive(EVENT_SECONDS)
        assert echoed is not None
        assert echoed.message is not None
        assert echoed.message.author is not None
        assert echoed.message.author.username == "student"
        student.delete_message(own.id)
        deleted = stream.receive(EVENT_SECONDS)
        assert deleted is not None
        assert deleted.type == "message.deleted"

    with pytest.raises(AuthError):
        student.edit_message(reply.id, body="Not mine")
    history = sorted(student.messages(thread.id), key=lambda m: m.seq)
    assert [m.body for m in history] == [
        "Listen at 0:01",
        "Try it much slower",
        "Missed 1",
        "Missed 2",
        "",
    ]
    assert history[-1].deleted
    changed = list(student.messages(thread.id, since=history[2].seq))
    assert {m.id for m in changed} >= {missed[1].id, own.id}
    assert teacher.update_thread(thread.id, resolved=True).resolved
    assert student.thread(thread.id).resolved
