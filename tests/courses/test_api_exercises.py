"""``/api/v1/exercises/``: the exercises a caller can practise, filters and detail."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from practika_site.courses.models import CourseIndexPage
from practika_site.users.models import User
from tests.courses.factories import (
    CourseTree,
    assert_error,
    enroll,
    make_course_tree,
    make_exercise,
)

ClientFor = Callable[[User], APIClient]


@pytest.fixture
def two_courses(index: CourseIndexPage, tree: CourseTree, student: User) -> CourseTree:
    """``tree`` plus a second course; the student is enrolled in both."""
    other = make_course_tree(index, modules=1, lessons=1, exercises=2)
    enroll(student, tree.course)
    enroll(student, other.course)
    return other


def _titles(response: object) -> list[str]:
    assert response.status_code == 200, response.content  # type: ignore[attr-defined]
    return [item["title"] for item in response.json()["results"]]  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_list_item_shape(tree: CourseTree, enrolled_student: User, client_for: ClientFor) -> None:
    response = client_for(enrolled_student).get("/api/v1/exercises/")
    body = response.json()
    assert body["count"] == 8
    first, exercise = body["results"][0], tree.exercises[0]
    assert first == {
        "id": str(exercise.uuid),
        "title": exercise.title,
        "url": f"http://testserver{exercise.url}",
        "target_duration_sec": 60,
        "max_takes": None,
        "course": {"id": str(tree.course.uuid), "title": tree.course.title},
        "module": {"id": str(tree.modules[0].uuid), "title": tree.modules[0].title},
        "lesson": {"id": str(tree.lessons[0].uuid), "title": tree.lessons[0].title},
    }


@pytest.mark.django_db
def test_detail(tree: CourseTree, enrolled_student: User, client_for: ClientFor) -> None:
    lesson = tree.lessons[3]
    exercise = make_exercise(
        lesson,
        title="Strumming",
        instructions=f'<p>Play <a linktype="page" id="{lesson.pk}">this</a> pattern.</p>',
        target_duration_sec=90,
        max_takes=3,
        criteria=("Timing", "Feel"),
    )
    response = client_for(enrolled_student).get(f"/api/v1/exercises/{exercise.uuid}/")
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Strumming"
    assert body["target_duration_sec"] == 90
    assert body["max_takes"] == 3
    assert body["url"] == f"http://testserver{exercise.url}"
    # Internal page links are expanded to real URLs.
    assert f'<a href="{lesson.url}">this</a>' in body["instructions"]
    assert body["lesson"] == {"id": str(lesson.uuid), "title": lesson.title}
    assert body["module"]["id"] == str(tree.modules[1].uuid)
    assert body["course"]["id"] == str(tree.course.uuid)
    criteria = list(exercise.rubric_criteria.all())
    assert body["rubric_criteria"] == [
        {"id": str(c.uuid), "name": c.name, "description": c.description, "max_score": 5}
        for c in criteria
    ]


@pytest.mark.django_db
def test_filter_by_course_and_lesson(
    tree: CourseTree, two_courses: CourseTree, student: User, client_for: ClientFor
) -> None:
    client = client_for(student)
    assert len(_titles(client.get("/api/v1/exercises/"))) == 10
    by_course = _titles(client.get(f"/api/v1/exercises/?course={two_courses.course.uuid}"))
    assert by_course == [e.title for e in two_courses.exercises]
    lesson = tree.lessons[1]
    by_lesson = _titles(client.get(f"/api/v1/exercises/?lesson={lesson.uuid}"))
    assert by_lesson == [e.title for e in tree.exercises[2:4]]
    mismatch = client.get(
        f"/api/v1/exercises/?course={two_courses.course.uuid}&lesson={lesson.uuid}"
    )
    assert _titles(mismatch) == []


@pytest.mark.django_db
def test_search(tree: CourseTree, enrolled_student: User, client_for: ClientFor) -> None:
    make_exercise(tree.lessons[0], title="Barre chord drill")
    make_exercise(tree.lessons[1], title="Other", instructions="<p>Use a BARRE on fret 5.</p>")
    client = client_for(enrolled_student)
    assert _titles(client.get("/api/v1/exercises/?search=barre")) == ["Barre chord drill", "Other"]
    assert _titles(client.get("/api/v1/exercises/?search=nothing-like-this")) == []
    assert len(_titles(client.get("/api/v1/exercises/?search="))) == 10


@pytest.mark.django_db
def test_unknown_filter_ids_match_nothing(
    tree: CourseTree, enrolled_student: User, client_for: ClientFor
) -> None:
    client = client_for(enrolled_student)
    missing = "7d9f1c58-0e4e-4bd0-8a52-1f0f1a1b2c3d"
    assert _titles(client.get(f"/api/v1/exercises/?course={missing}")) == []
    assert _titles(client.get(f"/api/v1/exercises/?lesson={tree.exercises[0].uuid}")) == []


@pytest.mark.django_db
def test_bad_filter_values_are_400(enrolled_student: User, client_for: ClientFor) -> None:
    client = client_for(enrolled_student)
    details = assert_error(client.get("/api/v1/exercises/?course=12&lesson=abc"), 400, "invalid")
    assert set(details) == {"course", "lesson"}
    assert all(isinstance(message, str) for message in details["course"])
    details = assert_error(client.get("/api/v1/exercises/?search=" + "x" * 201), 400, "invalid")
    assert set(details) == {"search"}


@pytest.mark.django_db
def test_malformed_or_unknown_id_is_404(enrolled_student: User, client_for: ClientFor) -> None:
    client = client_for(enrolled_student)
    assert_error(client.get("/api/v1/exercises/abc/"), 404, "not_found")
    assert_error(client.get("/api/v1/exercises/42/"), 404, "not_found")
    unknown = "7d9f1c58-0e4e-4bd0-8a52-1f0f1a1b2c3d"
    assert_error(client.get(f"/api/v1/exercises/{unknown}/"), 404, "not_found")


@pytest.mark.django_db
def test_pagination(tree: CourseTree, enrolled_student: User, client_for: ClientFor) -> None:
    client = client_for(enrolled_student)
    first = client.get("/api/v1/exercises/?page_size=3").json()
    assert first["count"] == 8
    assert len(first["results"]) == 3
    assert first["next"]
    last = client.get("/api/v1/exercises/?page_size=3&page=3").json()
    assert [item["id"] for item in last["results"]] == [str(e.uuid) for e in tree.exercises[6:]]


@pytest.mark.django_db
def test_exercises_are_read_only(
    tree: CourseTree, enrolled_student: User, client_for: ClientFor
) -> None:
    client = client_for(enrolled_student)
    exercise_url = f"/api/v1/exercises/{tree.exercises[0].uuid}/"
    assert_error(client.post("/api/v1/exercises/", {"title": "x"}), 405, "method_not_allowed")
    assert_error(client.patch(exercise_url, {"title": "x"}), 405, "method_not_allowed")
    assert_error(client.delete(exercise_url), 405, "method_not_allowed")
