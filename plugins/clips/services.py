"""Writes on clips: ask for an upload, receive the bytes, commit, edit, delete."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from huey_tasks.jobs import job_enqueue
from practika_site.core.errors import Forbidden, InvalidInput, NotFound
from practika_site.core.realtime import publish_on_commit
from practika_site.courses.models import CoursePage, Enrollment, ExercisePage
from practika_site.courses.selectors import course_for_page, exercise_get
from practika_site.users.models import User

from . import storage
from .errors import (
    ClipStateConflict,
    MaxTakesReached,
    MultipartUnavailable,
    NotAVideo,
    UploadChecksumMismatch,
    UploadExpired,
    UploadMissing,
    UploadPartsInvalid,
    UploadSizeMismatch,
    UploadTooLarge,
)
from .models import PracticeClip, UploadSession
from .permissions import can_manage_clip, is_admin
from .signing import sign

PROCESS_JOB_KIND = "clip_process"
VIDEO_CONTENT_TYPES = {
    "video/mp4",
    "video/quicktime",
    "video/webm",
    "video/x-matroska",
    "video/3gpp",
    "video/3gpp2",
    "application/octet-stream",  # what many browsers and phones send; the probe decides
}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class UploadTarget:
    clip: PracticeClip
    url: str
    method: str
    headers: Mapping[str, str]
    expires_at: datetime
    max_bytes: int
    tus_url: str


def clip_topic(clip: PracticeClip) -> str:
    return f"clip:{clip.pk}"


def clip_status_data(clip: PracticeClip) -> dict[str, Any]:
    """What ``GET .../status/`` answers, and the ``data`` of every ``clip.*`` event."""
    error = {"code": clip.error_code, "message": clip.error_message} if clip.error_code else None
    return {
        "clip_id": str(clip.pk),
        "status": clip.status,
        "progress": clip.progress,
        "playable": clip.playable,
        "error": error,
    }


def clip_announce(clip: PracticeClip, event_type: str = "clip.progress") -> None:
    publish_on_commit(clip_topic(clip), event_type, clip_status_data(clip))


def _course_of(exercise: ExercisePage) -> CoursePage:
    course = course_for_page(exercise)
    if course is None:  # an exercise always sits in a course; the page tree rules say so
        raise ClipStateConflict("This exercise belongs to no course.")
    return course


def _safe_filename(filename: str | None, content_type: str) -> str:
    name = _SAFE_NAME.sub("-", (filename or "").rsplit("/", 1)[-1]).strip(".-")[:100]
    return name or ("take.webm" if content_type == "video/webm" else "take.mp4")


@transaction.atomic
def clip_request_upload(
    *,
    actor: User,
    exercise_id: UUID,
    duration_sec: float,
    filename: str | None = None,
    size_bytes: int | None = None,
    content_type: str | None = None,
    sha256: str | None = None,
    kind: PracticeClip.Kind = PracticeClip.Kind.TAKE,
    reply_to: PracticeClip | None = None,
    absolute_url: Callable[[str], str],
) -> UploadTarget:
    """A new clip awaiting its upload, and where to upload it.

    ``kind`` is a student's take (numbered, within the exercise's max takes) or a teacher's
    video reply to a take of the exercise (``REPLY``: no attempt number, no limit). A reply's
    ``reply_to`` is the take it answers, which makes the reply visible to the take's owner;
    pass None to link it later with ``clip_reply_link`` (the feedback plugin does so while its
    feedback is a draft). Either way the clip goes through the same upload and processing.
    """
    if kind not in (PracticeClip.Kind.TAKE, PracticeClip.Kind.REPLY):
        raise ValueError(f"Clips of kind {kind} are not uploaded by their users.")
    exercise = exercise_get(viewer=actor, exercise_id=exercise_id)
    # The type's essence: MediaRecorder blobs say 'video/webm;codecs="vp8,opus"'.
    content_type = (content_type or "").split(";", 1)[0].strip().lower()
    content_type = content_type or "application/octet-stream"
    if content_type not in VIDEO_CONTENT_TYPES:
        raise NotAVideo(details={"content_type": [f"{content_type} is not a video type."]})
    limit: int = settings.PRACTIKA_UPLOAD_MAX_BYTES
    if size_bytes is not None and size_bytes > limit:
        raise UploadTooLarge(f"Uploads are limited to {limit} bytes.")
    course = _course_of(exercise)
    if kind == PracticeClip.Kind.REPLY:
        _assert_can_reply(actor=actor, course=course, exercise=exercise, reply_to=reply_to)
        attempt_number = None
    elif reply_to is not None:
        raise ValueError("Only a reply answers a take.")
    else:
        attempt_number = _next_attempt_number(actor=actor, exercise=exercise)
    now = timezone.now()
    ttl = timedelta(seconds=settings.PRACTIKA_UPLOAD_TTL_SECONDS)
    clip = PracticeClip(
        owner=actor,
        exercise=exercise,
        course=course,
        kind=kind,
        attempt_number=attempt_number,
        reply_to=reply_to,
        filename=(filename or "")[:255],
        content_type=content_type,
        declared_size=size_bytes,
        declared_sha256=(sha256 or "").lower(),
        declared_duration=duration_sec,
        max_bytes=size_bytes if size_bytes is not None else limit,
        upload_expires_at=now + ttl,
    )
    clip.original_key = f"{clip.storage_prefix}original/{_safe_filename(filename, content_type)}"
    clip.full_clean()
    clip.save()
    return _upload_target(clip, absolute_url)


def _next_attempt_number(*, actor: User, exercise: ExercisePage) -> int:
    # One request at a time per student: attempt numbers and max takes stay exact.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    takes = PracticeClip.objects.filter(owner=actor, exercise=exercise, kind=PracticeClip.Kind.TAKE)
    max_takes = getattr(exercise, "max_takes", None)
    if max_takes and takes.count() >= max_takes:
        raise MaxTakesReached(details={"max_takes": max_takes})
    last = takes.order_by("-attempt_number").values_list("attempt_number", flat=True).first()
    return (last or 0) + 1


def _assert_can_reply(
    *, actor: User, course: CoursePage, exercise: ExercisePage, reply_to: PracticeClip | None
) -> None:
    teaches = Enrollment.objects.filter(
        user=actor, course=course, role=Enrollment.Role.TEACHER
    ).exists()
    if not (teaches or is_admin(actor)):
        raise Forbidden("Only the course's teachers may record video replies.")
    if reply_to is not None and (
        reply_to.kind != PracticeClip.Kind.TAKE or reply_to.exercise_id != exercise.pk
    ):
        raise InvalidInput(details={"reply_to": ["Must be a take of this exercise."]})


@transaction.atomic
def clip_reply_link(*, reply: PracticeClip, take: PracticeClip) -> PracticeClip:
    """Make ``reply`` answer ``take``: from now on the take's owner may see and play it."""
    if reply.kind != PracticeClip.Kind.REPLY or take.kind != PracticeClip.Kind.TAKE:
        raise ValueError("Only a reply answers, and only a take is answered.")
    if reply.exercise_id != take.exercise_id:
        raise InvalidInput(details={"reply_to": ["Must be a take of the reply's exercise."]})
    reply.reply_to = take
    reply.save(update_fields=["reply_to", "updated_at"])
    return reply


