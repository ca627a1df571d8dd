"""The JSON of threads and messages: the REST answers, and the ``data`` of every event."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from practika_site.users.models import User

from .markup import render_message_html
from .models import PracticeThread, ThreadMessage


class UserSummarySerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    username = serializers.CharField()


def user_summary(user: User) -> dict[str, str]:
    return {"id": str(user.pk), "username": user.username}


class ThreadReadSerializer(serializers.ModelSerializer[PracticeThread]):
    segment_id = serializers.UUIDField()
    clip_id = serializers.UUIDField(source="segment.clip_id")
    created_by = serializers.SerializerMethodField()
    resolved_by = serializers.SerializerMethodField()
    last_seq = serializers.IntegerField(
        help_text="The seq of the thread's latest event: list messages with since=<your last "
        "seq>, or subscribe to thread:<id> with it, to get what came after."
    )

    class Meta:
        model = PracticeThread
        fields = (
            "id",
            "segment_id",
            "clip_id",
            "title",
            "created_by",
            "resolved",
            "resolved_by",
            "resolved_at",
            "last_seq",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    @extend_schema_field(UserSummarySerializer)
    def get_created_by(self, thread: PracticeThread) -> dict[str, str]:
        return user_summary(thread.created_by)

    @extend_schema_field(UserSummarySerializer(allow_null=True))
    def get_resolved_by(self, thread: PracticeThread) -> dict[str, str] | None:
        return None if thread.resolved_by is None else user_summary(thread.resolved_by)


class MessageReadSerializer(serializers.ModelSerializer[ThreadMessage]):
    thread_id = serializers.UUIDField()
    author = serializers.SerializerMethodField()
    html = serializers.SerializerMethodField(
        help_text="The body rendered safely: escaped text with **bold**, `code` and http(s) "
        'links (rel="nofollow noopener").'
    )
    seq = serializers.IntegerField(help_text="The message's place in the thread.")
    updated_seq = serializers.IntegerField(
        help_text="The seq of its latest change (posted, edited or deleted)."
    )

    class Meta:
        model = ThreadMessage
        fields = (
            "id",
            "thread_id",
            "seq",
            "updated_seq",
            "author",
            "body",
            "html",
            "video_time",
            "created_at",
            "edited_at",
            "deleted",
        )
        read_only_fields = fields

    @extend_schema_field(UserSummarySerializer)
    def get_author(self, message: ThreadMessage) -> dict[str, str]:
        return user_summary(message.author)

    def get_html(self, message: ThreadMessage) -> str:
        return render_message_html(message.body)
