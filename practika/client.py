"""A small, typed client for ``/api/v1/``. It grows with the API (see API.md)."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import requests

from .errors import PractikaError, ServerError, error_from_response

RETRY_STATUSES = {502, 503, 504}
CHUNK = 1024 * 1024
FINAL_STATUSES = {"ready", "failed", "rejected"}
ProgressCallback = Callable[[int, int], None]
IDEMPOTENT_METHODS = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}


class Practika:
    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self.url = (url or os.environ.get("PRACTIKA_URL") or "http://127.0.0.1:8000").rstrip("/")
        self.token = token or os.environ.get("PRACTIKA_TOKEN")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.session = requests.Session()

    @classmethod
    def login(cls, url: str, username: str, password: str, **kwargs: Any) -> Practika:
        client = cls(url, **kwargs)
        body = client.request(
            "POST", "/api/v1/auth/token/", json={"username": username, "password": password}
        )
        client.token = str(body["token"])
        return client

    def logout(self) -> None:
        self.request("DELETE", "/api/v1/auth/token/")
        self.token = None

    # --- transport -------------------------------------------------------------------------
    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        url = path if path.startswith("http") else f"{self.url}{path}"
        headers = dict(kwargs.pop("headers", {}))
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        attempts = self.retries + 1 if method.upper() in IDEMPOTENT_METHODS else 1
        for attempt in range(attempts):
            try:
                response = self.session.request(
                    method, url, headers=headers, timeout=self.timeout, **kwargs
                )
            except requests.ConnectionError as exc:
                if attempt + 1 >= attempts:
                    raise ServerError(
                        f"Cannot reach {self.url}: {exc}", code="unreachable"
                    ) from exc
            else:
                if response.status_code not in RETRY_STATUSES or attempt + 1 >= attempts:
                    return self._decode(response)
            time.sleep(self.backoff * 2**attempt)
        raise PractikaError("unreachable")  # pragma: no cover  (the loop always returns)

    @staticmethod
    def _decode(response: requests.Response) -> Any:
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        if response.status_code >= 400:
            raise error_from_response(response.status_code, body, dict(response.headers))
        return body

    def paginate(self, path: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        """Every item of a paginated list, fetching pages lazily."""
        page: Any = self.request("GET", path, params=params or {})
        while True:
            yield from page["results"]
            if not page.get("next"):
                return
            page = self.request("GET", page["next"])

    # --- resources -------------------------------------------------------------------------
    def me(self) -> dict[str, Any]:
        return dict(self.request("GET", "/api/v1/me/"))

    def courses(self) -> Iterator[dict[str, Any]]:
        return self.paginate("/api/v1/courses/")

    def course(self, course_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/api/v1/courses/{course_id}/"))

    def enroll(self, course_id: str) -> dict[str, Any]:
        return dict(self.request("POST", f"/api/v1/courses/{course_id}/enroll/"))

    def exercises(
        self, *, course: str | None = None, lesson: str | None = None, search: str | None = None
    ) -> Iterator[dict[str, Any]]:
        params = {
            k: v for k, v in {"course": course, "lesson": lesson, "search": search}.items() if v
        }
        return self.paginate("/api/v1/exercises/", params)

    def exercise(self, exercise_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/api/v1/exercises/{exercise_id}/"))

    # --- the practice flow (API.md) ----------------------------------------------------------
    def request_upload(
        self,
        exercise_id: str,
        duration_sec: float,
        filename: str | None = None,
        size_bytes: int | None = None,
        content_type: str | None = None,
        sha256: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"exercise_id": exercise_id, "duration_sec": duration_sec}
        optional = {
            "filename": filename,
            "size_bytes": size_bytes,
            "content_type": content_type,
            "sha256": sha256,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        return dict(self.request("POST", "/api/v1/clips/", json=body))

    def upload_file(
        self,
        upload_data: dict[str, Any],
        path: str | Path,
        progress: ProgressCallback | None = None,
    ) -> Any:
        """PUT the file to the signed URL, streamed from disk in chunks (never all in memory)."""
        path = Path(path)
        with path.open("rb") as handle:
            response = self.session.request(
                upload_data.get("method", "PUT"),
                upload_data["url"],
                data=_ProgressReader(handle, path.stat().st_size, progress),
                headers=dict(upload_data.get("headers", {})),
                timeout=self.timeout,
            )
        return self._decode(response)

    def commit(self, clip_id: str) -> dict[str, Any]:
        return dict(self.request("POST", f"/api/v1/clips/{clip_id}/commit/"))

    def status(self, clip_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/api/v1/clips/{clip_id}/status/"))

    def streams(self, clip_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/api/v1/clips/{clip_id}/streams/"))

    def wait_ready(self, clip_id: str, timeout: float = 600.0, poll: float = 1.0) -> dict[str, Any]:
        """Poll the status until the clip is ready, failed or rejected (or time runs out)."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.status(clip_id)
            if status["status"] in FINAL_STATUSES:
                return status
            if time.monotonic() >= deadline:
                raise PractikaError(
                    f"Clip {clip_id} is still {status['status']} after {timeout:.0f} s.",
                    code="timeout",
                )
            time.sleep(poll)

    def practice(
        self,
        exercise_id: str,
        path: str | Path,
        *,
        duration_sec: float,
        wait: bool = True,
        timeout: float = 600.0,
        progress: ProgressCallback | None = None,
    ) -> dict[str, Any]:
        """The whole flow: request an upload, send the file, commit, and (by default) wait."""
        path = Path(path)
        upload = self.request_upload(
            exercise_id,
            duration_sec,
            filename=path.name,
            size_bytes=path.stat().st_size,
            content_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream",
            sha256=_sha256(path),
        )
        self.upload_file(upload, path, progress)
        status = self.commit(upload["clip_id"])
        return self.wait_ready(upload["clip_id"], timeout) if wait else status


class _ProgressReader:
    """A file that reports how much has been read; its length lets requests send a
    Content-Length (a generator body would be sent chunked, which signed PUTs refuse)."""

    def __init__(self, handle: IO[bytes], size: int, progress: ProgressCallback | None) -> None:
        self.handle, self.size, self.progress, self.sent = handle, size, progress, 0

    def __len__(self) -> int:
        return self.size

    def read(self, amount: int = -1) -> bytes:
        chunk = self.handle.read(amount)
        self.sent += len(chunk)
        if self.progress is not None and chunk:
            self.progress(self.sent, self.size)
        return chunk


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
