"""HTTP for the SDK: one ``requests.Session``, timeouts, retries with backoff, typed errors.

Only idempotent requests are retried (GET, HEAD, PUT, DELETE, OPTIONS, and tus PATCH, which
carries its offset and so can never be applied twice), on connection errors, timeouts and
502/503/504, after an exponential backoff with full jitter or the server's ``Retry-After``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import requests

from .errors import ServerError, error_from_response, parse_retry_after

RETRY_STATUSES = frozenset({502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
USER_AGENT = "practika-sdk/0.1"

T = TypeVar("T")
Timeout = float | tuple[float, float]
#: Builds a fresh request body for each attempt (a stream read once cannot be sent twice).
BodyFactory = Callable[[], Any]


@dataclass(frozen=True)
class RetryPolicy:
    """``retries`` more attempts after the first; the n-th waits up to ``backoff * 2**n``."""

    retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 30.0
    #: A server asking for a longer wait than this is not waited for: the error is raised.
    max_retry_after: float = 120.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return retry_after
        # Full jitter: clients that failed together do not come back together.
        return random.uniform(0, min(self.max_backoff, self.backoff * 2**attempt))


class Transport:
    def __init__(
        self,
        url: str,
        token: str | None,
        *,
        timeout: Timeout,
        retry: RetryPolicy,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retry = retry
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        self.sleep = sleep

    def absolute(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.url}{path}"

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"} if self.token else {}

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        body: BodyFactory | None = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
        idempotent: bool | None = None,
        timeout: Timeout | None = None,
    ) -> requests.Response:
        """The response of the last attempt, whatever its status (errors are not raised)."""
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        all_headers = {**(self.auth_headers() if authenticated else {}), **(headers or {})}
        attempts = self.retry.retries + 1 if idempotent else 1
        url = self.absolute(path)
        for attempt in range(attempts):
            last = attempt + 1 >= attempts
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=body() if body is not None else None,
                    headers=all_headers,
                    timeout=timeout or self.timeout,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                if last:
                    raise ServerError(
                        f"Cannot reach {self.url}: {exc}", code="unreachable"
                    ) from exc
                self.sleep(self.retry.delay(attempt))
                continue
            if response.status_code not in RETRY_STATUSES or last:
                return response
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is not None and retry_after > self.retry.max_retry_after:
                return response
            response.close()
            self.sleep(self.retry.delay(attempt, retry_after))
        raise AssertionError("the retry loop returns or raises")  # pragma: no cover

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """The decoded JSON answer (``None`` for an empty one); an error status raises."""
        return decode(self.send(method, path, **kwargs))

    def paginate(
        self,
        path: str,
        parse: Callable[[Mapping[str, Any]], T],
        params: Mapping[str, Any] | None = None,
        *,
        page_size: int | None = None,
    ) -> Iterator[T]:
        """Every item of a paginated list, each page fetched only when the previous one is
        used up. Follows the server's ``next`` links, so filters and page size carry over."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        if page_size is not None:
            query["page_size"] = page_size
        page = self.request("GET", path, params=query)
        while True:
            for item in page["results"]:
                yield parse(item)
            if not page.get("next"):
                return
            page = self.request("GET", page["next"])


def decode(response: requests.Response) -> Any:
    try:
        body = response.json() if response.content else None
    except ValueError:
        body = None
    if response.status_code >= 400:
        raise error_from_response(response.status_code, body, response.headers)
    return body
