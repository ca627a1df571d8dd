"""Practika's errors and the one place that renders every API error.

Every 4xx/5xx of the API answers ``{"error": {"code", "message", "details"}}``. Services raise
``PractikaError`` subclasses; DRF's and Django's own exceptions are translated here too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class PractikaError(Exception):
    """A domain error with a stable machine-readable code."""

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = status.HTTP_400_BAD_REQUEST
    default_message: ClassVar[str] = "The request could not be completed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        self.message = message or self.default_message
        if code is not None:
            self.code = code  # type: ignore[misc]  # per-instance code for one-off cases
        self.details: dict[str, Any] = dict(details or {})
        super().__init__(self.message)


class InvalidInput(PractikaError):
    code = "invalid"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = "The request has invalid fields."


class NotAuthenticated(PractikaError):
    code = "not_authenticated"
    http_status = status.HTTP_401_UNAUTHORIZED
    default_message = "Authentication credentials were not provided or are invalid."


class Forbidden(PractikaError):
    code = "forbidden"
    http_status = status.HTTP_403_FORBIDDEN
    default_message = "You may not do this."


class NotFound(PractikaError):
    code = "not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = "Not found."


class Conflict(PractikaError):
    code = "conflict"
    http_status = status.HTTP_409_CONFLICT
    default_message = "The object is not in a state that allows this."


class TooLarge(PractikaError):
    code = "too_large"
    http_status = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_message = "The request body is too large."


class UnsupportedMedia(PractikaError):
    code = "unsupported_media"
    http_status = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_message = "This media type is not supported."


def error_body(code: str, message: str, details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": dict(details or {})}}


_DRF_CODES: dict[type[drf_exceptions.APIException], str] = {
    drf_exceptions.ValidationError: "invalid",
    drf_exceptions.ParseError: "malformed_request",
    drf_exceptions.AuthenticationFailed: "not_authenticated",
    drf_exceptions.NotAuthenticated: "not_authenticated",
    drf_exceptions.PermissionDenied: "forbidden",
    drf_exceptions.NotFound: "not_found",
    drf_exceptions.MethodNotAllowed: "method_not_allowed",
    drf_exceptions.NotAcceptable: "not_acceptable",
    drf_exceptions.UnsupportedMediaType: "unsupported_media",
    drf_exceptions.Throttled: "throttled",
}


def _drf_error(exc: drf_exceptions.APIException) -> tuple[str, str, dict[str, Any]]:
    code = _DRF_CODES.get(type(exc), str(exc.default_code))
    if isinstance(exc, drf_exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            details = {str(k): _as_messages(v) for k, v in detail.items()}
        else:
            details = {"non_field_errors": _as_messages(detail)}
        return code, "The request has invalid fields.", details
    if isinstance(exc, drf_exceptions.Throttled):
        wait = getattr(exc, "wait", None)  # set by Throttled.__init__, missing from the stubs
        return code, "Too many requests; try again later.", {"retry_after": wait}
    return code, str(exc.detail), {}


def _as_messages(value: object) -> list[Any] | dict[str, Any]:
    if isinstance(value, dict):
        return {str(k): _as_messages(v) for k, v in value.items()}
    if isinstance(value, list):
        if any(isinstance(item, dict) for item in value):
            # Nested objects (many=True): one entry per item, ``{}`` for the valid ones.
            return [_as_messages(item) for item in value]
        flat: list[str] = []
        for item in value:
            nested = _as_messages(item)
            flat.extend(nested if isinstance(nested, list) else [str(nested)])
        return flat
    return [str(value)]


def api_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: everything becomes the API.md error format."""
    if isinstance(exc, PractikaError):
        domain = Response(error_body(exc.code, exc.message, exc.details), status=exc.http_status)
        if exc.http_status == status.HTTP_401_UNAUTHORIZED:
            from knox.settings import knox_settings  # reads the settings: not at import

            # A 401 must name the scheme (RFC 9110), as DRF does for its own 401s.
            domain["WWW-Authenticate"] = knox_settings.AUTH_HEADER_PREFIX
        return domain
    if isinstance(exc, DjangoValidationError):
        details = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(
            error_body("invalid", "The request has invalid fields.", details),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        return Response(
            error_body(TooLarge.code, TooLarge.default_message), status=TooLarge.http_status
        )
    elif isinstance(exc, SuspiciousOperation):
        exc = drf_exceptions.ParseError("The request was rejected as malformed.")

    if isinstance(exc, drf_exceptions.APIException):
        # Imported here: rest_framework.views loads the API settings, which import our
        # parser, which imports this module; services import errors before DRF is ready.
        from rest_framework.views import exception_handler as drf_exception_handler

        response = drf_exception_handler(exc, dict(context))
        assert response is not None  # DRF handles every APIException
        code, message, details = _drf_error(exc)
        response.data = error_body(code, message, details)
        return response

    # Anything else is a bug: log it with its traceback, answer without one.
    logger.exception("Unhandled error in API view", exc_info=exc)
    return Response(
        error_body("server_error", "An unexpected error occurred."),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


@csrf_exempt  # token clients send no CSRF cookie; a POST to a wrong URL is still a 404
def api_not_found(request: HttpRequest, *args: object, **kwargs: object) -> JsonResponse:
    """Unknown URLs under /api/ answer in the API's error format, DEBUG or not."""
    return JsonResponse(error_body("not_found", "No such API endpoint."), status=404)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return api_not_found(request)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception or Http404())


def handler500(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body("server_error", "An unexpected error occurred."), status=500)
    from django.views.defaults import server_error

    return server_error(request)
