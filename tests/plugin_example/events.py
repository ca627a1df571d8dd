"""The events this plugin publishes on ``example:<owner id>``."""

from typing import Any

from practika_site.core.realtime import Event, make_event

from .models import ExamplePing
from .serializers import ExamplePingReadSerializer

EXAMPLE_PINGED = "example.pinged"


def example_topic(owner_id: object) -> str:
    return f"example:{owner_id}"


def example_ping_data(ping: ExamplePing) -> dict[str, Any]:
    """The ping exactly as the API answers it, so websocket and REST clients agree."""
    return dict(ExamplePingReadSerializer(ping).data)


def example_pinged_event(ping: ExamplePing) -> Event:
    return make_event(
        example_topic(ping.owner_id), EXAMPLE_PINGED, example_ping_data(ping), ping.seq
    )
