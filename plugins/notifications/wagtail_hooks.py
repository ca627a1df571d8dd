"""The bell in the site header: live unread count and a dropdown of the latest."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from wagtail import hooks

from practika_site.users.models import User

from .selectors import unread_count


@hooks.register("practika_header_items")
def notification_bell(request: HttpRequest) -> str | None:
    if not isinstance(request.user, User):
        return None
    return render_to_string(
        "plugins/notifications/bell.html",
        {"unread": unread_count(user=request.user), "user_id": request.user.pk},
        request=request,
    )
