"""Against a real uvicorn server: HTTP and websockets on one port, as clients use them."""

import json
import socket
import threading
from typing import Any

import pytest
import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from practika_site.core.consumers import CLOSE_UNAUTHENTICATED
from practika_site.core.realtime import publish
from practika_site.users.models import User
from tests.factories import TEST_PASSWORD
from tests.live import AsgiLiveServer, api_token, run_asgi_live_server

TIMEOUT = 5.0

pytestmark = pytest.mark.django_db(transaction=True)


def receive(ws: ClientConnection) -> dict[str, Any]:
    frame = json.loads(ws.recv(timeout=TIMEOUT))
    assert isinstance(frame, dict), frame
    return frame


def issue_token(server: AsgiLiveServer, username: str) -> str:
    return api_token(server, username, TEST_PASSWORD)


def test_http_token_and_live_events_over_one_port(
    asgi_live_server: AsgiLiveServer, student: User
) -> None:
    health = requests.get(f"{asgi_live_server.url}/api/v1/health/", timeout=TIMEOUT)
    assert health.status_code == 200
    assert health.json()["status"] == "ok"

    token = issue_token(asgi_live_server, "student")
    topic = f"user:{student.pk}"
    url = f"{asgi_live_server.ws_url}/ws/?token={token}"
    with connect(url, open_timeout=TIMEOUT, close_timeout=TIMEOUT) as ws:
        ws.send(json.dumps({"type": "subscribe", "topic": topic}))
        assert receive(ws) == {"type": "subscribed", "topic": topic}
        # From this (non-server) thread, as the in-process worker publishes.
        publish(topic, "notification.created", {"text": "hello", "n": [1, 2]}, seq=1)
        assert receive(ws) == {
            "type": "notification.created",
            "topic": topic,
            "seq": 1,
            "data": {"text": "hello", "n": [1, 2]},
        }

    anonymous_url = f"{asgi_live_server.ws_url}/ws/"
    with (
        connect(anonymous_url, open_timeout=TIMEOUT) as anonymous,
        pytest.raises(ConnectionClosed) as closed,
    ):
        anonymous.recv(timeout=TIMEOUT)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == CLOSE_UNAUTHENTICATED


def test_header_token_and_refused_origin(asgi_live_server: AsgiLiveServer, student: User) -> None:
    token = issue_token(asgi_live_server, "student")
    headers = {"Authorization": f"Token {token}"}
    endpoint = f"{asgi_live_server.ws_url}/ws/"
    with connect(endpoint, additional_headers=headers, open_timeout=TIMEOUT) as ws:
        topic = f"user:{student.pk}"
        ws.send(json.dumps({"type": "subscribe", "topic": topic}))
        assert receive(ws) == {"type": "subscribed", "topic": topic}

    with pytest.raises(InvalidStatus) as refused:
        connect(
            endpoint,
            additional_headers=headers,
            origin=Origin("https://evil.example"),
            open_timeout=TIMEOUT,
        )
    assert refused.value.response.status_code == 403


def test_server_stops_cleanly_with_a_socket_open(transactional_db: None, student: User) -> None:
    before = set(threading.enumerate())
    running = run_asgi_live_server()
    server = running.__enter__()
    stopped = False
    try:
        token = issue_token(server, "student")
        with connect(f"{server.ws_url}/ws/?token={token}", open_timeout=TIMEOUT) as ws:
            running.__exit__(None, None, None)
            stopped = True
            # The server closed the socket the client still had open.
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=TIMEOUT)
    finally:
        if not stopped:
            running.__exit__(None, None, None)
    leftover = [t for t in set(threading.enumerate()) - before if t.name.startswith("asgi-live")]
    assert leftover == []
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((server.host, server.port), timeout=1).close()
