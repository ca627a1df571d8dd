"""Where the SDK and CLI keep state: credentials and resumable-upload records.

Both live in the user's config dir (``$XDG_CONFIG_HOME/practika``, else
``~/.config/practika``; ``%APPDATA%\\practika`` on Windows), written with mode 600 because a
token is a password and an upload record names a clip and its upload URL.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8000"


def config_dir() -> Path:
    override = os.environ.get("PRACTIKA_CONFIG_DIR")
    if override:
        return Path(override)
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "practika"
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "practika"


def credentials_path() -> Path:
    return config_dir() / "credentials.json"


def write_private_json(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` with mode 600, atomically (a crash leaves the old file)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.chmod(temp, 0o600)  # mkstemp makes it 600 already; say so where it matters
        with os.fdopen(descriptor, "w") as handle:
            json.dump(data, handle)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Credentials:
    url: str
    token: str
    username: str | None = None


def save_credentials(credentials: Credentials) -> Path:
    path = credentials_path()
    write_private_json(
        path,
        {"url": credentials.url, "token": credentials.token, "username": credentials.username},
    )
    return path


def load_credentials() -> Credentials | None:
    path = credentials_path()
    try:
        stored = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    if not isinstance(stored, dict) or not stored.get("token"):
        return None
    return Credentials(
        url=str(stored.get("url") or DEFAULT_URL),
        token=str(stored["token"]),
        username=stored.get("username"),
    )


def forget_credentials() -> bool:
    path = credentials_path()
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed
