import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class PracticeClip(models.Model):
    """A video in Practika: a student's take, a teacher's reference or video reply."""

    class Status(models.TextChoices):
        AWAITING_UPLOAD = "awaiting_upload", "Awaiting upload"
        UPLOADED = "uploaded", "Uploaded"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        REJECTED = "rejected", "Rejected"

    class Kind(models.TextChoices):
        TAKE = "take", "Practice take"
        REFERENCE = "reference", "Teacher's reference"
        REPLY = "reply", "Video reply"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clips"
    )
    exercise = models.ForeignKey(
        "courses.ExercisePage", on_delete=models.CASCADE, related_name="clips"
    )
    # Denormalized from the exercise's ancestors: "clips in my courses" is one indexed filter.
    course = models.ForeignKey("courses.CoursePage", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TAKE)
    attempt_number = models.PositiveIntegerField(null=True, blank=True)
    # A video reply's take: the reply is visible to that take's owner.
    reply_to = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    title = models.CharField(max_length=200, blank=True)
    # A reference clip's source: the exercise's ``reference_video`` document it was made from
    # (a plain id, not a foreign key: the document may go while its clip stays playable).
    source_document_id = models.PositiveIntegerField(null=True, blank=True, editable=False)
    notes = models.TextField(blank=True, max_length=5000)

    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.AWAITING_UPLOAD, db_index=True
    )
    progress = models.PositiveSmallIntegerField(default=0)
    playable_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)

    # What the client declared when asking to upload.
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    declared_size = models.PositiveBigIntegerField(null=True, blank=True)
    declared_sha256 = models.CharField(max_length=64, blank=True)
    declared_duration = models.FloatField(null=True, blank=True)
    max_bytes = models.PositiveBigIntegerField()
    upload_expires_at = models.DateTimeField()
    uploaded_at = models.DateTimeField(null=True, blank=True)

    # What the stored original really is.
    original_key = models.CharField(max_length=500)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)

    # What the pipeline found and made.
    duration = models.FloatField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    fps = models.FloatField(null=True, blank=True)
    video_codec = models.CharField(max_length=32, blank=True)
    audio_codec = models.CharField(max_length=32, blank=True)
    hls_prefix = models.CharField(max_length=500, blank=True)
    renditions = models.JSONField(default=list, blank=True)
    poster_key = models.CharField(max_length=500, blank=True)
    sprite_key = models.CharField(max_length=500, blank=True)
    thumbnails_vtt_key = models.CharField(max_length=500, blank=True)
    waveform_key = models.CharField(max_length=500, blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)
        indexes = [
            models.Index(fields=("owner", "exercise", "-created_at")),
            models.Index(fields=("course", "status")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=("owner", "exercise", "attempt_number"),
                condition=Q(kind="take"),
                name="clip_one_attempt_number_per_take",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="clip_progress_le_100"),
        ]

    def __str__(self) -> str:
        return self.title or f"Take {self.attempt_number or ''} of {self.exercise_id}".strip()

    @property
    def settled(self) -> bool:
        """No longer changes by itself: ready, failed or rejected (nothing to follow live)."""
        return self.status in (self.Status.READY, self.Status.FAILED, self.Status.REJECTED)

    @property
    def playable(self) -> bool:
        return self.playable_at is not None and self.status in (
            self.Status.PROCESSING,
            self.Status.READY,
        )

    @property
    def storage_prefix(self) -> str:
        return f"clips/{self.id}/"


class UploadSession(models.Model):
    """One way of getting a clip's bytes in: the signed PUT, a tus upload or S3 multipart.

    The offset lives in the row (not in memory) so a resumed tus upload can land on any web
    process; ``temp_path`` is the partial file for local uploads.
    """

    class Protocol(models.TextChoices):
        SIGNED_PUT = "put", "Signed PUT"
        TUS = "tus", "tus 1.0"
        S3_MULTIPART = "s3_multipart", "S3 multipart"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clip = models.ForeignKey(PracticeClip, on_delete=models.CASCADE, related_name="uploads")
    protocol = models.CharField(max_length=16, choices=Protocol.choices)
    length = models.PositiveBigIntegerField(null=True, blank=True)
    offset = models.PositiveBigIntegerField(default=0)
    metadata = models.JSONField(default=dict, blank=True)
    temp_path = models.CharField(max_length=500, blank=True)
    s3_upload_id = models.CharField(max_length=500, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.protocol} upload of {self.clip_id}"
