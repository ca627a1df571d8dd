"""What other plugins' events mean for people. Connected only for installed plugins, so
removing one of them removes its notifications and nothing else."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.urls import reverse

from practika_site.users.models import User

from .models import NotificationKind
from .services import notification_create

logger = logging.getLogger(__name__)

Receiver = Callable[..., None]


def never_raises(receiver: Receiver) -> Receiver:
    """A notification that cannot be made must not fail what caused it (a job, a publish)."""

    @functools.wraps(receiver)
    def guarded(*args: Any, **kwargs: Any) -> None:
        try:
            receiver(*args, **kwargs)
        except Exception:
            logger.exception("Could not create the notification of %s.", receiver.__name__)

    return guarded


def connect_receivers() -> None:
    if apps.is_installed("plugins.clips"):
        from plugins.clips.signals import clip_failed, clip_ready

        clip_ready.connect(on_clip_ready, dispatch_uid="notifications.clip_ready")
        clip_failed.connect(on_clip_failed, dispatch_uid="notifications.clip_failed")
    if apps.is_installed("plugins.threads"):
        from plugins.threads.signals import thread_message_created

        thread_message_created.connect(
            on_thread_message_created, dispatch_uid="notifications.thread_message_created"
        )
    if apps.is_installed("plugins.feedback"):
        from plugins.feedback.signals import feedback_published

        feedback_published.connect(
            on_feedback_published, dispatch_uid="notifications.feedback_published"
        )


def _exercise_url(clip: Any) -> str:
    """The practice room with this take open in its player (the room's own ``?take=``)."""
    url = clip.exercise.get_url()
    return f"{url}?take={clip.pk}#take-heading" if url else ""


def _feedback_url(clip: Any, person: Any) -> str:
    """Where a person sees a take's feedback and threads: the review room for its teachers,
    the feedback page for its student; the exercise page without the feedback plugin."""
    if not apps.is_installed("plugins.feedback"):
        return _exercise_url(clip)
    name = "feedback:take-feedback" if person.pk == clip.owner_id else "feedback:review-take"
    return reverse(name, kwargs={"clip_id": clip.pk})


def _take_name(clip: Any, *, start: str = "Take") -> str:
    return f"{start} {clip.attempt_number} of {clip.exercise.title}"


@never_raises
def on_clip_ready(sender: Any, clip: Any, **kwargs: Any) -> None:
    if clip.kind != "take":
        return
    notification_create(
        user=clip.owner,
        kind=NotificationKind.CLIP_READY,
        title=f"{_take_name(clip)} is ready to watch",
        target_type="clip",
        target_id=clip.pk,
        url=_exercise_url(clip),
        data={"clip_id": str(clip.pk), "exercise_id": str(clip.exercise.uuid)},
    )


@never_raises
def on_clip_failed(sender: Any, clip: Any, **kwargs: Any) -> None:
    if clip.kind != "take":
        return
    notification_create(
        user=clip.owner,
        kind=NotificationKind.CLIP_FAILED,
        title=f"{_take_name(clip)} could not be processed",
        body=clip.error_message,
        target_type="clip",
        target_id=clip.pk,
        url=_exercise_url(clip),
        data={
            "clip_id": str(clip.pk),
            "exercise_id": str(clip.exercise.uuid),
            "error_code": clip.error_code,
        },
    )


def _name(user: Any) -> str:
    return str(user.get_full_name() or user.username)


@never_raises
def on_feedback_published(sender: Any, feedback: Any, **kwargs: Any) -> None:
    clip = feedback.clip
    notification_create(
        user=clip.owner,
        kind=NotificationKind.FEEDBACK_PUBLISHED,
        title=f"{_name(feedback.author)} left feedback on {_take_name(clip, start='take')}",
        body=feedback.summary,
        actor=feedback.author,
        target_type="feedback",
        target_id=feedback.pk,
        url=_feedback_url(clip, clip.owner),
        data={
            "clip_id": str(clip.pk),
            "feedback_id": str(feedback.pk),
            "segment_id": str(feedback.segment_id) if feedback.segment_id else None,
            "exercise_id": str(clip.exercise.uuid),
        },
    )


MENTION = re.compile(r"(?<![\w@])@([\w.+-]{1,150})")


@never_raises
def on_thread_message_created(sender: Any, message: Any, **kwargs: Any) -> None:
    """Mentioned people get a mention; the thread's other participants one notification per
    thread that counts up while unread. Only people who may still see the thread."""
    from plugins.threads.selectors import threads_visible_to
    from practika_site.courses.models import Enrollment

    thread = message.thread
    clip = thread.segment.clip
    mentioned = set(MENTION.findall(message.body or ""))
    participant_ids = {thread.created_by_id, clip.owner_id}
    participant_ids |= set(thread.messages.values_list("author_id", flat=True))
    if participant_ids <= {message.author_id}:
        # Nobody has answered yet: a question must reach the course's teachers.
        teachers = Enrollment.objects.filter(course_id=clip.course_id, role=Enrollment.Role.TEACHER)
        participant_ids |= set(teachers.values_list("user_id", flat=True))
    people = User.objects.filter(is_active=True).filter(
        pk__in=participant_ids
    ) | User.objects.filter(is_active=True, username__in=mentioned)
    common = {
        "target_type": "thread",
        "target_id": thread.pk,
        "actor": message.author,
        "body": message.body,
    }
    data = {
        "thread_id": str(thread.pk),
        "segment_id": str(thread.segment_id),
        "clip_id": str(clip.pk),
        "message_id": str(message.pk),
        "seq": message.seq,
    }
    for person in people.distinct():
        if (
            person.pk == message.author_id
            or not threads_visible_to(person).filter(pk=thread.pk).exists()
        ):
            continue
        if person.username in mentioned:
            notification_create(
                user=person,
                kind=NotificationKind.MENTION,
                url=_feedback_url(clip, person),
                title=f"{_name(message.author)} mentioned you in “{thread.title}”",
                data=data,
                **common,
            )
        else:
            notification_create(
                user=person,
                kind=NotificationKind.THREAD_MESSAGE,
                url=_feedback_url(clip, person),
                title=f"{_name(message.author)} wrote in “{thread.title}”",
                data=data,
                coalesce=True,
                **common,
            )
