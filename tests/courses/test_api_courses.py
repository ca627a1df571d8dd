"""``/api/v1/courses/``: the catalog, the course tree and enrollment."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from practika_site.courses.models import CourseIndexPage, Enrollment
from practika_site.users.models import User
from tests.courses.factories import (
    CourseTree,
    assert_error,
    enroll,
    make_course,
    make_course_tree,
)

ClientFor = Callable[[User], APIClient]


@pytest.mark.django_db
def test_list_is_the_catalog(
    index: CourseIndexPage, tree: CourseTree, student: User, client_for: ClientFor
) -> None:
    second = make_course(index, title="Second")
    response = client_for(student).get("/api/v1/courses/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first = body["results"][0]
    assert first == {
        "id": str(tree.course.uuid),
        "title": "Guitar foundations",
        "url": f"http://testserver{tree.course.url}",
        "summary": tree.course.summary,
        "level": "beginner",
        "enrolled_as": None,
        "module_count": 2,
        "lesson_count": 4,
        "exercise_count": 8,
    }
    assert body["results"][1]["id"] == str(second.uuid)
    assert body["results"][1]["module_count"] == 0


@pytest.mark.django_db
def test_url_follows_the_request_host(
    tree: CourseTree, student: User, client_for: ClientFor
) -> None:
    response = client_for(student).get(
        "/api/v1/courses/", HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https"
    )
    assert response.json()["results"][0]["url"] == f"https://localhost{tree.course.url}"


@pytest.mark.django_db
def test_detail_is_the_tree_in_order(
    tree: CourseTree, student: User, client_for: ClientFor
) -> None:
    response = client_for(student).get(f"/api/v1/courses/{tree.course.uuid}/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(tree.course.uuid)
    assert body["description"] == ""
    assert [m["id"] for m in body["modules"]] == [str(m.uuid) for m in tree.modules]
    lessons = [lesson for module in body["modules"] for lesson in module["lessons"]]
    assert [lesson["id"] for lesson in lessons] == [str(lesson.uuid) for lesson in tree.lessons]
    exercises = [exercise for lesson in lessons for exercise in lesson["exercises"]]
    assert [e["id"] for e in exercises] == [str(e.uuid) for e in tree.exercises]
    first = exercises[0]
    assert first["url"] == f"http://testserver{tree.exercises[0].url}"
    assert set(first) == {"id", "title", "url", "target_duration_sec", "max_takes"}
    assert body["modules"][0]["url"].startswith("http://testserver/")


@pytest.mark.django_db
def test_detail_unknown_or_malformed_id_is_404(student: User, client_for: ClientFor) -> None:
    client = client_for(student)
    assert_error(
        client.get("/api/v1/courses/7d9f1c58-0e4e-4bd0-8a52-1f0f1a1b2c3d/"), 404, "not_found"
    )
    assert_error(client.get("/api/v1/courses/not-a-uuid/"), 404, "not_found")
    assert_error(client.post("/api/v1/courses/12/enroll/"), 404, "not_found")


@pytest.mark.django_db
def test_enroll_is_idempotent(tree: CourseTree, student: User, client_for: ClientFor) -> None:
    client = client_for(student)
    url = f"/api/v1/courses/{tree.course.uuid}/enroll/"

    created = client.post(url)
    assert created.status_code == 201
    body = created.json()
    assert body["role"] == "student"
    assert body["course"] == {"id": str(tree.course.uuid), "title": tree.course.title}

    again = client.post(url)
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert Enrollment.objects.filter(user=student).count() == 1
    assert client.get(f"/api/v1/courses/{tree.course.uuid}/").json()["enrolled_as"] == "student"


@pytest.mark.django_db
def test_enroll_ignores_a_role_in_the_body(
    tree: CourseTree, student: User, client_for: ClientFor
) -> None:
    response = client_for(student).post(
        f"/api/v1/courses/{tree.course.uuid}/enroll/", {"role": "teacher", "user": "x"}
    )
    assert response.status_code == 201
    assert Enrollment.objects.get(user=student).role == Enrollment.Role.STUDENT


@pytest.mark.django_db
def test_teacher_of_the_course_cannot_enroll_as_student(
    tree: CourseTree, teacher: User, client_for: ClientFor
) -> None:
    enroll(teacher, tree.course, Enrollment.Role.TEACHER)
    client = client_for(teacher)
    url = f"/api/v1/courses/{tree.course.uuid}/enroll/"
    details = assert_error(client.post(url), 409, "enrollment_role_conflict")
    assert details == {"course_id": str(tree.course.uuid), "role": "teacher"}
    assert_error(client.delete(url), 403, "teacher_enrollment_locked")
    assert Enrollment.objects.get(user=teacher).role == Enrollment.Role.TEACHER


@pytest.mark.django_db
def test_unenroll(tree: CourseTree, student: User, client_for: ClientFor) -> None:
    enroll(student, tree.course)
    client = client_for(student)
    url = f"/api/v1/courses/{tree.course.uuid}/enroll/"
    assert client.delete(url).status_code == 204
    assert not Enrollment.objects.exists()
    assert_error(client.delete(url), 404, "not_enrolled")


@pytest.mark.django_db
def test_enroll_in_another_course_leaves_the_first(
    index: CourseIndexPage, tree: CourseTree, student: User, client_for: ClientFor
) -> None:
    other = make_course_tree(index, modules=1, lessons=1, exercises=1)
    enroll(student, tree.course)
    client = client_for(student)
    assert client.post(f"/api/v1/courses/{other.course.uuid}/enroll/").status_code == 201
    assert client.delete(f"/api/v1/courses/{other.course.uuid}/enroll/").status_code == 204
    assert list(Enrollment.objects.values_list("course_id", flat=True)) == [tree.course.pk]


@pytest.mark.django_db
def test_wrong_method_is_405(tree: CourseTree, student: User, client_for: ClientFor) -> None:
    client = client_for(student)
    assert_error(client.put(f"/api/v1/courses/{tree.course.uuid}/"), 405, "method_not_allowed")
    assert_error(client.post("/api/v1/courses/", {}), 405, "method_not_allowed")
