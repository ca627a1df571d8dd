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
        from django.conf import settings

        from .receivers import connect_receivers

        # Several plugins have a "kind" enum: the schema names this one after its model.
        enum_names = settings.SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})
        enum_names["NotificationKindEnum"] = "plugins.notifications.models.NotificationKind"

        connect_receivers()
