"""Writes of notifications: create (live event + email on commit), mark read, preferences,
and the email sender with its digest rule.

Email rule: the first notification after a quiet spell is mailed at once; those that arrive
within ``PRACTIKA_NOTIFICATION_DIGEST_SECONDS`` of the last mail wait and leave together in
one digest at the end of that window. Read ones are never mailed (the user has seen them).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from practika_site.core.errors import InvalidInput, NotFound
from practika_site.core.realtime import publish_on_commit
from practika_site.users.models import User

from .models import Notification, NotificationKind, NotificationPreference
from .selectors import preferences_for, unread_count
from .serializers import notification_data

logger = logging.getLogger(__name__)

BODY_LIMIT = 300


def user_topic(user_id: UUID | str) -> str:
    return f"user:{user_id}"


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= BODY_LIMIT else text[: BODY_LIMIT - 1].rstrip() + "…"


def _announce(notification: Notification, event_type: str) -> None:
    data = {**notification_data(notification), "unread_count": unread_count(user=notification.user)}
    publish_on_commit(user_topic(notification.user_id), event_type, data)


def _email_on_commit(user: User) -> None:
    from .tasks import notification_emails_task

    user_id = str(user.pk)
    transaction.on_commit(lambda: notification_emails_task(user_id), robust=True)


@transaction.atomic
def notification_create(
    *,
    user: User,
    kind: NotificationKind,
    title: str,
    target_type: str,
    target_id: UUID,
    url: str = "",
    body: str = "",
    actor: User | None = None,
    data: Mapping[str, Any] | None = None,
    coalesce: bool = False,
) -> Notification | None:
    """Tell ``user``; ``None`` when they switched this kind off in the app.

    ``coalesce``: an unread notification of the same kind and target is brought up to date
    (a count in ``data``) instead of adding one per message to a busy thread.
    """
    if actor is not None and actor.pk == user.pk:
        return None  # nobody is told about what they did themselves
    preference = preferences_for(user=user)[kind]
    if not preference.in_app:
        return None
    existing = None
    if coalesce:
        existing = (
            Notification.objects.select_for_update()
            .filter(user=user, kind=kind, target_id=target_id, read_at__isnull=True)
            .first()
        )
    if existing is not None:
        count = int(existing.data.get("count", 1)) + 1
        existing.title, existing.body, existing.actor = title[:200], _excerpt(body), actor
        existing.data = {**existing.data, **(data or {}), "count": count}
        existing.created_at = timezone.now()  # back to the top of the list
        existing.emailed_at = None
        existing.save()
        notification, event_type = existing, "notification.updated"
    else:
        notification = Notification.objects.create(
            user=user,
            kind=kind,
            title=title[:200],
            body=_excerpt(body),
            actor=actor,
            target_type=target_type,
            target_id=target_id,
            url=url[:500],
            data=dict(data or {}),
        )
        event_type = "notification.created"
    _announce(notification, event_type)
    if preference.email and user.email:
        _email_on_commit(user)
    return notification


@transaction.atomic
def notifications_mark_read(
    *, user: User, ids: Sequence[UUID] | None = None, everything: bool = False
) -> int:
    """Mark some (all of ``ids`` must be the user's, or nothing changes) or all read."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if everything:
        targets = list(unread.values_list("pk", flat=True))
    else:
        wanted = set(ids or [])
        owned = set(
            Notification.objects.filter(user=user, pk__in=wanted).values_list("pk", flat=True)
        )
        if owned != wanted:
            raise NotFound(
                "Notification not found.",
                details={"ids": sorted(str(i) for i in wanted - owned)},
            )
        targets = list(unread.filter(pk__in=wanted).values_list("pk", flat=True))
    marked = Notification.objects.filter(pk__in=targets).update(read_at=timezone.now())
    if marked:
        publish_on_commit(
            user_topic(user.pk),
            "notification.read",
            {"ids": [str(pk) for pk in targets], "unread_count": unread_count(user=user)},
        )
    return marked


@transaction.atomic
def notification_preferences_update(
    *, user: User, changes: Iterable[Mapping[str, Any]]
) -> dict[str, NotificationPreference]:
    current = preferences_for(user=user)
    for change in changes:
        kind = change.get("kind")
        if kind not in current:
            raise InvalidInput(details={"kind": [f"Unknown kind {kind!r}."]})
        preference = current[kind]
        for channel in ("in_app", "email"):
            if channel in change:
                setattr(preference, channel, bool(change[channel]))
        preference.save()
    return preferences_for(user=user)


def _digest_window() -> timedelta:
    return timedelta(seconds=settings.PRACTIKA_NOTIFICATION_DIGEST_SECONDS)


def _emailable(user: User) -> list[Notification]:
    muted = [
        kind for kind, preference in preferences_for(user=user).items() if not preference.email
    ]
    return list(
        Notification.objects.filter(user=user, emailed_at__isnull=True, read_at__isnull=True)
        .exclude(kind__in=muted)
        .select_related("actor")
        .order_by("created_at")
    )


def _absolute(url: str) -> str:
    base: str = settings.PRACTIKA_SITE_URL
    return base.rstrip("/") + url if url.startswith("/") else url


def _send(user: User, notifications: Sequence[Notification]) -> None:
    items = [{"notification": n, "link": _absolute(n.url)} for n in notifications]
    context = {
        "user": user,
        "items": items,
        "site_url": settings.PRACTIKA_SITE_URL,
        "settings_url": _absolute(reverse("notifications:settings")),
    }
    if len(notifications) == 1:
        subject = notifications[0].title
    else:
        subject = f"{len(notifications)} new notifications on Practika"
    message = EmailMultiAlternatives(
        subject=subject[:150],
        body=render_to_string("plugins/notifications/email.txt", context),
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string("plugins/notifications/email.html", context), "text/html"
    )
    message.send()


def notification_emails_send(*, user_id: UUID, now: datetime | None = None) -> datetime | None:
    """Mail what is due for one user. Returns when to try again (digest), else ``None``.

    Runs in the worker; safe to run twice at once (the user row is locked) or again later
    (mailed notifications are marked and skipped).
    """
    now = now or timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
        if user is None or not user.email:
            return None
        pending = _emailable(user)
        if not pending:
            return None
        last = Notification.objects.filter(user=user, emailed_at__isnull=False).aggregate(
            last=Max("emailed_at")
        )["last"]
        if last is not None and now < last + _digest_window():
            return last + _digest_window()
        _send(user, pending)
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=now)
    logger.info("Mailed %d notification(s) to user %s.", len(pending), user_id)
    return None
