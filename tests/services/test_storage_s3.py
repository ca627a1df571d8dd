"""S3 mode (``PRACTIKA_STORAGE=s3``) against moto's S3 server over real HTTP.

Runs in the normal suite: moto is a dev dependency, and nothing here is mocked in-process.
"""

import uuid

import boto3
import pytest
import requests
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.test.utils import override_settings
from rest_framework.test import APIClient
from storages.backends.s3 import S3Storage

from huey_tasks.heartbeat import heartbeat_record
from tests.api.assertions import assert_error
from tests.conftest import S3_TEST_CREDENTIALS, s3_storage_config


def bucket_keys(endpoint_url: str, bucket: str, prefix: str) -> list[str]:
    client = boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=S3_TEST_CREDENTIALS["region"],
        aws_access_key_id=S3_TEST_CREDENTIALS["access_key"],
        aws_secret_access_key=S3_TEST_CREDENTIALS["secret_key"],
    )
    listing = client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for item in listing.get("Contents", [])]


def test_default_storage_saves_opens_and_deletes_on_s3(s3_storage: tuple[str, str]) -> None:
    endpoint_url, bucket = s3_storage
    assert isinstance(storages["default"], S3Storage)
    prefix = f"tests/{uuid.uuid4().hex}"
    name = default_storage.save(f"{prefix}/take.txt", ContentFile(b"practice take"))
    assert bucket_keys(endpoint_url, bucket, prefix) == [name]
    assert default_storage.exists(name)
    assert default_storage.size(name) == len(b"practice take")
    with default_storage.open(name) as stored:
        assert stored.read() == b"practice take"

    # Saving the same name again never overwrites: a new key is chosen.
    other = default_storage.save(f"{prefix}/take.txt", ContentFile(b"second take"))
    assert other != name

    # URLs are presigned and work without credentials.
    url = default_storage.url(name)
    assert url.startswith(endpoint_url)
    assert "X-Amz-Signature=" in url
    fetched = requests.get(url, timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == b"practice take"

    default_storage.delete(name)
    default_storage.delete(other)
    assert not default_storage.exists(name)
    assert bucket_keys(endpoint_url, bucket, prefix) == []


def test_storage_goes_back_to_local_after_the_override(s3_server: tuple[str, str]) -> None:
    with override_settings(
        STORAGES={**settings.STORAGES, "default": s3_storage_config(*s3_server)}
    ):
        assert isinstance(storages["default"], S3Storage)
    assert not isinstance(storages["default"], S3Storage)


@pytest.mark.django_db
def test_readiness_checks_s3_storage(s3_storage: tuple[str, str], anon_client: APIClient) -> None:
    endpoint_url, bucket = s3_storage
    heartbeat_record()
    response = anon_client.get("/api/v1/health/ready/")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["storage"] == "ok"
    assert bucket_keys(endpoint_url, bucket, "health/") == []


@pytest.mark.django_db
def test_readiness_names_a_missing_bucket(
    s3_server: tuple[str, str], anon_client: APIClient
) -> None:
    endpoint_url, _ = s3_server
    heartbeat_record()
    broken = s3_storage_config(endpoint_url, "no-such-bucket")
    with override_settings(STORAGES={**settings.STORAGES, "default": broken}):
        error = assert_error(anon_client.get("/api/v1/health/ready/"), 503, "not_ready")
    assert error["details"]["failing"] == ["storage"]
