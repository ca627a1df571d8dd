from typing import Any

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from .heartbeat import heartbeat_record


@db_periodic_task(crontab(minute="*"))
def worker_heartbeat_task() -> None:
    heartbeat_record()


@HUEY.on_startup()
def record_heartbeat_on_startup(*_: Any) -> None:
    # Each consumer thread says it is alive as soon as it starts, not a minute later.
    from django.db import close_old_connections

    heartbeat_record()
    close_old_connections()
