"""``/api/v1/health/`` (liveness) and ``/api/v1/health/ready/`` (every part, named)."""

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.db import OperationalError
from django.test.utils import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from huey_tasks.heartbeat import heartbeat_record, worker_alive
from huey_tasks.models import WorkerHeartbeat
from huey_tasks.tasks import worker_heartbeat_task
from practika_site.core import health
from tests.api.assertions import assert_error
from tests.conftest import free_port

READY_URL = "/api/v1/health/ready/"


@pytest.mark.django_db
def test_liveness_answers_without_auth(anon_client: APIClient) -> None:
    response = anon_client.get("/api/v1/health/")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.django_db
def test_liveness_ignores_a_bad_token(anon_client: APIClient) -> None:
    # Load balancers send no token; a stray bad one must not turn liveness into a 401.
    response = anon_client.get("/api/v1/health/", HTTP_AUTHORIZATION="Token nonsense")
    assert response.status_code == 200


@pytest.mark.django_db
def test_not_ready_without_a_worker_heartbeat(anon_client: APIClient) -> None:
    error = assert_error(anon_client.get(READY_URL), 503, "not_ready")
    assert error["details"]["failing"] == ["worker"]
    assert "worker" in error["message"]
    assert error["details"]["checks"] == {
        "database": "ok",
        "cache": "ok",
        "storage": "ok",
        "worker": "failing",
    }


@pytest.mark.django_db
def test_ready_after_a_heartbeat(anon_client: APIClient) -> None:
    heartbeat_record()
    response = anon_client.get(READY_URL)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "storage": "ok", "worker": "ok"},
    }


@pytest.mark.django_db
def test_a_stale_heartbeat_is_not_ready(anon_client: APIClient) -> None:
    beat = heartbeat_record()
    WorkerHeartbeat.objects.filter(pk=beat.pk).update(
        seen_at=timezone.now() - timedelta(seconds=181)
    )
    with override_settings(PRACTIKA_WORKER_HEARTBEAT_MAX_AGE=180):
        assert not worker_alive()
        error = assert_error(anon_client.get(READY_URL), 503, "not_ready")
    assert error["details"]["failing"] == ["worker"]


@pytest.mark.django_db
def test_the_heartbeat_task_records_a_heartbeat() -> None:
    assert not WorkerHeartbeat.objects.exists()
    worker_heartbeat_task()  # Huey runs immediately in tests
    beat = WorkerHeartbeat.objects.get()
    assert timezone.now() - beat.seen_at < timedelta(seconds=10)
    assert worker_alive()


@pytest.mark.django_db
def test_heartbeats_update_one_row_per_worker_and_drop_old_ones() -> None:
    WorkerHeartbeat.objects.create(
        worker_id="old-host:1",
        hostname="old-host",
        pid=1,
        started_at=timezone.now() - timedelta(days=3),
        seen_at=timezone.now() - timedelta(days=2),
    )
    first = heartbeat_record()
    second = heartbeat_record()
    assert first.pk == second.pk
    assert second.seen_at >= first.seen_at
    assert list(WorkerHeartbeat.objects.values_list("pk", flat=True)) == [first.pk]


@pytest.mark.django_db
def test_a_broken_cache_is_named(anon_client: APIClient, caplog: pytest.LogCaptureFixture) -> None:
    heartbeat_record()
    closed = f"redis://127.0.0.1:{free_port()}/0"
    broken = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": closed}
    }
    with override_settings(CACHES=broken), caplog.at_level(logging.WARNING):
        error = assert_error(anon_client.get(READY_URL), 503, "not_ready")
    assert error["details"]["failing"] == ["cache"]
    assert "cache" in error["message"]
    # The reason is logged, not answered: the endpoint is public.
    assert "127.0.0.1" not in str(error)
    assert any(r.name == "practika_site.core.health" and r.exc_info for r in caplog.records)


@pytest.mark.django_db
def test_a_broken_storage_is_named(anon_client: APIClient, settings: Any, tmp_path: Path) -> None:
    heartbeat_record()
    a_file = tmp_path / "not-a-directory"
    a_file.write_text("x")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(a_file / "media")},
        },
    }
    error = assert_error(anon_client.get(READY_URL), 503, "not_ready")
    assert error["details"]["failing"] == ["storage"]


@pytest.mark.django_db
def test_a_broken_database_is_named(
    anon_client: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    heartbeat_record()

    class BrokenConnection:
        def cursor(self) -> Any:
            raise OperationalError("could not connect to server at db.internal")

    monkeypatch.setattr(health, "connection", BrokenConnection())
    error = assert_error(anon_client.get(READY_URL), 503, "not_ready")
    assert error["details"]["failing"] == ["database"]
    assert "db.internal" not in str(error)


@pytest.mark.django_db
def test_every_failing_part_is_named(
    anon_client: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail() -> None:
        raise RuntimeError("down")

    monkeypatch.setattr(health, "READINESS_CHECKS", dict.fromkeys(health.READINESS_CHECKS, fail))
    error = assert_error(anon_client.get(READY_URL), 503, "not_ready")
    assert error["details"]["failing"] == ["cache", "database", "storage", "worker"]


@pytest.mark.django_db
def test_readiness_leaves_nothing_in_storage(anon_client: APIClient) -> None:
    heartbeat_record()
    before = default_storage.listdir("health")[1] if default_storage.exists("health") else []
    assert anon_client.get(READY_URL).status_code == 200
    after = default_storage.listdir("health")[1] if default_storage.exists("health") else []
    assert after == before
