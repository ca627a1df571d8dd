"""MediaJob life cycle: idempotent enqueue, claim, success, permanent and crash failures,
retries, the reaper, and a worker that lost its job. Targets are users (UUID keys), so the
pipeline's generic target is tested without any plugin."""

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from django.utils import timezone

from huey_tasks import jobs
from huey_tasks.jobs import JobContext, JobFailed, JobLost, job_claim, job_enqueue, job_run
from huey_tasks.models import MediaJob
from huey_tasks.signals import media_job_finished
from practika_site.users.models import User

KIND = "test_job"


@pytest.fixture
def handler() -> Iterator[Callable[[Callable[[JobContext], None]], None]]:
    def install(function: Callable[[JobContext], None]) -> None:
        jobs.register_job_handler(KIND, function)

    yield install
    jobs._handlers.pop(KIND, None)


@pytest.fixture
def finished() -> Iterator[list[MediaJob]]:
    seen: list[MediaJob] = []

    def receiver(sender: Any, job: MediaJob, **kwargs: Any) -> None:
        seen.append(job)

    media_job_finished.connect(receiver, dispatch_uid="tests.finished")
    yield seen
    media_job_finished.disconnect(dispatch_uid="tests.finished")


def test_enqueue_is_idempotent_while_a_job_is_active(student: User) -> None:
    first = job_enqueue(kind=KIND, target=student)
    second = job_enqueue(kind=KIND, target=student)
    assert first.pk == second.pk
    assert MediaJob.objects.count() == 1
    assert first.target == student


