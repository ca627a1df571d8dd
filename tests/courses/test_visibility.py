"""Who sees which course pages: live, public, enrolled; the same rules on every endpoint."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest
from rest_framework.test import APIClient
from wagtail.models import Page

from practika_site.courses.models import CourseIndexPage, Enrollment, ExercisePage
from practika_site.users.models import User
from tests.courses.factories import (
    CourseTree,
    assert_error,
    enroll,
    make_course,
    make_course_tree,
    make_exercise,
    make_private,
    unpublish,
)

ClientFor = Callable[[User], APIClient]


def _exercise_ids(client: APIClient, query: str = "") -> set[str]:
    response = client.get(f"/api/v1/exercises/{query}")
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


def _course_ids(client: APIClient) -> set[str]:
    response = client.get("/api/v1/courses/")
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


def _ids(pages: Iterable[Page]) -> set[str]:
    return {str(page.uuid) for page in pages}


@pytest.mark.django_db
def test_two_students_on_every_endpoint(
    tree: CourseTree, student: User, student2: User, client_for: ClientFor
) -> None:
    enroll(student, tree.course)
    mine, theirs = client_for(student), client_for(student2)
    exercise = tree.exercises[0]
    course_url = f"/api/v1/courses/{tree.course.uuid}/"

    # The catalog is public to every signed-in user; enrolled_as is the caller's own.
    assert mine.get("/api/v1/courses/").json()["results"][0]["enrolled_as"] == "student"
    assert theirs.get("/api/v1/courses/").json()["results"][0]["enrolled_as"] is None
    assert mine.get(course_url).json()["enrolled_as"] == "student"
    assert theirs.get(course_url).json()["enrolled_as"] is None

    # Exercises are only for the enrolled.
    assert _exercise_ids(mine) == _ids(tree.exercises)
    assert _exercise_ids(theirs) == set()
    assert mine.get(f"/api/v1/exercises/{exercise.uuid}/").status_code == 200
    assert_error(theirs.get(f"/api/v1/exercises/{exercise.uuid}/"), 404, "not_found")
    assert _exercise_ids(theirs, f"?course={tree.course.uuid}") == set()

    # student2's leaving attempt does not touch student's enrollment.
    assert_error(theirs.delete(f"{course_url}enroll/"), 404, "not_enrolled")
    assert Enrollment.objects.filter(user=student).count() == 1


@pytest.mark.django_db
def test_teacher_sees_exercises_only_where_enrolled(
    index: CourseIndexPage, tree: CourseTree, teacher: User, client_for: ClientFor
) -> None:
    other = make_course_tree(index, modules=1, lessons=1, exercises=1)
    enroll(teacher, tree.course, Enrollment.Role.TEACHER)
    client = client_for(teacher)
    assert _exercise_ids(client) == _ids(tree.exercises)
    assert_error(client.get(f"/api/v1/exercises/{other.exercises[0].uuid}/"), 404, "not_found")


@pytest.mark.django_db
def test_admin_sees_every_live_public_exercise(
    index: CourseIndexPage, tree: CourseTree, admin_user: User, client_for: ClientFor
) -> None:
    other = make_course_tree(index, modules=1, lessons=1, exercises=1)
    draft = make_exercise(other.lessons[0], publish=False)
    client = client_for(admin_user)
    assert _exercise_ids(client) == _ids(tree.exercises + other.exercises)
    assert_error(client.get(f"/api/v1/exercises/{draft.uuid}/"), 404, "not_found")


@pytest.mark.django_db
def test_draft_course_is_hidden_everywhere(
    index: CourseIndexPage, student: User, client_for: ClientFor
) -> None:
    course = make_course(index, publish=False)
    client = client_for(student)
    assert _course_ids(client) == set()
    assert_error(client.get(f"/api/v1/courses/{course.uuid}/"), 404, "not_found")
    assert_error(client.post(f"/api/v1/courses/{course.uuid}/enroll/"), 404, "not_found")
    assert not Enrollment.objects.exists()


@pytest.mark.django_db
def test_unpublished_pages_hide_their_subtree(
    tree: CourseTree, enrolled_student: User, client_for: ClientFor
) -> None:
    client = client_for(enrolled_student)
    module, lesson_in_other_module = tree.modules[0], tree.lessons[2]
    unpublish(module)  # its lessons and exercises stay live in Wagtail's eyes
    unpublish(lesson_in_other_module)

    assert ExercisePage.objects.get(pk=tree.exercises[0].pk).live
    visible = set(_ids(tree.exercises[6:]))
    assert _exercise_ids(client) == visible
    hidden_exercise = tree.exercises[0]
    assert_error(client.get(f"/api/v1/exercises/{hidden_exercise.uuid}/"), 404, "not_found")

    detail = client.get(f"/api/v1/courses/{tree.course.uuid}/").json()
    assert [m["id"] for m in detail["modules"]] == [str(tree.modules[1].uuid)]
    assert [lesson["id"] for lesson in detail["modules"][0]["lessons"]] == [
        str(tree.lessons[3].uuid)
    ]
    course = client.get("/api/v1/courses/").json()["results"][0]
    assert (course["module_count"], course["lesson_count"], course["exercise_count"]) == (1, 1, 2)


@pytest.mark.django_db
def test_unpublished_course_hides_exercises_of_enrolled_students(
    tree: CourseTree, enrolled_student: User, client_for: ClientFor
) -> None:
    unpublish(tree.course)
    client = client_for(enrolled_student)
    assert _exercise_ids(client) == set()
    assert _course_ids(client) == set()


@pytest.mark.django_db
def test_private_pages_are_hidden(
    index: CourseIndexPage, tree: CourseTree, enrolled_student: User, client_for: ClientFor
) -> None:
    private_course = make_course_tree(index, modules=1, lessons=1, exercises=1)
    enroll(enrolled_student, private_course.course)
    make_private(private_course.course)
    make_private(tree.lessons[0])
    client = client_for(enrolled_student)

    assert _course_ids(client) == {str(tree.course.uuid)}
    assert_error(client.get(f"/api/v1/courses/{private_course.course.uuid}/"), 404, "not_found")
    assert _exercise_ids(client) == _ids(tree.exercises[2:])
    hidden = private_course.exercises[0]
    assert_error(client.get(f"/api/v1/exercises/{hidden.uuid}/"), 404, "not_found")
    lessons = client.get(f"/api/v1/courses/{tree.course.uuid}/").json()["modules"][0]["lessons"]
    assert [lesson["id"] for lesson in lessons] == [str(tree.lessons[1].uuid)]


@pytest.mark.django_db
def test_anonymous_callers_get_401(tree: CourseTree, anon_client: APIClient) -> None:
    for url in (
        "/api/v1/courses/",
        f"/api/v1/courses/{tree.course.uuid}/",
        "/api/v1/exercises/",
        f"/api/v1/exercises/{tree.exercises[0].uuid}/",
    ):
        assert_error(anon_client.get(url), 401, "not_authenticated")
    assert_error(
        anon_client.post(f"/api/v1/courses/{tree.course.uuid}/enroll/"), 401, "not_authenticated"
    )
    assert not Enrollment.objects.exists()
