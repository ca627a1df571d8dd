"""Sending a video: a signed PUT, or tus 1.0 with resume, always streamed from disk.

A file is never read into memory: bodies are :class:`FileSlice` objects that requests reads
in small blocks, and that have a length so the request carries a ``Content-Length`` (signed
PUTs refuse chunked bodies). tus uploads go in chunks of ``chunk_size``; after a dropped
connection the uploader asks the server for its offset (``HEAD``) and goes on from there.
A :class:`ResumeStore` remembers each unfinished tus upload under a key made of the file's
path, size and mtime, so a later process (``practika upload`` run again) resumes it too.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin

import requests

from .config import write_private_json
from .errors import Conflict, NotFound, PractikaError, ServerError
from .transport import Transport, decode

TUS_VERSION = "1.0.0"
READ_BLOCK = 1024 * 1024
DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024
#: Failed chunks in a row (each followed by a HEAD and a backoff) before giving up.
DEFAULT_MAX_STALLS = 5
ProgressCallback = Callable[[int, int], None]


class FileSlice:
    """Bytes ``[start, start + length)`` of an open file, read on demand.

    Reports ``progress(start + bytes read so far, total)`` as requests reads it, so a
    resumed upload's progress goes on from the server's offset.
    """

    def __init__(
        self,
        handle: IO[bytes],
        *,
        start: int,
        length: int,
        total: int,
        progress: ProgressCallback | None = None,
    ) -> None:
        handle.seek(start)
        self.handle = handle
        self.start = start
        self.length = length
        self.total = total
        self.progress = progress
        self.sent = 0

    def __len__(self) -> int:
        return self.length

    def read(self, amount: int = -1) -> bytes:
        left = self.length - self.sent
        if left <= 0:
            return b""
        size = left if amount is None or amount < 0 else min(amount, left)
        chunk = self.handle.read(min(size, READ_BLOCK))
        self.sent += len(chunk)
        if chunk and self.progress is not None:
            self.progress(self.start + self.sent, self.total)
        return chunk


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(READ_BLOCK):
            digest.update(block)
    return digest.hexdigest()


# --- signed PUT -------------------------------------------------------------------------------
def put_file(
    transport: Transport,
    *,
    url: str,
    path: Path,
    method: str = "PUT",
    headers: dict[str, str] | None = None,
    progress: ProgressCallback | None = None,
) -> Any:
    """Send the whole file to a signed URL (no token: the signature is the credential)."""
    size = path.stat().st_size
    attempts = 0
    with path.open("rb") as handle:

        def body() -> FileSlice:
            nonlocal attempts
            attempts += 1
            return FileSlice(handle, start=0, length=size, total=size, progress=progress)

        response = transport.send(
            method, url, body=body, headers=headers or {}, authenticated=False
        )
    try:
        return decode(response)
    except Conflict as exc:
        # A retry after an attempt whose answer was lost: that attempt stored the file.
        if attempts > 1 and exc.code == "upload_already_done":
            return None
        raise


# --- tus --------------------------------------------------------------------------------------
@dataclass
class ResumeRecord:
    """An unfinished tus upload of one file, as stored between processes."""

    server: str
    clip_id: str
    tus_url: str
    location: str
    size: int
    offset: int = 0
    exercise_id: str | None = None
    sha256: str | None = None


class ResumeStore:
    """One JSON file per unfinished upload, in ``directory`` (the config dir's ``uploads/``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _file(self, path: Path) -> Path:
        stat = path.stat()
        identity = f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}"
        return self.directory / f"{hashlib.sha256(identity.encode()).hexdigest()[:32]}.json"

    def load(self, path: Path) -> ResumeRecord | None:
        try:
            data = json.loads(self._file(path).read_text())
            return ResumeRecord(**data)
        except (FileNotFoundError, ValueError, TypeError):
            return None

    def save(self, path: Path, record: ResumeRecord) -> None:
        write_private_json(self._file(path), asdict(record))

    def forget(self, path: Path) -> None:
        self._file(path).unlink(missing_ok=True)


def _tus_metadata(values: dict[str, str]) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


