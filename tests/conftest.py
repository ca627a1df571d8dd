"""Fixtures shared by the whole suite. Add new shared fixtures at the end of this file."""

import os
import socket
from collections.abc import Callable, Iterator

import pytest
from asgiref.sync import SyncToAsync
from django.db import connections
from knox.models import AuthToken
from rest_framework.test import APIClient

from practika_site.users.models import User
from tests.factories import UserFactory
from tests.live import AsgiLiveServer, run_asgi_live_server


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
    return UserFactory.create(username="student")


@pytest.fixture
def student2(db: None) -> User:
    return UserFactory.create(username="student2")


@pytest.fixture
def teacher(db: None) -> User:
    return UserFactory.create(username="teacher", teacher=True)


@pytest.fixture
def admin_user(db: None) -> User:
    return UserFactory.create(username="admin", admin=True)


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


@pytest.fixture
def asgi_live_server(transactional_db: None) -> Iterator[AsgiLiveServer]:
    """A real uvicorn server for ``practika_site.asgi`` (HTTP and websockets on one port).

    ``.url`` is ``http://127.0.0.1:<port>`` and ``.ws_url`` ``ws://127.0.0.1:<port>``. The
    server runs in a thread of this process, so it sees the test's committed data and the same
    channel layer: ``practika_site.core.realtime.publish()`` from the test reaches its sockets.
    The flush after each transactional test removes what migrations created; the course
    factories (tests/courses/factories.py) put back Wagtail's root page, locale and site.
    """
    with run_asgi_live_server() as server:
        yield server


@pytest.fixture(autouse=True)
def _close_db_connections_of_async_code() -> Iterator[None]:
    """Close the connections that async tests' sync_to_async calls leave in asgiref's thread.

    Thread-sensitive sync code called from async tests (consumers' ``database_sync_to_async``
    included) runs in one long-lived executor thread. With persistent connections (CONN_MAX_AGE,
    as with DATABASE_URL) its connection would outlive the test and keep PostgreSQL from
    dropping the test database at the end of the run. In-memory SQLite ignores close().
    """
    yield
    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=30)


S3_TEST_CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region": "us-east-1"}


@pytest.fixture(scope="session")
def s3_server() -> Iterator[tuple[str, str]]:
    """A moto S3 server on a free local port with one bucket: yields ``(endpoint_url, bucket)``.

    Real HTTP, so boto3 and django-storages run unchanged. Use ``s3_storage`` to point
    ``default_storage`` at it; the bucket is shared by the session, so use unique names.
    """
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint_url = f"http://127.0.0.1:{port}"
    bucket = "practika-test-media"
    try:
        boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=S3_TEST_CREDENTIALS["region"],
            aws_access_key_id=S3_TEST_CREDENTIALS["access_key"],
            aws_secret_access_key=S3_TEST_CREDENTIALS["secret_key"],
        ).create_bucket(Bucket=bucket)
        yield endpoint_url, bucket
    finally:
        server.stop()


def s3_storage_config(endpoint_url: str, bucket: str) -> dict[str, object]:
    """``STORAGES["default"]`` as settings/base.py builds it for PRACTIKA_STORAGE=s3."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "access_key": S3_TEST_CREDENTIALS["access_key"],
            "secret_key": S3_TEST_CREDENTIALS["secret_key"],
            "region_name": S3_TEST_CREDENTIALS["region"],
            "endpoint_url": endpoint_url,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 3600,
            "file_overwrite": False,
            "signature_version": "s3v4",
            "addressing_style": "path",
        },
    }


@pytest.fixture
def s3_storage(s3_server: tuple[str, str]) -> Iterator[tuple[str, str]]:
    """``default_storage`` (and ``PRACTIKA_STORAGE``) switched to S3 on ``s3_server``."""
    from django.conf import settings as django_settings
    from django.test import override_settings

    storages = {**django_settings.STORAGES, "default": s3_storage_config(*s3_server)}
    with override_settings(STORAGES=storages, PRACTIKA_STORAGE="s3"):
        yield s3_server
