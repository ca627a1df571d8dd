from typing import Any

from rest_framework import serializers

from .models import ExamplePing


class ExamplePingReadSerializer(serializers.ModelSerializer[ExamplePing]):
    class Meta:
        model = ExamplePing
        fields = ("id", "seq", "note", "created_at")
        read_only_fields = fields


class ExamplePingWriteSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
