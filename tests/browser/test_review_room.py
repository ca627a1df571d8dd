"""The review queue, the review room and the student's view of feedback.

The page tests use Django's client (who sees which page, query counts, bad input). The browser
test drives two Chromium contexts against the real ASGI server, on a take the real pipeline
processed: a teacher filters the queue, cuts a segment, marks a moment, draws on the frame,
uploads a video reply, scores and publishes; the student reads it on a phone; both talk in
the segment's thread live. (Here rather than in tests/feedback/: one module owns these pages.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from django.test import Client
from django.utils import timezone

from plugins.clips.models import PracticeClip
from plugins.feedback.models import Feedback
from plugins.feedback.services import MarkerInput, marker_create
from plugins.segments.services import segment_create
from plugins.threads.services import thread_create
from tests.clips.conftest import World, _fresh_site_root_cache, dirs, live_world, make_world
from tests.factories import TEST_PASSWORD, UserFactory
from tests.feedback.helpers import make_feedback, make_take
from tests.live import AsgiLiveServer, api_token
from tests.mediafiles import make_video

__all__ = ["_fresh_site_root_cache", "dirs", "live_world"]  # fixtures, used by name

QUEUE = "/review/"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


def review_url(take: PracticeClip) -> str:
    return f"/review/clips/{take.pk}/"


def feedback_url(take: PracticeClip) -> str:
    return f"/feedback/clips/{take.pk}/"


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response: Any) -> str:
    return str(response.content.decode())


@dataclass(frozen=True)
class Scene:
    world: World
    take: PracticeClip  # student's, in the teacher's course, with segments and feedback
    feedback: Feedback  # the teacher's, published


@pytest.fixture
def scene(db: None) -> Scene:
    """Several takes waiting, and one take with segments, threads, markers and feedback."""
    world = make_world()
    take = make_take(world)
    PracticeClip.objects.filter(pk=take.pk).update(playable_at=timezone.now())
    take.refresh_from_db()
    for number in range(3):
        segment = segment_create(
            clip=take,
            actor=world.teacher,
            start=number * 5.0,
            end=number * 5.0 + 3,
            title=f"S{number}",
        )
        thread_create(actor=world.teacher, segment=segment, title=f"About S{number}", body="Look")
    feedback = make_feedback(take, world.teacher, publish=True, markers=4)
    make_feedback(take, world.teacher, summary="Unfinished draft thoughts", markers=2)
    earlier = timezone.now() - timedelta(days=2)
    for owner in (world.student, world.student2):
        for exercise in (world.exercise, world.exercise2):
            make_take(world, owner=owner, exercise=exercise, created_at=earlier)
    make_take(world, exercise=world.other_exercise)
    return Scene(world=world, take=take, feedback=feedback)


# --- the queue ------------------------------------------------------------------------------


def test_queue_lists_waiting_takes_oldest_first_and_filters(
    scene: Scene, django_assert_max_num_queries: Any
) -> None:
    world = scene.world
    teacher = logged_in(world.teacher)
    with django_assert_max_num_queries(10):
        response = teacher.get(QUEUE)
    assert response.status_code == 200
    page = text_of(response)
    # Four waiting takes in the teacher's course; the one with published feedback is done and
    # the other course's take is another teacher's.
    assert "4 takes waiting for feedback." in page
    assert review_url(scene.take) not in page
    assert page.index("student2") > page.index("student")
    assert 'meta name="viewport"' in page
    assert '<a href="/review/">Review queue</a>' in page  # the header's link, for teachers

    only = teacher.get(QUEUE, {"exercise": str(world.exercise2.uuid)})
    assert only.status_code == 200
    assert "2 takes waiting for feedback." in text_of(only)

    # The filters refresh in place: htmx gets the results part only.
    part = teacher.get(QUEUE, {"course": str(world.course.uuid)}, headers={"HX-Request": "true"})
    assert part.status_code == 200
    assert text_of(part).lstrip().startswith('<section id="queue-results"')
    assert "4 takes waiting" in text_of(part)


def test_queue_refuses_students_and_bad_filters(scene: Scene) -> None:
    world = scene.world
    refused = logged_in(world.student).get(QUEUE)
    assert refused.status_code == 403
    assert "Teachers only" in text_of(refused)
    assert "Review queue</a>" not in text_of(refused)
    assert Client().get(QUEUE).status_code == 302  # to the login page

    bad = logged_in(world.teacher).get(QUEUE, {"course": "not-a-course", "exercise": "x"})
    assert bad.status_code == 400
    body = text_of(bad)
    assert "These filters could not be used" in body
    assert "Select a valid choice" in body
    # Another teacher's course is no choice of this one.
    other = logged_in(world.teacher).get(QUEUE, {"course": str(world.other_course.uuid)})
    assert other.status_code == 400


# --- the review room ------------------------------------------------------------------------


def test_review_room_is_for_the_courses_teachers_only(
    scene: Scene, django_assert_max_num_queries: Any
) -> None:
    world = scene.world
    teacher = logged_in(world.teacher)
    with django_assert_max_num_queries(13):
        response = teacher.get(review_url(scene.take))
    assert response.status_code == 200
    page = text_of(response)
    assert 'id="review-config"' in page
    assert "selectable" in page
    assert "Unfinished draft thoughts" in page  # the teacher's draft is the one being written
    for name in ("S0", "S1", "S2"):
        assert name in page
    admin = UserFactory.create(username="boss", admin=True)
    assert logged_in(admin).get(review_url(scene.take)).status_code == 200
    for user in (world.student, world.student2, world.other_teacher, world.outsider):
        assert logged_in(user).get(review_url(scene.take)).status_code == 404, user
    assert Client().get(review_url(scene.take)).status_code == 302


def test_review_room_query_count_does_not_grow_with_rows(
    scene: Scene, django_assert_max_num_queries: Any
) -> None:
    take, teacher = scene.take, scene.world.teacher
    draft = Feedback.objects.get(clip=take, status=Feedback.Status.DRAFT)
    for second in range(20):
        marker_create(
            feedback=draft, actor=teacher, marker=MarkerInput(time=second + 0.5, text=f"m{second}")
        )
    for number in range(3, 8):
        segment_create(clip=take, actor=teacher, start=number * 3.0, end=number * 3.0 + 2)
    client = logged_in(teacher)
    with django_assert_max_num_queries(13):  # as many as with a few rows
        response = client.get(review_url(take))
    assert "m19" in text_of(response)


def test_no_page_for_a_clip_that_is_not_a_take_or_not_a_clip(scene: Scene) -> None:
    teacher = logged_in(scene.world.teacher)
    missing = "00000000-0000-0000-0000-000000000000"
    assert teacher.get(f"/review/clips/{missing}/").status_code == 404
    assert teacher.get(f"/feedback/clips/{missing}/").status_code == 404
    assert teacher.get("/review/clips/not-a-uuid/").status_code == 404
    reference = make_take(scene.world, owner=scene.world.teacher)
    PracticeClip.objects.filter(pk=reference.pk).update(kind=PracticeClip.Kind.REFERENCE)
    assert teacher.get(review_url(reference)).status_code == 404
    assert teacher.get(feedback_url(reference)).status_code == 404


# --- the student's view ---------------------------------------------------------------------


def test_feedback_view_shows_published_feedback_to_the_owner(
    scene: Scene, django_assert_max_num_queries: Any
) -> None:
    world = scene.world
    marker_create(
        feedback=scene.feedback,
        actor=world.teacher,
        marker=MarkerInput(time=7.0, kind="fix", text="<script>alert(1)</script> lift the bow"),
    )
    student = logged_in(world.student)
    with django_assert_max_num_queries(14):
        response = student.get(feedback_url(scene.take))
    assert response.status_code == 200
    page = text_of(response)
    assert "Feedback on your take" in page
    assert "Steady tempo; watch the left hand." in page  # the published summary
    assert "Unfinished draft thoughts" not in page  # a draft stays with the teachers
    assert "<strong>4</strong> / 5" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; lift the bow" in page
    assert "<script>alert(1)" not in page
    assert 'data-time="7.000000"' in page
    assert "About S0" not in page  # threads load live; segments are listed
    assert "S2" in page

    assert logged_in(world.teacher).get(feedback_url(scene.take)).status_code == 200
    for user in (world.student2, world.other_teacher, world.outsider):
        assert logged_in(user).get(feedback_url(scene.take)).status_code == 404, user


def test_feedback_view_says_when_there_is_none_yet(scene: Scene) -> None:
    waiting = PracticeClip.objects.filter(owner=scene.world.student2).first()
    assert waiting is not None
    page = text_of(logged_in(scene.world.student2).get(feedback_url(waiting)))
    assert "No feedback yet." in page


# --- in the browser -------------------------------------------------------------------------

PROCESSING_TIMEOUT = 180
BROWSER_TIMEOUT_MS = 30_000


def processed_take(server: AsgiLiveServer, world: World, video: Path) -> PracticeClip:
    """The student's take, uploaded and committed over HTTP like the SDK does; Huey runs the
    real pipeline inline (immediate mode), so the commit answers once it is processed."""
    auth = {"Authorization": f"Token {api_token(server, world.student.username, TEST_PASSWORD)}"}
    data = video.read_bytes()
    target = requests.post(
        f"{server.url}/api/v1/clips/",
        json={
            "exercise_id": str(world.exercise.uuid),
            "duration_sec": 6,
            "filename": video.name,
            "size_bytes": len(data),
            "content_type": "video/mp4",
        },
        headers=auth,
        timeout=PROCESSING_TIMEOUT,
    )
    assert target.status_code == 201, target.text
    upload = target.json()
    put = requests.put(upload["url"], data=data, headers=upload["headers"], timeout=60)
    assert put.status_code < 300, put.text
    commit = requests.post(
        f"{server.url}/api/v1/clips/{upload['clip_id']}/commit/",
        headers=auth,
        timeout=PROCESSING_TIMEOUT,
    )
    assert commit.status_code == 202, commit.text
    take = PracticeClip.objects.get(pk=upload["clip_id"])
    assert take.status == PracticeClip.Status.READY, (take.status, take.error_message)
    return take


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def wait_until_playable(page: Any, player: str) -> None:
    page.wait_for_function(
        f"document.querySelector('{player}')?.duration > 0", timeout=BROWSER_TIMEOUT_MS
    )


def screenshots(page: Any, folder: Path, name: str) -> None:
    """The page at phone and desktop size, whole (the tests look at a few of these)."""
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.evaluate("window.scrollTo(0, 0)")  # else the sticky header lands mid-picture
        page.wait_for_timeout(300)  # let the layout and the player's canvases settle
        page.screenshot(path=str(folder / f"{name}-{label}.png"), full_page=True)


@pytest.fixture
def teacher_page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    yield page
    context.close()


@pytest.mark.browser
@pytest.mark.timeout(600)  # two real pipeline runs and two browsers, on a shared machine
def test_teacher_reviews_a_take_and_talks_with_the_student_live(
    asgi_live_server: AsgiLiveServer,
    live_world: World,
    teacher_page: Any,
    page: Any,
    tmp_path: Path,
) -> None:
    base = asgi_live_server.url
    world = live_world
    take = processed_take(
        asgi_live_server, world, make_video(tmp_path / "take.mp4", duration=6, keyint=60)
    )
    shots = tmp_path / "screenshots"
    shots.mkdir()
    teacher = teacher_page
    script_errors: list[str] = []
    for each in (teacher, page):
        each.on("pageerror", lambda error: script_errors.append(str(error)))

    # The queue leads to the take.
    log_in(teacher, base, world.teacher.username)
    teacher.goto(f"{base}{QUEUE}")
    assert teacher.locator("#queue-count").inner_text() == "1 take waiting for feedback."
    screenshots(teacher, shots, "queue")
    teacher.set_viewport_size(DESKTOP)
    # The filters refresh the list in place and keep the address shareable.
    teacher.select_option("#id_exercise", str(world.exercise2.uuid))
    teacher.locator("#queue-count", has_text="0 takes waiting").wait_for()
    assert f"exercise={world.exercise2.uuid}" in teacher.url
    teacher.select_option("#id_exercise", "")
    teacher.locator("#queue-count", has_text="1 take waiting").wait_for()
    teacher.click(f"a[href='{review_url(take)}']")
    teacher.wait_for_url(f"**{review_url(take)}")
    wait_until_playable(teacher, "#review-player")
    player = teacher.locator("#review-player")

    # Drag across the timeline: a segment, titled, selected and looped.
    track = player.locator("[data-track]")
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    assert box is not None
    middle = box["y"] + box["height"] / 2
    teacher.mouse.move(box["x"] + box["width"] * 0.2, middle)
    teacher.mouse.down()
    teacher.mouse.move(box["x"] + box["width"] * 0.6, middle, steps=8)
    teacher.mouse.up()
    teacher.fill("#segment-title", "Opening bars")
    teacher.click("#segment-form button[type=submit]")
    selected = teacher.locator("#segment-list .segment-select[aria-pressed=true]")
    assert "Opening bars" in selected.inner_text()
    segment = take.segments.get()
    assert (round(segment.start), round(segment.end)) == (1, 4)
    assert segment.title == "Opening bars"

    # Tap the timeline to move the playhead, and mark that moment.
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    assert box is not None
    teacher.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
    teacher.wait_for_function(
        "Math.abs(document.querySelector('#review-player').currentTime - 3) < 0.5"
    )
    teacher.click("#add-marker")
    assert teacher.evaluate("document.querySelector('#review-player').paused")
    teacher.fill("#marker-text", "Lift the bow here")
    teacher.select_option("#marker-kind", "fix")
    teacher.select_option("#marker-criterion", label="Timing")
    teacher.click("#marker-form button[type=submit]")
    teacher.locator("#marker-list .marker", has_text="Lift the bow here").wait_for()
    player.locator(".lane-markers .marker.kind-fix").wait_for()

    # Draw an arrow on the frame: a drawing marker at the playhead.
    teacher.click("#start-drawing")
    canvas = player.locator("[data-annotations]")
    canvas.scroll_into_view_if_needed()
    frame = canvas.bounding_box()
    assert frame is not None
    teacher.mouse.move(frame["x"] + frame["width"] * 0.3, frame["y"] + frame["height"] * 0.3)
    teacher.mouse.down()
    teacher.mouse.move(
        frame["x"] + frame["width"] * 0.6, frame["y"] + frame["height"] * 0.5, steps=6
    )
    teacher.mouse.up()
    teacher.click("#drawing-done")
    assert teacher.locator("#marker-kind").input_value() == "drawing"
    teacher.fill("#marker-text", "Elbow up")
    teacher.click("#marker-form button[type=submit]")
    teacher.locator("#marker-list .marker.kind-drawing", has_text="Elbow up").wait_for()

    # A video reply: a file that is no video is refused (by the server, in words); a real one
    # is uploaded (tus), processed and played in a second player.
    not_video = tmp_path / "notes.txt"
    not_video.write_text("not a video")
    teacher.set_input_files("#reply-file", str(not_video))
    refusal = teacher.locator(".reply-status.error", has_text="Upload rejected")
    refusal.wait_for()
    assert "text/plain is not a video type" in refusal.inner_text()
    reply_video = make_video(tmp_path / "reply.mp4", duration=2, keyint=60)
    teacher.set_input_files("#reply-file", str(reply_video))
    teacher.locator(".reply-status", has_text="ready").wait_for(timeout=PROCESSING_TIMEOUT * 1000)
    wait_until_playable(teacher, ".reply-player practika-player")

    # Score, sum up, publish.
    inputs = teacher.locator("#feedback-form input[data-criterion]")
    assert inputs.count() == 2
    inputs.nth(0).fill("4")
    inputs.nth(1).fill("3")
    teacher.fill("#feedback-summary", "Good pulse; relax the wrist.")
    teacher.click("#publish-feedback")
    teacher.locator("#feedback-status", has_text="Published").wait_for()
    feedback = Feedback.objects.get(clip=take)
    assert feedback.status == Feedback.Status.PUBLISHED
    assert sorted(score.score for score in feedback.scores.all()) == [3, 4]
    fix, drawn = feedback.markers.order_by("created_at")
    assert (fix.kind, fix.text) == ("fix", "Lift the bow here")
    assert abs(fix.time - 3) < 0.5
    assert fix.criterion_uuid is not None
    assert drawn.kind == "drawing"
    assert drawn.drawing is not None
    assert [shape["type"] for shape in drawn.drawing["shapes"]] == ["arrow"]
    assert feedback.reply_clip is not None
    assert feedback.reply_clip.status == PracticeClip.Status.READY

    # Start the segment's thread.
    panel = teacher.locator("practika-thread-panel")
    panel.locator("form.new-thread input").fill("Bar 3")
    panel.locator("form.new-thread textarea").fill("Listen to **bar 3** again.")
    panel.locator("form.new-thread button[type=submit]").click()
    panel.locator(".message", has_text="Listen to bar 3 again.").wait_for()
    assert panel.locator(".message strong", has_text="bar 3").count() == 1

    # The student reads it all, on a phone.
    log_in(page, base, world.student.username)
    page.goto(f"{base}{feedback_url(take)}")
    assert "Good pulse; relax the wrist." in page.locator(".feedback-summary").inner_text()
    assert page.locator(".scores", has_text="Timing").locator("td").first.inner_text() == "4 / 5"
    wait_until_playable(page, "#feedback-player")
    pin = page.locator("#feedback-player .lane-markers .marker.kind-fix")
    pin.wait_for()
    assert "Lift the bow here" in (pin.get_attribute("aria-label") or "")
    page.locator("#feedback-player .lane-markers .marker.kind-drawing").wait_for()
    wait_until_playable(page, "practika-player.reply-player")
    page.click(".segment-select:has-text('Opening bars')")
    student_panel = page.locator("practika-thread-panel")
    student_panel.locator(".message", has_text="Listen to bar 3 again.").wait_for()
    panel.locator(".presence", has_text="student").wait_for()

    # They talk: each sees the other typing and the other's message, without a reload.
    student_panel.locator("form.compose textarea").press_sequentially("Thanks, I will", delay=40)
    panel.locator(".typing", has_text="student is typing").wait_for()
    student_panel.locator("form.compose input[type=checkbox]").check()  # at the video's time
    student_panel.locator("form.compose button[type=submit]").click()
    answer = panel.locator(".message", has_text="Thanks, I will")
    answer.wait_for()
    answer.locator("button.jump", has_text="Jump to 0:01.2").click()
    teacher.wait_for_function(
        "Math.abs(document.querySelector('#review-player').currentTime - 1.2) < 0.3"
    )
    panel.locator("form.compose textarea").press_sequentially("Great, try it slower", delay=40)
    student_panel.locator(".typing", has_text="teacher is typing").wait_for()
    panel.locator("form.compose button[type=submit]").click()
    student_panel.locator(".message", has_text="Great, try it slower").wait_for()

    screenshots(teacher, shots, "review-room")
    screenshots(page, shots, "feedback-view")
    for name in ("queue", "review-room", "feedback-view"):
        for label in ("phone", "desktop"):
            assert (shots / f"{name}-{label}.png").stat().st_size > 10_000
    assert script_errors == []
