"""The site's account pages: login, logout and the password reset flow."""

import re

import pytest
from django.core import mail
from django.test import Client

from practika_site.users.models import User
from tests.factories import TEST_PASSWORD

LOGIN_URL = "/accounts/login/"
VIEWPORT = b'<meta name="viewport" content="width=device-width, initial-scale=1">'


def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def csrf_token(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.content)
    assert match, "the form carries a CSRF token"
    return match.group(1).decode()


def is_logged_in(client: Client, user: User) -> bool:
    return client.session.get("_auth_user_id") == str(user.pk)


@pytest.mark.django_db
def test_login_page_renders_fields_and_mobile_viewport(client: Client) -> None:
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content
    assert b'type="password"' in response.content
    assert VIEWPORT in response.content
    assert b'href="/accounts/password-reset/"' in response.content


@pytest.mark.django_db
def test_login_by_post_redirects_and_starts_a_session(student: User) -> None:
    browser = csrf_client()
    token = csrf_token(browser, LOGIN_URL)
    response = browser.post(
        LOGIN_URL,
        {"username": "student", "password": TEST_PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert is_logged_in(browser, student)
    assert browser.get("/api/v1/me/").json()["username"] == "student"


@pytest.mark.django_db
def test_login_follows_a_safe_next_only(student: User) -> None:
    browser = csrf_client()
    token = csrf_token(browser, LOGIN_URL)
    form = {"username": "student", "password": TEST_PASSWORD, "csrfmiddlewaretoken": token}
    response = browser.post(f"{LOGIN_URL}?next=/docs/", {**form, "next": "/docs/"})
    assert response["Location"] == "/docs/"

    other = csrf_client()
    token = csrf_token(other, LOGIN_URL)
    form["csrfmiddlewaretoken"] = token
    response = other.post(LOGIN_URL, {**form, "next": "https://evil.example/"})
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_wrong_password_shows_the_form_again(student: User) -> None:
    browser = csrf_client()
    token = csrf_token(browser, LOGIN_URL)
    response = browser.post(
        LOGIN_URL, {"username": "student", "password": "wrong", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 200
    assert b"didn&#x27;t match" in response.content or b"didn't match" in response.content
    assert not is_logged_in(browser, student)


@pytest.mark.django_db
def test_login_without_csrf_is_refused(student: User) -> None:
    browser = csrf_client()
    response = browser.post(LOGIN_URL, {"username": "student", "password": TEST_PASSWORD})
    assert response.status_code == 403
    assert not is_logged_in(browser, student)


@pytest.mark.django_db
def test_a_logged_in_user_is_sent_on_from_the_login_page(client: Client, student: User) -> None:
    client.force_login(student)
    response = client.get(LOGIN_URL)
    assert response.status_code == 302


@pytest.mark.django_db
def test_logout_by_post(student: User) -> None:
    browser = csrf_client()
    browser.force_login(student)
    token = csrf_token(browser, "/accounts/password-reset/")
    response = browser.post("/accounts/logout/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not is_logged_in(browser, student)
    assert browser.get("/api/v1/me/").status_code == 401


@pytest.mark.django_db
def test_logout_by_get_is_not_allowed(client: Client, student: User) -> None:
    client.force_login(student)
    assert client.get("/accounts/logout/").status_code == 405
    assert is_logged_in(client, student)


@pytest.mark.django_db
def test_password_reset_end_to_end(student: User) -> None:
    browser = csrf_client()
    token = csrf_token(browser, "/accounts/password-reset/")
    response = browser.post(
        "/accounts/password-reset/", {"email": student.email, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/done/"
    page = browser.get(response["Location"])
    assert page.status_code == 200
    assert VIEWPORT in page.content

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [student.email]
    match = re.search(r"http://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)", str(message.body))
    assert match, message.body
    link = match.group(1)

    # The link swaps the token for a session-bound URL, then shows the form.
    response = browser.get(link)
    assert response.status_code == 302
    form_url = response["Location"]
    assert form_url.endswith("/set-password/")
    token = csrf_token(browser, form_url)
    new_password = "a-new-long-passphrase-42"
    response = browser.post(
        form_url,
        {
            "new_password1": new_password,
            "new_password2": new_password,
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/reset/done/"
    assert browser.get("/accounts/reset/done/").status_code == 200

    student.refresh_from_db()
    assert student.check_password(new_password)
    assert not student.check_password(TEST_PASSWORD)

    # The link is single use.
    again = browser.get(link, follow=True)
    assert b"expired" in again.content

    # And the new password logs in through the page.
    fresh = csrf_client()
    token = csrf_token(fresh, LOGIN_URL)
    response = fresh.post(
        LOGIN_URL, {"username": "student", "password": new_password, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert is_logged_in(fresh, student)


@pytest.mark.django_db
def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(
    client: Client,
) -> None:
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/done/"
    assert mail.outbox == []


@pytest.mark.django_db
def test_password_reset_rejects_a_weak_password(student: User) -> None:
    browser = csrf_client()
    token = csrf_token(browser, "/accounts/password-reset/")
    browser.post(
        "/accounts/password-reset/", {"email": student.email, "csrfmiddlewaretoken": token}
    )
    match = re.search(
        r"http://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)", str(mail.outbox[0].body)
    )
    assert match
    form_url = browser.get(match.group(1))["Location"]
    token = csrf_token(browser, form_url)
    response = browser.post(
        form_url, {"new_password1": "123", "new_password2": "123", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 200
    assert b'class="error"' in response.content
    student.refresh_from_db()
    assert student.check_password(TEST_PASSWORD)
