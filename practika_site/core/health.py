"""Health endpoints: liveness, and readiness of every part Practika needs."""

import logging
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from huey_tasks.heartbeat import worker_alive

from .errors import error_body

logger = logging.getLogger(__name__)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    if cache.get(key) != "ok":
        raise RuntimeError("cache did not return what was written")
    cache.delete(key)


def check_storage() -> None:
    name = default_storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    try:
        with default_storage.open(name) as stored:
            if stored.read() != b"ok":
                raise RuntimeError("storage did not return what was written")
    finally:
        default_storage.delete(name)


def check_worker() -> None:
    if not worker_alive():
        raise RuntimeError("no worker heartbeat recently")


READINESS_CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "storage": check_storage,
    "worker": check_worker,
}

_HealthSerializer = inline_serializer(
    "Health", fields={"status": serializers.CharField(), "checks": serializers.DictField()}
)


class LivenessView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = []

    @extend_schema(responses={200: _HealthSerializer})
    def get(self, request: Request) -> Response:
        return Response({"status": "ok", "checks": {}})


class ReadinessView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = []

    @extend_schema(responses={200: _HealthSerializer, 503: _HealthSerializer})
    def get(self, request: Request) -> Response:
        checks: dict[str, str] = {}
        for name, check in READINESS_CHECKS.items():
            try:
                check()
            except Exception:  # any failure means "not ready", named
                # The reason goes to the log: this endpoint is public, error texts may name
                # hosts and users.
                logger.warning("Readiness check %s failed", name, exc_info=True)
                checks[name] = "failing"
            else:
                checks[name] = "ok"
        failing = sorted(name for name, result in checks.items() if result != "ok")
        if failing:
            body = error_body(
                "not_ready",
                f"Not ready: {', '.join(failing)}.",
                {"failing": failing, "checks": checks},
            )
            return Response(body, status=503)
        return Response({"status": "ok", "checks": checks})
