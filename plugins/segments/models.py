import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class VideoSegment(models.Model):
    """A part of a clip (``start``..``end`` seconds), played as a slice of the clip's HLS.

    ``status`` follows the clip's processing: a segment cut while the clip is still being
    processed (playable, not yet ready) is ``pending`` until the clip is ``ready`` (or
    ``failed`` with it). The optional MP4 export has its own ``export_*`` fields.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    class ExportStatus(models.TextChoices):
        NONE = "none", "Not exported"
        PENDING = "pending", "Pending"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clip = models.ForeignKey(
        "clips.PracticeClip", on_delete=models.CASCADE, related_name="segments"
    )
    start = models.FloatField()
    end = models.FloatField()
    title = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.READY, db_index=True
    )

    export_status = models.CharField(
        max_length=16, choices=ExportStatus.choices, default=ExportStatus.NONE
    )
    export_progress = models.PositiveSmallIntegerField(default=0)
    export_error_code = models.CharField(max_length=64, blank=True)
    export_error_message = models.TextField(blank=True)
    # The finished MP4 and the range it holds: a range edited later makes it stale.
    export_key = models.CharField(max_length=500, blank=True)
    export_start = models.FloatField(null=True, blank=True)
    export_end = models.FloatField(null=True, blank=True)
    export_requested_at = models.DateTimeField(null=True, blank=True)
    export_finished_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("clip", "start", "end")
        indexes = [models.Index(fields=("clip", "start"))]
        constraints = [
            models.CheckConstraint(condition=Q(start__gte=0), name="segment_start_not_negative"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="segment_end_after_start"),
            models.CheckConstraint(
                condition=Q(export_progress__lte=100), name="segment_export_progress_le_100"
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.start:.1f}-{self.end:.1f} s"

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def storage_prefix(self) -> str:
        """Where the segment's files live: under its clip's, so deleting the clip removes them."""
        return f"{self.clip.storage_prefix}segments/{self.id}/"
