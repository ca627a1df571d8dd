"""Real server processes for the services tests and the fan-out benchmark: Practika's ASGI
app under uvicorn (``runpractika --no-worker``) and a private ``redis-server``."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import requests

ROOT = Path(__file__).resolve().parent.parent.parent
HOST = "127.0.0.1"
SERVER_SETTINGS = "tests.threads.server_settings"
START_TIMEOUT_SECONDS = 60.0
RUNPRACTIKA = (sys.executable, str(ROOT / "manage.py"), "runpractika", "--no-worker")
REDIS_NO_PERSISTENCE = ("--save", "", "--appendonly", "no")
STOP_TIMEOUT_SECONDS = 15.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{HOST}:{self.port}"


def database_url(settings_dict: Mapping[str, object], vendor: str) -> str:
    """A ``DATABASE_URL`` for the database a connection uses (the test database, say)."""
    name = str(settings_dict["NAME"])
    if vendor == "sqlite":
        return f"sqlite:///{Path(name).resolve()}"
    if vendor != "postgresql":
        raise ValueError(f"no DATABASE_URL for {vendor}")
    user = quote(str(settings_dict.get("USER") or ""), safe="")
    password = quote(str(settings_dict.get("PASSWORD") or ""), safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{quote(name, safe='')}"


def _wait_for_http(server: ServerProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited ({server.process.returncode}); see {server.log}")
        try:
            requests.get(f"{server.url}/api/v1/health/", timeout=2)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start; see {server.log}") from None
            time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def practika_servers(
    count: int, *, env: Mapping[str, str], log_dir: Path, name: str = "server"
) -> Iterator[list[ServerProcess]]:
    """``count`` server processes on free ports, with ``env`` added to this one's; stopped
    (terminated, then killed) on exit. They start in parallel."""
    base_env = {
        key: value
        for key, value in os.environ.items()
        # Not the test run's settings: the servers run production's (see server_settings).
        if key not in ("DJANGO_SETTINGS_MODULE", "PYTEST_CURRENT_TEST")
    }
    full_env = {
        **base_env,
        "DJANGO_SETTINGS_MODULE": SERVER_SETTINGS,
        "DEBUG": "1",
        "LOG_LEVEL": "WARNING",
        **env,
    }
    log_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        servers = []
        for n in range(count):
            port = free_port()
            log = log_dir / f"{name}-{n}.log"
            with log.open("wb") as handle:
                process = subprocess.Popen(
                    [*RUNPRACTIKA, "--host", HOST, "--port", str(port)],
                    cwd=ROOT,
                    env=full_env,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                )
            stack.callback(_stop, process)
            servers.append(ServerProcess(process=process, port=port, log=log))
        for server in servers:
            _wait_for_http(server, START_TIMEOUT_SECONDS)
        yield servers


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


@dataclass
class PrivateRedis:
    """A ``redis-server`` of our own on a free loopback port, without persistence, so a
    restart is a real loss of everything Redis held."""

    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> None:
        binary = redis_server_binary()
        assert binary is not None
        with self.log.open("ab") as handle:
            self.process = subprocess.Popen(
                [binary, "--port", str(self.port), "--bind", HOST, *REDIS_NO_PERSISTENCE],
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection((HOST, self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {self.log}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)
            self.process = None


@contextmanager
def private_redis(log_dir: Path) -> Iterator[PrivateRedis]:
    log_dir.mkdir(parents=True, exist_ok=True)
    redis = PrivateRedis(port=free_port(), log=log_dir / "redis.log")
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()
