import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class VideoSegment(models.Model):
    """A part of a clip (``start``..``end`` seconds), played as a slice of the clip's HLS."""

    class Status(models.TextChoices):
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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("clip", "start", "end")
        indexes = [models.Index(fields=("clip", "start"))]
        constraints = [
            models.CheckConstraint(condition=Q(start__gte=0), name="segment_start_not_negative"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="segment_end_after_start"),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.start:.1f}-{self.end:.1f} s"
