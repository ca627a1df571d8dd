"""The OpenAPI schema, Swagger UI, ReDoc and the browsable API."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from practika_site.users.models import User

CORE_PATHS = ["/api/v1/auth/token/", "/api/v1/me/", "/api/v1/health/", "/api/v1/health/ready/"]


@pytest.fixture
def schema(anon_client: APIClient) -> dict[str, Any]:
    response = anon_client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    document: dict[str, Any] = yaml.safe_load(response.content)
    return document


@pytest.mark.django_db
def test_schema_is_valid_openapi(schema: dict[str, Any]) -> None:
    validate_schema(schema)  # raises on an invalid document
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Practika API"


@pytest.mark.django_db
def test_schema_documents_the_core_endpoints(schema: dict[str, Any]) -> None:
    for path in CORE_PATHS:
        assert path in schema["paths"], path
    assert set(schema["paths"]["/api/v1/auth/token/"]) >= {"post", "delete"}
    token = schema["components"]["schemas"]["TokenRead"]["properties"]
    assert set(token) == {"token", "expires_at", "user"}


@pytest.mark.django_db
def test_schema_documents_only_the_public_api(schema: dict[str, Any]) -> None:
    # Wagtail's admin API (/cms/api/) is not part of the contract.
    assert all(path.startswith("/api/v1/") for path in schema["paths"]), list(schema["paths"])


@pytest.mark.django_db
def test_schema_as_json(anon_client: APIClient) -> None:
    response = anon_client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    validate_schema(response.json())


Endpoint = tuple[str, str, str, Callable[..., Any]]


def core_endpoints_only(endpoints: list[Endpoint]) -> list[Endpoint]:
    """Keep the views that ``practika_site`` itself defines (plugins are checked by theirs)."""
    return [
        e for e in endpoints if getattr(e[3], "cls", e[3]).__module__.startswith("practika_site.")
    ]


CORE_ONLY = {
    "PREPROCESSING_HOOKS": [
        "practika_site.api.schema_endpoints",
        "tests.api.test_schema.core_endpoints_only",
    ]
}


@pytest.mark.django_db
def test_core_schema_generation_has_no_warnings(tmp_path: Path) -> None:
    """What ``manage.py spectacular --validate --fail-on-warn`` checks, for the core's views."""
    target = tmp_path / "schema.yml"
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--custom-settings",
        "tests.api.test_schema.CORE_ONLY",
        "--file",
        str(target),
    )
    document = yaml.safe_load(target.read_text())
    for path in CORE_PATHS:
        assert path in document["paths"]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "marker"), [("/docs/", b"swagger-ui"), ("/docs/redoc/", b"redoc")])
def test_docs_pages_render(anon_client: APIClient, url: str, marker: bytes) -> None:
    response = anon_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert marker in response.content.lower()
    assert b"/api/v1/schema/" in response.content


@pytest.mark.django_db
def test_browsable_api_renders_html_for_a_logged_in_browser(student: User) -> None:
    browser = APIClient()
    browser.force_login(student)
    response = browser.get("/api/v1/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"Api Root" in response.content or b"API Root" in response.content
    me = browser.get("/api/v1/me/", HTTP_ACCEPT="text/html")
    assert me.status_code == 200
    assert me["Content-Type"].startswith("text/html")
    assert b"student" in me.content


@pytest.mark.django_db
def test_api_root_is_json_for_token_clients(
    student: User, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(student)
    response = client.get("/api/v1/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict)
    assert all(isinstance(url, str) and "/api/v1/" in url for url in body.values())


@pytest.mark.django_db
def test_api_root_needs_auth(anon_client: APIClient) -> None:
    assert anon_client.get("/api/v1/").status_code == 401
