"""One exception hierarchy, built from the API's ``{"error": {code, message, details}}``."""

from __future__ import annotations

from typing import Any


class PractikaError(Exception):
    def __init__(
        self,
        message: str,
        *,
        code: str = "error",
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.details = details or {}

    def __str__(self) -> str:
        return f"{self.message} ({self.code})"


class AuthError(PractikaError):
    """401 or 403: not logged in, a bad token, or not allowed."""


class NotFound(PractikaError):
    pass


class Conflict(PractikaError):
    pass


class ValidationError(PractikaError):
    """400: ``details`` maps each field to its messages."""


class RateLimited(PractikaError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(PractikaError):
    pass


def error_from_response(status: int, body: Any, headers: dict[str, str]) -> PractikaError:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {"code": "http_error", "message": f"HTTP {status}", "details": {}}
    kwargs: dict[str, Any] = {
        "code": str(error.get("code", "error")),
        "status": status,
        "details": error.get("details") or {},
    }
    message = str(error.get("message", f"HTTP {status}"))
    if status == 429:
        retry = headers.get("Retry-After")
        return RateLimited(message, retry_after=float(retry) if retry else None, **kwargs)
    if status in (401, 403):
        return AuthError(message, **kwargs)
    if status == 404:
        return NotFound(message, **kwargs)
    if status == 409:
        return Conflict(message, **kwargs)
    if status >= 500:
        return ServerError(message, **kwargs)
    if status == 400:
        return ValidationError(message, **kwargs)
    return PractikaError(message, **kwargs)
