"""Feedback over HTTP: on a take, its markers, publishing, the video reply, the player's
timeline, progress across attempts and the teachers' review queue.

Routes (under ``/api/v1/``): ``clips/{id}/feedback/``, ``feedback/{id}/`` with ``markers/``,
``publish/`` and ``reply/``, ``markers/{id}/``, ``exercises/{id}/attempts/``,
``review-queue/``; ``clips/{id}/timeline/`` is a plain view in ``urls.py``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter
from rest_framework.views import APIView

from plugins.clips.api import (
    ClipUploadRequestSerializer,
    UploadTargetSerializer,
    upload_target_data,
)
from plugins.clips.models import PracticeClip
from plugins.clips.selectors import clip_get
from practika_site.core.routing_ids import UUID_PATTERN
from practika_site.courses.selectors import exercise_get
from practika_site.users.models import User

from .models import Feedback, FeedbackMarker
from .selectors import (
    attempt_list,
    feedback_get,
    feedback_list,
    marker_get,
    marker_list,
    review_queue,
    timeline_entries,
)
from .serializers import (
    AttemptFilterSerializer,
    AttemptSerializer,
    FeedbackCreateSerializer,
    FeedbackReadSerializer,
    FeedbackUpdateSerializer,
    MarkerReadSerializer,
    MarkerWriteSerializer,
    ReviewQueueFilterSerializer,
    ReviewQueueItemSerializer,
    TimelineSerializer,
    feedback_data,
)
from .services import (
    MarkerChanges,
    MarkerInput,
    ScoreInput,
    feedback_create,
    feedback_delete,
    feedback_publish,
    feedback_reply_request,
    feedback_update,
    marker_create,
    marker_delete,
    marker_update,
)

CLIP_ID = OpenApiParameter("clip_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
EXERCISE_ID = OpenApiParameter("exercise_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


def _viewer(request: Request) -> User:
    assert isinstance(request.user, User)  # IsAuthenticated ran first
    return request.user


def _scores(items: list[dict[str, Any]]) -> list[ScoreInput]:
    return [ScoreInput(**item) for item in items]


class _Viewset(viewsets.GenericViewSet[Any]):
    lookup_value_regex = UUID_PATTERN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @property
    def viewer(self) -> User:
        return _viewer(self.request)


@extend_schema_view(
    list=extend_schema(
        parameters=[CLIP_ID],
        description="The feedback on a take: published only for its owner, drafts too for "
        "the course's teachers.",
    ),
    create=extend_schema(
        parameters=[CLIP_ID],
        request=FeedbackCreateSerializer,
        responses={201: FeedbackReadSerializer},
        description="A draft feedback with its scores and markers, created all or nothing "
        "(teachers of the course and admins).",
    ),
)
class ClipFeedbackViewSet(mixins.ListModelMixin, _Viewset):
    queryset = Feedback.objects.none()  # for the schema: reads go through selectors
    serializer_class = FeedbackReadSerializer

    def _clip(self) -> PracticeClip:
        return clip_get(viewer=self.viewer, clip_id=self.kwargs["clip_id"])

    def get_queryset(self) -> QuerySet[Feedback]:
        if getattr(self, "swagger_fake_view", False):
            return Feedback.objects.none()
        return feedback_list(viewer=self.viewer, clip=self._clip())

    def create(self, request: Request, clip_id: str) -> Response:
        clip = self._clip()
        data = FeedbackCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        feedback = feedback_create(
            clip=clip,
            actor=self.viewer,
            summary=values["summary"],
            segment_id=values.get("segment_id"),
            scores=_scores(values.get("scores", [])),
            markers=[MarkerInput(**item) for item in values.get("markers", [])],
        )
        body = feedback_data(feedback_get(viewer=self.viewer, feedback_id=feedback.pk))
        return Response(body, status=status.HTTP_201_CREATED)


class FeedbackViewSet(
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    _Viewset,
):
    """One feedback. The author (or an admin) edits, deletes and publishes it; a published
    feedback stays editable by its author and stays published."""

    queryset = Feedback.objects.none()
    serializer_class = FeedbackReadSerializer

    def get_object(self) -> Feedback:
        return feedback_get(viewer=self.viewer, feedback_id=self.kwargs["pk"])

    def _answer(self, feedback: Feedback, code: int = status.HTTP_200_OK) -> Response:
        fresh = feedback_get(viewer=self.viewer, feedback_id=feedback.pk)
        return Response(feedback_data(fresh), status=code)

    @extend_schema(request=FeedbackUpdateSerializer, responses={200: FeedbackReadSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        feedback = self.get_object()
        data = FeedbackUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        scores = values.get("scores")
        feedback = feedback_update(
            feedback=feedback,
            actor=self.viewer,
            summary=values.get("summary"),
            scores=None if scores is None else _scores(scores),
        )
        return self._answer(feedback)

    def perform_destroy(self, instance: Feedback) -> None:
        feedback_delete(feedback=instance, actor=self.viewer)

    @extend_schema(
        methods=["GET"],
        responses={200: MarkerReadSerializer(many=True)},
        description="Every marker, by time (a feedback holds at most 500: no pages).",
    )
    @extend_schema(
        methods=["POST"], request=MarkerWriteSerializer, responses={201: MarkerReadSerializer}
    )
    @action(detail=True, methods=["get", "post"])
    def markers(self, request: Request, pk: str) -> Response:
        feedback = self.get_object()
        if request.method == "GET":
            return Response(MarkerReadSerializer(marker_list(feedback=feedback), many=True).data)
        data = MarkerWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        marker = marker_create(
            feedback=feedback, actor=self.viewer, marker=MarkerInput(**data.validated_data)
        )
        return Response(MarkerReadSerializer(marker).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={200: FeedbackReadSerializer},
        description="Show the feedback to the take's owner; 409 when published already. "
        "Sends `feedback.published` on `clip:<take id>` after commit.",
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        return self._answer(feedback_publish(feedback=self.get_object(), actor=self.viewer))

    @extend_schema(
        request=ClipUploadRequestSerializer,
        responses={201: UploadTargetSerializer},
        description="The author's video reply: answers like `POST /api/v1/clips/`; upload, "
        "commit and follow the returned `clip_id` as for a take. Replaces an earlier reply. "
        "The take's owner sees it once the feedback is published.",
    )
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str) -> Response:
        feedback = self.get_object()
        data = ClipUploadRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        target = feedback_reply_request(
            feedback=feedback,
            actor=self.viewer,
            absolute_url=request.build_absolute_uri,
            **data.validated_data,
        )
        return Response(upload_target_data(target), status=status.HTTP_201_CREATED)


class MarkerViewSet(mixins.RetrieveModelMixin, mixins.DestroyModelMixin, _Viewset):
    queryset = FeedbackMarker.objects.none()
    serializer_class = MarkerReadSerializer

    def get_object(self) -> FeedbackMarker:
        return marker_get(viewer=self.viewer, marker_id=self.kwargs["pk"])

    @extend_schema(request=MarkerWriteSerializer, responses={200: MarkerReadSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        marker = self.get_object()
        data = MarkerWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes: MarkerChanges = data.validated_data
        marker = marker_update(marker=marker, actor=self.viewer, changes=changes)
        return Response(MarkerReadSerializer(marker).data)

    def perform_destroy(self, instance: FeedbackMarker) -> None:
        marker_delete(marker=instance, actor=self.viewer)


@extend_schema_view(
    list=extend_schema(
        parameters=[EXERCISE_ID, AttemptFilterSerializer],
        description="Every take of the exercise with what a progress chart needs: a "
        "student gets theirs, a teacher their students' (filter `student`), by student and "
        "attempt. Scores and counts come from published feedback only.",
    )
)
class AttemptViewSet(mixins.ListModelMixin, _Viewset):
    queryset = PracticeClip.objects.none()
    serializer_class = AttemptSerializer

    def get_queryset(self) -> QuerySet[PracticeClip]:
        if getattr(self, "swagger_fake_view", False):
            return PracticeClip.objects.none()
        filters = AttemptFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        exercise = exercise_get(viewer=self.viewer, exercise_id=UUID(self.kwargs["exercise_id"]))
        return attempt_list(
            viewer=self.viewer, exercise=exercise, student_id=filters.validated_data.get("student")
        )


@extend_schema_view(
    list=extend_schema(
        parameters=[ReviewQueueFilterSerializer],
        description="Ready takes in the courses the caller teaches with no published "
        "feedback yet, oldest first. Empty for students (they teach no course).",
    )
)
class ReviewQueueViewSet(mixins.ListModelMixin, _Viewset):
    queryset = PracticeClip.objects.none()
    serializer_class = ReviewQueueItemSerializer

    def get_queryset(self) -> QuerySet[PracticeClip]:
        if getattr(self, "swagger_fake_view", False):
            return PracticeClip.objects.none()
        filters = ReviewQueueFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return review_queue(
            viewer=self.viewer,
            course_id=filters.validated_data.get("course"),
            exercise_id=filters.validated_data.get("exercise"),
        )


_TIMELINE_FIELDS = (
    "type",
    "id",
    "time",
    "end_time",
    "title",
    "status",
    "feedback_id",
    "segment_id",
    "kind",
    "text",
    "drawing",
    "criterion_id",
)


class ClipTimelineView(APIView):
    """``GET /api/v1/clips/{id}/timeline/``: what the player draws under a take."""

    @extend_schema(
        operation_id="clips_timeline_retrieve",
        parameters=[CLIP_ID],
        responses={200: TimelineSerializer},
        description="The clip's segments and the markers of the feedback the caller may "
        "see (published only, for the take's owner), in one list ordered by time.",
    )
    def get(self, request: Request, clip_id: UUID) -> Response:
        viewer = _viewer(request)
        clip = clip_get(viewer=viewer, clip_id=clip_id)
        entries = timeline_entries(viewer=viewer, clip=clip)
        # Plain dicts rather than a serializer: hundreds of entries, all already plain values.
        body = {
            "clip_id": clip.pk,
            "duration": clip.duration,
            "entries": [
                {name: getattr(entry, name) for name in _TIMELINE_FIELDS} for entry in entries
            ],
        }
        return Response(body)


def register_api(router: BaseRouter) -> None:
    router.register(
        rf"clips/(?P<clip_id>{UUID_PATTERN})/feedback",
        ClipFeedbackViewSet,
        basename="clip-feedback",
    )
    router.register("feedback", FeedbackViewSet, basename="feedback")
    router.register("markers", MarkerViewSet, basename="marker")
    router.register(
        rf"exercises/(?P<exercise_id>{UUID_PATTERN})/attempts",
        AttemptViewSet,
        basename="exercise-attempt",
    )
    router.register("review-queue", ReviewQueueViewSet, basename="review-queue")
