"""The review queue's link in the site header, for those who review takes."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from wagtail import hooks

from practika_site.users.models import User


@hooks.register("practika_header_items")
def review_queue_link(request: HttpRequest) -> SafeString | None:
    # By role only: the header is on every page, and a query per page is not worth it for
    # the rare student who teaches a course (the queue page itself lets them in).
    user = request.user
    if not isinstance(user, User):
        return None
    if user.role != User.Role.TEACHER and not user.is_practika_admin:
        return None
    return format_html('<a href="{}">Review queue</a>', reverse("feedback:review-queue"))
