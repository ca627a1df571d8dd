"""``/api/v1/``: the core routes plus whatever each installed plugin registers."""

from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, URLResolver, path, re_path
from rest_framework.routers import DefaultRouter

from practika_site.core.errors import api_not_found
from practika_site.core.health import LivenessView, ReadinessView
from practika_site.core.plugins import register_plugin_apis
from practika_site.courses import api as courses_api
from practika_site.users.api import MeView, TokenView


class PractikaRouter(DefaultRouter):
    """No trailing-slash surprises; ids are UUIDs, anything else is an unknown URL (404)."""

    include_format_suffixes = False


def schema_endpoints(
    endpoints: list[tuple[str, str, str, Callable[..., Any]]],
) -> list[tuple[str, str, str, Callable[..., Any]]]:
    """drf-spectacular preprocessing hook: the schema documents ``/api/v1/`` only.

    Wagtail mounts its own DRF admin API under ``/cms/api/``; it is not Practika's contract
    and, generated without a request, it only yields warnings.
    """
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


def build_router() -> DefaultRouter:
    router = PractikaRouter()
    courses_api.register_api(router)
    register_plugin_apis(router)
    return router


def build_urlpatterns() -> list[URLPattern | URLResolver]:
    router = build_router()
    return [
        path("auth/token/", TokenView.as_view(), name="api-token"),
        path("me/", MeView.as_view(), name="api-me"),
        path("health/", LivenessView.as_view(), name="api-health"),
        path("health/ready/", ReadinessView.as_view(), name="api-health-ready"),
        *router.urls,
        re_path(r"^.*$", api_not_found),
    ]
