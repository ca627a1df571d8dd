"""Receivers that keep clips in step with their media jobs, their exercise pages and their
files, and the signals clips send."""

import logging
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import Signal, receiver
from wagtail.signals import page_published, page_unpublished

from huey_tasks.models import MediaJob
from huey_tasks.signals import media_job_finished
from practika_site.courses.models import ExercisePage
from practika_site.users.models import User

from . import storage
from .models import PracticeClip, UploadSession

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


@receiver(page_unpublished, dispatch_uid="clips.on_page_unpublished")
def on_page_unpublished(sender: Any, instance: Any, **kwargs: Any) -> None:
    """An unpublished exercise has no reference to show: its reference clip is retired."""
    if not isinstance(instance, ExercisePage):
        return
    from .references import reference_clip_retire

    reference_clip_retire(exercise=instance)


@receiver(post_delete, sender=PracticeClip, dispatch_uid="clips.on_clip_deleted")
def on_clip_deleted(sender: Any, instance: PracticeClip, **kwargs: Any) -> None:
    """Every way a clip row goes (its exercise page or owner deleted, a cascade) takes its
    files with it once the deletion has committed, as ``clip_delete`` does."""
    prefix = instance.storage_prefix
    transaction.on_commit(lambda: storage.delete_prefix(prefix), robust=True)


@receiver(post_delete, sender=UploadSession, dispatch_uid="clips.on_upload_session_deleted")
def on_upload_session_deleted(sender: Any, instance: UploadSession, **kwargs: Any) -> None:
    """An unfinished local upload's partial file goes with its row."""
    if instance.temp_path:
        path = Path(instance.temp_path)
        transaction.on_commit(lambda: path.unlink(missing_ok=True), robust=True)
