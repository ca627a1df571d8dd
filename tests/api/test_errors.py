"""Every 4xx/5xx of the API answers API.md's one error format."""

import io
import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.test.utils import override_settings
from knox.models import AuthToken
from rest_framework import exceptions as drf_exceptions
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from practika_site.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PractikaError,
    TooLarge,
    UnsupportedMedia,
    handler404,
    handler500,
)
from practika_site.core.parsers import BoundedFormParser, BoundedJSONParser
from practika_site.users.models import User
from tests.api.assertions import assert_error, response_json
from tests.factories import TEST_PASSWORD

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/me/"

ClientFor = Callable[[User], APIClient]


class RaisingView(APIView):
    """Raises ``error`` on every method: the exception handler alone shapes the answer."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    error: Exception = RuntimeError("set per test")

    def get(self, request: Request) -> Response:
        raise self.error

    def post(self, request: Request) -> Response:
        raise self.error


def raise_in_view(error: Exception, method: str = "get") -> HttpResponse:
    factory = APIRequestFactory()
    request = getattr(factory, method)("/api/v1/test-view/")
    response: HttpResponse = RaisingView.as_view(error=error)(request)
    return response


class ClipStateConflict(Conflict):
    """What a plugin does (STYLE.md): its own code, the status of its base class."""

    code = "clip_state_conflict"


# --- 400 -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_missing_fields_are_400_with_field_details(anon_client: APIClient) -> None:
    error = assert_error(anon_client.post(TOKEN_URL, {}, format="json"), 400, "invalid")
    assert set(error["details"]) == {"username", "password"}
    assert all(isinstance(m, str) for m in error["details"]["username"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": ["student"], "password": TEST_PASSWORD}, "username"),
        ({"username": 12345, "password": TEST_PASSWORD}, "username"),
        ({"username": True, "password": TEST_PASSWORD}, "username"),
        ({"username": "student", "password": {"plain": TEST_PASSWORD}}, "password"),
        ({"username": "student", "password": 12345678}, "password"),
        ({"username": None, "password": TEST_PASSWORD}, "username"),
        ({"username": "", "password": TEST_PASSWORD}, "username"),
    ],
)
def test_wrong_types_are_400_naming_the_field(
    anon_client: APIClient, student: User, payload: dict[str, Any], field: str
) -> None:
    error = assert_error(anon_client.post(TOKEN_URL, payload, format="json"), 400, "invalid")
    assert list(error["details"]) == [field]
    assert AuthToken.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["[1, 2, 3]", '"just a string"', "null"])
def test_non_object_json_is_400(anon_client: APIClient, body: str) -> None:
    response = anon_client.post(TOKEN_URL, body, content_type="application/json")
    assert_error(response, 400, "invalid")


@pytest.mark.django_db
def test_malformed_json_is_400(anon_client: APIClient) -> None:
    response = anon_client.post(TOKEN_URL, '{"username": ', content_type="application/json")
    assert_error(response, 400, "malformed_request")
    assert AuthToken.objects.count() == 0


def test_django_validation_errors_become_400() -> None:
    error = assert_error(
        raise_in_view(DjangoValidationError({"end": ["End must be after start."]})), 400, "invalid"
    )
    assert error["details"] == {"end": ["End must be after start."]}
    error = assert_error(raise_in_view(DjangoValidationError("Nope.")), 400, "invalid")
    assert error["details"] == {"non_field_errors": ["Nope."]}


def test_drf_validation_error_lists_become_non_field_errors() -> None:
    error = assert_error(
        raise_in_view(drf_exceptions.ValidationError(["one", "two"])), 400, "invalid"
    )
    assert error["details"] == {"non_field_errors": ["one", "two"]}


def test_nested_validation_errors_keep_their_shape() -> None:
    exc = drf_exceptions.ValidationError(
        {"markers": [{}, {"time": ["Required."]}], "title": "Bad.", "scores": {"0": ["Low."]}}
    )
    error = assert_error(raise_in_view(exc), 400, "invalid")
    assert error["details"] == {
        "markers": [{}, {"time": ["Required."]}],
        "title": ["Bad."],
        "scores": {"0": ["Low."]},
    }


def test_suspicious_operation_is_400_without_its_text() -> None:
    error = assert_error(
        raise_in_view(SuspiciousOperation("evil header x")), 400, "malformed_request"
    )
    assert "evil" not in error["message"]


def test_invalid_input_carries_its_details() -> None:
    error = assert_error(
        raise_in_view(InvalidInput(details={"start": ["Too late."]})), 400, "invalid"
    )
    assert error["details"] == {"start": ["Too late."]}


# --- 401 -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_no_token_is_401(anon_client: APIClient) -> None:
    response = anon_client.get(ME_URL)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    [
        "Token not-a-real-token",
        "Token " + "0" * 64,
        "Token",
        "Token two parts",
        "token lowercase-prefix-still-checked",
    ],
)
def test_bad_token_is_401(anon_client: APIClient, student: User, header: str) -> None:
    response = anon_client.get(ME_URL, HTTP_AUTHORIZATION=header)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
def test_another_scheme_is_just_anonymous(anon_client: APIClient, student: User) -> None:
    response = anon_client.get(ME_URL, HTTP_AUTHORIZATION="Bearer abc")
    assert_error(response, 401, "not_authenticated")


@pytest.mark.django_db
def test_expired_token_is_401_and_deleted(anon_client: APIClient, student: User) -> None:
    instance, token = AuthToken.objects.create(user=student, expiry=timedelta(seconds=-1))
    response = anon_client.get(ME_URL, HTTP_AUTHORIZATION=f"Token {token}")
    assert_error(response, 401, "not_authenticated")
    assert not AuthToken.objects.filter(pk=instance.pk).exists()


def test_practika_401_names_the_auth_scheme() -> None:
    response = raise_in_view(NotAuthenticated())
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


# --- 403 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        Forbidden("Only the owner may publish."),
        drf_exceptions.PermissionDenied(),
        DjangoPermissionDenied(),
    ],
)
def test_forbidden_is_403(error: Exception) -> None:
    assert_error(raise_in_view(error, "post"), 403, "forbidden")


def test_forbidden_keeps_its_message() -> None:
    error = assert_error(raise_in_view(Forbidden("Only the owner may publish.")), 403, "forbidden")
    assert error["message"] == "Only the owner may publish."


# --- 404 -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/no-such-thing/",
        "/api/v1/courses/not-a-uuid/",
        "/api/v1/clips/12345/commit/",
        "/api/v1/me",  # no slash: no redirect, an unknown URL
        "/api/v1/me/extra/",
        "/api/v1/%E2%98%83/",
    ],
)
def test_unknown_api_urls_are_404_json(student: User, client_for: ClientFor, url: str) -> None:
    client = client_for(student)
    assert_error(client.get(url), 404, "not_found")


@pytest.mark.django_db
def test_unknown_api_urls_are_404_json_for_anonymous_posts_without_csrf() -> None:
    client = APIClient(enforce_csrf_checks=True)
    assert_error(client.post("/api/v1/no-such-thing/", {"a": 1}, format="json"), 404, "not_found")
    assert_error(client.delete("/api/v1/no-such-thing/"), 404, "not_found")


@pytest.mark.django_db
def test_unknown_api_urls_are_404_json_with_debug_on(anon_client: APIClient) -> None:
    with override_settings(DEBUG=True):
        assert_error(anon_client.get("/api/v1/no-such-thing/"), 404, "not_found")
        assert_error(anon_client.get("/api/v1/courses/not-a-uuid/"), 404, "not_found")


@pytest.mark.parametrize(
    "error", [NotFound("Clip not found."), drf_exceptions.NotFound(), Http404("secret detail")]
)
def test_not_found_is_404(error: Exception) -> None:
    error_body = assert_error(raise_in_view(error), 404, "not_found")
    assert "secret" not in error_body["message"]


# --- 405, 406 ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_wrong_method_is_405(student: User, client_for: ClientFor) -> None:
    client = client_for(student)
    response = client.put(ME_URL, {"username": "x"}, format="json")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]
    assert_error(client.delete("/api/v1/health/"), 405, "method_not_allowed")


@pytest.mark.django_db
def test_unacceptable_media_type_is_406(student: User, client_for: ClientFor) -> None:
    client = client_for(student)
    response = client.get(ME_URL, HTTP_ACCEPT="application/xml")
    assert_error(response, 406, "not_acceptable")


# --- 409, 413, 415 from PractikaError subclasses -------------------------------------------


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (Conflict(), 409, "conflict"),
        (
            ClipStateConflict(details={"clip_id": "c1", "status": "ready"}),
            409,
            "clip_state_conflict",
        ),
        (TooLarge(), 413, "too_large"),
        (UnsupportedMedia(), 415, "unsupported_media"),
        (Forbidden(), 403, "forbidden"),
        (NotFound(), 404, "not_found"),
        (PractikaError("Generic."), 400, "error"),
        (Conflict("Committed twice.", code="already_committed"), 409, "already_committed"),
        (RequestDataTooBig(), 413, "too_large"),
    ],
)
def test_practika_errors_keep_status_and_code(error: Exception, status: int, code: str) -> None:
    body = assert_error(raise_in_view(error, "post"), status, code)
    if isinstance(error, PractikaError):
        assert body["message"] == error.message
        assert body["details"] == error.details


def test_per_instance_code_does_not_leak_to_the_class() -> None:
    Conflict("x", code="already_committed")
    assert Conflict.code == "conflict"
    assert Conflict().code == "conflict"


# --- 413 and 415 on a real endpoint --------------------------------------------------------


@pytest.mark.django_db
def test_oversized_json_body_is_413_and_writes_nothing(
    anon_client: APIClient, student: User
) -> None:
    body = {"username": "student", "password": TEST_PASSWORD, "padding": "x" * 500}
    with override_settings(PRACTIKA_API_MAX_BODY_BYTES=200):
        response = anon_client.post(TOKEN_URL, body, format="json")
        assert_error(response, 413, "too_large")
        assert AuthToken.objects.count() == 0
        # The same credentials in a small body work: the size alone was refused.
        small = anon_client.post(
            TOKEN_URL, {"username": "student", "password": TEST_PASSWORD}, format="json"
        )
        assert small.status_code == 200


@pytest.mark.django_db
def test_oversized_form_body_is_413_and_writes_nothing(
    anon_client: APIClient, student: User
) -> None:
    body = f"username=student&password={TEST_PASSWORD}&padding={'x' * 500}"
    with override_settings(PRACTIKA_API_MAX_BODY_BYTES=200):
        response = anon_client.post(
            TOKEN_URL, body, content_type="application/x-www-form-urlencoded"
        )
    assert_error(response, 413, "too_large")
    assert AuthToken.objects.count() == 0


@pytest.mark.parametrize("parser", [BoundedJSONParser(), BoundedFormParser()])
def test_parsers_bound_a_body_without_a_declared_length(
    parser: BoundedJSONParser | BoundedFormParser,
) -> None:
    """A chunked body has no Content-Length; the parser still stops reading at the limit."""
    with override_settings(PRACTIKA_API_MAX_BODY_BYTES=10), pytest.raises(TooLarge):
        parser.parse(io.BytesIO(b'{"a": "' + b"x" * 100 + b'"}'), None, {})


@pytest.mark.django_db
def test_unsupported_content_type_is_415(anon_client: APIClient, student: User) -> None:
    response = anon_client.post(TOKEN_URL, "student:secret", content_type="text/plain")
    assert_error(response, 415, "unsupported_media")
    assert AuthToken.objects.count() == 0


# --- 429 -----------------------------------------------------------------------------------


@pytest.fixture
def tight_throttles(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """DRF reads the rates into a class attribute at import; patch that, with a clean cache."""
    rates = {"anon": "1000/min", "user": "2/min", "login": "2/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
@pytest.mark.usefixtures("tight_throttles")
def test_login_is_throttled_with_retry_after(anon_client: APIClient, student: User) -> None:
    wrong = {"username": "student", "password": "wrong"}
    for _ in range(2):
        assert anon_client.post(TOKEN_URL, wrong, format="json").status_code == 401
    response = anon_client.post(TOKEN_URL, wrong, format="json")
    error = assert_error(response, 429, "throttled")
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 60
    assert error["details"]["retry_after"] > 0
    # Even the right password is refused until the window passes.
    right = {"username": "student", "password": TEST_PASSWORD}
    assert_error(anon_client.post(TOKEN_URL, right, format="json"), 429, "throttled")
    assert AuthToken.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.usefixtures("tight_throttles")
def test_users_are_throttled_per_user(student: User, student2: User, client_for: ClientFor) -> None:
    client = client_for(student)
    for _ in range(2):
        assert client.get(ME_URL).status_code == 200
    response = client.get(ME_URL)
    assert_error(response, 429, "throttled")
    assert "Retry-After" in response
    other = client_for(student2)
    assert other.get(ME_URL).status_code == 200


# --- 500 -----------------------------------------------------------------------------------


def test_uncaught_exception_is_500_without_traceback(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="practika_site.core.errors"):
        response = raise_in_view(ZeroDivisionError("secret internal detail"))
    error = assert_error(response, 500, "server_error")
    text = response.content.decode()
    assert "secret internal detail" not in text
    assert "Traceback" not in text
    assert "ZeroDivisionError" not in text
    assert error["details"] == {}
    logged = [r for r in caplog.records if r.name == "practika_site.core.errors"]
    assert logged, "the error must be logged"
    assert logged[0].levelno == logging.ERROR
    assert logged[0].exc_info is not None
    assert "secret internal detail" in caplog.text


def test_handler500_answers_json_for_api_paths() -> None:
    request = RequestFactory().get("/api/v1/clips/")
    assert_error(handler500(request), 500, "server_error")


def test_handler500_answers_html_for_site_paths() -> None:
    response = handler500(RequestFactory().get("/courses/"))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert b"Something went wrong" in response.content
    assert b"Traceback" not in response.content


def test_handler404_answers_json_for_api_paths() -> None:
    request = RequestFactory().get("/api/v2/anything/")
    assert_error(handler404(request, Http404()), 404, "not_found")


@pytest.mark.django_db
def test_handler404_answers_html_for_site_paths() -> None:
    response = handler404(RequestFactory().get("/no-such-page/"), Http404())
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"Page not found" in response.content


@pytest.mark.django_db
def test_site_404_is_html_and_api_404_outside_v1_is_json(anon_client: APIClient) -> None:
    response = anon_client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"Page not found" in response.content
    # Under /api/ but outside any version: still the API's format.
    assert_error(anon_client.get("/api/v2/clips/"), 404, "not_found")


def test_error_body_is_plain_json() -> None:
    body = response_json(raise_in_view(Conflict("Committed twice.", details={"n": 2})))
    assert body == {
        "error": {"code": "conflict", "message": "Committed twice.", "details": {"n": 2}}
    }
