"""``enrollment_create`` / ``enrollment_delete`` / ``page_add``."""

from __future__ import annotations

from unittest import mock

import pytest

from practika_site.courses.errors import (
    EnrollmentRoleConflict,
    NotEnrolled,
    TeacherEnrollmentLocked,
)
from practika_site.courses.models import CourseIndexPage, Enrollment
from practika_site.courses.services import enrollment_create, enrollment_delete
from practika_site.users.models import User
from tests.courses.factories import CourseTree, enroll, make_course


@pytest.mark.django_db
def test_enrollment_create_is_idempotent(tree: CourseTree, student: User) -> None:
    first, created = enrollment_create(
        course=tree.course, user=student, role=Enrollment.Role.STUDENT
    )
    again, created_again = enrollment_create(
        course=tree.course, user=student, role=Enrollment.Role.STUDENT
    )
    assert created
    assert not created_again
    assert first.pk == again.pk
    assert Enrollment.objects.count() == 1


@pytest.mark.django_db
def test_enrollment_create_refuses_another_role(tree: CourseTree, teacher: User) -> None:
    enroll(teacher, tree.course, Enrollment.Role.TEACHER)
    with pytest.raises(EnrollmentRoleConflict) as excinfo:
        enrollment_create(course=tree.course, user=teacher, role=Enrollment.Role.STUDENT)
    assert excinfo.value.http_status == 409
    assert excinfo.value.details["role"] == "teacher"
    assert Enrollment.objects.get().role == Enrollment.Role.TEACHER


@pytest.mark.django_db
def test_enrollment_create_survives_a_concurrent_insert(tree: CourseTree, student: User) -> None:
    """Another request enrolls between our read and our insert: we return its row."""

    def other_request_wins(self: Enrollment, *args: object, **kwargs: object) -> None:
        Enrollment.objects.create(course=tree.course, user=student, role=self.role)

    # full_clean runs between our lookup and our insert: the other row lands there.
    with mock.patch.object(Enrollment, "full_clean", other_request_wins):
        enrollment, created = enrollment_create(
            course=tree.course, user=student, role=Enrollment.Role.STUDENT
        )
    winner = Enrollment.objects.get()
    assert not created
    assert enrollment.pk == winner.pk
    assert Enrollment.objects.count() == 1


@pytest.mark.django_db
def test_enrollment_delete(tree: CourseTree, student: User, teacher: User) -> None:
    enroll(student, tree.course)
    enroll(teacher, tree.course, Enrollment.Role.TEACHER)
    enrollment_delete(course=tree.course, user=student)
    with pytest.raises(NotEnrolled):
        enrollment_delete(course=tree.course, user=student)
    with pytest.raises(TeacherEnrollmentLocked):
        enrollment_delete(course=tree.course, user=teacher)
    assert list(Enrollment.objects.values_list("user__username", flat=True)) == ["teacher"]


@pytest.mark.django_db
def test_deleting_a_course_deletes_its_enrollments(index: CourseIndexPage, student: User) -> None:
    course = make_course(index)
    enroll(student, course)
    course.delete()
    assert not Enrollment.objects.exists()


@pytest.mark.django_db
def test_page_add_draft_and_published(index: CourseIndexPage) -> None:
    draft = make_course(index, publish=False)
    published = make_course(index)
    assert not draft.live
    assert draft.latest_revision is not None
    assert draft.live_revision is None
    assert published.live
    assert published.live_revision == published.latest_revision
