import pytest
from rest_framework.test import APIClient


@pytest.mark.django_db
def test_liveness_answers_without_auth(anon_client: APIClient) -> None:
    response = anon_client.get("/api/v1/health/")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