class TusUploader:
    def __init__(
        self,
        transport: Transport,
        *,
        store: ResumeStore | None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        max_stalls: int = DEFAULT_MAX_STALLS,
    ) -> None:
        self.transport = transport
        self.store = store
        self.chunk_size = chunk_size
        self.max_stalls = max_stalls

    def upload(
        self,
        *,
        tus_url: str,
        path: Path,
        clip_id: str,
        progress: ProgressCallback | None = None,
        exercise_id: str | None = None,
        sha256: str | None = None,
        content_type: str | None = None,
    ) -> None:
        size = path.stat().st_size
        previous = self.store.load(path) if self.store is not None else None
        if previous is not None and previous.clip_id == clip_id:
            exercise_id = exercise_id or previous.exercise_id
        location, offset = self._resume_point(previous, tus_url)
        if location is None:
            metadata = {"filename": path.name}
            if content_type:
                metadata["filetype"] = content_type
            location, offset = self._create(tus_url, size, metadata), 0
        record = ResumeRecord(
            server=self.transport.url,
            clip_id=clip_id,
            tus_url=tus_url,
            location=location,
            size=size,
            offset=offset,
            exercise_id=exercise_id,
            sha256=sha256,
        )
        self._remember(path, record)
        if progress is not None:
            progress(offset, size)
        stalls = 0
        with path.open("rb") as handle:
            while offset < size:
                try:
                    offset = self._patch(location, handle, offset, size, progress)
                except (ServerError, Conflict, requests.RequestException) as exc:
                    if isinstance(exc, Conflict) and exc.code == "upload_already_done":
                        break  # an earlier PATCH finished it; its answer was lost
                    if isinstance(exc, Conflict) and exc.code != "upload_offset_mismatch":
                        raise
                    stalls += 1
                    if stalls > self.max_stalls:
                        raise
                    self.transport.sleep(self.transport.retry.delay(stalls - 1))
                    offset = self._head(location)
                    continue
                stalls = 0
                record.offset = offset
                self._remember(path, record)
        if self.store is not None:
            self.store.forget(path)

    def _remember(self, path: Path, record: ResumeRecord) -> None:
        if self.store is not None:
            self.store.save(path, record)

    def _resume_point(self, record: ResumeRecord | None, tus_url: str) -> tuple[str | None, int]:
        """The stored upload of this file for this clip and its offset on the server."""
        if record is None or record.tus_url != tus_url or not record.location:
            return None, 0
        try:
            return record.location, self._head(record.location)
        except (NotFound, Conflict):
            return None, 0
        except PractikaError as exc:
            if exc.status == 410:  # expired: a new creation replaces it
                return None, 0
            raise

    def _headers(self, **extra: str) -> dict[str, str]:
        return {"Tus-Resumable": TUS_VERSION, **extra}

    def _create(self, tus_url: str, size: int, metadata: dict[str, str]) -> str:
        # Safe to repeat: a later creation for the clip replaces an unfinished one.
        response = self.transport.send(
            "POST",
            tus_url,
            headers=self._headers(
                **{"Upload-Length": str(size), "Upload-Metadata": _tus_metadata(metadata)}
            ),
            idempotent=True,
        )
        decode(response)
        location = response.headers.get("Location")
        if not location:
            raise ServerError("The tus server answered without a Location.", code="tus_protocol")
        return urljoin(tus_url, location)

    def _head(self, location: str) -> int:
        response = self.transport.send("HEAD", location, headers=self._headers())
        decode(response)
        offset = response.headers.get("Upload-Offset", "")
        if not offset.isdigit():
            raise ServerError("HEAD answered without Upload-Offset.", code="tus_protocol")
        return int(offset)

    def _patch(
        self,
        location: str,
        handle: IO[bytes],
        offset: int,
        size: int,
        progress: ProgressCallback | None,
    ) -> int:
        length = min(self.chunk_size, size - offset)
        response = self.transport.send(
            "PATCH",
            location,
            body=lambda: FileSlice(
                handle, start=offset, length=length, total=size, progress=progress
            ),
            headers=self._headers(
                **{
                    "Upload-Offset": str(offset),
                    "Content-Type": "application/offset+octet-stream",
                }
            ),
            # Retried here, not in the transport: after a failure the next PATCH must start
            # at the server's offset, which only a HEAD tells.
            idempotent=False,
        )
        decode(response)
        new_offset = response.headers.get("Upload-Offset", "")
        if not new_offset.isdigit():
            raise ServerError("PATCH answered without Upload-Offset.", code="tus_protocol")
        return int(new_offset)
