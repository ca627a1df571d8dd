from django.apps import AppConfig


class PluginExampleConfig(AppConfig):
    """A plugin that lives only in the test settings, to prove the plugin contract."""

    name = "tests.plugin_example"
    label = "plugin_example"

    class PluginMeta:
        name = "Example plugin"
        version = "1.0"
        description = "Registers an API route, a websocket topic and a Wagtail hook."
