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
