"""The review queue, live: a teacher's open ``/review/`` shows takes arrive and leave without a
reload, says so in its status region, and keeps its filters while it does.

Chromium against the real ASGI server (uvicorn in this process, the in-memory channel layer);
the server events come from a worker thread, as the pipeline and the API would send them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from plugins.clips.models import PracticeClip
from plugins.clips.signals import clip_ready
from tests.clips.conftest import World, _fresh_site_root_cache, dirs, live_world
from tests.factories import TEST_PASSWORD
from tests.feedback.helpers import make_feedback, make_take
from tests.live import AsgiLiveServer

__all__ = ["_fresh_site_root_cache", "dirs", "live_world"]  # fixtures, used by name

pytestmark = pytest.mark.browser

QUEUE = "/review/"
DESKTOP = {"width": 1440, "height": 900}
BROWSER_TIMEOUT_MS = 30_000

Frame = dict[str, Any]


def in_worker(work: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """As a worker does it: from a thread of its own (Playwright's loop runs in this one)."""

    def run() -> None:
        try:
            work(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as worker:
        worker.submit(run).result()


def becomes_ready(take: PracticeClip) -> None:
    """The end of the pipeline: the take is ready, then ``clip_ready`` after the commit."""
    PracticeClip.objects.filter(pk=take.pk).update(
        status=PracticeClip.Status.READY, ready_at=timezone.now()
    )
    take.refresh_from_db()
    clip_ready.send(sender=PracticeClip, clip=take)


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def wait_for_frame(page: Any, frames: list[Frame], expected: Frame) -> None:
    """Until the page's socket has received ``expected`` (Playwright's events arrive while it
    waits, so this waits through Playwright)."""
    deadline = time.monotonic() + BROWSER_TIMEOUT_MS / 1000
    while expected not in frames:
        assert time.monotonic() < deadline, f"never received {expected}: {frames}"
        page.wait_for_timeout(50)


def is_live_refresh(response: Any) -> bool:
    return response.url.split("?")[0].endswith(QUEUE) and bool(
        response.request.headers.get("hx-request")
    )


@pytest.fixture
def teacher_page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    yield page
    context.close()


@pytest.mark.timeout(300)
def test_takes_arrive_and_leave_the_open_queue_without_a_reload(
    asgi_live_server: AsgiLiveServer, live_world: World, teacher_page: Any
) -> None:
    base = asgi_live_server.url
    world = live_world
    page = teacher_page
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    frames: list[Frame] = []
    page.on(
        "websocket",
        lambda socket: socket.on(
            "framereceived", lambda payload: frames.append(json.loads(payload))
        ),
    )
    # The student's take is still processing: nothing waits yet.
    take = make_take(world, status=PracticeClip.Status.PROCESSING)

    log_in(page, base, world.teacher.username)
    page.goto(f"{base}{QUEUE}")
    count = page.locator("#queue-count")
    assert count.inner_text() == "0 takes waiting for feedback."
    wait_for_frame(page, frames, {"type": "subscribed", "topic": f"review:{world.course.uuid}"})
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    # The take is processed: its row appears, and the news is said.
    in_worker(becomes_ready, take)
    row = page.locator(f"#take-{take.pk}")
    row.wait_for()
    assert "student" in row.inner_text()
    assert count.inner_text() == "1 take waiting for feedback."
    news = page.locator("#queue-news[role=status]")
    news.filter(has_text="A new take is waiting.").wait_for()

    # The teacher (in another tab, say) publishes feedback: the take leaves the queue.
    in_worker(make_feedback, take, world.teacher, publish=True)
    row.wait_for(state="detached")
    news.filter(has_text="A take was reviewed.").wait_for()
    assert count.inner_text() == "0 takes waiting for feedback."

    # Filtered to the other exercise, a new take of the first one changes nothing in view, so
    # nothing is said, and the filter stays.
    page.select_option("#id_exercise", str(world.exercise2.uuid))
    page.wait_for_function(f"location.search.includes('exercise={world.exercise2.uuid}')")
    second = make_take(world, status=PracticeClip.Status.PROCESSING)
    with page.expect_response(is_live_refresh):
        in_worker(becomes_ready, second)
    assert count.inner_text() == "0 takes waiting for feedback."
    assert news.inner_text() == "A take was reviewed."
    assert f"exercise={world.exercise2.uuid}" in page.url
    page.select_option("#id_exercise", "")
    page.locator(f"#take-{second.pk}").wait_for()

    assert page.evaluate("window.sameDocument") is True
    assert page.locator("#queue-error").is_hidden()
    assert page.locator("#connection-status").is_hidden()
    assert script_errors == []
