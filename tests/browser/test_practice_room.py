"""The practice room in Chromium: a student uploads a take (a real generated video, through
tus), watches the status go live to ready over the websocket and plays the take; the upload
survives dropped connections and a reload; the recorder records with Chromium's fake camera.

Screenshots at phone (390x844) and desktop (1440x900) sizes go to each test's tmp dir.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from plugins.clips.models import PracticeClip
from plugins.feedback.services import ScoreInput, feedback_create, feedback_publish
from practika_site.courses.models import ExercisePage, RubricCriterion
from practika_site.users.models import User
from tests.clips import conftest as clips_fixtures
from tests.clips.conftest import World
from tests.clips.test_references import make_document, publish
from tests.factories import TEST_PASSWORD
from tests.live import AsgiLiveServer
from tests.mediafiles import make_audio_only, make_video

pytestmark = pytest.mark.browser

# The clips tests' fixtures: isolated storage (autouse), Wagtail's cache, the committed course.
dirs = clips_fixtures.dirs
_fresh_site_root_cache = clips_fixtures._fresh_site_root_cache
live_world = clips_fixtures.live_world

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
# Processing runs inline on commit (Huey's immediate mode) on a shared two-core machine.
PROCESSING_TIMEOUT_MS = 90_000
PLAYER = "[data-take-box] practika-player"


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("practice-videos")


@pytest.fixture(scope="module")
def take_mp4(videos: Path) -> Path:
    """4 s of H.264/AAC, portrait like a phone's: remuxed, so playable seconds after commit."""
    return make_video(videos / "take.mp4", duration=4, width=240, height=320, keyint=60)


@pytest.fixture(scope="module")
def reference_mp4(videos: Path) -> Path:
    return make_video(videos / "reference.mp4", duration=4, width=480, height=270, keyint=60)


def open_room(browser: Any, server: AsgiLiveServer, user: User, exercise: ExercisePage) -> Any:
    """A new phone-sized context, logged in through the login form, on the exercise page."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{server.url}/accounts/login/?next={exercise.url}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{exercise.url}")
    page.wait_for_function("customElements.get('practika-practice-room') !== undefined")
    return page


def shoot(page: Any, path: Path, name: str) -> None:
    """Full-page screenshots at phone and desktop size; ends at phone size."""
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header stays at the top of the shot
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.wait_for_timeout(300)  # one layout pass and the player's resize
        page.screenshot(path=str(path / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(PHONE)


def wait_for_status(page: Any, text: str) -> None:
    try:
        page.wait_for_function(
            "text => document.querySelector('[data-status]').textContent.includes(text)",
            arg=text,
            timeout=PROCESSING_TIMEOUT_MS,
        )
    except PlaywrightTimeout:
        shown = page.locator("[data-status]").text_content()
        raise AssertionError(f"waited for status {text!r}; the page says {shown!r}") from None


def assert_take_plays(page: Any) -> None:
    """The take's player is there, loads its stream and really advances when played."""
    page.wait_for_function(
        f"""() => {{
          const player = document.querySelector('{PLAYER}');
          return player && customElements.get('practika-player') && player.duration > 0;
        }}""",
        timeout=PROCESSING_TIMEOUT_MS,
    )
    page.evaluate(f"document.querySelector('{PLAYER}').play()")
    page.wait_for_function(
        f"document.querySelector('{PLAYER}').currentTime > 1", timeout=PROCESSING_TIMEOUT_MS
    )


def in_own_thread(work: Callable[[], object]) -> None:
    """Run ``work`` (which commits and so sends events with async_to_sync) in a thread of its
    own: this one runs Playwright's event loop."""

    def run_and_close() -> None:
        try:
            work()
        finally:
            connections.close_all()  # the thread's own connection ends with it

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(run_and_close).result()


def publish_reference(world: World, video: Path) -> None:
    """The teacher's reference, published and processed (inline)."""
    document = make_document(video)
    in_own_thread(lambda: publish(world.exercise, document, user=world.teacher))


def review(world: World, take: PracticeClip, summary: str, scores: tuple[int, int]) -> None:
    """The teacher publishes feedback with rubric scores (Timing, Tone) on ``take``."""
    criteria = RubricCriterion.objects.filter(page_id=world.exercise.pk).order_by("sort_order")
    given = [
        ScoreInput(criterion_id=c.uuid, score=n) for c, n in zip(criteria, scores, strict=True)
    ]

    def publish_feedback() -> None:
        feedback = feedback_create(clip=take, actor=world.teacher, summary=summary, scores=given)
        feedback_publish(feedback=feedback, actor=world.teacher)

    in_own_thread(publish_feedback)


def ready_take_row(world: World, attempt: int) -> PracticeClip:
    """A ready take as the pipeline leaves it, without media (it is only reviewed here)."""
    now = timezone.now()
    take = PracticeClip(
        owner=world.student,
        exercise=world.exercise,
        course=world.course,
        attempt_number=attempt,
        status=PracticeClip.Status.READY,
        duration=4.0,
        playable_at=now,
        ready_at=now,
        max_bytes=1000,
        upload_expires_at=now + timedelta(hours=1),
    )
    take.original_key = f"clips/{take.id}/original/take.mp4"
    take.save()
    return take


