"""The exercise's edit form in the Wagtail admin follows its reference video's processing
by itself: the status changes from processing to ready without a reload."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from plugins.clips.models import PracticeClip
from tests.clips import conftest as clips_fixtures
from tests.clips.conftest import World
from tests.clips.test_references import make_document, publish, references
from tests.factories import TEST_PASSWORD, UserFactory
from tests.live import AsgiLiveServer
from tests.mediafiles import make_video

pytestmark = pytest.mark.browser

# The clips tests' fixtures: isolated storage (autouse), Wagtail's cache, the committed course.
dirs = clips_fixtures.dirs
_fresh_site_root_cache = clips_fixtures._fresh_site_root_cache
live_world = clips_fixtures.live_world


def _in_a_worker(action: Any) -> None:
    """As the pipeline does it: from a thread of its own (Playwright's loop runs in this one)."""
    with ThreadPoolExecutor(1) as worker:
        worker.submit(action).result()


def test_the_edit_form_follows_processing_until_ready(
    asgi_live_server: AsgiLiveServer, live_world: World, page: Any, tmp_path: Path
) -> None:
    video = make_video(tmp_path / "reference.mp4", duration=2, keyint=60)
    publish(live_world.exercise, make_document(video), user=live_world.teacher)
    [clip] = references(live_world.exercise)
    PracticeClip.objects.filter(pk=clip.pk).update(
        status="processing", progress=40, playable_at=None
    )
    author = UserFactory.create(username="boss", admin=True)

    base = asgi_live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/cms/login/")
    page.fill("#id_username", author.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/cms/")
    page.goto(f"{base}/cms/pages/{live_world.exercise.pk}/edit/")
    status = page.locator(".practika-reference-status")
    assert "Processing (40%)" in status.inner_text()

    _in_a_worker(
        lambda: PracticeClip.objects.filter(pk=clip.pk).update(
            status="ready",
            progress=100,
            duration=2.0,
            width=320,
            height=240,
            playable_at=timezone.now(),
        )
    )
    page.get_by_text("Watch it as students will").wait_for(timeout=15_000)
    assert status.count() == 1
    assert "Ready · 2.0 s" in status.inner_text()
    assert not status.get_attribute("data-practika-poll")  # settled: no more requests
