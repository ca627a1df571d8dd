"""The example plugin's own websocket route, ``/ws/example/echo/``."""

import pytest

from practika_site.core.consumers import CLOSE_UNAUTHENTICATED
from practika_site.users.models import User
from tests.realtime.helpers import (
    assert_closed,
    handshake,
    open_websocket,
    receive_frame,
    send_frame,
    token_for,
    ws_headers,
)

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/ws/example/echo/"


async def test_echo_route_works_with_a_token(student: User) -> None:
    async with open_websocket(PATH, headers=ws_headers(token=await token_for(student))) as ws:
        await send_frame(ws, {"hello": ["world", 1]})
        assert await receive_frame(ws) == {
            "type": "echo",
            "user": "student",
            "data": {"hello": ["world", 1]},
        }


async def test_echo_route_refuses_anonymous() -> None:
    async with open_websocket(PATH, headers=ws_headers()) as ws:
        await assert_closed(ws, CLOSE_UNAUTHENTICATED)


async def test_echo_route_checks_the_origin(student: User) -> None:
    headers = ws_headers(token=await token_for(student), origin="https://evil.example")
    accepted, _ = await handshake(PATH, headers=headers)
    assert not accepted
