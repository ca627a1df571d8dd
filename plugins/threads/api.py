"""``/api/v1/``: threads on segments, their messages (listed since a seq), edits and deletes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from practika_site.core.routing_ids import UUID_PATTERN
from practika_site.users.models import User

from .models import MESSAGE_MAX_CHARS, PracticeThread, ThreadMessage
from .selectors import message_get, message_list, segment_get, thread_get, thread_list
from .serializers import MessageReadSerializer, ThreadReadSerializer
from .services import (
    TITLE_MAX_CHARS,
    message_delete,
    message_edit,
    message_post,
    message_send_allowed,
    thread_create,
    thread_update,
)

MESSAGES_PAGE_SIZE = 100
MESSAGES_MAX_PAGE_SIZE = 500


class WriteSerializer(serializers.Serializer[Any]):
    """Refuses fields it does not declare: no write takes an author, a seq or any other
    server-owned field, and a typo is not silently dropped."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(getattr(self, "initial_data", {})) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: ["This field cannot be written."] for name in unknown}
            )
        return attrs


def _body_field(*, required: bool) -> serializers.CharField:
    # Kept as typed: leading spaces and blank lines are part of a message.
    return serializers.CharField(
        max_length=MESSAGE_MAX_CHARS, trim_whitespace=False, required=required
    )


def _video_time_field() -> serializers.FloatField:
    return serializers.FloatField(
        min_value=0,
        required=False,
        allow_null=True,
        help_text="Seconds into the clip the message is about (within its duration).",
    )


class ThreadCreateSerializer(WriteSerializer):
    title = serializers.CharField(max_length=TITLE_MAX_CHARS)
    body = _body_field(required=False)
    video_time = _video_time_field()


class ThreadUpdateSerializer(WriteSerializer):
    title = serializers.CharField(max_length=TITLE_MAX_CHARS, required=False)
    resolved = serializers.BooleanField(required=False)


class MessageCreateSerializer(WriteSerializer):
    body = _body_field(required=True)
    video_time = _video_time_field()


class MessageUpdateSerializer(WriteSerializer):
    body = _body_field(required=False)
    video_time = _video_time_field()


class MessagePageSerializer(serializers.Serializer[Any]):
    results = MessageReadSerializer(many=True)
    next = serializers.URLField(
        allow_null=True, help_text="The next page (since the last result's updated_seq)."
    )
    last_seq = serializers.IntegerField(help_text="The thread's latest seq when this was read.")


class SinceSerializer(serializers.Serializer[Any]):
    since = serializers.IntegerField(min_value=0, required=False, default=0)
    page_size = serializers.IntegerField(
        min_value=1, max_value=MESSAGES_MAX_PAGE_SIZE, required=False, default=MESSAGES_PAGE_SIZE
    )


def _viewer(request: Request) -> User:
    assert isinstance(request.user, User)  # IsAuthenticated ran first
    return request.user


class SegmentThreadViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[PracticeThread]):
    """``/api/v1/segments/{segment_id}/threads/``: the threads the caller sees on a segment."""

    serializer_class = ThreadReadSerializer

    def get_queryset(self) -> QuerySet[PracticeThread]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return PracticeThread.objects.none()
        segment = segment_get(viewer=_viewer(self.request), segment_id=self.kwargs["segment_id"])
        return thread_list(viewer=_viewer(self.request), segment=segment)

    @extend_schema(request=ThreadCreateSerializer, responses={201: ThreadReadSerializer})
    def create(self, request: Request, segment_id: str) -> Response:
        segment = segment_get(viewer=_viewer(request), segment_id=segment_id)
        data = ThreadCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        thread = thread_create(actor=_viewer(request), segment=segment, **data.validated_data)
        return Response(ThreadReadSerializer(thread).data, status=status.HTTP_201_CREATED)


class ThreadViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet[PracticeThread]):
    serializer_class = ThreadReadSerializer
    lookup_value_regex = UUID_PATTERN
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_object(self) -> PracticeThread:
        return thread_get(viewer=_viewer(self.request), thread_id=self.kwargs["pk"])

    @extend_schema(request=ThreadUpdateSerializer, responses={200: ThreadReadSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        thread = self.get_object()
        data = ThreadUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        thread = thread_update(actor=_viewer(request), thread=thread, **data.validated_data)
        return Response(ThreadReadSerializer(thread).data)

    @extend_schema(
        methods=["GET"],
        parameters=[
            OpenApiParameter(
                "since",
                int,
                description="Only what changed after this seq (posted, edited or deleted), in "
                "the order of those changes; 0 or none: the whole thread. Sort by `seq` to "
                "show messages in thread order.",
            ),
            OpenApiParameter("page_size", int, description=f"1 to {MESSAGES_MAX_PAGE_SIZE}"),
        ],
        responses={200: MessagePageSerializer},
    )
    @extend_schema(
        methods=["POST"], request=MessageCreateSerializer, responses={201: MessageReadSerializer}
    )
    @action(detail=True, methods=["get", "post"])
    def messages(self, request: Request, pk: str) -> Response:
        thread = self.get_object()
        if request.method == "POST":
            data = MessageCreateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            actor = _viewer(request)
            # One budget for both paths: the socket's limit would mean little if REST had none.
            message_send_allowed(actor=actor)
            message = message_post(actor=actor, thread=thread, **data.validated_data)
            return Response(MessageReadSerializer(message).data, status=status.HTTP_201_CREATED)
        query = SinceSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        since, page_size = query.validated_data["since"], query.validated_data["page_size"]
        # One more than asked: whether a next page exists, without counting.
        rows = list(message_list(thread=thread, since=since)[: page_size + 1])
        page = rows[:page_size]
        next_url = None
        if len(rows) > page_size:
            cursor = {"since": page[-1].updated_seq, "page_size": page_size}
            next_url = request.build_absolute_uri(f"{request.path}?{urlencode(cursor)}")
        body = {
            "results": MessageReadSerializer(page, many=True).data,
            "next": next_url,
            "last_seq": thread.last_seq,
        }
        return Response(body)


class MessageViewSet(
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[ThreadMessage],
):
    serializer_class = MessageReadSerializer
    lookup_value_regex = UUID_PATTERN
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_object(self) -> ThreadMessage:
        return message_get(viewer=_viewer(self.request), message_id=self.kwargs["pk"])

    @extend_schema(request=MessageUpdateSerializer, responses={200: MessageReadSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        message = self.get_object()
        data = MessageUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        message = message_edit(
            actor=_viewer(request),
            message=message,
            body=fields.get("body"),
            video_time=fields.get("video_time"),
            clear_video_time="video_time" in fields and fields["video_time"] is None,
        )
        return Response(MessageReadSerializer(message).data)

    @extend_schema(
        responses={204: None},
        description="Leaves a tombstone (`deleted`: true, empty body) in the thread.",
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        message_delete(actor=_viewer(request), message=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def register_api(router: BaseRouter) -> None:
    router.register(
        rf"segments/(?P<segment_id>{UUID_PATTERN})/threads",
        SegmentThreadViewSet,
        basename="segment-thread",
    )
    router.register("threads", ThreadViewSet, basename="thread")
    router.register("messages", MessageViewSet, basename="message")
