"""The example plugin's ``register_api(router)`` mounts ``/api/v1/example-pings/``."""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from practika_site.users.models import User
from tests.plugin_example.models import ExamplePing

pytestmark = pytest.mark.django_db

URL = "/api/v1/example-pings/"
ClientFor = Callable[[User], APIClient]


def test_list_is_empty_at_first(client_for: ClientFor, student: User) -> None:
    response = client_for(student).get(URL)
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_create_numbers_pings_per_owner(client_for: ClientFor, student: User) -> None:
    client = client_for(student)
    first = client.post(URL, {"note": "hello"}, format="json")
    second = client.post(URL, {}, format="json")
    assert first.status_code == 201, first.json()
    assert (first.json()["seq"], first.json()["note"]) == (1, "hello")
    assert (second.json()["seq"], second.json()["note"]) == (2, "")
    listed = client.get(URL).json()["results"]
    assert listed == [first.json(), second.json()]
    assert set(listed[0]) == {"id", "seq", "note", "created_at"}


def test_two_users_see_only_their_own(client_for: ClientFor, student: User, student2: User) -> None:
    client_for(student).post(URL, {"note": "mine"}, format="json")
    own = client_for(student2).post(URL, {"note": "theirs"}, format="json").json()
    assert own["seq"] == 1, "seq counts per owner"
    assert client_for(student2).get(URL).json()["results"] == [own]


def test_anonymous_is_refused_in_the_error_format(anon_client: APIClient) -> None:
    response = anon_client.get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("body", [{"note": "x" * 201}, {"note": ["a"]}, {"note": {"a": 1}}])
def test_bad_input_writes_nothing(
    client_for: ClientFor, student: User, body: dict[str, Any]
) -> None:
    response = client_for(student).post(URL, body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "note" in error["details"]
    assert not ExamplePing.objects.exists()


def test_list_query_count_is_constant(
    client_for: ClientFor, student: User, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    client = client_for(student)
    for n in range(5):
        client.post(URL, {"note": str(n)}, format="json")
    with django_assert_max_num_queries(4):
        assert len(client.get(URL).json()["results"]) == 5
