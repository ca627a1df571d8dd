"""``/api/v1/clips/``: ask for an upload, commit it, follow its status, get its streams."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter
from rest_framework.views import APIView

from practika_site.core.errors import InvalidInput
from practika_site.core.routing_ids import UUID_PATTERN
from practika_site.courses.selectors import exercise_get
from practika_site.users.models import User

from .media import clip_streams
from .models import PracticeClip
from .selectors import clip_get, clip_list, reference_clip_for
from .services import (
    MAX_PARTS,
    UploadTarget,
    clip_commit,
    clip_delete,
    clip_multipart_abort,
    clip_multipart_complete,
    clip_multipart_start,
    clip_request_upload,
    clip_status_data,
    clip_update,
)

ORDERINGS = ("created_at", "-created_at", "attempt_number", "-attempt_number", "status", "-status")


class WriteSerializer(serializers.Serializer[Any]):
    """Refuses fields it does not declare: no write takes owner, status or other
    server-owned fields (API.md, "Who sees what"), and a typo is not silently dropped."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(getattr(self, "initial_data", {})) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: ["This field cannot be written."] for name in unknown}
            )
        return attrs


class ClipUploadRequestSerializer(WriteSerializer):
    """What a client declares about the video it is about to upload (takes and replies)."""

    duration_sec = serializers.FloatField(min_value=0.1)
    filename = serializers.CharField(max_length=255, required=False, allow_blank=True)
    size_bytes = serializers.IntegerField(min_value=1, required=False)
    content_type = serializers.CharField(max_length=100, required=False)
    sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$", required=False)

    def validate_duration_sec(self, value: float) -> float:
        limit = float(settings.PRACTIKA_MEDIA_CAPS.get("max_duration", 3600))
        if value > limit:
            raise serializers.ValidationError(f"Takes are limited to {limit:.0f} seconds.")
        return value


class ClipCreateSerializer(ClipUploadRequestSerializer):
    exercise_id = serializers.UUIDField()


class UploadTargetSerializer(serializers.Serializer[Any]):
    clip_id = serializers.UUIDField()
    url = serializers.URLField()
    method = serializers.CharField()
    headers = serializers.DictField(child=serializers.CharField())
    expires_at = serializers.DateTimeField()
    max_bytes = serializers.IntegerField()
    tus_url = serializers.URLField()


def upload_target_data(target: UploadTarget) -> dict[str, Any]:
    """The answer to an upload request: where and how to send the bytes."""
    body = {
        "clip_id": target.clip.pk,
        "url": target.url,
        "method": target.method,
        "headers": target.headers,
        "expires_at": target.expires_at,
        "max_bytes": target.max_bytes,
        "tus_url": target.tus_url,
    }
    return dict(UploadTargetSerializer(body).data)


class ClipErrorSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()


class ClipStatusSerializer(serializers.Serializer[Any]):
    clip_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=PracticeClip.Status.choices)
    progress = serializers.IntegerField()
    playable = serializers.BooleanField()
    error = ClipErrorSerializer(allow_null=True)


class ClipReadSerializer(serializers.ModelSerializer[PracticeClip]):
    exercise = serializers.SerializerMethodField()
    course_id = serializers.UUIDField(source="course.uuid")
    owner = serializers.SerializerMethodField()
    playable = serializers.BooleanField()
    error = serializers.SerializerMethodField()

    class Meta:
        model = PracticeClip
        fields = (
            "id",
            "exercise",
            "course_id",
            "owner",
            "kind",
            "attempt_number",
            "title",
            "notes",
            "status",
            "progress",
            "playable",
            "error",
            "duration",
            "width",
            "height",
            "size_bytes",
            "created_at",
            "updated_at",
            "playable_at",
            "ready_at",
        )
        read_only_fields = fields

    def get_exercise(self, clip: PracticeClip) -> dict[str, str]:
        return {"id": str(clip.exercise.uuid), "title": clip.exercise.title}

    def get_owner(self, clip: PracticeClip) -> dict[str, str]:
        return {"id": str(clip.owner_id), "username": clip.owner.username}

    def get_error(self, clip: PracticeClip) -> dict[str, str] | None:
        data: dict[str, str] | None = clip_status_data(clip)["error"]
        return data


