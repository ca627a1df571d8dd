"""Helpers for the SDK tests: what the server stored, and when a socket has subscribed."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable

from channels.layers import get_channel_layer
from django.conf import settings
from django.core.files.storage import default_storage

from plugins.clips.models import PracticeClip
from practika import Practika

WAIT_SECONDS = 10.0

#: ``login_as(user, **client_options)``: an SDK client logged in on the live server.
LoginAs = Callable[..., Practika]


def stored_original(clip_id: str) -> bytes:
    """The bytes the server stored as the clip's original upload."""
    clip = PracticeClip.objects.get(pk=clip_id)
    with default_storage.open(clip.original_key, "rb") as handle:
        data: bytes = handle.read()
    return data


def _subscribed(group: str) -> bool:
    layer = get_channel_layer()
    loop_layers = getattr(layer, "_layers", None)
    if loop_layers is None:  # the in-memory layer the live server shares with this process
        return bool(getattr(layer, "groups", {}).get(group))
    # channels_redis pub/sub (make services-test): one layer per event loop; the group counts
    # once Redis has the SUBSCRIBE, not merely once the server has noted the group.
    import redis

    client = redis.Redis.from_url(str(settings.REDIS_URL))
    try:
        for loop_layer in list(loop_layers.values()):
            channel = loop_layer._get_group_channel_name(group)
            if any(count for _, count in client.pubsub_numsub(channel)):
                return True
    finally:
        client.close()
    return False


def wait_for_subscriber(topic: str, timeout: float = WAIT_SECONDS) -> None:
    """Block until a websocket of the live server (in this process) has joined ``topic``'s
    group, with the in-memory channel layer or with Redis."""
    group = topic.replace(":", ".", 1)
    deadline = time.monotonic() + timeout
    while not _subscribed(group):
        if time.monotonic() > deadline:
            raise AssertionError(f"nobody subscribed to {topic}")
        time.sleep(0.02)


class CuttableProxy:
    """A TCP proxy on a free local port in front of ``target_port`` whose ``cut()`` drops
    every open connection at once, as a network failure or a restarted server would."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        self.accepting = threading.Thread(target=self._accept, daemon=True)
        self.accepting.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self.lock:
                self.open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        with self.lock:
            connections, self.open = self.open, []
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def close(self) -> None:
        self.listener.close()
        self.cut()
