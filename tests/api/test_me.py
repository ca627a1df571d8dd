"""``/api/v1/me/``: the caller, by token or by the site's session."""

from collections.abc import Callable

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries
from rest_framework.test import APIClient

from practika_site.users.models import User
from tests.api.assertions import assert_error

ME_URL = "/api/v1/me/"


@pytest.mark.django_db
def test_each_user_sees_only_themselves(
    student: User, student2: User, teacher: User, client_for: Callable[[User], APIClient]
) -> None:
    for user in (student, student2, teacher):
        body = client_for(user).get(ME_URL).json()
        assert body["id"] == str(user.pk)
        assert body["username"] == user.username
        assert body["role"] == user.role
        assert set(body) == {"id", "username", "first_name", "last_name", "email", "role"}


@pytest.mark.django_db
def test_me_ignores_query_parameters_naming_someone_else(
    student: User, student2: User, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(student)
    for query in (f"?id={student2.pk}", "?username=student2", f"?user={student2.pk}"):
        assert client.get(ME_URL + query).json()["id"] == str(student.pk)


@pytest.mark.django_db
def test_me_is_read_only(student: User, client_for: Callable[[User], APIClient]) -> None:
    client = client_for(student)
    for method in (client.post, client.patch, client.put):
        response = method(ME_URL, {"role": "admin"}, format="json")
        assert_error(response, 405, "method_not_allowed")
    student.refresh_from_db()
    assert student.role == User.Role.STUDENT


@pytest.mark.django_db
def test_me_uses_bounded_queries(
    student: User,
    client_for: Callable[[User], APIClient],
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client = client_for(student)
    with django_assert_max_num_queries(3):
        assert client.get(ME_URL).status_code == 200


@pytest.mark.django_db
def test_session_auth_works_in_the_browser(student: User) -> None:
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(student)
    response = browser.get(ME_URL)
    assert response.status_code == 200
    assert response.json()["id"] == str(student.pk)


@pytest.mark.django_db
def test_session_auth_needs_csrf_for_unsafe_methods(student: User) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(student)
    error = assert_error(browser.post(ME_URL, {}), 403, "forbidden")
    assert "CSRF" in error["message"]

    # With the CSRF cookie and header the request gets through to the view (which has no POST).
    browser.get("/accounts/password-reset/")  # any page with a form sets the cookie
    csrf = browser.cookies["csrftoken"].value
    response = browser.post(ME_URL, {}, HTTP_X_CSRFTOKEN=csrf)
    assert_error(response, 405, "method_not_allowed")


@pytest.mark.django_db
def test_token_clients_need_no_csrf(student: User, client_for: Callable[[User], APIClient]) -> None:
    client = client_for(student)
    client.handler.enforce_csrf_checks = True
    assert_error(client.post(ME_URL, {}, format="json"), 405, "method_not_allowed")
