from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "practika_site.courses"
    label = "courses"
    verbose_name = "Courses"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the receivers)
