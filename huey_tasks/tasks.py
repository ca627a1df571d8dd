from typing import Any
from uuid import UUID

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from .heartbeat import heartbeat_record
from .jobs import job_run, jobs_reap


@db_task()
def media_job_run_task(job_id: str) -> None:
    job_run(job_id=UUID(job_id))


@db_periodic_task(crontab(minute="*"))
def media_jobs_reap_task() -> None:
    jobs_reap()


@db_periodic_task(crontab(minute="*"))
def worker_heartbeat_task() -> None:
    heartbeat_record()


@HUEY.on_startup()
def on_worker_startup(*_: Any) -> None:
    # Say we're alive at once, and pick up jobs a killed worker left behind.
    from django.db import close_old_connections

    heartbeat_record()
    jobs_reap()
    close_old_connections()
