"""Request body limits in front of Django, and upload bodies streamed straight to their view.

Django's ASGI handler reads a whole request body into a temporary file before any view
runs, so without this middleware an oversized body is refused only after its last byte
(anyone can fill the disk) and an upload is written twice (spool, then the view's copy).
:class:`BodyLimitMiddleware` wraps the Django application and, before Django sees a body:

- answers ``413`` in the API error format at once when ``Content-Length`` is over the limit
  of the request's route, without reading a byte of the body;
- counts the bytes of bodies sent without ``Content-Length`` (chunked) and cuts them off
  with a ``413`` as soon as they pass the limit;
- hands the body of a *streamed* route to its view as it arrives: Django gets an empty body
  and the view reads the real one with :func:`request_body`, so the view's own checks
  (signature, ownership, expiry, per-object size) answer before any byte is read, and an
  upload is written once, by the view, where it belongs.

Limits by route (the view resolved from the path with Django's URL resolver):

- a view whose class lists the method in ``streamed_body_methods`` (the upload views of
  plugins): ``PRACTIKA_UPLOAD_MAX_BYTES``, which the view refines per object;
- the editors' admin (``/cms/``, ``/admin/``) for a signed-in user who may use the Wagtail
  admin: ``PRACTIKA_UPLOAD_MAX_BYTES`` (reference videos are uploaded there as documents);
- everything else: ``PRACTIKA_REQUEST_MAX_BYTES``, a small cap like Django's
  ``DATA_UPLOAD_MAX_MEMORY_SIZE``.

When an answer leaves a large part of the body unread, it carries ``Connection: close`` so
the server stops reading; a small rest (up to :data:`LINGER_MAX_BYTES`) is read and dropped
instead, so that a client still sending gets the answer rather than a reset connection.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import CookieError, SimpleCookie
from importlib import import_module
from typing import Any, Protocol

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.http import HttpRequest
from django.urls import Resolver404, resolve

from .errors import PractikaError, TooLarge, error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
# Loose on purpose: Django's ASGIHandler and Channels type their scope/messages differently.
ASGIApp = Callable[..., Awaitable[None]]

#: Where a streamed route's :class:`StreamedBody` rides in the ASGI scope (and so in
#: ``request.scope`` of the ASGIRequest Django builds from it).
STREAMED_BODY_SCOPE_KEY = "practika.streamed_body"
#: The view-class attribute naming the methods whose body the view streams itself.
STREAMED_METHODS_ATTRIBUTE = "streamed_body_methods"
EDITOR_PATH_PREFIXES = ("/cms/", "/admin/")
#: An answer that leaves at most this much of a body unread reads and drops the rest, so a
#: client still sending sees the answer; past it the connection is closed instead.
LINGER_MAX_BYTES = 8 * 1024 * 1024


class ClientDisconnected(PractikaError):
    """The client went away before its whole body arrived (no one reads the answer)."""

    code = "client_disconnected"
    default_message = "The client disconnected before the request body was complete."


class BodyReader(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def request_body(request: HttpRequest) -> BodyReader:
    """Where a view reads its request body in chunks: the streamed body when the
    middleware streams this route, else Django's own (test client, WSGI)."""
    scope = getattr(request, "scope", None)
    streamed = scope.get(STREAMED_BODY_SCOPE_KEY) if isinstance(scope, dict) else None
    return streamed if isinstance(streamed, StreamedBody) else request


def too_large_message(limit: int) -> str:
    return f"The request body is over the {limit} bytes allowed here."


class StreamedBody:
    """A request body read by the view, on its own thread, while it arrives.

    Django is handed an empty body (:meth:`django_receive`); once the view has read the
    whole real one, Django's own receive calls go through to the server again, so it still
    notices a client that disconnects while the view answers.
    """

    def __init__(self, receive: Receive, *, limit: int, declared: int | None) -> None:
        self._receive = receive
        self.limit = limit
        self.declared = declared
        self.received = 0
        self.complete = False
        self.disconnected = False
        self._buffer = bytearray()
        self._gave_django_empty_body = False
        self._complete_event = asyncio.Event()

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes (all that is left for -1), ``b""`` at the end; raises
        :class:`TooLarge` past the limit and :class:`ClientDisconnected`. Blocks the
        calling (view) thread, never the event loop."""
        chunk: bytes = async_to_sync(self._read)(size)
        return chunk

    async def _read(self, size: int) -> bytes:
        wanted = size if size >= 0 else None
        while not (self.complete or self.disconnected) and (
            wanted is None or len(self._buffer) < wanted
        ):
            self._take(await self._receive())
        if self.disconnected and not self._buffer:
            raise ClientDisconnected()
        if wanted is None or len(self._buffer) <= wanted:
            data = bytes(self._buffer)
            self._buffer.clear()
        else:
            data = bytes(self._buffer[:wanted])
            del self._buffer[:wanted]
        return data

    def _take(self, message: Message) -> None:
        if message["type"] == "http.disconnect":
            # What arrived before is still handed out (a tus upload keeps that prefix).
            self.disconnected = True
            return
        chunk = message.get("body", b"")
        self.received += len(chunk)
        if self.received > self.limit:
            raise TooLarge(too_large_message(self.limit))
        self._buffer += chunk
        if not message.get("more_body", False):
            self.complete = True
            self._complete_event.set()

    async def django_receive(self) -> Message:
        if not self._gave_django_empty_body:
            self._gave_django_empty_body = True
            return {"type": "http.request", "body": b"", "more_body": False}
        # Django listens for a disconnect while the view runs; the view owns the server's
        # receive until it has read the whole body.
        await self._complete_event.wait()
        return await self._receive()

    async def finish_before_answer(self, scope: Scope) -> bool:
        """Called as the answer starts: read and drop a small unread rest (True), or say
        that the connection must close because too much is left (False)."""
        if self.complete:
            return True
        expects_continue = _header(scope, b"expect").lower() == b"100-continue"
        if expects_continue and self.received == 0:
            return False  # the client waits for our go-ahead: it has sent nothing
        if self.declared is None or self.declared - self.received > LINGER_MAX_BYTES:
            return False
        self._buffer.clear()
        try:
            while not self.complete:
                message = await self._receive()
                if message["type"] == "http.disconnect":
                    return False
                self.received += len(message.get("body", b""))
                self.complete = not message.get("more_body", False)
        finally:
            self._complete_event.set()
        return True


class _CountedReceive:
    """The server's receive for a body Django reads itself, cut off past ``limit``: Django
    is told the client went away, and the middleware answers 413."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self._receive = receive
        self.limit = limit
        self.received = 0
        self.exceeded = False

    async def __call__(self) -> Message:
        if self.exceeded:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.exceeded = True
                return {"type": "http.disconnect"}
        return message


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return b""


def _declared_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length").strip()
    return int(value) if value.isdigit() else None


def _has_body(scope: Scope, declared: int | None) -> bool:
    if declared:
        return True
    return declared is None and b"chunked" in _header(scope, b"transfer-encoding").lower()


def _streams_body(scope: Scope) -> bool:
    """Whether the view of this path streams the body of this method itself."""
    try:
        match = resolve(scope["path"])
    except Resolver404:
        return False
    view_class = getattr(match.func, "view_class", None)
    methods = getattr(view_class, STREAMED_METHODS_ATTRIBUTE, None)
    return isinstance(methods, frozenset) and str(scope.get("method", "")).upper() in methods


def _session_key(scope: Scope) -> str | None:
    cookie = _header(scope, b"cookie").decode("latin1")
    if not cookie:
        return None
    try:
        morsel = SimpleCookie(cookie).get(settings.SESSION_COOKIE_NAME)
    except CookieError:
        return None
    return morsel.value if morsel is not None else None


def _is_editor(session_key: str) -> bool:
    """Whether the session belongs to an active user who may use the Wagtail admin."""
    from django.contrib.auth import get_user

    try:
        request = HttpRequest()
        request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
        user = get_user(request)  # also checks the session's password hash
        return bool(user.is_active and user.has_perm("wagtailadmin.access_admin"))
    finally:
        close_old_connections()


async def _limit_for(scope: Scope, *, streamed: bool, declared: int | None) -> int:
    small: int = settings.PRACTIKA_REQUEST_MAX_BYTES
    large: int = settings.PRACTIKA_UPLOAD_MAX_BYTES
    if streamed:
        return large
    path = str(scope.get("path", ""))
    if path.startswith(EDITOR_PATH_PREFIXES) and (declared is None or declared > small):
        # Only a large body pays for the session lookup; an anonymous one stays small.
        key = _session_key(scope)
        if key and await sync_to_async(_is_editor)(key):
            return large
    return small


async def send_too_large(send: Send, limit: int, *, close: bool) -> None:
    body = json.dumps(error_body(TooLarge.code, too_large_message(limit))).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-content-type-options", b"nosniff"),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": TooLarge.http_status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class BodyLimitMiddleware:
    """ASGI middleware around the Django application (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if not _has_body(scope, declared):
            await self.app(scope, receive, send)
            return
        streamed = _streams_body(scope)
        limit = await _limit_for(scope, streamed=streamed, declared=declared)
        if declared is not None and declared > limit:
            # Nothing read yet: a client that waits (Expect: 100-continue) never sends it.
            await send_too_large(send, limit, close=True)
            return
        if streamed:
            await self._streamed(scope, receive, send, limit, declared)
            return
        counted = _CountedReceive(receive, limit)
        await self.app(scope, counted, send)
        if counted.exceeded:
            await send_too_large(send, limit, close=True)

    async def _streamed(
        self, scope: Scope, receive: Receive, send: Send, limit: int, declared: int | None
    ) -> None:
        body = StreamedBody(receive, limit=limit, declared=declared)

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start" and not await body.finish_before_answer(
                scope
            ):
                headers = [*message.get("headers", ()), (b"connection", b"close")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app({**scope, STREAMED_BODY_SCOPE_KEY: body}, body.django_receive, answer)
