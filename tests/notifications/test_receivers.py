"""Notifications made from the clips plugin's signals."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from plugins.clips.models import PracticeClip
from plugins.clips.signals import clip_failed, clip_ready
from plugins.notifications.models import Notification, NotificationKind
from tests.clips.conftest import Published, World

from .helpers import make_take

pytestmark = pytest.mark.django_db


def test_a_ready_take_tells_its_owner_live_and_by_email(
    world: World, published: Published, django_capture_on_commit_callbacks: Any
) -> None:
    clip = make_take(world.student, world.exercise, attempt=3)
    with django_capture_on_commit_callbacks(execute=True):
        clip_ready.send(sender=PracticeClip, clip=clip)

    notification = Notification.objects.get(user=world.student)
    assert notification.kind == NotificationKind.CLIP_READY
    assert notification.title == f"Take 3 of {world.exercise.title} is ready to watch"
    assert notification.url.endswith(f"?clip={clip.pk}")
    assert notification.data["clip_id"] == str(clip.pk)
    [event] = published.of(f"user:{world.student.pk}", "notification.created")
    assert event["id"] == str(notification.pk)
    assert event["unread_count"] == 1
    [message] = mail.outbox
    assert message.to == [world.student.email]
    assert message.subject == notification.title
    assert f"http://127.0.0.1:8000{notification.url}" in str(message.body)
    html = message.alternatives[0][0]  # type: ignore[attr-defined]
    assert "/notifications/settings/" in str(html)
    assert Notification.objects.get().emailed_at is not None


def test_a_failed_take_says_why(world: World, django_capture_on_commit_callbacks: Any) -> None:
    clip = make_take(world.student, world.exercise)
    clip.status, clip.error_code = PracticeClip.Status.REJECTED, "not_a_video"
    clip.error_message = "This file is not a video."
    with django_capture_on_commit_callbacks(execute=True):
        clip_failed.send(sender=PracticeClip, clip=clip)
    notification = Notification.objects.get(user=world.student)
    assert notification.kind == NotificationKind.CLIP_FAILED
    assert notification.body == "This file is not a video."
    assert notification.data["error_code"] == "not_a_video"


def test_reference_clips_tell_nobody(world: World) -> None:
    clip = make_take(world.teacher, world.exercise)
    clip.kind = PracticeClip.Kind.REFERENCE
    clip_ready.send(sender=PracticeClip, clip=clip)
    assert not Notification.objects.exists()


def test_a_broken_receiver_does_not_break_the_sender(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    clip = make_take(world.student, world.exercise)
    clip.exercise = None  # type: ignore[assignment]  # what a half-deleted clip looks like
    clip_ready.send(sender=PracticeClip, clip=clip)  # must not raise
    assert "Could not create the notification" in caplog.text
