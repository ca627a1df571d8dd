import os
import socket
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from .models import WorkerHeartbeat

_STARTED_AT = timezone.now()


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def heartbeat_record() -> WorkerHeartbeat:
    """Called by the worker itself: on start-up and then every minute."""
    now = timezone.now()
    beat, _ = WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id(),
        defaults={
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "started_at": _STARTED_AT,
            "seen_at": now,
        },
    )
    WorkerHeartbeat.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()
    return beat


def latest_heartbeat() -> datetime | None:
    newest = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True)
    return newest.first()


def worker_alive() -> bool:
    seen = latest_heartbeat()
    max_age = timedelta(seconds=settings.PRACTIKA_WORKER_HEARTBEAT_MAX_AGE)
    return seen is not None and timezone.now() - seen <= max_age
