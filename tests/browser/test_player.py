"""<practika-player> in Chromium on a really processed clip: HLS plays, and every control works.

The clip is a generated 6 s H.264/AAC video run through the real pipeline (Huey is immediate in
tests, so the commit processes it); a teacher cuts a segment and publishes feedback with a
point marker and a drawn range marker through the API. The demo page ``/player/clip/<id>/``
is then opened in Debian's Chromium at desktop and phone sizes.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.db import connection
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from plugins.clips.models import PracticeClip
from practika_site.users.models import User
from tests.clips.conftest import World, _fresh_site_root_cache, dirs, live_world
from tests.clips.helpers import commit, upload
from tests.live import AsgiLiveServer
from tests.mediafiles import make_video

__all__ = ["_fresh_site_root_cache", "dirs", "live_world"]  # fixtures, used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FPS = 30
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
PLAYER = "practika-player#clip-player"
FIX_TEXT = "Keep the <b>wrist</b> loose"
ARROW = {"type": "arrow", "start": [0.2, 0.2], "end": [0.6, 0.5], "color": "#ff3b30", "width": 6}

# Layout shifts (the CLS entries Chromium reports) from the moment the page starts loading,
# of the page's content: the site header's own (its notification bell) are not the player's.
# Nodes inside a shadow root are reported without a node.
RECORD_LAYOUT_SHIFTS = """
window.__layoutShifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const inContent = entry.sources.some(
      (source) => !source.node || source.node.closest?.("main, footer"));
    if (!entry.hadRecentInput && inContent) window.__layoutShifts.push(entry.value);
  }
}).observe({ type: "layout-shift", buffered: true });
"""

# The player's events as the page sees them (they bubble out of the component).
RECORD_EVENTS = """
window.__events = [];
for (const name of ["practika:ready", "practika:timeupdate", "practika:error"]) {
  document.addEventListener(name, (event) => window.__events.push([name, event.detail]));
}
"""

T = TypeVar("T")


@dataclass(frozen=True)
class ReviewedClip:
    clip_id: str
    segment_id: str
    fix_marker_id: str
    drawing_marker_id: str


def api_client(user: User) -> APIClient:
    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def off_the_event_loop(work: Callable[[], T]) -> T:
    """Run ``work`` in a thread of its own: Playwright's sync API keeps an asyncio loop in
    this one, where the services' on-commit broadcasts (async_to_sync) may not run."""

    def run() -> T:
        try:
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result(timeout=300)


def make_reviewed_clip(world: World, video: Path) -> ReviewedClip:
    """The student's processed take, a teacher's segment 2.5-4.5 s and published feedback."""
    student = api_client(world.student)
    clip_id = upload(student, world.exercise, video.read_bytes(), filename=video.name)
    response = commit(student, clip_id)
    assert response.status_code == 202, getattr(response, "content", b"")
    clip = PracticeClip.objects.get(pk=clip_id)
    assert clip.status == PracticeClip.Status.READY, (clip.error_code, clip.error_message)

    teacher = api_client(world.teacher)
    segment = teacher.post(
        f"/api/v1/clips/{clip_id}/segments/",
        {"start": 2.5, "end": 4.5, "title": "Bar 2"},
        format="json",
    )
    assert segment.status_code == 201, segment.content
    markers = [
        {"time": 1.0, "kind": "fix", "text": FIX_TEXT},
        {
            "time": 3.0,
            "end_time": 4.0,
            "kind": "drawing",
            "text": "",
            "drawing": {"shapes": [ARROW]},
        },
    ]
    feedback = teacher.post(
        f"/api/v1/clips/{clip_id}/feedback/",
        {"summary": "Nice tone.", "markers": markers},
        format="json",
    )
    assert feedback.status_code == 201, feedback.content
    feedback_id = feedback.json()["id"]
    published = teacher.post(f"/api/v1/feedback/{feedback_id}/publish/")
    assert published.status_code == 200, published.content
    by_kind = {marker["kind"]: marker["id"] for marker in published.json()["markers"]}
    return ReviewedClip(
        clip_id=clip_id,
        segment_id=segment.json()["id"],
        fix_marker_id=by_kind["fix"],
        drawing_marker_id=by_kind["drawing"],
    )


@pytest.fixture
def reviewed(live_world: World, tmp_path: Path) -> ReviewedClip:
    video = make_video(tmp_path / "take.mp4", duration=6, width=640, height=360, fps=FPS, keyint=60)
    return off_the_event_loop(lambda: make_reviewed_clip(live_world, video))


