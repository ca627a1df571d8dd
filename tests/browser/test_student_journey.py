"""A student logs in on the site, enrolls in a course and opens an exercise, in Chromium."""

from typing import Any

import pytest
import requests

from practika_site.users.models import User
from tests.courses.factories import make_course_tree, make_index
from tests.factories import TEST_PASSWORD
from tests.live import AsgiLiveServer

pytestmark = pytest.mark.browser


def test_student_enrolls_and_opens_an_exercise(
    asgi_live_server: AsgiLiveServer, student: User, page: Any
) -> None:
    tree = make_course_tree(make_index(), modules=1, lessons=1, exercises=1, title="Violin basics")
    exercise = tree.exercises[0]
    base = asgi_live_server.url

    page.goto(f"{base}/accounts/login/")
    assert page.locator('meta[name="viewport"]').count() == 1
    page.fill("#id_username", student.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")

    page.click("text=Violin basics")
    page.click("button:has-text('Enroll')")
    page.wait_for_load_state()
    assert page.locator("button:has-text('Enroll')").count() == 0
    page.click(f"text={exercise.title}")
    page.wait_for_url(f"**{exercise.url}")
    assert page.locator("h1").first.inner_text() == exercise.title
    page.screenshot(path="/tmp/practika-exercise-page.png", full_page=True)

    # The same student now sees the exercise over the API, with a token.
    token = requests.post(
        f"{base}/api/v1/auth/token/",
        json={"username": student.username, "password": TEST_PASSWORD},
        timeout=10,
    ).json()["token"]
    listed = requests.get(
        f"{base}/api/v1/exercises/", headers={"Authorization": f"Token {token}"}, timeout=10
    ).json()
    assert [e["id"] for e in listed["results"]] == [str(exercise.uuid)]
