"""A notification reaches its user's open socket (``user:<id>``), and nobody else's."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from plugins.notifications.services import notifications_mark_read
from practika_site.users.models import User
from tests.realtime.helpers import (
    assert_quiet,
    open_websocket,
    receive_frame,
    subscribe,
    token_for,
    ws_headers,
)

from .test_notifications import tell

pytestmark = pytest.mark.django_db(transaction=True)


async def test_notification_arrives_live_with_the_unread_count(
    student: User, student2: User
) -> None:
    async with (
        open_websocket(headers=ws_headers(token=await token_for(student))) as mine,
        open_websocket(headers=ws_headers(token=await token_for(student2))) as theirs,
    ):
        await subscribe(mine, f"user:{student.pk}")
        await subscribe(theirs, f"user:{student2.pk}")
        notification = await sync_to_async(tell)(student, "Take 2 is ready")

        frame = await receive_frame(mine)
        assert frame["type"] == "notification.created"
        assert frame["topic"] == f"user:{student.pk}"
        assert frame["data"]["id"] == str(notification.pk)
        assert frame["data"]["title"] == "Take 2 is ready"
        assert frame["data"]["unread_count"] == 1
        await assert_quiet(theirs)

        # Reading it in another tab updates the count here too.
        await sync_to_async(notifications_mark_read)(user=student, everything=True)
        frame = await receive_frame(mine)
        assert frame["type"] == "notification.read"
        assert frame["data"] == {"ids": [str(notification.pk)], "unread_count": 0}
