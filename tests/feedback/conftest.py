"""Fixtures for the feedback plugin: the clips plugin's course world, isolated storage and
event capture, re-exported; plus ready takes with feedback on them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from plugins.clips.models import PracticeClip
from practika_site.users.models import User
from tests.clips.conftest import (
    Clients,
    Dirs,
    Published,
    World,
    _fresh_site_root_cache,
    clients,
    dirs,
    h264_mp4,
    live_world,
    make_world,
    published,
    videos,
    world,
)

from .helpers import make_take

__all__ = [
    "Clients",
    "Dirs",
    "Published",
    "World",
    "_fresh_site_root_cache",
    "clients",
    "dirs",
    "h264_mp4",
    "live_world",
    "make_world",
    "published",
    "videos",
    "world",
]


@pytest.fixture
def take(world: World) -> PracticeClip:
    """A ready 30-second take of ``student`` on the world's first exercise."""
    return make_take(world)


@pytest.fixture
def admin_client(admin_user: User, client_for: Callable[[User], APIClient]) -> APIClient:
    return client_for(admin_user)
