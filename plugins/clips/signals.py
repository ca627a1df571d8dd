"""Receivers that keep clips in step with their media jobs, and the signals clips send."""

from typing import Any

from django.dispatch import Signal, receiver

from huey_tasks.models import MediaJob
from huey_tasks.signals import media_job_finished

clip_ready = Signal()
"""Sent when a clip becomes ``ready``. sender: PracticeClip; kwargs: ``clip``. After commit."""

clip_failed = Signal()
"""Sent when a clip ends ``failed`` or ``rejected``. sender: PracticeClip; kwargs: ``clip``."""


@receiver(media_job_finished, dispatch_uid="clips.on_media_job_finished")
def on_media_job_finished(sender: Any, job: MediaJob, **kwargs: Any) -> None:
    from .processing import PROCESS_JOB_KIND, clip_job_finished

    if job.kind == PROCESS_JOB_KIND:
        clip_job_finished(job=job)
