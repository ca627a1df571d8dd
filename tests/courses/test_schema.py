"""The course endpoints in the OpenAPI schema clients and the SDK generate from."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    generated: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(generated)
    return generated


def test_course_and_exercise_operations(schema: dict[str, Any]) -> None:
    paths = schema["paths"]
    assert set(paths["/api/v1/courses/{id}/enroll/"]) == {"post", "delete"}
    assert set(paths["/api/v1/courses/{id}/enroll/"]["post"]["responses"]) == {"200", "201"}
    exercise_list = paths["/api/v1/exercises/"]["get"]
    names = {parameter["name"] for parameter in exercise_list["parameters"]}
    assert {"course", "lesson", "search", "page", "page_size"} <= names
    for path in ("/api/v1/courses/{id}/", "/api/v1/exercises/{id}/"):
        (parameter,) = paths[path]["get"]["parameters"]
        assert parameter["schema"] == {"type": "string", "format": "uuid"}


def test_exercise_detail_component(schema: dict[str, Any]) -> None:
    detail = schema["components"]["schemas"]["ExerciseDetail"]["properties"]
    assert {"id", "url", "instructions", "rubric_criteria", "course", "lesson"} <= set(detail)
    assert detail["course"]["allOf"][0]["$ref"].endswith("/PageRef")
