"""The registry finds the example plugin through its AppConfig's PluginMeta."""

from practika_site.core.plugins import Plugin, installed_plugins
from practika_site.core.realtime import get_topic_registry
from practika_site.routing import build_websocket_urlpatterns

EXAMPLE = Plugin(
    label="plugin_example",
    module="tests.plugin_example",
    name="Example plugin",
    version="1.0",
    description="Registers an API route, a websocket topic and a Wagtail hook.",
)


def test_registry_finds_the_example_plugin_with_its_meta() -> None:
    plugins = installed_plugins()
    assert EXAMPLE in plugins
    assert all(plugin.label != "core" for plugin in plugins), "only apps with PluginMeta"


def test_plugin_submodules() -> None:
    plugin = next(p for p in installed_plugins() if p.label == "plugin_example")
    api = plugin.submodule("api")
    assert api is not None
    assert callable(api.register_api)
    assert plugin.submodule("no_such_module") is None


def test_topic_kind_and_route_are_mounted() -> None:
    # Other installed plugins add kinds and routes of their own; these are the example's.
    kind = get_topic_registry().get("example")
    assert kind is not None
    assert kind.replay is not None
    assert set(kind.handlers) == {"ping"}
    routes = [str(pattern.pattern) for pattern in build_websocket_urlpatterns()]
    assert routes[0] == "ws/"
    assert "ws/example/echo/" in routes
