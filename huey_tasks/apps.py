from django.apps import AppConfig


class HueyTasksConfig(AppConfig):
    name = "huey_tasks"
    label = "huey_tasks"
    verbose_name = "Media pipeline and worker"
