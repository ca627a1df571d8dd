import uuid

from django.conf import settings
from django.db import models


class NotificationKind(models.TextChoices):
    FEEDBACK_PUBLISHED = "feedback_published", "Feedback on your take"
    THREAD_MESSAGE = "thread_message", "New message in your thread"
    MENTION = "mention", "You were mentioned"
    CLIP_READY = "clip_ready", "Your take is ready"
    CLIP_FAILED = "clip_failed", "Your take could not be processed"


class Notification(models.Model):
    """Something a user should know about, with where to go to see it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, max_length=1000)
    # What it is about, as the API names it ("clip", "feedback", "thread") and its id; a
    # plain reference, since the target lives in another plugin and may be deleted.
    target_type = models.CharField(max_length=32)
    target_id = models.UUIDField()
    url = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        indexes = [
            models.Index(fields=("user", "-created_at")),
            models.Index(fields=("user", "read_at")),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """A user's choice for one kind; no row means both channels are on."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("user", "kind"), name="notification_pref_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}"