def open_context(
    chromium: Any, server: AsgiLiveServer, user: User, viewport: dict[str, int]
) -> Any:
    """A browser context logged in as ``user`` (the session cookie of a real login)."""
    client = Client()
    off_the_event_loop(lambda: client.force_login(user))
    context = chromium.new_context(
        viewport=viewport, is_mobile=viewport == PHONE, has_touch=viewport == PHONE
    )
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server.url}]
    )
    context.add_init_script(RECORD_LAYOUT_SHIFTS)
    context.add_init_script(RECORD_EVENTS)
    return context


def player_value(page: Any, expression: str, selector: str = PLAYER) -> Any:
    return page.evaluate(f"(player) => {expression}", page.locator(selector).element_handle())


def wait_for_player(page: Any, selector: str = PLAYER) -> None:
    page.wait_for_function(
        "(player) => player.shadowRoot && Number.isFinite(player.duration) && player.duration > 0"
        " && player.shadowRoot.querySelector('video').readyState >= 2",
        arg=page.locator(selector).element_handle(),
    )


def wait_until(page: Any, condition: str, selector: str = PLAYER, timeout: float = 15_000) -> None:
    page.wait_for_function(
        f"(player) => {condition}", arg=page.locator(selector).element_handle(), timeout=timeout
    )


def seek(page: Any, seconds: float, selector: str = PLAYER) -> None:
    player_value(page, f"player.seek({seconds})", selector)
    wait_until(page, "!player.shadowRoot.querySelector('video').seeking", selector)


def sample_times(page: Any, seconds: float) -> list[float]:
    """The player's time every 50 ms for ``seconds``, read in the page."""
    times: list[float] = page.evaluate(
        """async ([player, seconds]) => {
          const times = [];
          const until = performance.now() + seconds * 1000;
          while (performance.now() < until) {
            times.push(player.currentTime);
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          return times;
        }""",
        [page.locator(PLAYER).element_handle(), seconds],
    )
    return times


def painted_pixels(page: Any) -> int:
    """Non-transparent pixels on the drawing layer over the video."""
    count: int = player_value(
        page,
        """(() => {
          const canvas = player.shadowRoot.querySelector('[data-annotations]');
          const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          let painted = 0;
          for (let index = 3; index < data.length; index += 4) if (data[index] > 0) painted += 1;
          return painted;
        })()""",
    )
    return count


