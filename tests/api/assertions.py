"""Assertions on the API's single error format (API.md, "Errors")."""

import json
from typing import Any

from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.template.response import SimpleTemplateResponse


def response_json(response: HttpResponseBase) -> Any:
    """The body as JSON; renders a DRF Response that a view returned directly."""
    assert isinstance(response, HttpResponse), type(response)  # not a streaming response
    if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
        response.render()
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return json.loads(response.content)


def assert_error(response: HttpResponseBase, status: int, code: str) -> dict[str, Any]:
    """``{"error": {"code", "message", "details"}}`` with this status and code; the error."""
    assert response.status_code == status, (response.status_code, getattr(response, "content", b""))
    body = response_json(response)
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str), error
    assert error["message"], error
    assert isinstance(error["details"], dict), error
    return dict(error)
