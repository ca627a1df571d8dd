"""Receivers that keep a changed account's open sockets honest."""

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from practika_site.core.realtime import recheck_subscriptions_on_commit

from .models import User

# Saves that change nothing about what the user may see (Django writes last_login at login).
_HARMLESS_UPDATES = frozenset({"last_login"})


@receiver(post_save, sender=User, dispatch_uid="users.on_user_saved")
def on_user_saved(
    sender: Any, instance: User, created: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    """A demoted admin or a deactivated account stops receiving what it may no longer see."""
    if created or (update_fields is not None and set(update_fields) <= _HARMLESS_UPDATES):
        return
    recheck_subscriptions_on_commit(user_id=instance.pk)
