"""The signal threads send, and the receivers that keep live subscriptions honest."""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from practika_site.core.realtime import recheck_subscriptions_on_commit
from practika_site.courses.models import Enrollment

from .models import PracticeThread

TOPIC_KIND = "thread"

thread_message_created = Signal()
"""Sent after the commit that stored a new message (REST or websocket alike).

sender: ``ThreadMessage``; kwargs: ``message`` (its ``thread``, ``thread.segment.clip`` and
``author`` loaded). Sent with ``send_robust``: a receiver's exception is logged and the
others still run; return values are ignored. Notifications hook here.
"""


@receiver(post_delete, sender=Enrollment, dispatch_uid="threads.on_enrollment_deleted")
def on_enrollment_deleted(sender: Any, instance: Enrollment, **kwargs: Any) -> None:
    """A user removed from a course stops receiving its threads on every open socket."""
    recheck_subscriptions_on_commit(user_id=instance.user_id, kind=TOPIC_KIND)


@receiver(post_save, sender=Enrollment, dispatch_uid="threads.on_enrollment_saved")
def on_enrollment_saved(sender: Any, instance: Enrollment, created: bool, **kwargs: Any) -> None:
    """A teacher made a student of the course no longer sees the other students' threads."""
    if not created:
        recheck_subscriptions_on_commit(user_id=instance.user_id, kind=TOPIC_KIND)


@receiver(post_delete, sender=PracticeThread, dispatch_uid="threads.on_thread_deleted")
def on_thread_deleted(sender: Any, instance: PracticeThread, **kwargs: Any) -> None:
    """A thread gone with its segment or clip: its subscribers are told and dropped."""
    recheck_subscriptions_on_commit(topic=instance.topic)
