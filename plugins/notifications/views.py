"""Site pages: the notification list and the email/in-app switches per kind."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from practika_site.users.models import User

from .models import NotificationKind
from .selectors import notification_list, preferences_for
from .services import notification_preferences_update, notifications_mark_read

PAGE_SIZE = 50


@login_required
@require_http_methods(["GET", "POST"])
def notification_list_page(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    if request.method == "POST":
        notifications_mark_read(user=request.user, everything=True)
        return redirect("notifications:list")
    notifications = notification_list(user=request.user)[:PAGE_SIZE]
    return render(request, "plugins/notifications/list.html", {"notifications": notifications})


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings_page(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    if request.method == "POST":
        notification_preferences_update(
            user=request.user,
            changes=[
                {
                    "kind": kind,
                    "in_app": f"{kind}-in_app" in request.POST,
                    "email": f"{kind}-email" in request.POST,
                }
                for kind in NotificationKind.values
            ],
        )
        messages.success(request, "Your notification settings are saved.")
        return redirect("notifications:settings")
    labels = dict(NotificationKind.choices)
    rows = [
        {"kind": kind, "label": labels[kind], "in_app": p.in_app, "email": p.email}
        for kind, p in preferences_for(user=request.user).items()
    ]
    return render(request, "plugins/notifications/settings.html", {"rows": rows})
