"""Who may open ``/ws/``: token or session auth, origins checked, anonymous refused."""

import pytest
from knox.models import AuthToken
from pytest_django.fixtures import Settings

from practika_site.core.consumers import CLOSE_UNAUTHENTICATED
from practika_site.users.models import User

from .helpers import (
    SAME_ORIGIN,
    assert_closed,
    handshake,
    open_websocket,
    session_cookie_for,
    subscribe,
    token_for,
    ws_headers,
)

pytestmark = pytest.mark.django_db(transaction=True)

FOREIGN_ORIGIN = "https://evil.example"


async def test_anonymous_connection_is_closed_with_4401() -> None:
    async with open_websocket(headers=ws_headers()) as ws:
        await assert_closed(ws, CLOSE_UNAUTHENTICATED)


async def test_anonymous_browser_connection_is_closed_with_4401() -> None:
    async with open_websocket(headers=ws_headers(origin=SAME_ORIGIN)) as ws:
        await assert_closed(ws, CLOSE_UNAUTHENTICATED)


@pytest.mark.parametrize("path", ["/ws/?token=not-a-token", "/ws/?token="])
async def test_bad_token_in_query_is_closed_with_4401(path: str) -> None:
    async with open_websocket(path, headers=ws_headers()) as ws:
        await assert_closed(ws, CLOSE_UNAUTHENTICATED)


async def test_bad_token_in_header_is_closed_with_4401() -> None:
    async with open_websocket(headers=ws_headers(token="0" * 64)) as ws:
        await assert_closed(ws, CLOSE_UNAUTHENTICATED)


async def test_revoked_token_is_closed_with_4401(student: User) -> None:
    token = await token_for(student)
    await AuthToken.objects.filter(user=student).adelete()
    async with open_websocket(f"/ws/?token={token}", headers=ws_headers()) as ws:
        await assert_closed(ws, CLOSE_UNAUTHENTICATED)


async def test_token_in_query_without_origin_is_accepted(student: User) -> None:
    async with open_websocket(f"/ws/?token={await token_for(student)}", headers=ws_headers()) as ws:
        topic = f"user:{student.pk}"
        assert await subscribe(ws, topic) == {"type": "subscribed", "topic": topic}


async def test_token_in_authorization_header_is_accepted(student: User) -> None:
    async with open_websocket(headers=ws_headers(token=await token_for(student))) as ws:
        topic = f"user:{student.pk}"
        assert await subscribe(ws, topic) == {"type": "subscribed", "topic": topic}


async def test_session_cookie_with_same_origin_is_accepted(student: User) -> None:
    headers = ws_headers(session=await session_cookie_for(student), origin=SAME_ORIGIN)
    async with open_websocket(headers=headers) as ws:
        topic = f"user:{student.pk}"
        assert await subscribe(ws, topic) == {"type": "subscribed", "topic": topic}


async def test_session_cookie_without_origin_is_refused(student: User) -> None:
    accepted, _ = await handshake(headers=ws_headers(session=await session_cookie_for(student)))
    assert not accepted


@pytest.mark.parametrize(
    "origin",
    [
        FOREIGN_ORIGIN,
        "http://testserver.evil.example",
        "http://testserver:8000",
        "https://testserver",
        "null",
        "http://[",
    ],
)
async def test_session_cookie_with_foreign_origin_is_refused(student: User, origin: str) -> None:
    headers = ws_headers(session=await session_cookie_for(student), origin=origin)
    accepted, _ = await handshake(headers=headers)
    assert not accepted


async def test_secure_socket_wants_an_https_origin(student: User) -> None:
    session = await session_cookie_for(student)
    behind_tls = [(b"x-forwarded-proto", b"https")]
    headers = ws_headers(session=session, origin="https://testserver") + behind_tls
    async with open_websocket(headers=headers) as ws:
        topic = f"user:{student.pk}"
        assert await subscribe(ws, topic) == {"type": "subscribed", "topic": topic}
    accepted, _ = await handshake(
        headers=ws_headers(session=session, origin=SAME_ORIGIN) + behind_tls
    )
    assert not accepted


async def test_token_with_foreign_origin_is_refused(student: User) -> None:
    headers = ws_headers(token=await token_for(student), origin=FOREIGN_ORIGIN)
    accepted, _ = await handshake(headers=headers)
    assert not accepted


async def test_anonymous_with_foreign_origin_is_refused() -> None:
    accepted, _ = await handshake(headers=ws_headers(origin=FOREIGN_ORIGIN))
    assert not accepted


async def test_origin_in_csrf_trusted_origins_is_accepted(
    student: User, settings: Settings
) -> None:
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example/"]
    headers = ws_headers(session=await session_cookie_for(student), origin="https://APP.example")
    async with open_websocket(headers=headers) as ws:
        topic = f"user:{student.pk}"
        assert await subscribe(ws, topic) == {"type": "subscribed", "topic": topic}


async def test_origin_in_ws_allowed_origins_is_accepted(student: User, settings: Settings) -> None:
    settings.PRACTIKA_WS_ALLOWED_ORIGINS = ["https://studio.example"]
    headers = ws_headers(token=await token_for(student), origin="https://studio.example")
    async with open_websocket(headers=headers) as ws:
        topic = f"user:{student.pk}"
        assert await subscribe(ws, topic) == {"type": "subscribed", "topic": topic}


async def test_token_decides_the_user_over_a_session(student: User, student2: User) -> None:
    headers = ws_headers(
        token=await token_for(student2),
        session=await session_cookie_for(student),
        origin=SAME_ORIGIN,
    )
    async with open_websocket(headers=headers) as ws:
        own, other = f"user:{student2.pk}", f"user:{student.pk}"
        assert await subscribe(ws, own) == {"type": "subscribed", "topic": own}
        assert (await subscribe(ws, other))["code"] == "forbidden"
