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
        from practika_site.core.schema import name_schema_enum

        # Several plugins have "status" and "kind" enums: name these after their plugin.
        name_schema_enum("ClipStatusEnum", "plugins.clips.models.PracticeClip.Status")
        name_schema_enum("ClipKindEnum", "plugins.clips.models.PracticeClip.Kind")

        from . import signals  # noqa: F401  (connects receivers)
        from .processing import register

        register()
