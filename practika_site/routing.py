from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from django.urls import URLPattern, URLResolver, path

from practika_site.core.consumers import RealtimeConsumer
from practika_site.core.plugins import plugin_websocket_urlpatterns
from practika_site.users.ws_auth import TokenAuthMiddleware


def build_websocket_urlpatterns() -> list[URLPattern | URLResolver]:
    # Channels routes ASGI apps with Django's path(); django-stubs expects a view there.
    realtime = path("ws/", RealtimeConsumer.as_asgi())  # type: ignore[arg-type]  # ASGI app
    return [realtime, *plugin_websocket_urlpatterns()]


def build_websocket_application() -> Any:
    router = URLRouter(build_websocket_urlpatterns())  # type: ignore[arg-type]  # see above
    return AuthMiddlewareStack(TokenAuthMiddleware(router))
