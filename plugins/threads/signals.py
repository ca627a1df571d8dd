"""The signal threads send, and the receivers that keep live subscriptions honest."""

from typing import Any

from django.db.models.signals import post_delete
from django.dispatch import Signal, receiver

from practika_site.core.realtime import recheck_subscriptions_on_commit

from .models import PracticeThread

TOPIC_KIND = "thread"

thread_message_created = Signal()
"""Sent after the commit that stored a new message (REST or websocket alike).

sender: ``ThreadMessage``; kwargs: ``message`` (its ``thread``, ``thread.segment.clip`` and
``author`` loaded). Sent with ``send_robust``: a receiver's exception is logged and the
others still run; return values are ignored. Notifications hook here.
"""


@receiver(post_delete, sender=PracticeThread, dispatch_uid="threads.on_thread_deleted")
def on_thread_deleted(sender: Any, instance: PracticeThread, **kwargs: Any) -> None:
    """A thread gone with its segment or clip: its subscribers are told and dropped."""
    recheck_subscriptions_on_commit(topic=instance.topic)