def _upload_target(clip: PracticeClip, absolute_url: Callable[[str], str]) -> UploadTarget:
    expires_in = int((clip.upload_expires_at - timezone.now()).total_seconds())
    headers = {"Content-Type": clip.content_type}
    if storage.uses_s3():
        url = storage.s3_presigned_put(
            clip.original_key,
            content_type=clip.content_type,
            size=clip.declared_size,
            expires_in=expires_in,
        )
    else:
        token = sign("upload", {"c": str(clip.pk)}, expires_at=clip.upload_expires_at.timestamp())
        url = absolute_url(reverse("clips:upload", kwargs={"token": token}))
    tus_url = absolute_url(reverse("clips:tus-create", kwargs={"clip_id": clip.pk}))
    return UploadTarget(
        clip=clip,
        url=url,
        method="PUT",
        headers=headers,
        expires_at=clip.upload_expires_at,
        max_bytes=clip.max_bytes,
        tus_url=tus_url,
    )


def clip_assert_uploadable(clip: PracticeClip) -> None:
    if clip.status != PracticeClip.Status.AWAITING_UPLOAD:
        raise ClipStateConflict(
            "This clip's upload is already committed.",
            details={"clip_id": str(clip.pk), "status": clip.status},
        )
    if clip.upload_expires_at <= timezone.now():
        raise UploadExpired()


