"""Server-rendered course pages and enrollment through the site."""

from __future__ import annotations

import pytest
from django.test import Client
from wagtail.models import Page

from practika_site.courses.models import CourseIndexPage, Enrollment
from practika_site.users.models import User
from tests.courses.factories import (
    CourseTree,
    enroll,
    make_course,
    make_exercise,
    make_private,
    unpublish,
)


def _html(client: Client, page: Page) -> str:
    response = client.get(page.url)
    assert response.status_code == 200, page.url
    return response.content.decode()


@pytest.mark.django_db
def test_every_page_type_renders(tree: CourseTree, client: Client) -> None:
    for page in (tree.course.get_parent(), tree.course, tree.modules[0], tree.lessons[0]):
        html = _html(client, page)
        assert page.title in html
        assert 'name="viewport"' in html
    exercise = make_exercise(tree.lessons[0], title="Scales", max_takes=3)
    html = _html(client, exercise)
    assert "Scales" in html
    assert "Up to 3" in html
    assert "Rubric" in html
    assert "Timing" in html
    assert "Tone" in html
    assert "Practice room" in html


@pytest.mark.django_db
def test_home_is_the_catalog(index: CourseIndexPage, tree: CourseTree, client: Client) -> None:
    draft = make_course(index, title="Not ready", publish=False)
    html = client.get("/").content.decode()
    assert tree.course.title in html
    assert tree.course.summary in html
    assert "2 modules · 4 lessons · 8 exercises" in html
    assert draft.title not in html
    assert "Your courses" not in html


@pytest.mark.django_db
def test_home_lists_your_courses(
    index: CourseIndexPage, tree: CourseTree, student: User, client: Client
) -> None:
    other = make_course(index, title="Singing basics")
    enroll(student, tree.course)
    client.force_login(student)
    html = client.get("/").content.decode()
    mine = html[html.index("Your courses") : html.index("All courses")]
    assert tree.course.title in mine
    assert other.title not in mine


@pytest.mark.django_db
def test_course_page_outline_and_enroll_button(
    tree: CourseTree, student: User, client: Client
) -> None:
    html = _html(client, tree.course)
    assert "Log in to enroll" in html
    for page in (*tree.modules, *tree.lessons, *tree.exercises):
        assert f'href="{page.url}"' in html

    client.force_login(student)
    html = _html(client, tree.course)
    assert f'action="{tree.course.url}enroll/"' in html
    assert "csrfmiddlewaretoken" in html


@pytest.mark.django_db
def test_enroll_and_leave_through_the_site(tree: CourseTree, student: User, client: Client) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    page = client.get(tree.course.url)
    token = page.cookies["csrftoken"].value

    response = client.post(f"{tree.course.url}enroll/", {"csrfmiddlewaretoken": token}, follow=True)
    assert response.redirect_chain == [(tree.course.url, 302)]
    html = response.content.decode()
    assert f"You are enrolled in {tree.course.title}." in html
    assert "Leave the course" in html
    assert Enrollment.objects.get(user=student).role == Enrollment.Role.STUDENT

    response = client.post(f"{tree.course.url}leave/", {"csrfmiddlewaretoken": token}, follow=True)
    assert f"You left {tree.course.title}." in response.content.decode()
    assert not Enrollment.objects.exists()


@pytest.mark.django_db
def test_enroll_needs_csrf_login_and_post(tree: CourseTree, student: User) -> None:
    enroll_url = f"{tree.course.url}enroll/"
    anonymous = Client()
    response = anonymous.post(enroll_url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")

    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    assert client.post(enroll_url).status_code == 403
    response = client.get(enroll_url)
    assert response.status_code == 302
    assert response["Location"] == tree.course.url
    assert not Enrollment.objects.exists()


@pytest.mark.django_db
def test_teacher_sees_teaching_not_enroll(tree: CourseTree, teacher: User, client: Client) -> None:
    enroll(teacher, tree.course, Enrollment.Role.TEACHER)
    client.force_login(teacher)
    html = _html(client, tree.course)
    assert "You teach this course." in html
    assert "Leave the course" not in html
    response = client.post(f"{tree.course.url}enroll/", follow=True)
    assert "another role" in response.content.decode()
    assert Enrollment.objects.get(user=teacher).role == Enrollment.Role.TEACHER


@pytest.mark.django_db
def test_practice_room_only_for_the_enrolled(
    tree: CourseTree, student: User, student2: User, client: Client
) -> None:
    enroll(student, tree.course)
    exercise = tree.exercises[0]
    client.force_login(student)
    html = _html(client, exercise)
    assert "Practice room" in html
    assert "to practise this exercise" not in html
    client.force_login(student2)
    html = _html(client, exercise)
    assert "<practika-practice-room" not in html
    assert f'Enroll in <a href="{tree.course.url}">' in html


@pytest.mark.django_db
def test_navigation_crosses_modules_in_course_order(tree: CourseTree, client: Client) -> None:
    last_lesson_of_first_module, first_lesson_of_second = tree.lessons[1], tree.lessons[2]
    html = _html(client, last_lesson_of_first_module)
    assert f'rel="next" href="{first_lesson_of_second.url}"' in html
    assert f'rel="prev" href="{tree.lessons[0].url}"' in html
    breadcrumbs = html[html.index('class="breadcrumbs"') :]
    assert tree.course.title in breadcrumbs[: breadcrumbs.index("</nav>")]
    html = _html(client, tree.modules[0])
    assert tree.lessons[0].title in html
    assert tree.lessons[2].title not in html


@pytest.mark.django_db
def test_unpublished_parent_hides_live_children_on_the_site(
    tree: CourseTree, client: Client
) -> None:
    unpublish(tree.modules[0])
    assert client.get(tree.modules[0].url).status_code == 404
    assert client.get(tree.lessons[0].url).status_code == 404
    assert client.get(tree.exercises[0].url).status_code == 404
    assert client.get(tree.exercises[4].url).status_code == 200
    assert tree.modules[0].title not in _html(client, tree.course)


@pytest.mark.django_db
def test_private_course_asks_for_login(tree: CourseTree, student: User, client: Client) -> None:
    make_private(tree.course)
    response = client.get(tree.lessons[0].url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert tree.course.title not in client.get("/").content.decode()
    client.force_login(student)
    assert client.get(tree.lessons[0].url).status_code == 200
