from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "plugins.feedback"
    label = "feedback"
    verbose_name = "Feedback"

    class PluginMeta:
        name = "Feedback"
        version = "1.0"
        description = (
            "Teachers' feedback on takes: timestamped markers, drawings, rubric scores and "
            "video replies; the review queue and progress across attempts."
        )

    def ready(self) -> None:
        from practika_site.core.schema import name_schema_enum

        from .review_events import connect_receivers

        # Several plugins have "status" and "kind" enums: name these after their plugin.
        name_schema_enum("FeedbackStatusEnum", "plugins.feedback.choices.FeedbackStatus")
        name_schema_enum("FeedbackMarkerKindEnum", "plugins.feedback.choices.MarkerKind")

        connect_receivers()
