"""ASGI entry point: HTTP (Django/Wagtail/DRF) and websockets (Channels) on one port.

HTTP goes through :class:`~practika_site.core.upload_limits.BodyLimitMiddleware` first:
Django would otherwise spool every body to disk before a view could refuse it.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practika_site.settings.base")

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402  (needs Django set up first)

from practika_site.core.upload_limits import BodyLimitMiddleware  # noqa: E402
from practika_site.routing import build_websocket_application  # noqa: E402

application = ProtocolTypeRouter(
    {"http": BodyLimitMiddleware(django_asgi_app), "websocket": build_websocket_application()}
)