def takes(world: World) -> list[PracticeClip]:
    return list(
        PracticeClip.objects.filter(owner=world.student, kind=PracticeClip.Kind.TAKE).order_by(
            "created_at"
        )
    )


def test_student_uploads_a_take_and_watches_it_become_ready(
    asgi_live_server: AsgiLiveServer,
    live_world: World,
    media_browser: Any,
    take_mp4: Path,
    reference_mp4: Path,
    videos: Path,
    tmp_path: Path,
) -> None:
    world = live_world
    publish_reference(world, reference_mp4)
    page = open_room(media_browser, asgi_live_server, world.student, world.exercise)
    frames: list[dict[str, Any]] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(json.loads(f))))
    status_reads: list[str] = []
    page.on("request", lambda r: status_reads.append(r.url) if "/status/" in r.url else None)
    reference = page.locator("[data-reference-box] practika-player")
    assert reference.get_attribute("streams-url").startswith("/api/v1/clips/")
    assert page.locator("[data-attempt-list]").inner_text().startswith("No takes yet")
    shoot(page, tmp_path, "01-empty-room")

    # Not a video: refused in plain words, before anything reaches the server.
    not_video = tmp_path / "notes.txt"
    not_video.write_text("bars 12-16: slow down")
    page.set_input_files("[data-file-input]", str(not_video))
    wait_for_status(page, "“notes.txt” is not a video")
    assert takes(world) == []

    # A video file with no picture: uploaded, then rejected with the server's reason.
    page.set_input_files("[data-file-input]", str(make_audio_only(videos / "song.mp4")))
    wait_for_status(page, "Your video was rejected: The file has no video stream.")
    [rejected] = takes(world)
    assert rejected.status == PracticeClip.Status.REJECTED
    page.locator("[data-capture]").wait_for()  # open for the next take once the commit answers

    page.set_input_files("[data-file-input]", str(take_mp4))
    page.wait_for_function(
        "document.querySelector('[data-upload-percent]').textContent === '100 %'"
    )
    wait_for_status(page, "Your take is ready.")
    steps = page.locator("[data-steps] li.done")
    assert steps.count() == 4
    assert_take_plays(page)
    player = page.locator(PLAYER)
    assert player.get_attribute("compare-streams-url") == reference.get_attribute("streams-url")
    assert page.locator("[data-take-heading]").inner_text() == "Take 2"

    [_, take] = takes(world)
    assert take.status == PracticeClip.Status.READY
    assert take.attempt_number == 2
    assert take.size_bytes == take_mp4.stat().st_size
    # Live over the websocket, no polling: one status read per subscription, to catch up.
    topic = f"clip:{take.pk}"
    events = [f["type"] for f in frames if f.get("topic") == topic]
    assert "subscribed" in events
    assert {"clip.playable", "clip.ready"} <= set(events)
    assert len([url for url in status_reads if str(take.pk) in url]) <= 1
    history = page.locator("[data-attempt-list] .attempt")
    history.first.locator(".status-ready").wait_for()
    assert "Take 2" in history.first.inner_text()
    assert "Rejected" in history.nth(1).inner_text()
    assert page.locator("[data-takes-text]").inner_text().startswith("Unlimited takes · 2 so far")

    # The teacher reviews this take and a later one: the feedback arrives without a reload,
    # and the chart draws the scores across takes.
    later = ready_take_row(world, attempt=3)
    review(world, later, "Steadier. Now the <b>tone</b>.", (4, 3))
    review(world, take, "Rushed the second bar.", (2, 3))
    wait_for_status(page, "feedback on this take has arrived")
    reviewed = history.filter(has_text="Take 2")
    reviewed.get_by_text("Rushed the second bar.").wait_for()
    assert "Timing 2/5" in reviewed.inner_text()
    newest = history.first
    newest.get_by_text("Steadier. Now the <b>tone</b>.").wait_for()  # shown as text, not HTML
    assert newest.get_by_role("link", name="Open the feedback").get_attribute("href") == (
        f"/feedback/clips/{later.pk}/"
    )
    chart = page.locator("[data-chart] svg[role=img]")
    chart.wait_for()
    assert chart.locator("polyline").count() == 2  # Timing and Tone, over takes 2 and 3
    assert "Timing: 4/5 in take 3" in page.locator(".score-chart-legend").inner_text()
    shoot(page, tmp_path, "02-take-ready")

    # The history's link opens the take again after a reload (no script state involved).
    page.goto(f"{asgi_live_server.url}{world.exercise.url}?take={take.pk}")
    page.locator(PLAYER).wait_for()
    assert page.locator("[data-take-heading]").inner_text() == "Take 2"

    # The lesson page counts the exercise as practised.
    page.goto(f"{asgi_live_server.url}{world.exercise.get_parent().url}")
    assert "1 of 2 exercises practised" in page.locator(".progress-panel").inner_text()
    latest = page.locator(".progress-panel [data-feedback-for]").get_by_role("link")
    latest.wait_for()
    assert latest.inner_text() == "Feedback on take 3"
    assert "Timing 4/5 · Tone 3/5" in page.locator(".progress-panel").inner_text()
    shoot(page, tmp_path, "03-lesson-progress")


