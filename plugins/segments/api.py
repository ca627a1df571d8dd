"""``/api/v1/clips/{id}/segments/`` and ``/api/v1/segments/{id}/``: cut, list, edit, delete,
stream and export parts of a clip."""

from __future__ import annotations

import math
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from plugins.clips.selectors import clip_get
from practika_site.core.routing_ids import UUID_PATTERN
from practika_site.users.models import User

from .models import VideoSegment
from .selectors import segment_get, segment_list
from .services import (
    segment_create,
    segment_data,
    segment_delete,
    segment_export_request,
    segment_update,
)
from .streams import segment_export_url, segment_streams


class SecondsField(serializers.FloatField):
    """A media position in seconds: a finite number (no booleans, NaN or infinity)."""

    default_error_messages = {"finite": "Must be a finite number of seconds."}

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool):
            self.fail("invalid")
        value = float(super().to_internal_value(data))
        if not math.isfinite(value):
            self.fail("finite")
        return value


class SegmentWriteSerializer(serializers.Serializer[Any]):
    """Refuses fields it does not declare: the clip, author, status and export belong to
    the server, and a misspelt field must not be dropped silently."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        initial = getattr(self, "initial_data", {})
        unknown = sorted(set(initial) - set(self.fields)) if hasattr(initial, "keys") else []
        if unknown:
            raise serializers.ValidationError(
                {name: ["This field cannot be written."] for name in unknown}
            )
        return attrs


class SegmentCreateSerializer(SegmentWriteSerializer):
    start = SecondsField(help_text="Seconds from the clip's start, at least 0.")
    end = SecondsField(help_text="Seconds; after start, at most the clip's duration.")
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)


class SegmentUpdateSerializer(SegmentWriteSerializer):
    start = SecondsField(required=False)
    end = SecondsField(required=False)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)


class SegmentAuthorSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    username = serializers.CharField()


class SegmentExportErrorSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()


class SegmentExportSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=VideoSegment.ExportStatus.choices)
    progress = serializers.IntegerField(min_value=0, max_value=100)
    error = SegmentExportErrorSerializer(allow_null=True)
    url = serializers.URLField(
        allow_null=True, help_text="Signed, expiring download URL once the export is ready."
    )


class SegmentReadSerializer(serializers.Serializer[VideoSegment]):
    """What every segment answer (and every ``segment.*`` event) holds; the shape itself is
    built by ``services.segment_data`` so the API and the events never drift apart."""

    id = serializers.UUIDField()
    clip_id = serializers.UUIDField()
    start = serializers.FloatField()
    end = serializers.FloatField()
    duration = serializers.FloatField()
    title = serializers.CharField()
    created_by = SegmentAuthorSerializer()
    status = serializers.ChoiceField(choices=VideoSegment.Status.choices)
    export = SegmentExportSerializer()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, instance: VideoSegment) -> dict[str, Any]:
        request = self.context.get("request")
        url = segment_export_url(instance, request.build_absolute_uri) if request else None
        return dict(segment_data(instance, export_url=url))


class SegmentRenditionSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    bandwidth = serializers.IntegerField()
    url = serializers.URLField()
    offset = serializers.FloatField(help_text="Seconds from this playlist's start to `start`.")


class SegmentStreamsSerializer(serializers.Serializer[Any]):
    segment_id = serializers.UUIDField()
    hls = serializers.URLField(help_text="Signed master playlist of the segment's slices.")
    renditions = SegmentRenditionSerializer(many=True)
    start = serializers.FloatField(help_text="The segment's start in clip time (seconds).")
    end = serializers.FloatField(help_text="The segment's end in clip time (seconds).")
    duration = serializers.FloatField()
    offset = serializers.FloatField(
        help_text="Seconds from the first listed HLS segment's start to `start`: a player "
        "starts there and stops `duration` seconds later."
    )
    expires_in = serializers.IntegerField()


def _viewer(request: Request) -> User:
    assert isinstance(request.user, User)  # IsAuthenticated ran first
    return request.user


CLIP_ID = OpenApiParameter("clip_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


@extend_schema_view(
    list=extend_schema(parameters=[CLIP_ID], responses={200: SegmentReadSerializer(many=True)}),
    create=extend_schema(
        parameters=[CLIP_ID],
        request=SegmentCreateSerializer,
        responses={201: SegmentReadSerializer},
        description="Cut a segment of a playable clip: instant, nothing is transcoded. "
        "The clip's owner and its course's teachers may; 409 while the clip is not playable.",
    ),
)
class ClipSegmentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[VideoSegment]):
    serializer_class = SegmentReadSerializer

    def get_queryset(self) -> QuerySet[VideoSegment]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return VideoSegment.objects.none()
        return segment_list(viewer=_viewer(self.request), clip_id=self.kwargs["clip_id"])

    def create(self, request: Request, clip_id: str) -> Response:
        clip = clip_get(viewer=_viewer(request), clip_id=clip_id)
        data = SegmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        segment = segment_create(clip=clip, actor=_viewer(request), **data.validated_data)
        body = SegmentReadSerializer(segment, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class SegmentViewSet(
    mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet[VideoSegment]
):
    serializer_class = SegmentReadSerializer
    lookup_value_regex = UUID_PATTERN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[VideoSegment]:
        return VideoSegment.objects.none()  # every action reads one segment via segment_get

    def get_object(self) -> VideoSegment:
        return segment_get(viewer=_viewer(self.request), segment_id=self.kwargs["pk"])

    @extend_schema(request=SegmentUpdateSerializer, responses={200: SegmentReadSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        segment = self.get_object()
        data = SegmentUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        segment = segment_update(segment=segment, actor=_viewer(request), data=data.validated_data)
        return Response(SegmentReadSerializer(segment, context={"request": request}).data)

    def perform_destroy(self, instance: VideoSegment) -> None:
        segment_delete(segment=instance, actor=_viewer(self.request))

    @extend_schema(
        responses={200: SegmentStreamsSerializer},
        description="Signed, expiring playlists that list only the clip's HLS segments "
        "overlapping the range (no transcode); play from `offset` for `duration` seconds.",
    )
    @action(detail=True, methods=["get"])
    def streams(self, request: Request, pk: str) -> Response:
        body = segment_streams(segment=self.get_object(), absolute_url=request.build_absolute_uri)
        return Response(body)

    @extend_schema(
        request=None,
        responses={202: SegmentReadSerializer},
        description="Start a frame-accurate MP4 export of the range (a job); follow "
        "`export.status`/`progress` here or `segment.export` events on `clip:<id>`. "
        "A finished export of the same range is kept, and asking again changes nothing.",
    )
    @action(detail=True, methods=["post"])
    def export(self, request: Request, pk: str) -> Response:
        segment = segment_export_request(segment=self.get_object(), actor=_viewer(request))
        body = SegmentReadSerializer(segment, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


def register_api(router: BaseRouter) -> None:
    router.register(
        rf"clips/(?P<clip_id>{UUID_PATTERN})/segments", ClipSegmentViewSet, basename="clip-segment"
    )
    router.register("segments", SegmentViewSet, basename="segment")
