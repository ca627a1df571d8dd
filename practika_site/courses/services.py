"""Writes: enrollment, and adding pages the way the Wagtail admin does."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from wagtail.models import Page

from practika_site.users.models import User

from .errors import EnrollmentRoleConflict, NotEnrolled, TeacherEnrollmentLocked
from .models import CoursePage, Enrollment


@transaction.atomic
def enrollment_create(
    *, course: CoursePage, user: User, role: Enrollment.Role
) -> tuple[Enrollment, bool]:
    """Enroll ``user``; idempotent. Returns the enrollment and whether it is new."""
    enrollment = Enrollment.objects.filter(course=course, user=user).first()
    if enrollment is None:
        enrollment = Enrollment(course=course, user=user, role=role)
        # The unique (course, user) is settled by the insert: a concurrent request may win.
        enrollment.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                enrollment.save()
        except IntegrityError:
            enrollment = Enrollment.objects.get(course=course, user=user)
        else:
            return enrollment, True
    if enrollment.role != role:
        raise EnrollmentRoleConflict(
            details={"course_id": str(course.uuid), "role": enrollment.role}
        )
    return enrollment, False


@transaction.atomic
def enrollment_delete(*, course: CoursePage, user: User) -> None:
    """A student leaves a course; teacher enrollments belong to admins."""
    enrollment = Enrollment.objects.select_for_update().filter(course=course, user=user).first()
    if enrollment is None:
        raise NotEnrolled(details={"course_id": str(course.uuid)})
    if enrollment.is_teacher:
        raise TeacherEnrollmentLocked(details={"course_id": str(course.uuid)})
    enrollment.delete()


@transaction.atomic
def page_add(*, parent: Page, page: Any, user: User | None = None, publish: bool = True) -> Any:
    """Add ``page`` under ``parent`` with a first revision, published or left as a draft,
    exactly as the Wagtail admin's add view does."""
    if not publish:
        page.live = False  # what the admin's "Save draft" does before adding the page
    parent.add_child(instance=page)
    revision = page.save_revision(user=user, log_action=True)
    if publish:
        revision.publish(user=user)
        page.refresh_from_db()
    return page
