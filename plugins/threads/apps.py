from django.apps import AppConfig


class ThreadsConfig(AppConfig):
    name = "plugins.threads"
    label = "threads"
    verbose_name = "Segment threads"

    class PluginMeta:
        name = "Segment threads"
        version = "1.0"
        description = "Live conversations between a student and teachers about a segment."

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects receivers)