@transaction.atomic
def clip_commit(*, clip: PracticeClip, actor: User) -> PracticeClip:
    """Check the stored original against what was declared, then start processing."""
    clip = PracticeClip.objects.select_for_update().get(pk=clip.pk)
    if not can_manage_clip(user=actor, clip=clip):
        raise Forbidden("Only the clip's owner may commit its upload.")
    clip_assert_uploadable(clip)
    if not default_storage.exists(clip.original_key):
        raise UploadMissing()
    size = default_storage.size(clip.original_key)
    if clip.declared_size is not None and size != clip.declared_size:
        raise UploadSizeMismatch(
            f"The upload has {size} bytes, not the {clip.declared_size} declared.",
            details={"size_bytes": [f"expected {clip.declared_size}, got {size}"]},
        )
    if size > clip.max_bytes:
        raise UploadTooLarge(f"The upload is over {clip.max_bytes} bytes.")
    known = (
        UploadSession.objects.filter(clip=clip, completed_at__isnull=False)
        .order_by("-completed_at")
        .values_list("metadata", flat=True)
        .first()
    )
    digest: str = (known or {}).get("sha256") or ""
    if clip.declared_sha256:
        # Only a declared checksum is worth reading the object for (S3 uploads bypass us);
        # otherwise the pipeline records it from the local copy it makes anyway.
        digest = digest or storage.sha256_of_key(clip.original_key)
        if digest != clip.declared_sha256:
            raise UploadChecksumMismatch(
                "The upload's SHA-256 differs from the one declared.",
                details={"sha256": ["checksum mismatch"]},
            )
    clip.size_bytes = size
    clip.sha256 = digest
    clip.status = PracticeClip.Status.UPLOADED
    clip.uploaded_at = timezone.now()
    clip.save()
    _discard_unfinished_uploads(clip)
    # Announce first: on-commit callbacks run in order, and the job may run inline (Huey's
    # immediate mode), whose own events must come after this one.
    clip_announce(clip)
    job_enqueue(kind=PROCESS_JOB_KIND, target=clip)
    return clip


MIN_PART_BYTES = 5 * 1024 * 1024  # S3's smallest part (all but the last)
MAX_PARTS = 10_000  # S3's most parts per upload
DEFAULT_PART_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class MultipartPlan:
    """What the client needs for an S3 multipart upload: a presigned PUT URL per part."""

    session: UploadSession
    part_size: int
    parts: list[tuple[int, str]]  # (part number, presigned URL)
    expires_at: datetime


