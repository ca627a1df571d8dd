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
    assert notification.url.endswith(f"?take={clip.pk}#take-heading")
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


def test_published_feedback_tells_the_student_live_and_by_email(
    world: World, published: Published, django_capture_on_commit_callbacks: Any
) -> None:
    from django.utils import timezone

    from plugins.feedback.models import Feedback
    from plugins.feedback.signals import feedback_published

    clip = make_take(world.student, world.exercise, attempt=2)
    feedback = Feedback.objects.create(
        clip=clip,
        author=world.teacher,
        summary="Relax the wrist on the downstroke.",
        status=Feedback.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        feedback_published.send(sender=Feedback, feedback=feedback)

    notification = Notification.objects.get(user=world.student)
    assert notification.kind == NotificationKind.FEEDBACK_PUBLISHED
    assert notification.actor == world.teacher
    teacher_name = world.teacher.get_full_name() or world.teacher.username
    assert notification.title == f"{teacher_name} left feedback on take 2 of {world.exercise.title}"
    assert notification.body == "Relax the wrist on the downstroke."
    assert notification.data["feedback_id"] == str(feedback.pk)
    assert notification.url == f"/feedback/clips/{clip.pk}/"
    assert published.of(f"user:{world.student.pk}", "notification.created")
    [message] = mail.outbox
    assert message.to == [world.student.email]
    assert "Relax the wrist" in str(message.body)
    assert not Notification.objects.filter(user=world.teacher).exists()


def _message(thread: Any, author: Any, body: str, seq: int) -> Any:
    from plugins.threads.models import ThreadMessage

    return ThreadMessage.objects.create(
        thread=thread, author=author, body=body, seq=seq, updated_seq=seq
    )


def test_thread_messages_tell_the_other_participants_and_mentions(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    from plugins.segments.models import VideoSegment
    from plugins.threads.models import PracticeThread, ThreadMessage
    from plugins.threads.signals import thread_message_created

    clip = make_take(world.student, world.exercise)
    segment = VideoSegment.objects.create(clip=clip, start=0, end=2, created_by=world.student)
    thread = PracticeThread.objects.create(segment=segment, title="Wrist", created_by=world.student)
    with django_capture_on_commit_callbacks(execute=True):
        for seq, (author, body) in enumerate(
            [
                (world.student, "Is my wrist too stiff here?"),
                (world.teacher, "A little. Try again slower."),
                (world.teacher, "And watch the thumb."),
                # student2 may not see this thread: a mention does not leak it.
                (world.student, "@teacher thanks! @student2 look"),
            ],
            start=1,
        ):
            message = _message(thread, author, body, seq)
            thread_message_created.send(sender=ThreadMessage, message=message)

    # The teacher joined by writing; the student owns the take. Nobody hears of their own.
    to_student = Notification.objects.get(user=world.student)
    assert to_student.kind == NotificationKind.THREAD_MESSAGE
    assert to_student.data["count"] == 2
    assert to_student.body == "And watch the thumb."
    assert to_student.title.endswith("wrote in “Wrist”")
    # The unanswered question reached the course's teachers (not another course's).
    to_teacher = Notification.objects.filter(user=world.teacher).order_by("created_at")
    assert [n.kind for n in to_teacher] == [
        NotificationKind.THREAD_MESSAGE,
        NotificationKind.MENTION,
    ]
    assert not Notification.objects.filter(user=world.other_teacher).exists()
    assert {n.url for n in to_teacher} == {f"/review/clips/{clip.pk}/"}
    assert to_student.url == f"/feedback/clips/{clip.pk}/"
    assert not Notification.objects.filter(user=world.student2).exists()
    assert len(mail.outbox) == 2  # one each; later ones wait for the digest
