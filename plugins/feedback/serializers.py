"""The feedback JSON, and what clients may write.

Separate from ``api.py`` because services build event payloads from the read serializers
(``feedback.published`` carries the feedback exactly as the API answers it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from plugins.clips.models import PracticeClip
from practika_site.courses.api import PageRefSerializer

from .drawing import DRAWING_OPENAPI_SCHEMA, validate_drawing
from .models import (
    MAX_MARKER_TEXT_LENGTH,
    MAX_MARKERS_PER_FEEDBACK,
    MAX_SUMMARY_LENGTH,
    Feedback,
    FeedbackMarker,
)
from .selectors import MARKER_COUNT_KINDS, mean_scores

MAX_TIME_SECONDS = 24 * 3600.0


@extend_schema_field(DRAWING_OPENAPI_SCHEMA)
class DrawingField(serializers.JSONField):
    pass


class PersonRefSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(read_only=True)
    username = serializers.CharField(read_only=True)


class RubricScoreReadSerializer(serializers.Serializer[Any]):
    criterion_id = serializers.UUIDField(source="criterion_uuid", read_only=True)
    name = serializers.CharField(source="criterion_name", read_only=True)
    max_score = serializers.IntegerField(read_only=True)
    score = serializers.IntegerField(read_only=True)


class MarkerReadSerializer(serializers.ModelSerializer[FeedbackMarker]):
    feedback_id = serializers.UUIDField(read_only=True)
    drawing = DrawingField(read_only=True)
    criterion_id = serializers.UUIDField(source="criterion_uuid", read_only=True, allow_null=True)

    class Meta:
        model = FeedbackMarker
        fields = (
            "id",
            "feedback_id",
            "time",
            "end_time",
            "kind",
            "text",
            "drawing",
            "criterion_id",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class ReplyClipSerializer(serializers.Serializer[PracticeClip]):
    clip_id = serializers.UUIDField(source="pk", read_only=True)
    status = serializers.ChoiceField(choices=PracticeClip.Status.choices, read_only=True)
    playable = serializers.BooleanField(read_only=True)


class FeedbackReadSerializer(serializers.ModelSerializer[Feedback]):
    """A feedback as ``feedback_get``/``feedback_list`` fetch it (related rows prefetched)."""

    clip_id = serializers.UUIDField(read_only=True)
    segment_id = serializers.UUIDField(read_only=True, allow_null=True)
    author = PersonRefSerializer(read_only=True)
    scores = RubricScoreReadSerializer(many=True, read_only=True)
    markers = MarkerReadSerializer(many=True, read_only=True)
    reply = ReplyClipSerializer(
        source="reply_clip",
        read_only=True,
        allow_null=True,
        help_text="The video reply: play it through /api/v1/clips/{clip_id}/streams/.",
    )

    class Meta:
        model = Feedback
        fields = (
            "id",
            "clip_id",
            "segment_id",
            "author",
            "summary",
            "status",
            "published_at",
            "scores",
            "markers",
            "reply",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


def feedback_data(feedback: Feedback) -> dict[str, Any]:
    """The feedback exactly as the API answers it, for REST and websocket clients alike."""
    return dict(FeedbackReadSerializer(feedback).data)


class StrictSerializer(serializers.Serializer[Any]):
    """Refuses fields it does not declare, nested items included: no write takes the author,
    status or other server-owned fields, and a typo is an error rather than ignored."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {str(name): ["This field cannot be written."] for name in unknown}
                )
        return super().to_internal_value(data)


class ScoreWriteSerializer(StrictSerializer):
    criterion_id = serializers.UUIDField(help_text="A rubric criterion of the take's exercise.")
    score = serializers.IntegerField(min_value=0, help_text="0 to the criterion's max_score.")


class MarkerWriteSerializer(StrictSerializer):
    time = serializers.FloatField(
        min_value=0, max_value=MAX_TIME_SECONDS, help_text="Seconds into the clip."
    )
    end_time = serializers.FloatField(
        min_value=0,
        max_value=MAX_TIME_SECONDS,
        required=False,
        allow_null=True,
        help_text="For a range: after time. Both lie within the clip (or the segment).",
    )
    kind = serializers.ChoiceField(
        choices=FeedbackMarker.Kind.choices, default=FeedbackMarker.Kind.COMMENT
    )
    text = serializers.CharField(
        max_length=MAX_MARKER_TEXT_LENGTH, allow_blank=True, required=False, default=""
    )
    drawing = DrawingField(required=False, allow_null=True, validators=[validate_drawing])
    criterion_id = serializers.UUIDField(required=False, allow_null=True)


