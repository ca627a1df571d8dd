"""``/api/v1/auth/token/``: issue, use, revoke and expire API tokens (knox, stored hashed)."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test.utils import override_settings
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from practika_site.users.models import User
from tests.api.assertions import assert_error
from tests.factories import TEST_PASSWORD, UserFactory

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/me/"


def login(client: APIClient, username: str, password: str = TEST_PASSWORD) -> dict[str, Any]:
    response = client.post(TOKEN_URL, {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def token_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.mark.django_db
def test_issue_returns_token_expiry_and_user(anon_client: APIClient, student: User) -> None:
    with override_settings(PRACTIKA_TOKEN_TTL_HOURS=30 * 24):
        body = login(anon_client, "student")
    assert set(body) == {"token", "expires_at", "user"}
    assert isinstance(body["token"], str)
    assert len(body["token"]) >= 32
    assert body["user"]["id"] == str(student.pk)
    assert body["user"]["username"] == "student"
    assert body["user"]["role"] == "student"
    assert "password" not in body["user"]
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert expires_at.tzinfo is not None
    ttl = timedelta(hours=30 * 24)
    assert timezone.now() + ttl - timedelta(minutes=1) < expires_at <= timezone.now() + ttl


@pytest.mark.django_db
def test_issue_accepts_a_form_body(anon_client: APIClient, student: User) -> None:
    response = anon_client.post(
        TOKEN_URL,
        f"username=student&password={TEST_PASSWORD}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "student"


@pytest.mark.django_db
def test_teacher_role_is_reported(anon_client: APIClient, teacher: User) -> None:
    assert login(anon_client, "teacher")["user"]["role"] == "teacher"


@pytest.mark.django_db
def test_token_works_on_me(anon_client: APIClient, student: User) -> None:
    token = login(anon_client, "student")["token"]
    response = token_client(token).get(ME_URL)
    assert response.status_code == 200
    assert response.json()["id"] == str(student.pk)


@pytest.mark.django_db
def test_wrong_password_is_401_invalid_credentials(anon_client: APIClient, student: User) -> None:
    response = anon_client.post(
        TOKEN_URL, {"username": "student", "password": "not-it"}, format="json"
    )
    error = assert_error(response, 401, "invalid_credentials")
    assert "password" in error["message"].lower()
    assert AuthToken.objects.count() == 0


@pytest.mark.django_db
def test_unknown_user_is_the_same_401(anon_client: APIClient) -> None:
    response = anon_client.post(
        TOKEN_URL, {"username": "nobody", "password": TEST_PASSWORD}, format="json"
    )
    assert_error(response, 401, "invalid_credentials")


@pytest.mark.django_db
def test_inactive_user_gets_no_token(anon_client: APIClient) -> None:
    UserFactory(username="gone", is_active=False)
    response = anon_client.post(
        TOKEN_URL, {"username": "gone", "password": TEST_PASSWORD}, format="json"
    )
    assert_error(response, 401, "invalid_credentials")
    assert AuthToken.objects.count() == 0


@pytest.mark.django_db
def test_deactivating_a_user_stops_their_tokens(anon_client: APIClient, student: User) -> None:
    client = token_client(login(anon_client, "student")["token"])
    student.is_active = False
    student.save(update_fields=["is_active"])
    assert_error(client.get(ME_URL), 401, "not_authenticated")


@pytest.mark.django_db
def test_revoke_is_204_and_the_token_stops_working(anon_client: APIClient, student: User) -> None:
    client = token_client(login(anon_client, "student")["token"])
    assert client.get(ME_URL).status_code == 200
    response = client.delete(TOKEN_URL)
    assert response.status_code == 204
    assert response.content == b""
    assert_error(client.get(ME_URL), 401, "not_authenticated")
    assert_error(client.delete(TOKEN_URL), 401, "not_authenticated")
    assert AuthToken.objects.count() == 0


@pytest.mark.django_db
def test_revoke_only_revokes_that_token(anon_client: APIClient, student: User) -> None:
    laptop = token_client(login(anon_client, "student")["token"])
    phone = token_client(login(anon_client, "student")["token"])
    assert AuthToken.objects.filter(user=student).count() == 2
    assert laptop.delete(TOKEN_URL).status_code == 204
    assert_error(laptop.get(ME_URL), 401, "not_authenticated")
    assert phone.get(ME_URL).status_code == 200
    assert AuthToken.objects.filter(user=student).count() == 1


@pytest.mark.django_db
def test_revoke_without_token_is_401(anon_client: APIClient) -> None:
    assert_error(anon_client.delete(TOKEN_URL), 401, "not_authenticated")


@pytest.mark.django_db
def test_revoke_needs_a_token_not_a_session(student: User) -> None:
    browser = APIClient()
    browser.force_login(student)
    assert_error(browser.delete(TOKEN_URL), 401, "not_authenticated")


@pytest.mark.django_db
def test_login_ignores_a_stale_token_header(anon_client: APIClient, student: User) -> None:
    anon_client.credentials(HTTP_AUTHORIZATION="Token revoked-long-ago")
    assert login(anon_client, "student")["user"]["username"] == "student"


@pytest.mark.django_db
def test_token_expires_after_the_configured_ttl(anon_client: APIClient, student: User) -> None:
    with override_settings(PRACTIKA_TOKEN_TTL_HOURS=1):
        body = login(anon_client, "student")
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert expires_at <= timezone.now() + timedelta(hours=1)
    client = token_client(body["token"])
    assert client.get(ME_URL).status_code == 200
    # An hour later (moved in the database rather than on the clock).
    AuthToken.objects.filter(user=student).update(expiry=timezone.now() - timedelta(seconds=1))
    assert_error(client.get(ME_URL), 401, "not_authenticated")
    assert not AuthToken.objects.filter(user=student).exists()


@pytest.mark.django_db
def test_zero_ttl_means_no_expiry(anon_client: APIClient, student: User) -> None:
    with override_settings(PRACTIKA_TOKEN_TTL_HOURS=0):
        body = login(anon_client, "student")
    assert body["expires_at"] is None
    assert AuthToken.objects.get(user=student).expiry is None


@pytest.mark.django_db
def test_an_expired_token_is_cleaned_up_when_another_is_used(
    anon_client: APIClient, student: User
) -> None:
    expired, _ = AuthToken.objects.create(user=student, expiry=timedelta(seconds=-1))
    client = token_client(login(anon_client, "student")["token"])
    assert client.get(ME_URL).status_code == 200
    assert not AuthToken.objects.filter(pk=expired.pk).exists()


@pytest.mark.django_db
def test_tokens_are_stored_hashed(anon_client: APIClient, student: User) -> None:
    token = login(anon_client, "student")["token"]
    stored = AuthToken.objects.get(user=student)
    assert stored.digest != token
    assert token not in stored.digest
    assert len(stored.token_key) < len(token)  # only a lookup prefix is kept in clear
    assert not AuthToken.objects.filter(digest=token).exists()
    assert not AuthToken.objects.filter(token_key=token).exists()


@pytest.mark.django_db
def test_each_login_issues_a_new_token(anon_client: APIClient, student: User) -> None:
    first = login(anon_client, "student")["token"]
    second = login(anon_client, "student")["token"]
    assert first != second
    assert token_client(first).get(ME_URL).status_code == 200
    assert token_client(second).get(ME_URL).status_code == 200
