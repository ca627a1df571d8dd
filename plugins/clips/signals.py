"""Receivers that keep clips in step with their media jobs, and the signals clips send."""

import logging
from typing import Any

from django.dispatch import Signal, receiver
from wagtail.signals import page_published

from huey_tasks.models import MediaJob
from huey_tasks.signals import media_job_finished
from practika_site.courses.models import ExercisePage
from practika_site.users.models import User

logger = logging.getLogger(__name__)

clip_ready = Signal()
"""Sent when a clip becomes ``ready``. sender: PracticeClip; kwargs: ``clip``. After commit."""

clip_failed = Signal()
"""Sent when a clip ends ``failed`` or ``rejected``. sender: PracticeClip; kwargs: ``clip``."""


@receiver(media_job_finished, dispatch_uid="clips.on_media_job_finished")
def on_media_job_finished(sender: Any, job: MediaJob, **kwargs: Any) -> None:
    from .processing import PROCESS_JOB_KIND, clip_job_finished

    if job.kind == PROCESS_JOB_KIND:
        clip_job_finished(job=job)


@receiver(page_published, dispatch_uid="clips.on_page_published")
def on_page_published(sender: Any, instance: Any, revision: Any = None, **kwargs: Any) -> None:
    """A published exercise's ``reference_video`` becomes (or stops being) a reference clip."""
    if not isinstance(instance, ExercisePage):
        return
    from .references import reference_clip_sync

    user = getattr(revision, "user", None)
    try:
        reference_clip_sync(exercise=instance, actor=user if isinstance(user, User) else None)
    except Exception:
        # The page is published either way (the sync's savepoint rolled back); an unreadable
        # document must not turn the author's publish into a server error.
        logger.exception("Could not make the reference clip of exercise %s.", instance.pk)
