"""The example plugin's topic kind and websocket route over a real socket (uvicorn)."""

import json
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from practika_site.users.models import User
from tests.factories import TEST_PASSWORD
from tests.live import AsgiLiveServer, api_token
from tests.plugin_example.models import ExamplePing

TIMEOUT = 5.0

pytestmark = pytest.mark.django_db(transaction=True)


def receive(ws: ClientConnection) -> dict[str, Any]:
    frame = json.loads(ws.recv(timeout=TIMEOUT))
    assert isinstance(frame, dict), frame
    return frame


def test_example_topic_and_echo_route_over_a_real_socket(
    asgi_live_server: AsgiLiveServer, student: User
) -> None:
    token = api_token(asgi_live_server, "student", TEST_PASSWORD)
    topic = f"example:{student.pk}"
    with connect(f"{asgi_live_server.ws_url}/ws/?token={token}", open_timeout=TIMEOUT) as ws:
        ws.send(json.dumps({"type": "subscribe", "topic": topic}))
        assert receive(ws) == {"type": "subscribed", "topic": topic}
        ws.send(json.dumps({"type": "ping", "topic": topic, "note": "live"}))
        event = receive(ws)
    assert (event["type"], event["topic"], event["seq"]) == ("example.pinged", topic, 1)
    assert event["data"]["note"] == "live"
    assert ExamplePing.objects.get().note == "live"

    echo_url = f"{asgi_live_server.ws_url}/ws/example/echo/?token={token}"
    with connect(echo_url, open_timeout=TIMEOUT) as echo:
        echo.send(json.dumps({"n": 1}))
        assert receive(echo) == {"type": "echo", "user": "student", "data": {"n": 1}}
