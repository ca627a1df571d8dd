"""Serve HTTP and websockets on one port with a Huey consumer in the same process.

This is the embedded mode of ``make dev``: the in-memory channel layer works because the
worker that publishes processing events and the sockets that receive them share a process.
"""

from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import autodiscover_modules
from huey.contrib.djhuey import HUEY


class Command(BaseCommand):
    help = "Run Practika (ASGI: HTTP + websockets) with an in-process Huey worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=settings.HUEY_WORKERS)
        parser.add_argument("--no-worker", action="store_true", help="Serve only.")

    def handle(self, *args: Any, **options: Any) -> None:
        consumer = None
        if not options["no_worker"]:
            autodiscover_modules("tasks")
            consumer = HUEY.create_consumer(
                workers=options["workers"], worker_type="thread", periodic=True
            )
            consumer.start()
            self.stdout.write(f"Huey worker started ({options['workers']} threads).")
        base = f"http://{options['host']}:{options['port']}"
        ws_base = base.replace("http", "ws", 1)
        self.stdout.write(
            f"Practika on {base}/  ·  CMS {base}/cms/  ·  admin {base}/admin/  ·  "
            f"API {base}/api/v1/  ·  docs {base}/docs/  ·  websockets {ws_base}/ws/"
        )
        try:
            uvicorn.run(
                "practika_site.asgi:application",
                host=options["host"],
                port=options["port"],
                lifespan="off",
                log_level="info",
                ws_max_size=1024 * 1024,
                # Events are small JSON frames sent to many sockets; compressing each copy
                # per connection cost most of the server's CPU in the fan-out benchmark.
                ws_per_message_deflate=False,
            )
        finally:
            if consumer is not None:
                consumer.stop(graceful=True)