def test_player_plays_a_processed_clip_with_every_control(
    asgi_live_server: AsgiLiveServer,
    live_world: World,
    reviewed: ReviewedClip,
    chromium: Any,
    tmp_path: Path,
) -> None:
    context = open_context(chromium, asgi_live_server, live_world.student, DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{asgi_live_server.url}/player/clip/{reviewed.clip_id}/")

    # Chromium's MSE takes H.264 (hls.js needs it); the player may still pick native HLS.
    assert page.evaluate("MediaSource.isTypeSupported('video/mp4; codecs=\"avc1.64001f\"')")
    wait_for_player(page)
    assert player_value(page, "player.engine") in ("native", "hls.js")
    assert abs(player_value(page, "player.duration") - 6.0) < 0.2
    [ready] = [
        detail for name, detail in page.evaluate("window.__events") if name == "practika:ready"
    ]
    assert abs(ready["duration"] - 6.0) < 0.2
    page.screenshot(path=str(tmp_path / "desktop-loaded.png"))

    # The timeline: the teacher's segment, both published markers, the fix marker's text as
    # its tooltip (escaped: the text is shown, never parsed as HTML).
    segment = page.locator(f"{PLAYER} .segment")
    assert segment.count() == 1
    assert "Bar 2" in segment.inner_text()
    markers = page.locator(f"{PLAYER} .marker")
    assert markers.count() == 2
    fix = page.locator(f"{PLAYER} .marker.kind-fix")
    fix.hover()
    tooltip = fix.locator(".tip")
    assert tooltip.is_visible()
    assert FIX_TEXT in tooltip.inner_text()
    assert fix.locator("b").count() == 0
    assert page.locator(f"{PLAYER} .marker.kind-drawing.marker-range").count() == 1
    assert player_value(page, "player.shadowRoot.querySelector('[data-waveform]').width") > 0

    # Hovering the timeline previews the frame there from the thumbnail sprite.
    track = page.locator(f"{PLAYER} [data-track]")
    track.hover(position={"x": track.bounding_box()["width"] * 0.5, "y": 10})
    preview = page.locator(f"{PLAYER} [data-preview]")
    assert preview.is_visible()
    assert preview.inner_text().strip() == "0:03.0"
    sprite = page.locator(f"{PLAYER} [data-preview-image]").evaluate(
        "(el) => getComputedStyle(el).backgroundImage"
    )
    assert "sprite" in sprite or ".jpg" in sprite, sprite

    # It really plays: time advances past 1 s and the decoder has a picture.
    player_value(page, "player.play()")
    wait_until(page, "player.currentTime > 1.0")
    assert player_value(page, "player.shadowRoot.querySelector('video').videoWidth") == 640
    player_value(page, "player.pause()")
    ticks = [
        detail["time"]
        for name, detail in page.evaluate("window.__events")
        if name == "practika:timeupdate"
    ]
    assert max(ticks) > 1.0

    # Seek.
    seek(page, 2.0)
    assert abs(player_value(page, "player.currentTime") - 2.0) < 0.05

    # Speed: the select sets the video's rate, and half speed plays at about half speed.
    page.locator(f"{PLAYER} [data-speed]").select_option("0.5")
    assert player_value(page, "player.shadowRoot.querySelector('video').playbackRate") == 0.5
    seek(page, 0.5)
    player_value(page, "player.play()")
    wait_until(page, "player.currentTime > 0.6")
    started = player_value(page, "player.currentTime")
    page.wait_for_timeout(1000)
    advanced = player_value(page, "player.currentTime") - started
    player_value(page, "player.pause()")
    assert 0.25 < advanced < 0.8, advanced
    page.locator(f"{PLAYER} [data-speed]").select_option("1")

    # Frame step with the keyboard (focus on the video): one frame is 1/30 s.
    page.locator(f"{PLAYER} [data-stage]").focus()
    page.keyboard.press(".")
    wait_until(page, "!player.shadowRoot.querySelector('video').seeking")
    before = player_value(page, "player.currentTime")
    page.keyboard.press(".")
    wait_until(page, "!player.shadowRoot.querySelector('video').seeking")
    after = player_value(page, "player.currentTime")
    assert abs((after - before) - 1 / FPS) < 0.004, (before, after)
    page.keyboard.press(",")
    wait_until(page, "!player.shadowRoot.querySelector('video').seeking")
    assert abs(player_value(page, "player.currentTime") - before) < 0.004
    assert player_value(page, "player.paused")

    # A-B loop with [ and ]: playback stays inside 1.0-2.0 s and wraps around.
    seek(page, 1.0)
    page.keyboard.press("[")
    seek(page, 2.0)
    page.keyboard.press("]")
    assert player_value(page, "player.loopRange") == {"a": 1.0, "b": 2.0}
    assert page.locator(f"{PLAYER} [data-loop]").is_visible()
    page.locator(PLAYER).screenshot(path=str(tmp_path / "desktop-player-looping.png"))
    player_value(page, "player.play()")
    times = sample_times(page, 2.5)
    player_value(page, "player.pause()")
    assert all(0.95 <= t <= 2.1 for t in times), times
    assert any(later < earlier for earlier, later in itertools.pairwise(times)), times
    page.keyboard.press("\\")
    assert player_value(page, "player.loopRange") is None

    # Mirror toggles a horizontal flip of the picture.
    frame = f"{PLAYER} [data-frame]"
    page.keyboard.press("m")
    page.wait_for_timeout(300)  # the flip animates
    assert (
        page.locator(frame).evaluate("(el) => getComputedStyle(el).transform")
        == "matrix(-1, 0, 0, 1, 0, 0)"
    )
    assert page.locator(f"{PLAYER} [data-action=mirror]").get_attribute("aria-pressed") == "true"
    page.screenshot(path=str(tmp_path / "desktop-mirrored.png"))
    page.keyboard.press("m")
    page.wait_for_timeout(300)
    assert page.locator(frame).evaluate("(el) => getComputedStyle(el).transform") == "none"

    # The drawn range marker shows over the video from 3 s to 4 s, and only then.
    seek(page, 3.3)
    assert painted_pixels(page) > 200
    page.screenshot(path=str(tmp_path / "desktop-drawing.png"))
    seek(page, 4.6)
    assert painted_pixels(page) == 0

    # A marker click seeks to it and tells the page which marker it was.
    page.evaluate(
        """(player) => {
          window.__clicked = null;
          player.addEventListener('practika:marker-click', (event) => {
            window.__clicked = event.detail.marker.id;
          });
        }""",
        page.locator(PLAYER).element_handle(),
    )
    fix.click()
    assert page.evaluate("window.__clicked") == reviewed.fix_marker_id
    wait_until(page, "Math.abs(player.currentTime - 1.0) < 0.05")
    assert FIX_TEXT in page.locator(f"{PLAYER} [data-info]").inner_text()

    # The help overlay opens with ? and closes with Escape.
    page.locator(f"{PLAYER} [data-stage]").focus()
    page.keyboard.press("?")
    help_dialog = page.locator(f"{PLAYER} [data-help]")
    assert help_dialog.is_visible()
    assert "Set the loop start" in help_dialog.inner_text()
    page.screenshot(path=str(tmp_path / "desktop-help.png"))
    page.keyboard.press("Escape")
    assert not help_dialog.is_visible()

    # F: the whole player (video, timeline and controls) goes full screen, and back.
    page.keyboard.press("f")
    wait_until(page, "document.fullscreenElement === player")
    page.screenshot(path=str(tmp_path / "desktop-fullscreen.png"))
    page.keyboard.press("f")
    wait_until(page, "document.fullscreenElement === null")

    # Drawing: the teacher's tool over the frame gives normalized shapes in the API's format.
    player_value(page, "player.beginDrawing({tool: 'rect', color: '#00aaff', width: 3})")
    box = page.locator(f"{PLAYER} [data-stage]").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.25)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.75, steps=5)
    page.mouse.up()
    drawing = player_value(page, "player.endDrawing()")
    assert drawing is not None
    [shape] = drawing["shapes"]
    assert (shape["type"], shape["color"], shape["width"]) == ("rect", "#00aaff", 3)
    assert shape["start"] == pytest.approx([0.25, 0.25], abs=0.02)
    assert shape["end"] == pytest.approx([0.5, 0.75], abs=0.02)

    # Every control has a name, and the page never shifted while the video loaded.
    unnamed = player_value(
        page,
        """[...player.shadowRoot.querySelectorAll(
            'button:not([aria-hidden=true]), select, [role=slider]')]
          .filter((el) => !(el.getAttribute('aria-label') || el.textContent.trim()
                            || el.closest('label')))
          .length""",
    )
    assert unnamed == 0
    assert sum(page.evaluate("window.__layoutShifts")) < 0.005
    assert errors == []
    context.close()


