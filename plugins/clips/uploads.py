"""Receiving a clip's bytes on Practika itself: the signed PUT and the tus 1.0 server.

Bodies are streamed to a temp file in chunks (never held in memory) and the limit is
enforced while reading. Under ASGI both views stream their bodies (``streamed_body_methods``,
see ``practika_site/core/upload_limits.py``): every check below answers before a byte is
read, and the body is written once, to the ``.part`` file that then moves into storage. The
tus offset is the size of the partial file, guarded by an exclusive file lock, so a retried
or concurrent chunk can never corrupt it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC
from email.utils import format_datetime
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, NoReturn
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from practika_site.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PractikaError,
    UnsupportedMedia,
)
from practika_site.core.upload_limits import request_body

from . import storage
from .errors import UploadAlreadyDone, UploadExpired, UploadSizeMismatch, UploadTooLarge
from .models import PracticeClip, UploadSession
from .services import clip_assert_uploadable
from .signing import unsign

TUS_VERSION = "1.0.0"
PARTIAL_GONE_WAIT_SECONDS = 10.0
TUS_EXTENSIONS = "creation,termination,expiration"
CHUNK = 1024 * 1024


def stream_body_to(request: HttpRequest, target: BinaryIO, *, limit: int) -> tuple[int, Any]:
    """Copy the request body to ``target`` in chunks; 413 as soon as it passes ``limit``."""
    declared = request.META.get("CONTENT_LENGTH")
    if declared and declared.isdigit() and int(declared) > limit:
        raise UploadTooLarge(f"The body is over the {limit} bytes allowed.")
    body = request_body(request)
    digest = hashlib.sha256()
    written = 0
    # Never read more than one byte past the limit, so an oversized body stops right there.
    while chunk := body.read(min(CHUNK, limit - written + 1)):
        written += len(chunk)
        if written > limit:
            raise UploadTooLarge(f"The body is over the {limit} bytes allowed.")
        target.write(chunk)
        digest.update(chunk)
    return written, digest


def _temp_path(upload_id: UUID) -> Path:
    return storage.upload_temp_dir() / f"{upload_id}.part"


@transaction.atomic
def _finish_upload(session: UploadSession, path: Path, sha256: str) -> None:
    """Move the finished temp file to the clip's original key and close the session."""
    clip = PracticeClip.objects.select_for_update().get(pk=session.clip_id)
    clip_assert_uploadable(clip)
    if UploadSession.objects.filter(clip=clip, completed_at__isnull=False).exists():
        raise UploadAlreadyDone()
    storage.store_local_file(path, clip.original_key)
    # Local storage moved the file; S3 copied it, and the copy must not stay on disk.
    transaction.on_commit(partial(path.unlink, missing_ok=True), robust=True)
    session.completed_at = timezone.now()
    session.metadata = {**session.metadata, "sha256": sha256}
    session.temp_path = ""
    session.save()


