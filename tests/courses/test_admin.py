"""Enrollments in the Wagtail admin (snippets) and the Django admin."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from practika_site.courses.models import Enrollment
from practika_site.users.models import User
from tests.courses.factories import CourseTree, enroll


@pytest.fixture
def admin_client_(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.mark.django_db
def test_snippet_listing_filters_and_searches(
    tree: CourseTree, student: User, teacher: User, admin_client_: Client
) -> None:
    enroll(student, tree.course)
    enroll(teacher, tree.course, Enrollment.Role.TEACHER)
    url = reverse("wagtailsnippets_courses_enrollment:list")
    assert admin_client_.get(url).status_code == 200

    by_role = admin_client_.get(url, {"role": "teacher", "course": tree.course.pk})
    assert by_role.status_code == 200
    assert [str(e.user) for e in by_role.context["object_list"]] == ["teacher"]
    by_name = admin_client_.get(url, {"q": "stud"})
    assert [str(e.user) for e in by_name.context["object_list"]] == ["student"]


@pytest.mark.django_db
def test_admin_enrolls_a_teacher_through_the_snippet(
    tree: CourseTree, teacher: User, admin_client_: Client
) -> None:
    url = reverse("wagtailsnippets_courses_enrollment:add")
    data = {"course": tree.course.pk, "user": teacher.pk, "role": "teacher"}
    response = admin_client_.post(url, data)
    assert response.status_code == 302
    assert Enrollment.objects.get(user=teacher).role == Enrollment.Role.TEACHER
    duplicate = admin_client_.post(url, {**data, "role": "student"})
    assert duplicate.status_code == 200  # the form shows the unique (course, user) error
    assert Enrollment.objects.count() == 1


@pytest.mark.django_db
def test_teachers_cannot_manage_enrollments(teacher: User) -> None:
    client = Client()
    client.force_login(teacher)
    response = client.get(reverse("wagtailsnippets_courses_enrollment:list"))
    assert response.status_code in {302, 403}


@pytest.mark.django_db
def test_django_admin_changelist(tree: CourseTree, student: User, admin_client_: Client) -> None:
    enroll(student, tree.course)
    url = reverse("admin:courses_enrollment_changelist")
    response = admin_client_.get(url, {"q": "student", "role__exact": "student"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
