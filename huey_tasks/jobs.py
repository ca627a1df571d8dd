"""MediaJob life cycle: enqueue, claim, run with a heartbeat, finish, retry, reap.

Plugins register a handler per job ``kind`` (``register_job_handler``); the pipeline calls
it with a ``JobContext`` and never imports the plugin. A handler must be idempotent: it may
run again after a worker was killed halfway.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from uuid import UUID

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import close_old_connections, transaction
from django.db.models import Model
from django.utils import timezone

from .heartbeat import worker_id
from .models import MediaJob
from .signals import media_job_finished

logger = logging.getLogger(__name__)


class JobFailed(Exception):
    """A permanent failure: the job fails now, whatever attempts are left."""

    def __init__(self, code: str, message: str, log_tail: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.log_tail = log_tail


class JobLost(Exception):
    """This worker no longer owns the job (the reaper gave it to another)."""


@dataclass
class JobContext:
    job_id: UUID
    kind: str
    target_id: UUID
    attempt: int
    worker: str
    timings: dict[str, float] = field(default_factory=dict)
    _last_progress: int = -1

    def progress(self, percent: float, stage: str | None = None) -> None:
        """Record progress (0..100) and prove we are alive; raises JobLost if taken over."""
        value = max(0, min(100, int(percent)))
        if value == self._last_progress and stage is None:
            return
        fields: dict[str, object] = {"progress": value, "heartbeat_at": timezone.now()}
        if stage is not None:
            fields["stage"] = stage
        self._owned().update(**fields)
        self._last_progress = value

    def beat(self) -> None:
        if not self._owned().update(heartbeat_at=timezone.now()):
            raise JobLost(str(self.job_id))

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        self._owned().update(stage=name, heartbeat_at=timezone.now())
        try:
            yield
        finally:
            self.timings[name] = round(time.monotonic() - started, 3)

    def _owned(self):  # type: ignore[no-untyped-def]  # a QuerySet[MediaJob]
        return MediaJob.objects.filter(
            pk=self.job_id,
            status=MediaJob.Status.RUNNING,
            attempts=self.attempt,
            worker_id=self.worker,
        )


JobHandler = Callable[[JobContext], None]
_handlers: dict[str, JobHandler] = {}


def register_job_handler(kind: str, handler: JobHandler) -> None:
    _handlers[kind] = handler


def job_handler(kind: str) -> JobHandler | None:
    return _handlers.get(kind)


@transaction.atomic
def job_enqueue(
    *, kind: str, target: Model, max_attempts: int | None = None, delay: float = 0
) -> MediaJob:
    """Create the job for ``target`` (or return the active one) and enqueue it on commit,
    to run at once or ``delay`` seconds later (it waits ``queued`` until then)."""
    target_type = ContentType.objects.get_for_model(target)
    active = (
        MediaJob.objects.select_for_update()
        .filter(
            kind=kind,
            target_type=target_type,
            target_id=target.pk,
            status__in=MediaJob.ACTIVE_STATUSES,
        )
        .first()
    )
    if active is not None:
        return active
    job = MediaJob.objects.create(
        kind=kind,
        target_type=target_type,
        target_id=target.pk,
        max_attempts=max_attempts or settings.PRACTIKA_JOB_MAX_ATTEMPTS,
    )
    transaction.on_commit(partial(_send_to_queue, job.pk, delay))
    return job


def _send_to_queue(job_id: UUID, delay: float = 0) -> None:
    from .tasks import media_job_run_task

    if delay:
        media_job_run_task.schedule(kwargs={"job_id": str(job_id)}, delay=delay)
    else:
        media_job_run_task(job_id=str(job_id))


@transaction.atomic(durable=True)
def job_claim(*, job_id: UUID, worker: str) -> MediaJob | None:
    """Take a queued job for this worker; None when it is running elsewhere or finished."""
    job = MediaJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.status != MediaJob.Status.QUEUED:
        return None
    now = timezone.now()
    job.status = MediaJob.Status.RUNNING
    job.attempts += 1
    job.worker_id = worker
    job.heartbeat_at = now
    job.started_at = job.started_at or now
    job.error_code = job.error_message = ""
    job.save()
    return job


def job_run(*, job_id: UUID) -> MediaJob | None:
    """Run one job to its end (or to its next retry). Called by the Huey task."""
    worker = f"{worker_id()}:{threading.get_ident()}"
    job = job_claim(job_id=job_id, worker=worker)
    if job is None:
        return None
    handler = job_handler(job.kind)
    context = JobContext(job.pk, job.kind, job.target_id, job.attempts, worker)
    if handler is None:
        unknown = JobFailed("job_unknown_kind", f"No handler for jobs of kind {job.kind}.")
        return _job_end(context, failed=unknown)
    with _heartbeat(context):
        try:
            handler(context)
        except JobLost:
            logger.warning("Job %s was taken over; this worker stops.", job.pk)
            return None
        except JobFailed as exc:
            return _job_end(context, failed=exc)
        except Exception as exc:
            logger.exception("Job %s attempt %s crashed", job.pk, job.attempts)
            return _job_retry_or_fail(context, exc)
    return _job_end(context, failed=None)


@contextmanager
def _heartbeat(context: JobContext) -> Iterator[None]:
    """Beat from a side thread so a long ffmpeg run still looks alive, until it ends."""
    stop = threading.Event()
    interval: float = settings.PRACTIKA_JOB_HEARTBEAT_SECONDS

    def beat() -> None:
        try:
            while not stop.wait(interval):
                try:
                    context.beat()
                except JobLost:
                    return
        finally:
            close_old_connections()

    thread = threading.Thread(target=beat, name=f"heartbeat-{context.job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval + 5)


def _job_end(context: JobContext, *, failed: JobFailed | None) -> MediaJob | None:
    with transaction.atomic():
        job = MediaJob.objects.select_for_update().get(pk=context.job_id)
        if job.status != MediaJob.Status.RUNNING or job.attempts != context.attempt:
            return None
        job.status = MediaJob.Status.FAILED if failed else MediaJob.Status.SUCCEEDED
        if failed is not None:
            job.error_code, job.error_message = failed.code, failed.message
            job.log_tail = failed.log_tail[-8000:]
        else:
            job.progress = 100
        job.finished_at = timezone.now()
        job.timings = {**job.timings, **context.timings}
        job.save()
        transaction.on_commit(partial(_announce_finished, job.pk))
    return job


def _job_retry_or_fail(context: JobContext, exc: Exception) -> MediaJob | None:
    with transaction.atomic():
        job = MediaJob.objects.select_for_update().get(pk=context.job_id)
        if job.status != MediaJob.Status.RUNNING or job.attempts != context.attempt:
            return None
        if job.attempts >= job.max_attempts:
            message = f"Gave up after {job.attempts} attempts: {exc}"
            failed = JobFailed("job_failed", message, getattr(exc, "log_tail", ""))
        else:
            job.status = MediaJob.Status.QUEUED
            job.error_code, job.error_message = "job_retrying", str(exc)[:2000]
            job.save()
            delay = settings.PRACTIKA_JOB_RETRY_DELAY_SECONDS * job.attempts
            transaction.on_commit(partial(_send_to_queue, job.pk, delay))
            return job
    return _job_end(context, failed=failed)


def _announce_finished(job_id: UUID) -> None:
    job = MediaJob.objects.get(pk=job_id)
    media_job_finished.send(sender=MediaJob, job=job)


def jobs_reap(*, stale_after: timedelta | None = None) -> list[MediaJob]:
    """Requeue running jobs whose worker stopped beating; fail those out of attempts."""
    stale_after = stale_after or timedelta(seconds=settings.PRACTIKA_JOB_STALE_SECONDS)
    cutoff = timezone.now() - stale_after
    reaped: list[MediaJob] = []
    stale_ids = list(
        MediaJob.objects.filter(
            status=MediaJob.Status.RUNNING, heartbeat_at__lt=cutoff
        ).values_list("pk", flat=True)[:500]
    )
    for job_id in stale_ids:
        job = _reap_one(job_id, cutoff)
        if job is not None:
            reaped.append(job)
    return reaped


@transaction.atomic
def _reap_one(job_id: UUID, cutoff: object) -> MediaJob | None:
    job = MediaJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.status != MediaJob.Status.RUNNING or job.heartbeat_at is None:
        return None
    if job.heartbeat_at >= cutoff:  # type: ignore[operator]  # a datetime, checked above
        return None
    lost = f"The worker {job.worker_id} stopped during attempt {job.attempts}."
    if job.attempts >= job.max_attempts:
        job.status = MediaJob.Status.FAILED
        job.error_code = "job_worker_lost"
        job.error_message = f"{lost} No attempts left."
        job.finished_at = timezone.now()
        job.save()
        transaction.on_commit(partial(_announce_finished, job.pk))
    else:
        job.status = MediaJob.Status.QUEUED
        job.error_code, job.error_message = "job_worker_lost", f"{lost} Requeued."
        job.save()
        transaction.on_commit(partial(_send_to_queue, job.pk))
    logger.warning("Reaped job %s: %s", job.pk, job.error_message)
    return job