class SignedUploadView(APIView):
    """``PUT`` to the single-use signed URL that ``POST /clips/`` returned (local storage)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []
    parser_classes: list[Any] = []
    streamed_body_methods = frozenset({"PUT"})

    @extend_schema(request=None, responses={200: None})
    def put(self, request: Request, token: str) -> Response:
        payload = unsign("upload", token)
        clip = PracticeClip.objects.filter(pk=payload["c"]).first()
        if clip is None:
            raise NotFound("Clip not found.")
        clip_assert_uploadable(clip)
        if clip.uploads.filter(completed_at__isnull=False).exists():
            raise UploadAlreadyDone()
        session = UploadSession(
            clip=clip,
            protocol=UploadSession.Protocol.SIGNED_PUT,
            expires_at=clip.upload_expires_at,
        )
        path = _temp_path(session.id)
        try:
            with path.open("wb") as target:
                size, digest = stream_body_to(request._request, target, limit=clip.max_bytes)
            if clip.declared_size is not None and size != clip.declared_size:
                raise UploadSizeMismatch(
                    f"Received {size} bytes, not the {clip.declared_size} declared.",
                    details={"size_bytes": [f"expected {clip.declared_size}, got {size}"]},
                )
            session.length = session.offset = size
            _finish_upload(session, path, digest.hexdigest())
        finally:
            path.unlink(missing_ok=True)
        return Response(
            {"clip_id": str(clip.pk), "size_bytes": size, "sha256": session.metadata["sha256"]}
        )


# --- tus 1.0 -------------------------------------------------------------------------------
def _http_date(session: UploadSession) -> str:
    return format_datetime(session.expires_at.astimezone(UTC), usegmt=True)


class TusVersionUnsupported(PractikaError):
    code = "tus_version_unsupported"
    http_status = 412
    default_message = "This server speaks tus 1.0.0 (send Tus-Resumable: 1.0.0)."


class TusUploadExpired(PractikaError):
    code = "upload_expired"
    http_status = 410
    default_message = "This upload has expired; create a new one."


class TusWrongContentType(UnsupportedMedia):
    code = "tus_content_type"
    default_message = "PATCH bodies are application/offset+octet-stream."


class OffsetMismatch(Conflict):
    code = "upload_offset_mismatch"


class TusView(APIView):
    """Base: every answer carries Tus-Resumable; the caller must own the clip (else 404)."""

    permission_classes = [IsAuthenticated]
    parser_classes: list[Any] = []
    throttle_classes: list[Any] = []

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Tus-Resumable"] = TUS_VERSION
        response["Cache-Control"] = "no-store"
        return response

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request.method != "OPTIONS" and request.headers.get("Tus-Resumable") != TUS_VERSION:
            raise TusVersionUnsupported()

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, UploadExpired):  # tus says 410 Gone for an expired upload
            exc = TusUploadExpired(exc.message)
        response = super().handle_exception(exc)
        if isinstance(exc, TusVersionUnsupported):
            response["Tus-Version"] = TUS_VERSION
        return response

    def owned_clip(self, request: Request, clip_id: UUID) -> PracticeClip:
        clip = PracticeClip.objects.filter(pk=clip_id, owner_id=request.user.pk).first()
        if clip is None:
            raise NotFound("Clip not found.")
        return clip


class TusCreateView(TusView):
    @extend_schema(request=None, responses={204: None})
    def options(self, request: Request, clip_id: UUID) -> Response:  # type: ignore[override]
        response = Response(status=204)
        response["Tus-Version"] = TUS_VERSION
        response["Tus-Extension"] = TUS_EXTENSIONS
        response["Tus-Max-Size"] = str(settings.PRACTIKA_UPLOAD_MAX_BYTES)
        return response

    @extend_schema(request=None, responses={201: None})
    def post(self, request: Request, clip_id: UUID) -> Response:
        clip = self.owned_clip(request, clip_id)
        clip_assert_uploadable(clip)
        length_header = request.headers.get("Upload-Length", "")
        if not length_header.isdigit():
            raise InvalidInput(
                "Upload-Length is required (deferred length is not supported).",
                details={"Upload-Length": ["a non-negative integer"]},
            )
        length = int(length_header)
        if length > clip.max_bytes:
            raise UploadTooLarge(f"Upload-Length is over the {clip.max_bytes} bytes allowed.")
        if clip.declared_size is not None and length != clip.declared_size:
            raise UploadSizeMismatch(
                f"Upload-Length {length} differs from the declared {clip.declared_size}.",
                details={"Upload-Length": [f"expected {clip.declared_size}"]},
            )
        session = _tus_replace_unfinished(clip, length, request.headers.get("Upload-Metadata", ""))
        response = Response(status=201)
        response["Location"] = request.build_absolute_uri(
            reverse("clips:tus-upload", kwargs={"clip_id": clip.pk, "upload_id": session.pk})
        )
        response["Upload-Expires"] = _http_date(session)
        return response


@transaction.atomic
def _tus_replace_unfinished(clip: PracticeClip, length: int, metadata: str) -> UploadSession:
    """A later creation for the same clip replaces an unfinished one."""
    clip = PracticeClip.objects.select_for_update().get(pk=clip.pk)
    if clip.uploads.filter(completed_at__isnull=False).exists():
        raise UploadAlreadyDone()
    for old in clip.uploads.filter(protocol=UploadSession.Protocol.TUS):
        if old.temp_path:
            Path(old.temp_path).unlink(missing_ok=True)
        old.delete()
    session = UploadSession(
        clip=clip,
        protocol=UploadSession.Protocol.TUS,
        length=length,
        expires_at=clip.upload_expires_at,
        metadata={"tus_metadata": metadata[:2000]},
    )
    session.temp_path = str(_temp_path(session.id))
    Path(session.temp_path).touch()
    session.save()
    return session


@contextmanager
def _locked(path: Path, on_missing: Callable[[], NoReturn]) -> Iterator[BinaryIO]:
    """Open the partial file for appending under an exclusive lock (one writer at a time).

    Never creates it: a partial file removed by a termination, a newer creation or the
    chunk that finished the upload must not come back as an orphan; ``on_missing`` raises.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND)
    except FileNotFoundError:
        on_missing()
    with os.fdopen(descriptor, "ab") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield handle
        finally:
            try:
                # A chunk cut short (the client went away) leaves buffered bytes: they reach
                # the file before the next writer reads its size as the offset.
                handle.flush()
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class TusUploadView(TusView):
    streamed_body_methods = frozenset({"PATCH"})

    def session(self, request: Request, clip_id: UUID, upload_id: UUID) -> UploadSession:
        clip = self.owned_clip(request, clip_id)
        session = clip.uploads.filter(pk=upload_id, protocol=UploadSession.Protocol.TUS).first()
        if session is None:
            raise NotFound("Upload not found.")
        if session.completed_at is None and session.expires_at <= timezone.now():
            raise TusUploadExpired()
        session.clip = clip
        return session

    @extend_schema(request=None, responses={200: None})
    def head(self, request: Request, clip_id: UUID, upload_id: UUID) -> Response:
        session = self.session(request, clip_id, upload_id)
        response = Response(status=200)
        response["Upload-Offset"] = str(self._offset(session))
        response["Upload-Length"] = str(session.length)
        response["Upload-Expires"] = _http_date(session)
        return response

    @staticmethod
    def _raise_for_missing_partial(session: UploadSession) -> NoReturn:
        """The partial file is gone: the upload was ended or replaced (its row is gone too),
        or another chunk finished it and is committing that right now. Wait for which."""
        deadline = time.monotonic() + PARTIAL_GONE_WAIT_SECONDS
        while True:
            state = UploadSession.objects.filter(pk=session.pk).values("completed_at").first()
            if state is not None and state["completed_at"] is not None:
                raise UploadAlreadyDone()
            if state is None or time.monotonic() >= deadline:
                raise NotFound("Upload not found.")
            time.sleep(0.05)

    def _offset(self, session: UploadSession) -> int:
        if session.completed_at is not None or not session.temp_path:
            return int(session.offset)
        try:
            return os.path.getsize(session.temp_path)
        except FileNotFoundError:
            return 0

    @extend_schema(request=None, responses={204: None})
    def patch(self, request: Request, clip_id: UUID, upload_id: UUID) -> Response:
        session = self.session(request, clip_id, upload_id)
        clip_assert_uploadable(session.clip)
        if session.completed_at is not None:
            raise UploadAlreadyDone()
        if request.content_type.split(";")[0].strip() != "application/offset+octet-stream":
            raise TusWrongContentType()
        offset_header = request.headers.get("Upload-Offset", "")
        if not offset_header.isdigit():
            raise InvalidInput("Upload-Offset is required.", details={"Upload-Offset": ["integer"]})
        assert session.length is not None
        path = Path(session.temp_path)
        if not path.exists():
            # A retry that lost the race to the chunk that finished the upload: the partial
            # file has moved into place already.
            self._raise_for_missing_partial(session)
        with _locked(path, on_missing=lambda: self._raise_for_missing_partial(session)) as handle:
            # Whoever held the lock before may have finished, replaced or ended this upload.
            state = UploadSession.objects.filter(pk=session.pk).values("completed_at").first()
            if state is None:
                raise NotFound("Upload not found.")
            if state["completed_at"] is not None:
                raise UploadAlreadyDone()
            current = handle.seek(0, os.SEEK_END)
            if int(offset_header) != current:
                raise OffsetMismatch(
                    f"Upload-Offset {offset_header} is not the current offset {current}.",
                    details={"offset": current},
                )
            written = 0
            try:
                written, digest = stream_body_to(
                    request._request, handle, limit=int(session.length) - current
                )
            except UploadTooLarge:
                handle.truncate(current)  # nothing of a chunk past the length is kept
                raise
            handle.flush()
            new_offset = current + written
            UploadSession.objects.filter(pk=session.pk).update(offset=new_offset)
            if new_offset == session.length:  # finished: move it into place, still locked
                session.offset = new_offset
                if current == 0:  # the whole file came in this one body
                    checksum = digest.hexdigest()
                else:
                    with path.open("rb") as finished:
                        checksum = storage.sha256_of_stream(finished)
                _finish_upload(session, path, checksum)
        response = Response(status=204)
        response["Upload-Offset"] = str(new_offset)
        response["Upload-Expires"] = _http_date(session)
        return response

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, clip_id: UUID, upload_id: UUID) -> Response:
        session = self.session(request, clip_id, upload_id)
        clip_assert_uploadable(session.clip)
        if session.temp_path:
            Path(session.temp_path).unlink(missing_ok=True)
        session.delete()
        return Response(status=204)
