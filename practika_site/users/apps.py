from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "practika_site.users"
    label = "users"
    verbose_name = "Users"
