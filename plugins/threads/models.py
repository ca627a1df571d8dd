import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

MESSAGE_MAX_CHARS = 4000


class PracticeThread(models.Model):
    """A conversation about a segment of a take, between its student and the teachers.

    ``last_seq`` counts every change in the thread (a message posted, edited or deleted; the
    thread renamed, resolved or reopened); each change takes the next number, which is the
    ``seq`` of its event, so a client that reconnects asks for what came after its last one.
    """

    class Change(models.TextChoices):
        """The event of the thread's latest own change (the one ``state_seq`` numbers)."""

        UPDATED = "thread.updated", "Renamed"
        RESOLVED = "thread.resolved", "Resolved"
        REOPENED = "thread.reopened", "Reopened"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    segment = models.ForeignKey(
        "segments.VideoSegment", on_delete=models.CASCADE, related_name="threads"
    )
    title = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    resolved = models.BooleanField(default=False)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_seq = models.PositiveBigIntegerField(default=0)
    state_seq = models.PositiveBigIntegerField(default=0)
    last_change = models.CharField(max_length=32, choices=Change.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)
        indexes = [models.Index(fields=("segment", "-created_at"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(state_seq__lte=F("last_seq")), name="thread_state_seq_le_last_seq"
            ),
            models.CheckConstraint(
                condition=Q(resolved=True) | Q(resolved_at__isnull=True, resolved_by__isnull=True),
                name="thread_unresolved_has_no_resolver",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def topic(self) -> str:
        return f"thread:{self.pk}"


class ThreadMessage(models.Model):
    """One message of a thread. Deleting leaves a tombstone (``deleted``, empty body) so the
    thread's numbering and every client's copy stay consistent.

    ``seq`` is the message's place in the thread (the number of the change that posted it);
    ``updated_seq`` the number of its latest change (posting, editing or deleting it).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    thread = models.ForeignKey(PracticeThread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(max_length=MESSAGE_MAX_CHARS, blank=True)
    video_time = models.FloatField(null=True, blank=True)
    seq = models.PositiveBigIntegerField()
    updated_seq = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted = models.BooleanField(default=False)

    class Meta:
        ordering = ("thread", "seq")
        constraints = [
            models.UniqueConstraint(fields=("thread", "seq"), name="thread_message_unique_seq"),
            models.UniqueConstraint(
                fields=("thread", "updated_seq"), name="thread_message_unique_updated_seq"
            ),
            models.CheckConstraint(
                condition=Q(updated_seq__gte=F("seq")), name="thread_message_updated_after_posted"
            ),
            models.CheckConstraint(
                condition=Q(video_time__isnull=True) | Q(video_time__gte=0),
                name="thread_message_video_time_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(deleted=False) | Q(body=""), name="thread_message_tombstone_is_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} in {self.thread_id}"


class ThreadViewer(models.Model):
    """A websocket connection watching a thread: the presence list, shared by every server
    process through the database. ``seen_at`` is refreshed by the connection's keepalive, so a
    row left by a server that died stops counting after ``PRESENCE_TTL``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    thread = models.ForeignKey(PracticeThread, on_delete=models.CASCADE, related_name="viewers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel_name = models.CharField(max_length=200)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("thread", "channel_name"), name="thread_viewer_one_per_connection"
            )
        ]
        indexes = [models.Index(fields=("thread", "seen_at"))]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.thread_id}"
