"""One exception hierarchy, built from the API's ``{"error": {code, message, details}}``.

``PractikaError`` is the root; the HTTP status picks the subclass, the body gives ``code``,
``message`` and ``details`` (field errors for a 400). Errors the SDK raises itself (a wait
that timed out, a clip whose processing failed, a server out of reach) use the same classes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any


class PractikaError(Exception):
    def __init__(
        self,
        message: str,
        *,
        code: str = "error",
        status: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.details: dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        return f"{self.message} ({self.code})"


class AuthError(PractikaError):
    """401 or 403: not logged in, a bad or revoked token, or not allowed to do this."""


class NotFound(PractikaError):
    """404: the object does not exist or the caller may not see it (the API never says which)."""


class Conflict(PractikaError):
    """409: the object's state forbids this (commit twice, upload after commit)."""


class ValidationError(PractikaError):
    """400 (and 413/415): ``details`` maps each field to its messages."""

    @property
    def fields(self) -> dict[str, list[str]]:
        """Field name to messages, flattened to strings."""
        return {
            name: [str(m) for m in value] if isinstance(value, list) else [str(value)]
            for name, value in self.details.items()
        }


class RateLimited(PractikaError):
    """429: wait ``retry_after`` seconds (the server always says how long)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(PractikaError):
    """5xx, or the server could not be reached (``code == "unreachable"``)."""


class WaitTimeout(PractikaError):
    """A wait (``wait_ready``, ``watch``) ran out of time before the awaited state."""


class ProcessingFailed(PractikaError):
    """The clip's processing ended in ``failed`` or ``rejected``; ``code`` is the pipeline's."""


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: a number or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def error_from_response(status: int, body: Any, headers: Mapping[str, str]) -> PractikaError:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {"code": "http_error", "message": f"HTTP {status}", "details": {}}
    details = error.get("details")
    kwargs: dict[str, Any] = {
        "code": str(error.get("code", "error")),
        "status": status,
        "details": details if isinstance(details, dict) else {},
    }
    message = str(error.get("message", f"HTTP {status}"))
    if status == 429:
        retry_after = parse_retry_after(_header(headers, "Retry-After"))
        return RateLimited(message, retry_after=retry_after, **kwargs)
    kind: type[PractikaError] = PractikaError
    if status in (401, 403):
        kind = AuthError
    elif status == 404:
        kind = NotFound
    elif status == 409:
        kind = Conflict
    elif status in (400, 413, 415, 422):
        kind = ValidationError
    elif status >= 500:
        kind = ServerError
    return kind(message, **kwargs)


def error_from_frame(frame: Mapping[str, Any]) -> PractikaError:
    """A websocket ``{"type": "error", "code", "message", "topic"}`` frame as an exception."""
    code = str(frame.get("code", "error"))
    message = str(frame.get("message", "The server refused the request."))
    topic = frame.get("topic")
    details = {"topic": topic} if topic is not None else {}
    if code in ("forbidden", "not_authenticated"):
        return AuthError(message, code=code, details=details)
    if code in ("invalid_topic", "invalid_frame", "unknown_topic", "invalid"):
        return ValidationError(message, code=code, details=details)
    return PractikaError(message, code=code, details=details)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None
