"""The plugin contract.

A plugin is a Django app under ``plugins/`` whose AppConfig carries an inner ``PluginMeta``
(name, version, description). The registry finds installed plugins and asks each, through
modules it may define, for what it adds:

- ``<app>.api.register_api(router)``: its viewsets, mounted under ``/api/v1/``;
- ``<app>.urls.urlpatterns``: plain views that are no viewsets (streamed uploads, signed
  media), mounted at the site root before the API and the CMS, in the URL namespace of the
  app's label; their paths are full (``api/v1/uploads/...``, ``media/...``);
- ``<app>.routing.websocket_urlpatterns``: extra websocket routes, mounted beside ``/ws/``;
- ``<app>.routing.register_topics(registry)``: its topic kinds for the ``/ws/`` protocol;
- ``<app>.wagtail_hooks``: found by Wagtail itself; ``<app>.tasks``: found by Huey itself.

Core never imports a plugin by name (import-linter enforces it); removing a plugin from
INSTALLED_APPS removes its feature and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

from django.apps import AppConfig, apps

if TYPE_CHECKING:
    from django.urls import URLPattern, URLResolver
    from rest_framework.routers import BaseRouter

    from .realtime import TopicRegistry


@dataclass(frozen=True)
class Plugin:
    label: str
    module: str
    name: str
    version: str
    description: str

    @classmethod
    def from_app_config(cls, app_config: AppConfig) -> Plugin:
        meta: Any = app_config.PluginMeta  # type: ignore[attr-defined]  # checked by caller
        return cls(
            label=app_config.label,
            module=app_config.name,
            name=str(getattr(meta, "name", app_config.verbose_name)),
            version=str(getattr(meta, "version", "0")),
            description=str(getattr(meta, "description", "")),
        )

    def submodule(self, name: str) -> ModuleType | None:
        """The plugin's ``<name>`` module, or None when it has none."""
        qualified = f"{self.module}.{name}"
        try:
            return import_module(qualified)
        except ModuleNotFoundError as exc:
            if exc.name == qualified:
                return None
            raise


def installed_plugins() -> list[Plugin]:
    return [
        Plugin.from_app_config(config)
        for config in apps.get_app_configs()
        if hasattr(config, "PluginMeta")
    ]


def register_plugin_apis(router: BaseRouter) -> None:
    for plugin in installed_plugins():
        api = plugin.submodule("api")
        if api is not None and hasattr(api, "register_api"):
            api.register_api(router)


def plugin_urlpatterns() -> list[URLResolver]:
    from django.urls import include, path

    resolvers: list[URLResolver] = []
    for plugin in installed_plugins():
        urls = plugin.submodule("urls")
        patterns = getattr(urls, "urlpatterns", None) if urls is not None else None
        if patterns:
            resolvers.append(path("", include((patterns, plugin.label), namespace=plugin.label)))
    return resolvers


def plugin_websocket_urlpatterns() -> list[URLPattern | URLResolver]:
    patterns: list[URLPattern | URLResolver] = []
    for plugin in installed_plugins():
        routing = plugin.submodule("routing")
        if routing is not None:
            patterns.extend(getattr(routing, "websocket_urlpatterns", []))
    return patterns


def register_plugin_topics(registry: TopicRegistry) -> None:
    for plugin in installed_plugins():
        routing = plugin.submodule("routing")
        if routing is not None and hasattr(routing, "register_topics"):
            routing.register_topics(registry)