def test_upload_survives_dropped_connections_and_a_reload(
    asgi_live_server: AsgiLiveServer,
    live_world: World,
    media_browser: Any,
    take_mp4: Path,
    tmp_path: Path,
) -> None:
    world = live_world
    page = open_room(media_browser, asgi_live_server, world.student, world.exercise)
    cut = {"patches_to_drop": 1_000, "dropped": 0}
    created: list[str] = []

    def flaky_network(route: Any) -> None:
        if route.request.method == "PATCH" and cut["patches_to_drop"] > 0:
            cut["patches_to_drop"] -= 1
            cut["dropped"] += 1
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/tus/**", flaky_network)
    page.on(
        "request",
        lambda r: created.append(r.url) if r.method == "POST" and r.url.endswith("/clips/") else 0,
    )

    # The network drops every chunk: the page says so and keeps retrying.
    page.set_input_files("[data-file-input]", str(take_mp4))
    wait_for_status(page, "Connection lost. Retrying")
    assert cut["dropped"] >= 1
    [clip] = takes(world)
    assert clip.status == PracticeClip.Status.AWAITING_UPLOAD
    shoot(page, tmp_path, "04-connection-lost")

    # The student gives up and reloads: the page offers to carry on with the same file.
    page.reload()
    page.wait_for_function("customElements.get('practika-practice-room') !== undefined")
    offer = page.locator("[data-resume]")
    offer.wait_for()
    assert "Unfinished upload: take.mp4" in offer.inner_text()
    stored = json.loads(
        page.evaluate("localStorage.getItem('practika:unfinished-uploads')") or "[]"
    )
    assert [record["clipId"] for record in stored] == [str(clip.pk)]

    # Back online, with one more dropped chunk: the upload resumes the same clip and finishes.
    cut["patches_to_drop"] = 1
    dropped_before = cut["dropped"]
    page.set_input_files("[data-file-input]", str(take_mp4))
    page.wait_for_function(
        "document.querySelector('[data-upload-percent]').textContent === '100 %'"
    )
    wait_for_status(page, "Your take is ready.")
    assert cut["dropped"] == dropped_before + 1
    assert len(created) == 1  # one clip asked for, before the reload
    [clip] = takes(world)
    assert clip.status == PracticeClip.Status.READY
    assert clip.size_bytes == take_mp4.stat().st_size
    # Forgotten once the commit answers (inline processing may announce "ready" before that).
    page.wait_for_function("localStorage.getItem('practika:unfinished-uploads') === '[]'")
    assert_take_plays(page)


def test_student_records_a_take_with_the_camera(
    asgi_live_server: AsgiLiveServer,
    live_world: World,
    media_browser: Any,
    tmp_path: Path,
) -> None:
    world = live_world
    exercise = ExercisePage.objects.get(pk=world.exercise.pk)
    exercise.max_takes = 1
    exercise.save_revision().publish(skip_permission_checks=True)
    page = open_room(media_browser, asgi_live_server, world.student, exercise)
    recorder = page.locator("practika-recorder")
    assert "1 of 1 take left" in page.locator("[data-takes-text]").inner_text()

    recorder.get_by_role("button", name="Turn on camera").click()
    page.wait_for_function(
        "document.querySelector('[data-preview]').videoWidth > 0", timeout=20_000
    )
    recorder.get_by_role("button", name="Start recording").click()
    page.locator("[data-countdown]").wait_for()
    assert page.locator("[data-countdown]").inner_text() in {"3", "2", "1"}
    page.locator("[data-rec]").wait_for(timeout=10_000)  # the countdown is over: recording
    page.wait_for_timeout(2_500)
    shoot(page, tmp_path, "05-recording")
    recorder.get_by_role("button", name="Stop").click()

    # Review before uploading: the recording plays back.
    playback = page.locator("[data-playback]")
    playback.wait_for()
    page.wait_for_function("document.querySelector('[data-playback]').readyState >= 1")
    assert "Recorded 0:0" in recorder.locator("[data-message]").inner_text()
    recorder.get_by_role("button", name="Upload this take").click()

    wait_for_status(page, "Your take is ready.")
    [take] = takes(world)
    assert take.status == PracticeClip.Status.READY
    assert take.content_type in {"video/webm", "video/mp4"}
    assert take.duration is not None
    assert take.duration > 1.5
    assert_take_plays(page)
    # That was the only take allowed: the recorder and file picker give way to a plain note.
    assert page.locator("[data-capture]").is_hidden()
    assert page.locator("[data-no-takes]").is_visible()
    shoot(page, tmp_path, "06-recorded-take")
