"""Teachers' reference videos: an ExercisePage's ``reference_video`` document, as a clip.

The core keeps the reference as a plain Wagtail document (it never imports a plugin); when
the exercise is published, :func:`reference_clip_sync` turns that document into a
``reference`` clip and sends it through the same pipeline as a student's take. The clip
remembers which document (id, file name and size) it was made from, so publishing again
with the same document does nothing, and a new or cleared document replaces or removes it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from huey_tasks.jobs import job_enqueue
from practika_site.courses.models import ExercisePage
from practika_site.users.models import User

from . import storage
from .models import PracticeClip
from .services import PROCESS_JOB_KIND, _course_of, _safe_filename, clip_announce, clip_delete

logger = logging.getLogger(__name__)

_CONTENT_TYPES = {
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
    "mkv": "video/x-matroska",
    "3gp": "video/3gpp",
}


def reference_clip_get(*, exercise: ExercisePage) -> PracticeClip | None:
    """The exercise's current reference clip (the newest, should there be several)."""
    return (
        PracticeClip.objects.filter(exercise=exercise, kind=PracticeClip.Kind.REFERENCE)
        .order_by("-created_at")
        .first()
    )


def _document_name(document: Any) -> str:
    return str(document.file.name).rsplit("/", 1)[-1][:255]


def _document_size(document: Any) -> int:
    size = getattr(document, "file_size", None)
    return int(size) if size else int(document.file.size)


def _made_from(clip: PracticeClip, document: Any) -> bool:
    return (
        clip.source_document_id == document.pk
        and clip.filename == _document_name(document)
        and clip.max_bytes == _document_size(document)
    )


def _owner_for(exercise: ExercisePage, actor: User | None) -> User | None:
    """Who the reference clip belongs to: whoever published (the revision's user), else the
    page's owner, else the first superuser."""
    for candidate in (actor, exercise.owner):
        if isinstance(candidate, User):
            return candidate
    return User.objects.filter(is_superuser=True).order_by("date_joined", "pk").first()


def _remove(clip: PracticeClip) -> None:
    # A system action: the clip's owner "deletes" it, so clip_delete's rule holds.
    clip_delete(clip=clip, actor=clip.owner)


@transaction.atomic
def reference_clip_sync(
    *, exercise: ExercisePage, actor: User | None = None
) -> PracticeClip | None:
    """Make the exercise's reference clip match its ``reference_video`` document.

    Returns the current reference clip (new or unchanged), or None when there is none. The
    document is copied into the clip's storage in chunks, the clip is ``uploaded`` and its
    processing job is enqueued on commit; the previous reference clip (files included) goes.
    """
    exercise = ExercisePage.objects.select_related("reference_video", "owner").get(pk=exercise.pk)
    document: Any = exercise.reference_video
    current = reference_clip_get(exercise=exercise)
    others = PracticeClip.objects.filter(exercise=exercise, kind=PracticeClip.Kind.REFERENCE)
    if document is None or not document.file:
        for clip in others:
            _remove(clip)
        return None
    if current is not None and _made_from(current, document):
        return current
    owner = _owner_for(exercise, actor)
    if owner is None:
        logger.warning("No user may own the reference clip of exercise %s; skipped.", exercise.pk)
        return current
    for clip in others:
        _remove(clip)
    name = _document_name(document)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    content_type = _CONTENT_TYPES.get(extension, "application/octet-stream")
    size = _document_size(document)
    now = timezone.now()
    clip = PracticeClip(
        owner=owner,
        exercise=exercise,
        course=_course_of(exercise),
        kind=PracticeClip.Kind.REFERENCE,
        attempt_number=None,
        title=str(document.title)[:200],
        filename=name,
        content_type=content_type,
        declared_size=size,
        max_bytes=size,
        upload_expires_at=now + timedelta(seconds=settings.PRACTIKA_UPLOAD_TTL_SECONDS),
        source_document_id=document.pk,
    )
    clip.original_key = f"{clip.storage_prefix}original/{_safe_filename(name, content_type)}"
    clip.full_clean()
    clip.save()
    with document.file.open("rb") as source:
        # The storages API reads the File in chunks (``File.chunks``), never all at once.
        default_storage.save(clip.original_key, File(source, name=name))
    clip.size_bytes = default_storage.size(clip.original_key)
    clip.sha256 = storage.sha256_of_key(clip.original_key)
    clip.declared_sha256 = clip.sha256
    clip.status = PracticeClip.Status.UPLOADED
    clip.uploaded_at = timezone.now()
    clip.save()
    clip_announce(clip)
    job_enqueue(kind=PROCESS_JOB_KIND, target=clip)
    return clip
