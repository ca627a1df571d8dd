"""The site with the example plugin removed: its features are gone, the rest still works.

Not collected by the normal run (the name does not match ``test_*.py``): ``test_without_plugin``
runs it in a subprocess with ``PRACTIKA_TEST_WITHOUT_EXAMPLE_PLUGIN=1``, which makes the test
settings leave ``tests.plugin_example`` out of INSTALLED_APPS. Django builds its app registry,
URLs, Wagtail hooks and ASGI routes once per process, so removal needs a process of its own.
"""

import os
from collections.abc import Callable

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient
from wagtail import hooks

from practika_site.core.consumers import CLOSE_UNAUTHENTICATED
from practika_site.core.plugins import installed_plugins
from practika_site.core.realtime import get_topic_registry, publish
from practika_site.routing import build_websocket_urlpatterns
from practika_site.users.models import User
from tests.realtime.helpers import (
    assert_closed,
    error_frame,
    open_websocket,
    receive_frame,
    round_trip,
    subscribe,
    token_for,
    without_message,
    ws_headers,
)

FLAG = "PRACTIKA_TEST_WITHOUT_EXAMPLE_PLUGIN"

pytestmark = pytest.mark.skipif(
    os.environ.get(FLAG) != "1", reason=f"runs in a subprocess with {FLAG}=1"
)

ClientFor = Callable[[User], APIClient]


@pytest.fixture(scope="session")
def django_db_modify_db_settings() -> None:
    """A test database of its own on a server: the parent run's one is in use meanwhile."""
    for db in settings.DATABASES.values():
        if db["ENGINE"] != "django.db.backends.sqlite3":
            test = db.setdefault("TEST", {})
            test["NAME"] = f"{test.get('NAME') or 'test_' + str(db['NAME'])}_without_example"


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_plugin_is_not_installed() -> None:
    assert "tests.plugin_example" not in settings.INSTALLED_APPS
    assert all(plugin.label != "plugin_example" for plugin in installed_plugins())


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_api_route_is_gone(client_for: ClientFor, student: User, method: str) -> None:
    response = getattr(client_for(student), method)("/api/v1/example-pings/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_topic_kind_is_gone() -> None:
    assert "example" not in get_topic_registry().names()
    assert "user" in get_topic_registry().names()


@pytest.mark.django_db(transaction=True)
async def test_subscribe_to_the_gone_kind_is_unknown_topic(student: User) -> None:
    async with open_websocket(headers=ws_headers(token=await token_for(student))) as ws:
        gone = f"example:{student.pk}"
        assert without_message(await subscribe(ws, gone)) == error_frame("unknown_topic", gone)
        # The socket and the core topics keep working.
        own = f"user:{student.pk}"
        assert await subscribe(ws, own) == {"type": "subscribed", "topic": own}


def test_ws_route_is_gone() -> None:
    routes = [str(pattern.pattern) for pattern in build_websocket_urlpatterns()]
    assert routes[0] == "ws/"
    assert "ws/example/echo/" not in routes


@pytest.mark.django_db(transaction=True)
async def test_connecting_to_the_gone_ws_route_fails(student: User) -> None:
    with pytest.raises(ValueError, match="No route found"):
        async with open_websocket(
            "/ws/example/echo/", headers=ws_headers(token=await token_for(student))
        ):
            pass


def test_wagtail_hooks_are_gone() -> None:
    for name in ("register_admin_urls", "register_admin_menu_item"):
        modules = {fn.__module__ for fn in hooks.get_hooks(name)}
        assert not any(module.startswith("tests.plugin_example") for module in modules)


@pytest.mark.django_db
def test_wagtail_admin_view_and_menu_item_are_gone(admin_user: User) -> None:
    client = logged_in(admin_user)
    assert client.get("/cms/example/").status_code == 404
    dashboard = client.get("/cms/")
    assert dashboard.status_code == 200
    assert b"/cms/example/" not in dashboard.content


@pytest.mark.django_db
def test_health_still_answers(anon_client: APIClient) -> None:
    response = anon_client.get("/api/v1/health/")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.django_db
def test_me_still_answers(client_for: ClientFor, student: User) -> None:
    response = client_for(student).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "student"


@pytest.mark.django_db
def test_cms_login_page_still_renders(client: Client) -> None:
    response = client.get("/cms/login/")
    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
async def test_ws_user_topic_still_works(student: User) -> None:
    async with open_websocket(f"/ws/?token={await token_for(student)}", headers=ws_headers()) as ws:
        topic = f"user:{student.pk}"
        await subscribe(ws, topic)
        await sync_to_async(publish)(topic, "notification.created", {"ok": True}, seq=1)
        event = await receive_frame(ws)
        assert event == round_trip(
            {"type": "notification.created", "topic": topic, "seq": 1, "data": {"ok": True}}
        )


@pytest.mark.django_db(transaction=True)
async def test_ws_still_refuses_anonymous() -> None:
    async with open_websocket(headers=ws_headers()) as ws:
        await assert_closed(ws, CLOSE_UNAUTHENTICATED)
