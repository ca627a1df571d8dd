"""``practika``: the command line on top of the SDK.

Credentials live in ``$XDG_CONFIG_HOME/practika/credentials.json`` (mode 600).
Exit codes: 0 ok, 1 API error, 2 usage, 3 not logged in / auth error, 4 not found.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .client import Practika
from .errors import AuthError, NotFound, PractikaError


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "practika" / "credentials.json"


def save_credentials(url: str, token: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"url": url, "token": token}, handle)
    os.chmod(path, 0o600)
    return path


def load_client(url: str | None) -> Practika:
    stored: dict[str, Any] = {}
    if config_path().exists():
        stored = json.loads(config_path().read_text())
    token = os.environ.get("PRACTIKA_TOKEN") or stored.get("token")
    if not token:
        raise AuthError("Not logged in: run `practika login` first.", code="not_authenticated")
    return Practika(url or os.environ.get("PRACTIKA_URL") or stored.get("url"), token)


def print_table(rows: list[dict[str, Any]], columns: Sequence[str]) -> None:
    widths = {c: max([len(c), *(len(str(r.get(c, ""))) for r in rows)]) for c in columns}
    print("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="practika", description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="Practika URL (default: PRACTIKA_URL or the stored one)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    commands = parser.add_subparsers(dest="command", required=True)
    login = commands.add_parser("login", help="get a token and store it")
    login.add_argument("--username")
    login.add_argument("--password", help="(default: prompt)")
    commands.add_parser("me", help="who am I")
    commands.add_parser("courses", help="the course catalog")
    exercises = commands.add_parser("exercises", help="exercises you can practice")
    exercises.add_argument("--course")
    return parser


def run(args: argparse.Namespace) -> int:
    if args.command == "login":
        url = args.url or os.environ.get("PRACTIKA_URL") or "http://127.0.0.1:8000"
        username = args.username or input("Username: ")
        password = args.password or getpass.getpass("Password: ")
        client = Practika.login(url, username, password)
        assert client.token is not None
        path = save_credentials(client.url, client.token)
        print(f"Logged in to {client.url} as {username}; token stored in {path}")
        return 0
    client = load_client(args.url)
    rows: list[dict[str, Any]]
    if args.command == "me":
        rows, columns = [client.me()], ("id", "username", "role")
    elif args.command == "courses":
        rows, columns = list(client.courses()), ("id", "title", "enrolled_as")
    else:
        rows = list(client.exercises(course=args.course))
        columns = ("id", "title", "target_duration_sec")
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print_table(rows, columns)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except AuthError as exc:
        print(f"practika: {exc}", file=sys.stderr)
        return 3
    except NotFound as exc:
        print(f"practika: {exc}", file=sys.stderr)
        return 4
    except PractikaError as exc:
        print(f"practika: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
