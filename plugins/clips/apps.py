from django.apps import AppConfig


class ClipsConfig(AppConfig):
    name = "plugins.clips"
    label = "clips"
    verbose_name = "Practice clips"

    class PluginMeta:
        name = "Practice clips"
        version = "1.0"
        description = (
            "Uploads, the media pipeline's clip side, processing status and signed streams."
        )

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects receivers)
        from .processing import register

        register()