def test_enqueue_sends_to_the_queue_only_on_commit(
    student: User, django_capture_on_commit_callbacks: Any, handler: Any
) -> None:
    ran: list[str] = []
    handler(lambda ctx: ran.append(str(ctx.target_id)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = job_enqueue(kind=KIND, target=student)
    assert ran == []
    assert len(callbacks) == 1
    callbacks[0]()  # Huey runs in immediate mode in tests
    assert ran == [str(student.pk)]
    job.refresh_from_db()
    assert job.status == MediaJob.Status.SUCCEEDED
    assert job.progress == 100
    assert job.attempts == 1


def test_a_successful_run_records_stages_and_announces(
    student: User, handler: Any, finished: list[MediaJob], django_capture_on_commit_callbacks: Any
) -> None:
    def work(ctx: JobContext) -> None:
        with ctx.stage("probe"):
            ctx.progress(40, stage="probe")
        ctx.progress(80)

    handler(work)
    job = MediaJob.objects.create(kind=KIND, target_type_id=_ct(student), target_id=student.pk)
    with django_capture_on_commit_callbacks(execute=True):
        job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == MediaJob.Status.SUCCEEDED
    assert "probe" in job.timings
    assert job.finished_at is not None
    assert [j.pk for j in finished] == [job.pk]


def test_claim_takes_only_a_queued_job(student: User) -> None:
    job = MediaJob.objects.create(kind=KIND, target_type_id=_ct(student), target_id=student.pk)
    claimed = job_claim(job_id=job.pk, worker="w1")
    assert claimed is not None
    assert claimed.status == MediaJob.Status.RUNNING
    assert job_claim(job_id=job.pk, worker="w2") is None
    assert job_claim(job_id=uuid4(), worker="w2") is None


def test_a_permanent_failure_fails_at_once(
    student: User, handler: Any, finished: list[MediaJob], django_capture_on_commit_callbacks: Any
) -> None:
    def reject(ctx: JobContext) -> None:
        raise JobFailed("media_no_video", "The file has no video stream.", "stderr tail")

    handler(reject)
    job = MediaJob.objects.create(kind=KIND, target_type_id=_ct(student), target_id=student.pk)
    with django_capture_on_commit_callbacks(execute=True):
        job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == MediaJob.Status.FAILED
    assert (job.error_code, job.attempts, job.log_tail) == ("media_no_video", 1, "stderr tail")
    assert finished
    assert finished[0].error_code == "media_no_video"


def test_a_crash_is_retried_then_fails_after_max_attempts(
    student: User, handler: Any, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.PRACTIKA_JOB_RETRY_DELAY_SECONDS = 0
    calls: list[int] = []

    def crash(ctx: JobContext) -> None:
        calls.append(ctx.attempt)
        raise RuntimeError("ffmpeg exploded")

    handler(crash)
    job = MediaJob.objects.create(
        kind=KIND, target_type_id=_ct(student), target_id=student.pk, max_attempts=3
    )
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=False):
            job_run(job_id=job.pk)
    job.refresh_from_db()
    assert calls == [1, 2, 3]
    assert job.status == MediaJob.Status.FAILED
    assert job.error_code == "job_failed"
    assert "ffmpeg exploded" in job.error_message


def test_a_crash_with_attempts_left_requeues(
    student: User, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    handler(lambda ctx: (_ for _ in ()).throw(RuntimeError("transient")))
    job = MediaJob.objects.create(kind=KIND, target_type_id=_ct(student), target_id=student.pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == MediaJob.Status.QUEUED
    assert job.error_code == "job_retrying"
    assert len(callbacks) == 1  # the retry goes back to the queue after commit


def test_unknown_kind_fails_clearly(student: User) -> None:
    job = MediaJob.objects.create(
        kind="nobody_handles_this", target_type_id=_ct(student), target_id=student.pk
    )
    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == MediaJob.Status.FAILED
    assert job.error_code == "job_unknown_kind"


def test_reaper_requeues_a_job_whose_worker_stopped(
    student: User, django_capture_on_commit_callbacks: Any
) -> None:
    job = MediaJob.objects.create(kind=KIND, target_type_id=_ct(student), target_id=student.pk)
    job_claim(job_id=job.pk, worker="dead-worker")
    MediaJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    fresh = MediaJob.objects.create(kind="other", target_type_id=_ct(student), target_id=uuid4())
    job_claim(job_id=fresh.pk, worker="live-worker")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reaped = jobs.jobs_reap(stale_after=timedelta(seconds=30))
    assert [j.pk for j in reaped] == [job.pk]
    job.refresh_from_db()
    assert job.status == MediaJob.Status.QUEUED
    assert job.error_code == "job_worker_lost"
    assert len(callbacks) == 1
    fresh.refresh_from_db()
    assert fresh.status == MediaJob.Status.RUNNING


def test_reaper_fails_a_job_out_of_attempts(
    student: User, finished: list[MediaJob], django_capture_on_commit_callbacks: Any
) -> None:
    job = MediaJob.objects.create(
        kind=KIND, target_type_id=_ct(student), target_id=student.pk, max_attempts=1
    )
    job_claim(job_id=job.pk, worker="dead-worker")
    MediaJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        jobs.jobs_reap(stale_after=timedelta(seconds=30))
    job.refresh_from_db()
    assert job.status == MediaJob.Status.FAILED
    assert "No attempts left" in job.error_message
    assert [j.pk for j in finished] == [job.pk]


def test_a_worker_that_lost_its_job_stops_without_writing(student: User, handler: Any) -> None:
    def slow(ctx: JobContext) -> None:
        # Meanwhile the reaper gave the job to another worker.
        MediaJob.objects.filter(pk=ctx.job_id).update(worker_id="another", attempts=2)
        ctx.beat()

    handler(slow)
    job = MediaJob.objects.create(kind=KIND, target_type_id=_ct(student), target_id=student.pk)
    assert job_run(job_id=job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.worker_id) == (MediaJob.Status.RUNNING, "another")


def test_lost_job_progress_raises_nothing_but_beat_does(student: User) -> None:
    job = MediaJob.objects.create(kind=KIND, target_type_id=_ct(student), target_id=student.pk)
    claimed = job_claim(job_id=job.pk, worker="w")
    assert claimed is not None
    ctx = JobContext(job.pk, KIND, student.pk, attempt=claimed.attempts, worker="w")
    ctx.progress(50)
    assert MediaJob.objects.get(pk=job.pk).progress == 50
    MediaJob.objects.filter(pk=job.pk).update(worker_id="other")
    with pytest.raises(JobLost):
        ctx.beat()


def _ct(user: User) -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(user).pk


pytestmark = pytest.mark.django_db
