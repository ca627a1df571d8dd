"""Teachers' reference videos: an ExercisePage's ``reference_video`` document, as a clip.

The core keeps the reference as a plain Wagtail document (it never imports a plugin); when
the exercise is published, :func:`reference_clip_sync` turns that document into a
``reference`` clip and sends it through the same pipeline as a student's take. The clip
remembers which document (id, file name and size) it was made from, so publishing again
with the same document does nothing, and a new or cleared document replaces or removes it.
The author's publish only writes rows: the job copies the document's bytes
(:func:`reference_original_import`; a hard link on local disk). Unpublishing the exercise
retires its reference clip (:func:`reference_clip_retire`).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from wagtail.documents import get_document_model

from huey_tasks.jobs import JobFailed, job_enqueue
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


def reference_made_from(clip: PracticeClip, document: Any) -> bool:
    """Whether ``clip`` was made from ``document`` as it is now (same id, name and size)."""
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
    new clip is ``uploaded`` and its processing job, which copies the document into the
    clip's storage first, is enqueued on commit; the previous reference clip (files
    included) goes.
    """
    exercise = ExercisePage.objects.select_related("reference_video", "owner").get(pk=exercise.pk)
    document: Any = exercise.reference_video
    current = reference_clip_get(exercise=exercise)
    others = PracticeClip.objects.filter(exercise=exercise, kind=PracticeClip.Kind.REFERENCE)
    if document is None or not document.file:
        for clip in others:
            _remove(clip)
        return None
    if current is not None and reference_made_from(current, document):
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
    clip.status = PracticeClip.Status.UPLOADED
    clip.uploaded_at = now
    clip.full_clean()
    clip.save()
    clip_announce(clip)
    job_enqueue(kind=PROCESS_JOB_KIND, target=clip)
    return clip


@transaction.atomic
def reference_clip_retire(*, exercise: ExercisePage) -> int:
    """Remove the exercise's reference clips (files on commit), e.g. when it is unpublished;
    publishing again makes a new one. Returns how many went."""
    retired = 0
    for clip in PracticeClip.objects.filter(exercise=exercise, kind=PracticeClip.Kind.REFERENCE):
        _remove(clip)
        retired += 1
    return retired


def _local_file(document: Any) -> Path | None:
    try:
        return Path(document.file.path)
    except NotImplementedError:  # a document storage without local files (S3)
        return None


class ReferenceDocumentMissing(JobFailed):
    def __init__(self, detail: str) -> None:
        super().__init__(
            "reference_document_missing",
            f"The reference video's document cannot be read ({detail}); upload it again.",
        )


def reference_original_import(*, clip: PracticeClip) -> tuple[int, str]:
    """Put the reference clip's document at its ``original_key``; its (size, SHA-256).

    Runs in the processing job, never in the author's request: on local disk the stored
    document is hard-linked (no bytes copied), elsewhere it is copied in chunks through the
    storages API. Idempotent: an existing original is replaced.
    """
    document = get_document_model().objects.filter(pk=clip.source_document_id).first()
    if document is None or not document.file:
        raise ReferenceDocumentMissing("it was deleted")
    try:
        source = _local_file(document)
        if source is not None and storage.local_path(clip.original_key) is not None:
            if not source.is_file():
                raise FileNotFoundError(source)
            storage.store_local_file_link(source, clip.original_key)
        else:
            with document.file.open("rb") as handle:
                if default_storage.exists(clip.original_key):
                    default_storage.delete(clip.original_key)
                # The storages API reads the File in chunks (``File.chunks``).
                default_storage.save(clip.original_key, File(handle, name=clip.filename))
    except FileNotFoundError as exc:
        raise ReferenceDocumentMissing("its file is gone") from exc
    return default_storage.size(clip.original_key), storage.sha256_of_key(clip.original_key)
