"""Reads of notifications: a user only ever sees their own."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from practika_site.core.errors import NotFound
from practika_site.users.models import User

from .models import Notification, NotificationKind, NotificationPreference


def notification_list(
    *, user: User, unread: bool | None = None, kind: str | None = None
) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(user=user).select_related("actor")
    if unread is not None:
        notifications = notifications.filter(read_at__isnull=unread)
    if kind:
        notifications = notifications.filter(kind=kind)
    return notifications.order_by("-created_at", "-id")


def notification_get(*, user: User, notification_id: UUID | str) -> Notification:
    try:
        return notification_list(user=user).get(pk=notification_id)
    except (Notification.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound("Notification not found.") from exc


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def preferences_for(*, user: User) -> dict[str, NotificationPreference]:
    """Every kind's preference; kinds without a saved row get the default (both on)."""
    saved = {p.kind: p for p in NotificationPreference.objects.filter(user=user)}
    return {
        kind: saved.get(kind) or NotificationPreference(user=user, kind=kind)
        for kind in NotificationKind.values
    }
