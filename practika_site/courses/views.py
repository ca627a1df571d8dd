"""Site views behind the course page's own routes (``<course url>enroll/``, ``leave/``).

Wagtail has already routed to a live course and applied page privacy before these run.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from practika_site.core.errors import PractikaError
from practika_site.users.models import User

from .models import CoursePage, Enrollment
from .services import enrollment_create, enrollment_delete


def _back_to(course: CoursePage, request: HttpRequest) -> HttpResponse:
    return redirect(course.get_url(request) or "/")


def course_enroll(request: HttpRequest, *, course: CoursePage) -> HttpResponse:
    if request.method != "POST":
        return _back_to(course, request)
    if not isinstance(request.user, User):
        return redirect_to_login(course.get_url(request) or "/")
    try:
        _, created = enrollment_create(
            course=course, user=request.user, role=Enrollment.Role.STUDENT
        )
    except PractikaError as exc:
        messages.error(request, exc.message)
    else:
        if created:
            messages.success(request, f"You are enrolled in {course.title}.")
        else:
            messages.info(request, f"You were already enrolled in {course.title}.")
    return _back_to(course, request)


def course_leave(request: HttpRequest, *, course: CoursePage) -> HttpResponse:
    if request.method != "POST":
        return _back_to(course, request)
    if not isinstance(request.user, User):
        return redirect_to_login(course.get_url(request) or "/")
    try:
        enrollment_delete(course=course, user=request.user)
    except PractikaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"You left {course.title}.")
    return _back_to(course, request)
