"""Receivers that keep open sockets honest when course membership changes."""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from practika_site.core.realtime import recheck_subscriptions_on_commit

from .models import Enrollment


@receiver(post_delete, sender=Enrollment, dispatch_uid="courses.on_enrollment_deleted")
def on_enrollment_deleted(sender: Any, instance: Enrollment, **kwargs: Any) -> None:
    """A user removed from a course stops receiving what only its members see (its threads,
    its review queue), on every open socket and for every topic kind."""
    recheck_subscriptions_on_commit(user_id=instance.user_id)


@receiver(post_save, sender=Enrollment, dispatch_uid="courses.on_enrollment_saved")
def on_enrollment_saved(sender: Any, instance: Enrollment, created: bool, **kwargs: Any) -> None:
    """A teacher made a student of the course no longer sees the other students' threads or
    the course's review queue. (A new enrollment only adds what may be seen.)"""
    if not created:
        recheck_subscriptions_on_commit(user_id=instance.user_id)