def test_segment_streams_clamp_and_side_by_side_on_a_phone(
    asgi_live_server: AsgiLiveServer,
    live_world: World,
    reviewed: ReviewedClip,
    chromium: Any,
    tmp_path: Path,
) -> None:
    context = open_context(chromium, asgi_live_server, live_world.student, PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Compared with itself: the second video is the same take, shifted by the offset.
    page.goto(f"{asgi_live_server.url}/player/clip/{reviewed.clip_id}/?compare={reviewed.clip_id}")
    wait_for_player(page)
    page.screenshot(path=str(tmp_path / "phone-loaded.png"), full_page=True)
    assert sum(page.evaluate("window.__layoutShifts")) < 0.005
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the page scrolls sideways on a phone"

    # Side by side, synced, with an offset of one second.
    page.locator(f"{PLAYER} [data-action=compare]").tap()
    compare_video = f"{PLAYER} [data-compare-video]"
    page.wait_for_function(
        "(video) => video.readyState >= 2", arg=page.locator(compare_video).element_handle()
    )
    page.locator(f"{PLAYER} [data-offset]").fill("1")
    page.locator(f"{PLAYER} [data-offset]").dispatch_event("change")
    seek(page, 1.0)
    player_value(page, "player.play()")
    wait_until(page, "player.currentTime > 2.0")
    drift = player_value(
        page,
        "player.shadowRoot.querySelector('[data-compare-video]').currentTime - player.currentTime",
    )
    assert not page.locator(compare_video).evaluate("(video) => video.paused")
    player_value(page, "player.pause()")
    assert abs(drift - 1.0) < 0.35, drift
    page.locator(PLAYER).screenshot(path=str(tmp_path / "phone-compare.png"))
    page.locator(f"{PLAYER} [data-action=compare]").tap()

    # Touch: a tap on the timeline seeks there.
    track = page.locator(f"{PLAYER} [data-track]")
    track.tap(position={"x": track.bounding_box()["width"] * 0.5, "y": 20})
    wait_until(page, "Math.abs(player.currentTime - 3.0) < 0.1")

    # A video that is not there says so in plain words.
    page.evaluate(
        """(clipId) => {
          const player = document.createElement('practika-player');
          player.id = 'missing-player';
          player.setAttribute('streams-url', `/api/v1/clips/${clipId}/streams/`);
          document.querySelector('main').append(player);
        }""",
        str(uuid.uuid4()),
    )
    notice = page.locator("#missing-player [data-notice]")
    notice.wait_for()
    page.wait_for_function(
        "(notice) => notice.textContent.includes('This video is not available')",
        arg=notice.element_handle(),
    )
    assert notice.get_attribute("role") == "alert"
    page.evaluate("document.getElementById('missing-player').remove()")

    # A segment's streams through hls.js: playback starts at 2.5 s and stops at 4.5 s, in
    # the clip's time, and seeking cannot leave the range.
    page.evaluate(
        """(segmentId) => {
          const player = document.createElement('practika-player');
          player.id = 'segment-player';
          player.setAttribute('engine', 'hls.js');
          player.setAttribute('label', 'Segment Bar 2');
          player.setAttribute('streams-url', `/api/v1/segments/${segmentId}/streams/`);
          document.querySelector('main').append(player);
        }""",
        reviewed.segment_id,
    )
    segment_player = "#segment-player"
    # ... while the connection is down: the player says so, retries, and plays once it is back.
    page.route("**/media/s/**", lambda route: route.abort())
    offline = page.locator(f"{segment_player} [data-notice]")
    page.wait_for_function(
        "(notice) => /connection was lost/i.test(notice.textContent)",
        arg=offline.element_handle(),
    )
    assert "Retrying" in offline.inner_text()
    page.unroute("**/media/s/**")
    wait_for_player(page, segment_player)
    assert not offline.is_visible()
    assert player_value(page, "player.engine", segment_player) == "hls.js"
    assert player_value(page, "player.duration", segment_player) == 4.5
    assert abs(player_value(page, "player.currentTime", segment_player) - 2.5) < 0.05
    assert player_value(page, "player.start", segment_player) == 2.5
    page.locator(segment_player).scroll_into_view_if_needed()
    player_value(page, "player.play()", segment_player)
    started = time.monotonic()
    wait_until(page, "player.paused && player.currentTime > 4", segment_player)
    assert time.monotonic() - started < 6
    end = player_value(page, "player.currentTime", segment_player)
    assert 4.4 <= end <= 4.55, end
    seek(page, 0.5, segment_player)
    assert abs(player_value(page, "player.currentTime", segment_player) - 2.5) < 0.05
    seek(page, 5.5, segment_player)
    assert abs(player_value(page, "player.currentTime", segment_player) - 4.5) < 0.05
    page.screenshot(path=str(tmp_path / "phone-segment.png"), full_page=True)

    # Selecting a range by dragging on the timeline, as the review room cuts segments.
    page.evaluate(
        """(player) => {
          window.__range = null;
          player.setAttribute('selectable', '');
          player.addEventListener('practika:range-select', (event) => {
            window.__range = event.detail;
          });
        }""",
        page.locator(PLAYER).element_handle(),
    )
    page.locator(PLAYER).scroll_into_view_if_needed()
    track = page.locator(f"{PLAYER} [data-track]").bounding_box()
    middle = track["y"] + track["height"] / 2
    page.mouse.move(track["x"] + track["width"] * 0.25, middle)
    page.mouse.down()
    page.mouse.move(track["x"] + track["width"] * 0.75, middle, steps=6)
    page.mouse.up()
    selected = page.evaluate("window.__range")
    assert selected["start"] == pytest.approx(1.5, abs=0.25)
    assert selected["end"] == pytest.approx(4.5, abs=0.25)
    assert errors == []
    context.close()


def test_the_demo_page_is_for_those_who_may_see_the_clip(
    live_world: World, reviewed: ReviewedClip, django_assert_max_num_queries: Any
) -> None:
    def get(user: User, query: str = "") -> Any:
        client = Client()
        client.force_login(user)
        return client.get(f"/player/clip/{reviewed.clip_id}/{query}")

    student = Client()
    student.force_login(live_world.student)
    # The session, the user, the clip, the reference lookup and the site header's own.
    with django_assert_max_num_queries(12):
        page = student.get(f"/player/clip/{reviewed.clip_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'streams-url="/api/v1/clips/{reviewed.clip_id}/streams/"' in html
    assert f'timeline-url="/api/v1/clips/{reviewed.clip_id}/timeline/"' in html
    assert 'aspect-ratio="640 / 360"' in html
    assert "The video plays here" in html  # said before any script runs
    assert get(live_world.teacher).status_code == 200
    assert get(live_world.student2).status_code == 404
    assert get(live_world.other_teacher).status_code == 404
    anonymous = Client().get(f"/player/clip/{reviewed.clip_id}/")
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]

    # ?compare= names another clip the viewer may see; anything else is a 404, not a 500.
    compared = get(live_world.student, f"?compare={reviewed.clip_id}")
    assert (
        f'compare-streams-url="/api/v1/clips/{reviewed.clip_id}/streams/"'
        in compared.content.decode()
    )
    assert get(live_world.student, "?compare=not-a-uuid").status_code == 404
    assert get(live_world.student, f"?compare={uuid.uuid4()}").status_code == 404
