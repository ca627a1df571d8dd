"""``/ws/example/echo/``: a route of its own, to show plugins may add websocket endpoints."""

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from practika_site.core.consumers import CLOSE_UNAUTHENTICATED, origin_allowed


class ExampleEchoConsumer(AsyncJsonWebsocketConsumer):
    """Answers every JSON frame with ``{"type": "echo", "user", "data"}``."""

    async def connect(self) -> None:
        if not origin_allowed(self.scope):
            await self.close()
            return
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        user = self.scope.get("user")
        username = user.get_username() if user is not None else ""
        await self.send_json({"type": "echo", "user": username, "data": content})
