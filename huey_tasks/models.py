import uuid

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q


class WorkerHeartbeat(models.Model):
    """One row per running Huey consumer; the readiness check reads the newest."""

    worker_id = models.CharField(primary_key=True, max_length=200)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.worker_id


class MediaJob(models.Model):
    """The single source of truth about a piece of media work.

    A job names its handler by ``kind`` and its target generically (content type + UUID), so
    the pipeline knows no plugin model. The Huey task only carries the job id.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=64, db_index=True)
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    target_id = models.UUIDField(db_index=True)
    target = GenericForeignKey("target_type", "target_id")
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    stage = models.CharField(max_length=64, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    worker_id = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, db_index=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    log_tail = models.TextField(blank=True, help_text="The end of ffmpeg's stderr, for support.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds spent per stage.")

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            # At most one live job per kind and target: enqueueing twice is a no-op.
            models.UniqueConstraint(
                fields=("kind", "target_type", "target_id"),
                condition=Q(status__in=("queued", "running")),
                name="mediajob_one_active_per_target",
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="mediajob_progress_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.target_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES
