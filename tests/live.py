"""A real ASGI server for tests: ``practika_site.asgi`` under uvicorn, HTTP and websockets.

``run_asgi_live_server()`` serves the application from a background thread on a free port of
127.0.0.1 and stops it (and joins the thread) on exit; the ``asgi_live_server`` fixture in
``tests/conftest.py`` wraps it with ``transactional_db``, so the server sees what the test
committed. The server shares this process: the in-memory channel layer, the settings and the
test database (SQLite's shared-cache in-memory database, or the PostgreSQL test database).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import requests
import uvicorn
from django.db import connections

ASGIApp = Callable[..., Awaitable[None]]

HOST = "127.0.0.1"
REQUEST_TIMEOUT_SECONDS = 5.0
START_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 10.0
GRACEFUL_SHUTDOWN_SECONDS = 2


@dataclass(frozen=True)
class AsgiLiveServer:
    host: str
    port: int

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, no trailing slash."""
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """``ws://127.0.0.1:<port>``, no trailing slash: the endpoint is ``ws_url + "/ws/"``."""
        return f"ws://{self.host}:{self.port}"


def api_token(server: AsgiLiveServer, username: str, password: str) -> str:
    """A token from ``POST /api/v1/auth/token/`` on the running server, as the SDK logs in."""
    response = requests.post(
        f"{server.url}/api/v1/auth/token/",
        json={"username": username, "password": password},
        timeout=REQUEST_TIMEOUT_SECONDS,
    )
    response.raise_for_status()
    token = response.json()["token"]
    assert isinstance(token, str)
    return token


@contextmanager
def run_asgi_live_server(
    application: ASGIApp | None = None,
    *,
    start_timeout: float = START_TIMEOUT_SECONDS,
    stop_timeout: float = STOP_TIMEOUT_SECONDS,
) -> Iterator[AsgiLiveServer]:
    """Serve ``application`` (default: ``practika_site.asgi.application``) until exit."""
    app = application if application is not None else _site_application()
    # Bind here and hand the socket over: no window in which another process takes the port.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        app=app,
        host=HOST,
        port=port,
        lifespan="off",
        log_level="warning",
        log_config=None,  # leave the test run's logging (and pytest's capture) alone
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    server = uvicorn.Server(config)
    failures: list[BaseException] = []

    def serve() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # uvicorn exits with SystemExit when startup fails
            failures.append(exc)

    thread = threading.Thread(target=serve, name=f"asgi-live-server:{port}", daemon=True)
    with _database_connections_closed_after_use():
        thread.start()
        try:
            _wait_until_started(server, thread, failures, start_timeout)
            yield AsgiLiveServer(host=HOST, port=port)
        finally:
            _stop(server, thread, stop_timeout)
            sock.close()
    if failures:
        raise RuntimeError("the live server failed") from failures[0]


def _site_application() -> ASGIApp:
    from practika_site.asgi import application

    return application


def _wait_until_started(
    server: uvicorn.Server, thread: threading.Thread, failures: list[BaseException], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while not server.started:
        if failures or not thread.is_alive():
            cause = failures[0] if failures else None
            raise RuntimeError("the live server did not start") from cause
        if time.monotonic() > deadline:
            raise RuntimeError(f"the live server did not start within {timeout} s")
        time.sleep(0.01)


def _stop(server: uvicorn.Server, thread: threading.Thread, timeout: float) -> None:
    """Ask uvicorn to exit (it checks ten times a second), then insist, then give up loudly."""
    server.should_exit = True
    thread.join(timeout)
    if thread.is_alive():
        server.force_exit = True
        thread.join(timeout)
    if thread.is_alive():
        raise RuntimeError(f"the live server thread {thread.name} did not stop")


@contextmanager
def _database_connections_closed_after_use() -> Iterator[None]:
    """Server threads close their connections after each request and consumer call.

    Otherwise a persistent connection (CONN_MAX_AGE, as with DATABASE_URL) stays open in an
    executor thread and keeps the PostgreSQL test database from being flushed or dropped.
    In-memory SQLite ignores close(), so its shared database lives on as before.
    """
    saved = {alias: connections.settings[alias].get("CONN_MAX_AGE", 0) for alias in connections}
    for alias in saved:
        connections.settings[alias]["CONN_MAX_AGE"] = 0
    try:
        yield
    finally:
        for alias, value in saved.items():
            connections.settings[alias]["CONN_MAX_AGE"] = value
