from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "practika_site.courses"
    label = "courses"
    verbose_name = "Courses"