class FeedbackCreateSerializer(StrictSerializer):
    summary = serializers.CharField(
        max_length=MAX_SUMMARY_LENGTH, allow_blank=True, required=False, default=""
    )
    segment_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="Feedback on one segment of the take."
    )
    scores = ScoreWriteSerializer(many=True, required=False)
    markers: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=MarkerWriteSerializer(), required=False, max_length=MAX_MARKERS_PER_FEEDBACK
    )


class FeedbackUpdateSerializer(StrictSerializer):
    summary = serializers.CharField(max_length=MAX_SUMMARY_LENGTH, allow_blank=True, required=False)
    scores = ScoreWriteSerializer(
        many=True, required=False, help_text="Replaces every score of the feedback."
    )


class MarkerCountsSerializer(serializers.Serializer[Any]):
    comment = serializers.IntegerField()
    praise = serializers.IntegerField()
    fix = serializers.IntegerField()
    drawing = serializers.IntegerField()


class CriterionScoreSerializer(serializers.Serializer[Any]):
    criterion_id = serializers.UUIDField()
    name = serializers.CharField()
    max_score = serializers.IntegerField()
    score = serializers.FloatField(help_text="The mean over the published feedback scoring it.")
    count = serializers.IntegerField(help_text="How many published feedback scored it.")


class AttemptSerializer(serializers.Serializer[PracticeClip]):
    """A take from ``attempt_list``, whose annotations carry the counts."""

    id = serializers.UUIDField(read_only=True, help_text="The take (clip) id.")
    student = PersonRefSerializer(source="owner", read_only=True)
    attempt_number = serializers.IntegerField(read_only=True, allow_null=True)
    title = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=PracticeClip.Status.choices, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    duration = serializers.FloatField(read_only=True, allow_null=True)
    feedback_count = serializers.IntegerField(read_only=True, help_text="Published feedback.")
    marker_counts = serializers.SerializerMethodField()
    scores = serializers.SerializerMethodField()

    @extend_schema_field(MarkerCountsSerializer)
    def get_marker_counts(self, take: PracticeClip) -> dict[str, int]:
        return {kind: int(getattr(take, f"{kind}_marker_count")) for kind in MARKER_COUNT_KINDS}

    @extend_schema_field(CriterionScoreSerializer(many=True))
    def get_scores(self, take: PracticeClip) -> list[dict[str, Any]]:
        means = mean_scores(getattr(take, "published_feedback", []))
        return [dict(item) for item in CriterionScoreSerializer(means, many=True).data]


class AttemptFilterSerializer(serializers.Serializer[Any]):
    student = serializers.UUIDField(required=False, help_text="Only this student's takes.")


class ReviewQueueItemSerializer(serializers.Serializer[PracticeClip]):
    id = serializers.UUIDField(read_only=True, help_text="The take (clip) id.")
    course = PageRefSerializer(read_only=True)
    exercise = PageRefSerializer(read_only=True)
    student = PersonRefSerializer(source="owner", read_only=True)
    attempt_number = serializers.IntegerField(read_only=True, allow_null=True)
    title = serializers.CharField(read_only=True)
    duration = serializers.FloatField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    ready_at = serializers.DateTimeField(read_only=True, allow_null=True)
    draft_count = serializers.IntegerField(
        read_only=True, help_text="Draft feedback already started on the take."
    )


class ReviewQueueFilterSerializer(serializers.Serializer[Any]):
    course = serializers.UUIDField(required=False, help_text="course id")
    exercise = serializers.UUIDField(required=False, help_text="exercise id")


class TimelineEntrySerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=[("segment", "segment"), ("marker", "marker")])
    id = serializers.UUIDField()
    time = serializers.FloatField()
    end_time = serializers.FloatField(allow_null=True)
    title = serializers.CharField(help_text="A segment's title.")
    status = serializers.CharField(help_text="A segment's status, or a marker's feedback's.")
    feedback_id = serializers.UUIDField(allow_null=True)
    segment_id = serializers.UUIDField(
        allow_null=True, help_text="The segment, or the segment the marker's feedback is on."
    )
    kind = serializers.ChoiceField(choices=FeedbackMarker.Kind.choices, allow_null=True)
    text = serializers.CharField()
    drawing = DrawingField(allow_null=True)
    criterion_id = serializers.UUIDField(allow_null=True)


class TimelineSerializer(serializers.Serializer[Any]):
    clip_id = serializers.UUIDField()
    duration = serializers.FloatField(allow_null=True)
    entries = TimelineEntrySerializer(many=True)
