"""The teacher records a video reply with the camera in the review room (Chromium's fake
camera and microphone): it is uploaded, processed by the real pipeline and plays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from plugins.clips.models import PracticeClip
from plugins.feedback.models import Feedback
from tests.browser.test_review_room import (
    DESKTOP,
    log_in,
    processed_take,
    review_url,
    wait_until_playable,
)
from tests.clips.conftest import World, _fresh_site_root_cache, dirs, live_world
from tests.live import AsgiLiveServer
from tests.mediafiles import make_video

__all__ = ["_fresh_site_root_cache", "dirs", "live_world"]  # fixtures, used by name

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]


def test_teacher_records_a_reply_with_the_camera(
    asgi_live_server: AsgiLiveServer, live_world: World, media_browser: Any, tmp_path: Path
) -> None:
    base = asgi_live_server.url
    take = processed_take(
        asgi_live_server, live_world, make_video(tmp_path / "take.mp4", duration=6, keyint=60)
    )
    context = media_browser.new_context(viewport=DESKTOP)
    teacher = context.new_page()
    teacher.set_default_timeout(30_000)
    errors: list[str] = []
    teacher.on("pageerror", lambda error: errors.append(str(error)))
    log_in(teacher, base, live_world.teacher.username)
    teacher.goto(f"{base}{review_url(take)}")
    wait_until_playable(teacher, "#review-player")

    reply = teacher.locator("#reply")
    reply.get_by_role("button", name="Record with camera").click()
    reply.locator(".reply-status", has_text="Recording").wait_for()
    assert reply.locator(".reply-preview").is_visible()
    teacher.wait_for_timeout(3000)  # three seconds of the fake camera's picture and beep
    reply.get_by_role("button", name="Stop and send").click()
    reply.locator(".reply-status", has_text="ready").wait_for(timeout=180_000)
    wait_until_playable(teacher, ".reply-player practika-player")
    assert not reply.locator(".reply-preview").is_visible()  # the camera is off again

    feedback = Feedback.objects.get(clip=take)
    assert feedback.reply_clip is not None
    assert feedback.reply_clip.status == PracticeClip.Status.READY
    assert feedback.reply_clip.kind == PracticeClip.Kind.REPLY
    assert feedback.reply_clip.owner == live_world.teacher
    assert 2 <= (feedback.reply_clip.duration or 0) <= 6
    assert errors == []
    context.close()
