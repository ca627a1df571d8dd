from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "practika_site.core"
    label = "core"
    verbose_name = "Practika core"
