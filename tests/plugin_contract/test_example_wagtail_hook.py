"""The example plugin's Wagtail hooks: an admin view at ``/cms/example/`` and a menu item."""

import pytest
from django.test import Client

from practika_site.users.models import User

pytestmark = pytest.mark.django_db


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_admin_view_answers_a_superuser(admin_user: User) -> None:
    response = logged_in(admin_user).get("/cms/example/")
    assert response.status_code == 200
    assert b"data-example-plugin" in response.content
    assert b"0 pings so far" in response.content


def test_menu_item_is_in_the_admin(admin_user: User) -> None:
    response = logged_in(admin_user).get("/cms/")
    assert response.status_code == 200
    assert b"/cms/example/" in response.content


def test_admin_view_sends_anonymous_to_the_login(client: Client) -> None:
    response = client.get("/cms/example/")
    assert response.status_code == 302
    assert response["Location"].startswith("/cms/login/")


def test_admin_view_refuses_a_student(student: User) -> None:
    response = logged_in(student).get("/cms/example/")
    assert response.status_code in {302, 403}
    assert b"data-example-plugin" not in response.content
