"""Websocket test helpers shared by the real-time and plugin-contract tests.

Everything here talks to ``practika_site.asgi.application`` through Channels'
``WebsocketCommunicator``: the whole ASGI stack (auth middleware, router, consumer), no socket.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from knox.models import AuthToken

from practika_site.asgi import application
from practika_site.users.models import User

TIMEOUT = 3.0  # seconds; generous for a loaded CI machine, instant when things work
QUIET = 0.2  # how long "nothing arrives" is watched
HOST = "testserver"
SAME_ORIGIN = f"http://{HOST}"

Frame = dict[str, Any]
Headers = list[tuple[bytes, bytes]]


@database_sync_to_async
def token_for(user: User) -> str:
    _, token = AuthToken.objects.create(user=user)
    return str(token)


@database_sync_to_async
def session_cookie_for(user: User) -> str:
    """A real session for ``user``, as the login page would leave in the browser."""
    client = Client()
    client.force_login(user)
    return str(client.cookies[settings.SESSION_COOKIE_NAME].value)


def ws_headers(
    *,
    token: str | None = None,
    session: str | None = None,
    origin: str | None = None,
    host: str = HOST,
) -> Headers:
    headers: Headers = [(b"host", host.encode())]
    if token is not None:
        headers.append((b"authorization", f"Token {token}".encode()))
    if session is not None:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode()))
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return headers


@asynccontextmanager
async def open_websocket(
    path: str = "/ws/", headers: Iterable[tuple[bytes, bytes]] = ()
) -> AsyncIterator[WebsocketCommunicator]:
    """An accepted connection, disconnected (and its consumer stopped) on exit."""
    communicator = WebsocketCommunicator(application, path, headers=list(headers))
    connected, code = await communicator.connect(timeout=TIMEOUT)
    assert connected, f"handshake refused (close code {code})"
    try:
        yield communicator
    finally:
        await communicator.disconnect(timeout=TIMEOUT)


async def handshake(
    path: str = "/ws/", headers: Iterable[tuple[bytes, bytes]] = ()
) -> tuple[bool, int | str | None]:
    """Connect and disconnect; ``(accepted, close code or subprotocol)`` as Channels says."""
    communicator = WebsocketCommunicator(application, path, headers=list(headers))
    try:
        return await communicator.connect(timeout=TIMEOUT)
    finally:
        await communicator.disconnect(timeout=TIMEOUT)


async def receive_frame(ws: WebsocketCommunicator) -> Frame:
    frame = await ws.receive_json_from(timeout=TIMEOUT)
    assert isinstance(frame, dict), frame
    return frame


async def send_frame(ws: WebsocketCommunicator, frame: object) -> None:
    await ws.send_to(text_data=json.dumps(frame))


async def subscribe(ws: WebsocketCommunicator, topic: str, since: int | None = None) -> Frame:
    frame: Frame = {"type": "subscribe", "topic": topic}
    if since is not None:
        frame["since"] = since
    await send_frame(ws, frame)
    return await receive_frame(ws)


async def assert_quiet(ws: WebsocketCommunicator) -> None:
    assert await ws.receive_nothing(timeout=QUIET), "a frame arrived where none was expected"


async def assert_closed(ws: WebsocketCommunicator, code: int) -> None:
    message = await ws.receive_output(timeout=TIMEOUT)
    assert message == {"type": "websocket.close", "code": code}, message


def error_frame(code: str, topic: object) -> Mapping[str, object]:
    """The parts of an error frame a test pins down (the message is for people)."""
    return {"type": "error", "code": code, "topic": topic}


def without_message(frame: Frame) -> Frame:
    assert isinstance(frame.get("message"), str), frame
    assert frame["message"], frame
    return {key: value for key, value in frame.items() if key != "message"}


def round_trip(value: object) -> object:
    return json.loads(json.dumps(value))
