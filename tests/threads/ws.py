"""Websocket steps for the thread tests, over Channels' communicator (the whole ASGI stack)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from channels.testing import WebsocketCommunicator

from plugins.threads.models import PracticeThread
from practika_site.users.models import User
from tests.realtime.helpers import (
    Frame,
    open_websocket,
    receive_frame,
    send_frame,
    token_for,
    ws_headers,
)


@asynccontextmanager
async def socket_for(user: User) -> AsyncIterator[WebsocketCommunicator]:
    async with open_websocket(headers=ws_headers(token=await token_for(user))) as ws:
        yield ws


async def join(
    ws: WebsocketCommunicator, thread: PracticeThread, since: int | None = None
) -> tuple[list[Frame], Frame]:
    """Subscribe to the thread; the replayed events, and the presence frame that ends the
    subscribe (sent to this socket alone, or to all when it added its user)."""
    frame: dict[str, Any] = {"type": "subscribe", "topic": thread.topic}
    if since is not None:
        frame["since"] = since
    await send_frame(ws, frame)
    assert await receive_frame(ws) == {"type": "subscribed", "topic": thread.topic}
    replayed: list[Frame] = []
    while (next_frame := await receive_frame(ws))["type"] != "presence":
        replayed.append(next_frame)
    return replayed, next_frame


def viewers(frame: Frame) -> list[str]:
    assert frame["type"] == "presence", frame
    return [viewer["username"] for viewer in frame["data"]["viewers"]]