class ClipUpdateSerializer(WriteSerializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class MultipartStartSerializer(WriteSerializer):
    size_bytes = serializers.IntegerField(
        min_value=1, required=False, help_text="Needed when the upload request declared none."
    )


class MultipartPartSerializer(serializers.Serializer[Any]):
    part_number = serializers.IntegerField(min_value=1, max_value=10_000)
    url = serializers.URLField()


class MultipartPlanSerializer(serializers.Serializer[Any]):
    upload_id = serializers.CharField()
    part_size = serializers.IntegerField(help_text="Bytes per part; the last one may be smaller.")
    parts = MultipartPartSerializer(many=True)
    expires_at = serializers.DateTimeField()


class MultipartEtagSerializer(serializers.Serializer[Any]):
    part_number = serializers.IntegerField(min_value=1, max_value=10_000)
    etag = serializers.CharField(max_length=200, help_text="The ETag header S3 answered.")


class MultipartCompleteSerializer(WriteSerializer):
    upload_id = serializers.CharField(max_length=500)
    parts = MultipartEtagSerializer(many=True, allow_empty=False)

    def validate_parts(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(value) > MAX_PARTS:
            raise serializers.ValidationError(f"At most {MAX_PARTS} parts.")
        return value


class MultipartDoneSerializer(serializers.Serializer[Any]):
    clip_id = serializers.UUIDField()
    size_bytes = serializers.IntegerField()


class RenditionSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    bandwidth = serializers.IntegerField()
    url = serializers.URLField()


class StreamsSerializer(serializers.Serializer[Any]):
    hls = serializers.URLField()
    renditions = RenditionSerializer(many=True)
    poster = serializers.URLField(allow_null=True)
    thumbnails_vtt = serializers.URLField(allow_null=True)
    waveform = serializers.URLField(allow_null=True)
    original = serializers.URLField(allow_null=True)
    expires_in = serializers.IntegerField()


def _uuid_param(request: Request, name: str) -> UUID | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return UUID(raw)
    except ValueError as exc:
        raise InvalidInput(details={name: ["Must be a valid UUID."]}) from exc


LIST_PARAMETERS = [
    OpenApiParameter("exercise", str, description="exercise id"),
    OpenApiParameter("owner", str, description="owner (user) id"),
    OpenApiParameter("course", str, description="course id"),
    OpenApiParameter("status", str, enum=[c for c, _ in PracticeClip.Status.choices]),
    OpenApiParameter(
        "kind",
        str,
        enum=[c for c, _ in PracticeClip.Kind.choices],
        description="take, reference or reply; every kind the caller may see when omitted "
        "(students see their course's reference videos beside their own takes)",
    ),
    OpenApiParameter("search", str),
    OpenApiParameter("ordering", str, enum=list(ORDERINGS)),
]


class ClipViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[PracticeClip],
):
    serializer_class = ClipReadSerializer
    lookup_value_regex = UUID_PATTERN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @property
    def user(self) -> User:
        assert isinstance(self.request.user, User)
        return self.request.user

    def get_queryset(self) -> QuerySet[PracticeClip]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return PracticeClip.objects.none()
        params = self.request.query_params
        status_filter = params.get("status")
        if status_filter and status_filter not in PracticeClip.Status.values:
            raise InvalidInput(
                details={"status": [f"One of {', '.join(PracticeClip.Status.values)}."]}
            )
        kind = params.get("kind")
        if kind and kind not in PracticeClip.Kind.values:
            raise InvalidInput(details={"kind": [f"One of {', '.join(PracticeClip.Kind.values)}."]})
        ordering = params.get("ordering") or "-created_at"
        if ordering not in ORDERINGS:
            raise InvalidInput(details={"ordering": [f"One of {', '.join(ORDERINGS)}."]})
        return clip_list(
            viewer=self.user,
            exercise_id=_uuid_param(self.request, "exercise"),
            owner_id=_uuid_param(self.request, "owner"),
            course_id=_uuid_param(self.request, "course"),
            status=status_filter,
            kind=kind,
            search=params.get("search"),
            ordering=ordering,
        )

    def get_object(self) -> PracticeClip:
        return clip_get(viewer=self.user, clip_id=self.kwargs["pk"])

    @extend_schema(parameters=LIST_PARAMETERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ClipCreateSerializer, responses={201: UploadTargetSerializer})
    def create(self, request: Request) -> Response:
        data = ClipCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        target = clip_request_upload(
            actor=self.user, absolute_url=request.build_absolute_uri, **data.validated_data
        )
        return Response(upload_target_data(target), status=status.HTTP_201_CREATED)

    @extend_schema(request=ClipUpdateSerializer, responses={200: ClipReadSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        data = ClipUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        clip = clip_update(clip=self.get_object(), actor=self.user, data=data.validated_data)
        return Response(ClipReadSerializer(clip).data)

    def perform_destroy(self, instance: PracticeClip) -> None:
        clip_delete(clip=instance, actor=self.user)

    @extend_schema(request=None, responses={202: ClipStatusSerializer})
    @action(detail=True, methods=["post"])
    def commit(self, request: Request, pk: str) -> Response:
        clip = clip_commit(clip=self.get_object(), actor=self.user)
        return Response(clip_status_data(clip), status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        methods=["POST"],
        request=MultipartStartSerializer,
        responses={201: MultipartPlanSerializer},
        description="S3 only: start a multipart upload of the original (replaces an "
        "unfinished one). PUT each part to its URL, then call multipart/complete/.",
    )
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(detail=True, methods=["post", "delete"])
    def multipart(self, request: Request, pk: str) -> Response:
        clip = self.get_object()
        if request.method == "DELETE":
            clip_multipart_abort(clip=clip, actor=self.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        data = MultipartStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = clip_multipart_start(clip=clip, actor=self.user, **data.validated_data)
        body = {
            "upload_id": plan.session.s3_upload_id,
            "part_size": plan.part_size,
            "parts": [{"part_number": number, "url": url} for number, url in plan.parts],
            "expires_at": plan.expires_at,
        }
        return Response(MultipartPlanSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MultipartCompleteSerializer, responses={200: MultipartDoneSerializer})
    @action(detail=True, methods=["post"], url_path="multipart/complete")
    def multipart_complete(self, request: Request, pk: str) -> Response:
        data = MultipartCompleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = clip_multipart_complete(
            clip=self.get_object(),
            actor=self.user,
            upload_id=data.validated_data["upload_id"],
            parts=[(p["part_number"], p["etag"]) for p in data.validated_data["parts"]],
        )
        return Response({"clip_id": str(session.clip_id), "size_bytes": session.offset})

    @extend_schema(responses={200: ClipStatusSerializer})
    @action(detail=True, methods=["get"], url_path="status")
    def processing_status(self, request: Request, pk: str) -> Response:
        return Response(clip_status_data(self.get_object()))

    @extend_schema(responses={200: StreamsSerializer})
    @action(detail=True, methods=["get"])
    def streams(self, request: Request, pk: str) -> Response:
        return Response(
            clip_streams(clip=self.get_object(), absolute_url=request.build_absolute_uri)
        )


class ReferenceSerializer(ClipStatusSerializer):
    streams = StreamsSerializer(required=False, help_text="Present once the clip is playable.")


class ExerciseReferenceView(APIView):
    """``GET /api/v1/exercises/{id}/reference/``: the teacher's reference video of an
    exercise, for anyone who may see the exercise and is in its course (and admins)."""

    @extend_schema(
        operation_id="exercises_reference_retrieve",
        responses={200: ReferenceSerializer},
        description="The exercise's reference clip: its processing status, plus `streams` "
        "once it is playable. 404 `no_reference` when the exercise has none.",
    )
    def get(self, request: Request, exercise_id: UUID) -> Response:
        viewer = request.user
        assert isinstance(viewer, User)
        exercise_get(viewer=viewer, exercise_id=exercise_id)  # 404 unless it may be seen
        clip = reference_clip_for(viewer=viewer, exercise_id=exercise_id)
        body = clip_status_data(clip)
        if clip.playable:
            body["streams"] = clip_streams(clip=clip, absolute_url=request.build_absolute_uri)
        return Response(body)


def register_api(router: BaseRouter) -> None:
    router.register("clips", ClipViewSet, basename="clip")
