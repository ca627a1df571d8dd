"""A small, typed client for ``/api/v1/``. It grows with the API (see API.md)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import requests

from .errors import PractikaError, ServerError, error_from_response

RETRY_STATUSES = {502, 503, 504}
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