def _part_size(size: int) -> int:
    wanted = int(getattr(settings, "PRACTIKA_UPLOAD_PART_BYTES", DEFAULT_PART_BYTES))
    mib = 1024 * 1024
    smallest = -(-size // MAX_PARTS)  # so that no upload needs more than MAX_PARTS parts
    return -(-max(wanted, MIN_PART_BYTES, smallest) // mib) * mib


def _lock_for_upload(clip: PracticeClip, actor: User) -> PracticeClip:
    clip = PracticeClip.objects.select_for_update().get(pk=clip.pk)
    if not can_manage_clip(user=actor, clip=clip):
        raise Forbidden("Only the clip's owner may upload it.")
    if not storage.uses_s3():
        raise MultipartUnavailable()
    return clip


def _abort_unfinished_multipart(clip: PracticeClip) -> int:
    """Forget the clip's unfinished multipart uploads and abort them on S3 after commit."""
    unfinished = list(
        clip.uploads.filter(protocol=UploadSession.Protocol.S3_MULTIPART, completed_at__isnull=True)
    )
    for session in unfinished:
        transaction.on_commit(
            partial(storage.s3_multipart_abort, clip.original_key, upload_id=session.s3_upload_id),
            robust=True,
        )
        session.delete()
    return len(unfinished)


@transaction.atomic
def clip_multipart_start(
    *, clip: PracticeClip, actor: User, size_bytes: int | None = None
) -> MultipartPlan:
    """Start an S3 multipart upload of the original (replacing an unfinished one)."""
    clip = _lock_for_upload(clip, actor)
    clip_assert_uploadable(clip)
    if clip.declared_size is not None and size_bytes not in (None, clip.declared_size):
        raise UploadSizeMismatch(
            f"{size_bytes} bytes is not the {clip.declared_size} declared.",
            details={"size_bytes": [f"expected {clip.declared_size}"]},
        )
    size = clip.declared_size if clip.declared_size is not None else size_bytes
    if size is None:
        raise InvalidInput(
            "Say how large the file is.",
            details={"size_bytes": ["Required when the upload request declared no size."]},
        )
    if size > clip.max_bytes:
        raise UploadTooLarge(f"Uploads are limited to {clip.max_bytes} bytes.")
    _abort_unfinished_multipart(clip)
    part_size = _part_size(size)
    upload_id = storage.s3_multipart_start(clip.original_key, content_type=clip.content_type)
    session = UploadSession.objects.create(
        clip=clip,
        protocol=UploadSession.Protocol.S3_MULTIPART,
        length=size,
        s3_upload_id=upload_id,
        expires_at=clip.upload_expires_at,
        metadata={"part_size": part_size},
    )
    expires_in = max(1, int((clip.upload_expires_at - timezone.now()).total_seconds()))
    parts = [
        (
            number,
            storage.s3_multipart_part_url(
                clip.original_key, upload_id=upload_id, part_number=number, expires_in=expires_in
            ),
        )
        for number in range(1, max(1, -(-size // part_size)) + 1)
    ]
    return MultipartPlan(
        session=session, part_size=part_size, parts=parts, expires_at=clip.upload_expires_at
    )


@transaction.atomic
def clip_multipart_complete(
    *, clip: PracticeClip, actor: User, upload_id: str, parts: Sequence[tuple[int, str]]
) -> UploadSession:
    """Assemble the uploaded parts (``(part number, ETag)``) into the original."""
    clip = _lock_for_upload(clip, actor)
    clip_assert_uploadable(clip)
    session = clip.uploads.filter(
        protocol=UploadSession.Protocol.S3_MULTIPART,
        s3_upload_id=upload_id,
        completed_at__isnull=True,
    ).first()
    if session is None:
        raise NotFound("Upload not found.")
    numbers = [number for number, _ in parts]
    if len(set(numbers)) != len(numbers):
        raise InvalidInput(details={"parts": ["Each part number may appear once."]})
    try:
        storage.s3_multipart_complete(
            clip.original_key,
            upload_id=upload_id,
            parts=[{"PartNumber": number, "ETag": etag} for number, etag in sorted(parts)],
        )
    except storage.S3RequestError as exc:
        raise UploadPartsInvalid(
            f"S3 refused the parts ({exc.code}).", details={"parts": [exc.message or exc.code]}
        ) from exc
    session.offset = default_storage.size(clip.original_key)
    session.completed_at = timezone.now()
    session.save(update_fields=["offset", "completed_at"])
    return session


@transaction.atomic
def clip_multipart_abort(*, clip: PracticeClip, actor: User) -> None:
    clip = _lock_for_upload(clip, actor)
    if not _abort_unfinished_multipart(clip):
        raise NotFound("No multipart upload is in progress.")


def _discard_unfinished_uploads(clip: PracticeClip) -> None:
    """After commit, other unfinished uploads of the clip can never finish: free their disk
    (the rows stay, so their clients get 409 rather than 404) and their S3 parts."""
    unfinished = clip.uploads.filter(completed_at__isnull=True)
    for path in unfinished.exclude(temp_path="").values_list("temp_path", flat=True):
        transaction.on_commit(partial(Path(path).unlink, missing_ok=True), robust=True)
    unfinished.update(temp_path="")
    if storage.uses_s3():
        _abort_unfinished_multipart(clip)


@transaction.atomic
def clip_update(*, clip: PracticeClip, actor: User, data: Mapping[str, Any]) -> PracticeClip:
    if not can_manage_clip(user=actor, clip=clip):
        raise Forbidden("Only the clip's owner may edit it.")
    for field in ("title", "notes"):
        if field in data:
            setattr(clip, field, data[field])
    clip.full_clean()
    clip.save(update_fields=["title", "notes", "updated_at"])
    return clip


@transaction.atomic
def clip_delete(*, clip: PracticeClip, actor: User) -> None:
    """Delete the clip and, once that has committed, every file it had."""
    if not can_manage_clip(user=actor, clip=clip):
        raise Forbidden("Only the clip's owner may delete it.")
    prefix = clip.storage_prefix
    for upload in clip.uploads.exclude(temp_path=""):
        transaction.on_commit(partial(Path(upload.temp_path).unlink, missing_ok=True), robust=True)
    if storage.uses_s3():
        _abort_unfinished_multipart(clip)
    clip.delete()
    transaction.on_commit(partial(storage.delete_prefix, prefix), robust=True)


def clips_expire_uploads(*, now: datetime | None = None) -> int:
    """Remove clips whose upload was never committed before it expired, files included."""
    now = now or timezone.now()
    expired = PracticeClip.objects.filter(
        status=PracticeClip.Status.AWAITING_UPLOAD, upload_expires_at__lt=now
    )
    count = 0
    for clip in expired.iterator():
        with transaction.atomic():
            locked = PracticeClip.objects.select_for_update().filter(pk=clip.pk).first()
            if locked is None or locked.status != PracticeClip.Status.AWAITING_UPLOAD:
                continue
            clip_delete(clip=locked, actor=locked.owner)
            count += 1
    return count
