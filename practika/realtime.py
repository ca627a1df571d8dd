"""Live events over ``/ws/`` (API.md, "Websocket protocol"), with reconnect and replay.

:class:`EventStream` subscribes to topics (``clip:<id>``, ``thread:<id>``, ``user:<id>``),
yields each event as an :class:`~practika.models.Event`, and when the socket drops it
connects again and subscribes with ``since`` set to the last ``seq`` it saw on each topic, so
the server sends what was missed. Events already seen (by ``seq``) are never yielded twice.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections import deque
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from .errors import AuthError, PractikaError, ServerError, error_from_frame
from .models import Event
from .transport import RetryPolicy

CLOSE_UNAUTHENTICATED = 4401
CONTROL_FRAMES = frozenset({"subscribed", "unsubscribed"})
#: The events of a thread's messages (what ``practika watch`` prints).
MESSAGE_EVENTS = frozenset({"message.created", "message.edited", "message.deleted"})
Since = int | Mapping[str, int] | None


def websocket_url(http_url: str) -> str:
    """``http://host:port`` -> ``ws://host:port/ws/`` (``https`` -> ``wss``)."""
    base = http_url.rstrip("/")
    if base.startswith("https://"):
        return "wss://" + base.removeprefix("https://") + "/ws/"
    return "ws://" + base.removeprefix("http://") + "/ws/"


class EventStream:
    """An open subscription to ``topics``; iterate it, or ``receive(timeout)`` one event.

    ``types`` keeps only events of those types (``presence`` and ``typing`` come too unless
    left out this way). Use it as a context manager (or call ``close()``) to close the
    socket. It reconnects by itself; after ``max_reconnects`` failed attempts in a row it
    raises ``ServerError`` (``code="unreachable"``). A refused subscription raises
    ``AuthError`` (``forbidden``).
    """

    def __init__(
        self,
        *,
        ws_url: str,
        token: str | None,
        topics: Sequence[str],
        since: Since = None,
        open_timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        max_reconnects: int = 10,
        types: Collection[str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not topics:
            raise ValueError("Subscribe to at least one topic.")
        self.ws_url = ws_url
        self.token = token
        self.topics = list(dict.fromkeys(topics))
        self.last_seq: dict[str, int] = _initial_since(self.topics, since)
        self.open_timeout = open_timeout
        self.retry = retry or RetryPolicy()
        self.max_reconnects = max_reconnects
        self.types = frozenset(types) if types is not None else None
        self.sleep = sleep
        self.connections = 0
        self._socket: ClientConnection | None = None
        self._socket_scope = contextlib.ExitStack()
        self._pending: deque[Event] = deque()
        self._closed = False

    # --- public ------------------------------------------------------------------------------
    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[Event]:
        while True:
            event = self.receive(None)
            if event is not None:
                yield event

    def open(self) -> Self:
        """Connect and subscribe now (iterating does it too, on first use)."""
        if self._socket is None:
            self._connect()
        return self

    def receive(self, timeout: float | None = None) -> Event | None:
        """The next event, or ``None`` when ``timeout`` seconds pass without one."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._pending:
                return self._pending.popleft()
            if self._closed:
                raise PractikaError("The event stream is closed.", code="closed")
            if self._socket is None:
                self._connect()
                continue
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                raw = self._socket.recv(timeout=remaining)
            except TimeoutError:
                return None
            except (ConnectionClosed, OSError) as exc:
                self._check_auth_close(exc)
                self._drop()
                continue
            self._handle(raw, acks=None)

    def close(self) -> None:
        self._closed = True
        self._drop()

    # --- internals ---------------------------------------------------------------------------
    def _drop(self) -> None:
        self._socket = None
        with contextlib.suppress(OSError):
            self._socket_scope.close()

    def _connect(self) -> None:
        failures = 0
        while True:
            try:
                self._socket = self._open_and_subscribe()
                self.connections += 1
                return
            except (ConnectionClosed, OSError, TimeoutError, InvalidHandshake) as exc:
                self._drop()
                self._check_auth_close(exc)
                if isinstance(exc, InvalidStatus) and exc.response.status_code in (401, 403):
                    raise AuthError(
                        "The server refused the websocket.",
                        code="forbidden",
                        status=exc.response.status_code,
                    ) from exc
                failures += 1
                if failures > self.max_reconnects:
                    raise ServerError(
                        f"Cannot open {self.ws_url}: {exc}", code="unreachable"
                    ) from exc
                self.sleep(self.retry.delay(failures - 1))

    def _open_and_subscribe(self) -> ClientConnection:
        headers = {"Authorization": f"Token {self.token}"} if self.token else {}
        # Entered as a context manager (closed by _drop), as websockets asks of connect().
        socket = self._socket_scope.enter_context(
            connect(
                self.ws_url,
                additional_headers=headers,
                open_timeout=self.open_timeout,
                close_timeout=self.open_timeout,
            )
        )
        self._socket = socket
        for topic in self.topics:
            frame = {"type": "subscribe", "topic": topic, "since": self.last_seq.get(topic)}
            socket.send(json.dumps(frame))
        # Replayed and live events may come between the acknowledgements: keep them in order.
        waiting = set(self.topics)
        deadline = time.monotonic() + self.open_timeout
        while waiting:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no answer to subscribe")
            self._handle(socket.recv(timeout=remaining), acks=waiting)
        return socket

    def _handle(self, raw: str | bytes, *, acks: set[str] | None) -> None:
        try:
            frame: Any = json.loads(raw)
        except ValueError:
            return
        if not isinstance(frame, dict):
            return
        kind = frame.get("type")
        if kind in CONTROL_FRAMES:
            if acks is not None:
                acks.discard(str(frame.get("topic")))
            return
        if kind == "error":
            raise error_from_frame(frame)
        if not isinstance(kind, str) or not isinstance(frame.get("topic"), str):
            return
        event = Event.from_json(frame)
        if event.seq is not None:
            if event.seq <= self.last_seq.get(event.topic, -1):
                return  # already yielded before a reconnect
            self.last_seq[event.topic] = event.seq
        if self.types is None or event.type in self.types:
            self._pending.append(event)

    @staticmethod
    def _check_auth_close(exc: BaseException) -> None:
        closed = exc.rcvd if isinstance(exc, ConnectionClosed) else None
        if closed is not None and closed.code == CLOSE_UNAUTHENTICATED:
            raise AuthError(
                "The websocket refused the token.", code="not_authenticated", status=401
            ) from exc


def _initial_since(topics: Sequence[str], since: Since) -> dict[str, int]:
    if since is None:
        return {}
    if isinstance(since, int):
        return dict.fromkeys(topics, since)
    return {topic: int(seq) for topic, seq in since.items() if topic in topics}
