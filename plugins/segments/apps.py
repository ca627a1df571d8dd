from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "plugins.segments"
    label = "segments"
    verbose_name = "Video segments"

    class PluginMeta:
        name = "Video segments"
        version = "1.0"
        description = "Parts of a take cut out for review: instant playlist slices and MP4 exports."

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects receivers)
        from .export import register

        register()
