"""Fixtures for the SDK tests: a live server, the clips world, a private config dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from practika import Practika
from practika_site.users.models import User
from tests.clips.conftest import (  # noqa: F401  (fixtures shared with the clips tests)
    _fresh_site_root_cache,
    dirs,
    h264_mp4,
    live_world,
    videos,
)
from tests.factories import TEST_PASSWORD
from tests.live import AsgiLiveServer

from .helpers import LoginAs


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The SDK's config dir (credentials, upload records) under this test's tmp; no token or
    URL leaks in from the environment."""
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("PRACTIKA_CONFIG_DIR", raising=False)
    monkeypatch.delenv("PRACTIKA_TOKEN", raising=False)
    monkeypatch.delenv("PRACTIKA_URL", raising=False)
    return home / "practika"


@pytest.fixture
def login_as(asgi_live_server: AsgiLiveServer) -> LoginAs:
    """``login_as(user, **client_options)``: an SDK client logged in on the live server."""

    def login(user: User, **options: object) -> Practika:
        return Practika.login(asgi_live_server.url, user.username, TEST_PASSWORD, **options)

    return login
