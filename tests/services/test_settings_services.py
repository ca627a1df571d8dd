"""``DATABASE_URL`` and ``REDIS_URL`` switch Practika to PostgreSQL and Redis, used for real.

Run by ``make services-test``; without the variables these tests skip, and with
``PRACTIKA_REQUIRE_SERVICES=1`` (CI) a missing service fails them instead.
"""

import asyncio
import os
import uuid
from typing import Any

import pytest
from channels.layers import channel_layers
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.utils.module_loading import import_string
from huey import RedisHuey
from huey.contrib.djhuey import HUEY

from tests.conftest import services_required, skip_or_fail

pytestmark = pytest.mark.services


def require_env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        skip_or_fail(f"{name} is not set", required=services_required())
    return value


@pytest.mark.django_db
def test_database_url_means_postgresql() -> None:
    require_env("DATABASE_URL")
    assert connection.vendor == "postgresql"
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        row = cursor.fetchone()
    assert row is not None
    assert "PostgreSQL" in row[0]


def test_redis_url_means_redis_huey() -> None:
    require_env("REDIS_URL")
    assert isinstance(HUEY, RedisHuey)
    assert settings.HUEY["url"] == settings.REDIS_URL


def test_redis_huey_round_trips_a_task_through_redis() -> None:
    """Tests run Huey immediately (in memory); a second instance proves the Redis queue."""
    redis_url = require_env("REDIS_URL")
    huey_class = import_string(settings.HUEY["huey_class"])
    queue = huey_class(name=f"practika-test-{uuid.uuid4().hex}", url=redis_url, immediate=False)
    try:

        @queue.task()
        def add(a: int, b: int) -> int:
            return a + b

        result = add(2, 3)
        assert queue.pending_count() == 1
        task = queue.dequeue()
        assert task is not None
        queue.execute(task)
        assert result.get(blocking=True, timeout=5) == 5
    finally:
        queue.flush()


def test_redis_url_means_redis_cache() -> None:
    require_env("REDIS_URL")
    assert isinstance(caches["default"], RedisCache)
    key = f"services-test:{uuid.uuid4().hex}"
    cache.set(key, {"n": 1}, timeout=30)
    assert cache.get(key) == {"n": 1}
    assert cache.add(f"{key}:count", 0)
    assert cache.incr(f"{key}:count") == 1
    cache.delete_many([key, f"{key}:count"])
    assert cache.get(key) is None


async def test_redis_url_means_redis_channel_layer() -> None:
    require_env("REDIS_URL")
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    assert backend == "channels_redis.pubsub.RedisPubSubChannelLayer"
    layer: Any = channel_layers.make_backend("default")
    assert type(layer).__name__ == "RedisPubSubChannelLayer"
    group = f"services-test-{uuid.uuid4().hex}"
    channel = await layer.new_channel()
    try:
        await layer.group_add(group, channel)
        message = {"type": "test.event", "text": "hello"}
        received = None
        # SUBSCRIBE and PUBLISH travel on different connections: retry a lost first send.
        for _ in range(5):
            await layer.group_send(group, message)
            try:
                received = await asyncio.wait_for(layer.receive(channel), timeout=1)
                break
            except TimeoutError:
                continue
        assert received == message
        await layer.group_discard(group, channel)
    finally:
        await layer.flush()
