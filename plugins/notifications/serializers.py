"""The notification as the API and the live ``notification.*`` events show it."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .models import Notification, NotificationKind


class ActorSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    username = serializers.CharField()


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    actor = ActorSerializer(allow_null=True, read_only=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = (
            "id",
            "kind",
            "title",
            "body",
            "actor",
            "target_type",
            "target_id",
            "url",
            "data",
            "read",
            "read_at",
            "created_at",
        )
        read_only_fields = fields

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class PreferenceSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=NotificationKind.choices)
    # The metaclass moves declared fields off the class, so Field.label is not shadowed.
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    in_app = serializers.BooleanField(required=False)
    email = serializers.BooleanField(required=False)


def notification_data(notification: Notification) -> dict[str, Any]:
    data: dict[str, Any] = NotificationSerializer(notification).data
    return dict(data)
