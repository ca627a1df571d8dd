"""A teacher's feedback on a take: summary, rubric scores, timestamped markers, video reply.

Rubric criteria are Wagtail inline rows whose primary key may change when a page is
republished, so scores and markers refer to a criterion by its ``uuid`` (a plain field, not a
foreign key: a criterion removed from the rubric must not take the scores given with it).
A score keeps the criterion's name and maximum as they were when it was given.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from .choices import FeedbackStatus, MarkerKind
from .drawing import validate_drawing

MAX_SUMMARY_LENGTH = 10_000
MAX_MARKER_TEXT_LENGTH = 5_000
# Bounds what one feedback (and one request, and the markers list) can hold.
MAX_MARKERS_PER_FEEDBACK = 500


class Feedback(models.Model):
    """Feedback on a take, or on one segment of it. Students see it once published."""

    Status = FeedbackStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clip = models.ForeignKey(
        "clips.PracticeClip", on_delete=models.CASCADE, related_name="feedback"
    )
    # Deleting a segment keeps its feedback, which then applies to the whole take.
    segment = models.ForeignKey(
        "segments.VideoSegment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feedback",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feedback_given"
    )
    summary = models.TextField(blank=True, max_length=MAX_SUMMARY_LENGTH)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(null=True, blank=True)
    # The teacher's video reply: a clip of kind "reply", owned by the author.
    reply_clip = models.OneToOneField(
        "clips.PracticeClip",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reply_feedback",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("created_at", "id")
        verbose_name_plural = "feedback"
        indexes = [models.Index(fields=("clip", "status"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="feedback_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Feedback by {self.author_id} on {self.clip_id}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class RubricScore(models.Model):
    """One criterion's score in a feedback (criterion as it was when scored)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="scores")
    criterion_uuid = models.UUIDField()
    criterion_name = models.CharField(max_length=120)
    max_score = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    # The criterion's place in the rubric, so scores list in rubric order.
    position = models.IntegerField(default=0)
    score = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ("position", "criterion_name")
        constraints = [
            models.UniqueConstraint(
                fields=("feedback", "criterion_uuid"), name="feedback_one_score_per_criterion"
            ),
            models.CheckConstraint(
                condition=Q(score__lte=F("max_score")), name="feedback_score_within_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_name}: {self.score}/{self.max_score}"

    def clean(self) -> None:
        if self.score is not None and self.max_score is not None and self.score > self.max_score:
            raise ValidationError({"score": f"Must be between 0 and {self.max_score}."})


class FeedbackMarker(models.Model):
    """A moment (``time``) or range (``time``..``end_time``) of the take, in clip seconds."""

    Kind = MarkerKind

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="markers")
    time = models.FloatField(validators=[MinValueValidator(0.0)])
    end_time = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0.0)])
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.COMMENT)
    text = models.TextField(blank=True, max_length=MAX_MARKER_TEXT_LENGTH)
    drawing = models.JSONField(null=True, blank=True, validators=[validate_drawing])
    criterion_uuid = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("time", "end_time", "created_at", "id")
        indexes = [models.Index(fields=("feedback", "time"))]
        constraints = [
            models.CheckConstraint(condition=Q(time__gte=0), name="feedback_marker_time_positive"),
            models.CheckConstraint(
                condition=Q(end_time__isnull=True) | Q(end_time__gt=F("time")),
                name="feedback_marker_end_after_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.time:.2f} s"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.end_time is not None and self.time is not None and self.end_time <= self.time:
            errors["end_time"] = "Must be after time."
        if self.kind == self.Kind.DRAWING and not self.drawing:
            errors["drawing"] = "A drawing marker needs a drawing."
        elif not self.text.strip() and not self.drawing:
            errors["text"] = "Write something, or add a drawing."
        if errors:
            raise ValidationError(errors)
