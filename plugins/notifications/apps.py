from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "plugins.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    class PluginMeta:
        name = "Notifications"
        version = "1.0"
        description = (
            "Tells people what happened: live on their user topic, in a list with an unread "
            "count, and by email (a digest when many arrive), each kind switchable."
        )

    def ready(self) -> None:
        from practika_site.core.schema import name_schema_enum

        from .receivers import connect_receivers

        # Several plugins have "status" and "kind" enums: name these after their plugin.
        name_schema_enum("NotificationKindEnum", "plugins.notifications.models.NotificationKind")

        connect_receivers()
