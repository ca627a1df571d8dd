"""``/api/v1/notifications/``: the list, one notification, unread count, mark read, preferences."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from practika_site.core.errors import InvalidInput, NotAuthenticated
from practika_site.core.routing_ids import UUID_PATTERN
from practika_site.users.models import User

from .models import Notification, NotificationKind
from .selectors import notification_get, notification_list, preferences_for, unread_count
from .serializers import NotificationSerializer, PreferenceSerializer
from .services import notification_preferences_update, notifications_mark_read


def _viewer(request: Request) -> User:
    if not isinstance(request.user, User):
        raise NotAuthenticated()
    return request.user


class MarkReadSerializer(serializers.Serializer[Any]):
    ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=500)
    all = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("all") and not attrs.get("ids"):
            raise serializers.ValidationError("Send 'ids' (a list) or 'all': true.")
        return attrs


class PreferencesSerializer(serializers.Serializer[Any]):
    preferences = PreferenceSerializer(many=True)


UnreadSerializer = inline_serializer("UnreadCount", {"unread_count": serializers.IntegerField()})
MarkedSerializer = inline_serializer(
    "MarkedRead",
    {"marked": serializers.IntegerField(), "unread_count": serializers.IntegerField()},
)


def _preferences_body(user: User) -> dict[str, Any]:
    labels = dict(NotificationKind.choices)
    return {
        "preferences": [
            {
                "kind": kind,
                "label": labels[kind],
                "in_app": preference.in_app,
                "email": preference.email,
            }
            for kind, preference in preferences_for(user=user).items()
        ]
    }


class NotificationViewSet(viewsets.GenericViewSet[Notification]):
    """The caller's notifications, newest first; nobody sees anyone else's."""

    queryset = Notification.objects.none()  # for the schema only: reads go through selectors
    serializer_class = NotificationSerializer
    lookup_url_kwarg = "id"
    lookup_value_regex = UUID_PATTERN

    @extend_schema(
        parameters=[
            OpenApiParameter("unread", OpenApiTypes.BOOL, description="Only unread (or read)."),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=NotificationKind.values),
        ]
    )
    def list(self, request: Request) -> Response:
        unread_param = request.query_params.get("unread")
        unread = None if unread_param is None else unread_param.lower() in ("1", "true", "yes")
        kind = request.query_params.get("kind")
        if kind and kind not in NotificationKind.values:
            raise InvalidInput(details={"kind": [f"One of {', '.join(NotificationKind.values)}."]})
        notifications = notification_list(user=_viewer(request), unread=unread, kind=kind)
        page = self.paginate_queryset(notifications)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, id: str) -> Response:
        notification = notification_get(user=_viewer(request), notification_id=id)
        return Response(self.get_serializer(notification).data)

    @extend_schema(responses=UnreadSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request: Request) -> Response:
        return Response({"unread_count": unread_count(user=_viewer(request))})

    @extend_schema(request=MarkReadSerializer, responses=MarkedSerializer)
    @action(detail=False, methods=["post"])
    def read(self, request: Request) -> Response:
        user = _viewer(request)
        serializer = MarkReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        marked = notifications_mark_read(
            user=user,
            ids=serializer.validated_data.get("ids"),
            everything=serializer.validated_data["all"],
        )
        return Response({"marked": marked, "unread_count": unread_count(user=user)})

    @extend_schema(
        methods=["get"], request=None, responses=PreferencesSerializer, operation_id="prefs_get"
    )
    @extend_schema(
        methods=["patch"],
        request=PreferencesSerializer,
        responses=PreferencesSerializer,
        operation_id="prefs_update",
    )
    @action(detail=False, methods=["get", "patch"])
    def preferences(self, request: Request) -> Response:
        user = _viewer(request)
        if request.method == "PATCH":
            serializer = PreferencesSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            notification_preferences_update(
                user=user, changes=serializer.validated_data["preferences"]
            )
        return Response(_preferences_body(user))


def register_api(router: BaseRouter) -> None:
    router.register("notifications", NotificationViewSet, basename="notification")
