"""Fixtures shared by the whole suite. Add new shared fixtures at the end of this file."""

import os
import socket
from collections.abc import Callable

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from practika_site.users.models import User
from tests.factories import UserFactory


def services_required() -> bool:
    return os.environ.get("PRACTIKA_REQUIRE_SERVICES") == "1"


def browser_required() -> bool:
    return os.environ.get("PRACTIKA_REQUIRE_BROWSER") == "1"


def skip_or_fail(reason: str, *, required: bool) -> None:
    """Skip a test whose service is missing, or fail it when the run requires the service."""
    if required:
        pytest.fail(f"required but unavailable: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def student(db: None) -> User:
    return UserFactory(username="student")


@pytest.fixture
def student2(db: None) -> User:
    return UserFactory(username="student2")


@pytest.fixture
def teacher(db: None) -> User:
    return UserFactory(username="teacher", teacher=True)


@pytest.fixture
def admin_user(db: None) -> User:
    return UserFactory(username="admin", admin=True)


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for(db: None) -> Callable[[User], APIClient]:
    """An API client authenticated with a fresh token for ``user``."""

    def make(user: User) -> APIClient:
        _, token = AuthToken.objects.create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return make
