"""Settings of the server processes the services tests and the fan-out benchmark start:
production's ``base`` settings, but for one thing.

base.py's HUEY with REDIS_URL passes Huey both ``url`` and ``connection``
(``health_check_interval``), which RedisStorage refuses as over-determined, so a process with
REDIS_URL cannot start (the test suite never sees it: immediate mode builds no Redis
storage). These servers run no worker; the health check interval is dropped here.
"""

from practika_site.settings.base import *  # noqa: F403
from practika_site.settings.base import HUEY

HUEY = {key: value for key, value in HUEY.items() if key != "connection"}
