"""``practika_site.users.services``: token_issue, token_revoke, token_revoke_all."""

from datetime import timedelta

import pytest
from django.test.utils import override_settings
from django.utils import timezone
from knox.models import AuthToken

from practika_site.core.errors import NotAuthenticated
from practika_site.users.models import User
from practika_site.users.services import token_issue, token_revoke, token_revoke_all
from tests.factories import TEST_PASSWORD, UserFactory


@pytest.mark.django_db
def test_token_issue_returns_the_user_and_a_hashed_token(student: User) -> None:
    with override_settings(PRACTIKA_TOKEN_TTL_HOURS=2):
        user, token, instance = token_issue(
            request=None, username="student", password=TEST_PASSWORD
        )
    assert user == student
    assert instance.user == student
    assert instance.digest != token
    assert instance.expiry is not None
    assert timedelta(hours=2) - timedelta(minutes=1) < instance.expiry - timezone.now()
    assert instance.expiry - timezone.now() <= timedelta(hours=2)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "password"),
    [("student", "wrong"), ("nobody", TEST_PASSWORD), ("", ""), ("inactive", TEST_PASSWORD)],
)
def test_token_issue_refuses_bad_credentials(student: User, username: str, password: str) -> None:
    UserFactory(username="inactive", is_active=False)
    with pytest.raises(NotAuthenticated) as raised:
        token_issue(request=None, username=username, password=password)
    assert raised.value.code == "invalid_credentials"
    assert raised.value.http_status == 401
    assert AuthToken.objects.count() == 0


@pytest.mark.django_db
def test_token_issue_without_ttl_never_expires(student: User) -> None:
    with override_settings(PRACTIKA_TOKEN_TTL_HOURS=0):
        _, _, instance = token_issue(request=None, username="student", password=TEST_PASSWORD)
    assert instance.expiry is None


@pytest.mark.django_db
def test_token_revoke_deletes_only_that_token(student: User) -> None:
    _, _, first = token_issue(request=None, username="student", password=TEST_PASSWORD)
    _, _, second = token_issue(request=None, username="student", password=TEST_PASSWORD)
    token_revoke(token=first)
    assert list(AuthToken.objects.values_list("digest", flat=True)) == [second.digest]


@pytest.mark.django_db
def test_token_revoke_all_deletes_every_token_of_that_user_only(
    student: User, student2: User
) -> None:
    for _ in range(3):
        token_issue(request=None, username="student", password=TEST_PASSWORD)
    token_issue(request=None, username="student2", password=TEST_PASSWORD)
    assert token_revoke_all(user=student) == 3
    assert list(AuthToken.objects.values_list("user", flat=True)) == [student2.pk]
