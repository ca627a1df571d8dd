"""The drawing validator on its own: every shape type, the caps, and the error's path."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from plugins.feedback.drawing import (
    MAX_DRAWING_BYTES,
    MAX_PATH_POINTS,
    MAX_SHAPES,
    validate_drawing,
)

STYLE = {"color": "#1a2B3c", "width": 2.5}
SHAPES: list[dict[str, Any]] = [
    {"type": "line", "start": [0, 0], "end": [1, 1], **STYLE},
    {"type": "arrow", "start": [0.2, 0.8], "end": [0.6, 0.1], **STYLE},
    {"type": "rect", "start": [0.1, 0.1], "end": [0.4, 0.3], **STYLE},
    {"type": "circle", "center": [0.5, 0.5], "radius": 0.25, **STYLE},
    {"type": "path", "points": [[0.1, 0.1], [0.2, 0.15], [0.3, 0.1]], **STYLE},
]


def error_of(value: object) -> str:
    with pytest.raises(ValidationError) as raised:
        validate_drawing(value)
    return str(raised.value.messages[0])


@pytest.mark.parametrize("shape", SHAPES, ids=[shape["type"] for shape in SHAPES])
def test_every_shape_type_is_valid(shape: dict[str, Any]) -> None:
    validate_drawing({"shapes": [shape]})


def test_none_is_no_drawing() -> None:
    validate_drawing(None)


def test_caps_hold_at_their_limits() -> None:
    validate_drawing({"shapes": [SHAPES[0]] * MAX_SHAPES})
    path = {**SHAPES[4], "points": [[0.5, 0.5]] * MAX_PATH_POINTS}
    validate_drawing({"shapes": [path]})
    assert error_of({"shapes": [SHAPES[0]] * (MAX_SHAPES + 1)}).startswith("shapes:")
    too_long = {**path, "points": [[0.5, 0.5]] * (MAX_PATH_POINTS + 1)}
    assert error_of({"shapes": [too_long]}).startswith("shapes[0].points:")
    huge = {**SHAPES[4], "points": [[0.123456789012, 0.123456789012]] * MAX_PATH_POINTS}
    assert f"at most {MAX_DRAWING_BYTES}" in error_of({"shapes": [huge] * 3})


def test_errors_name_the_field() -> None:
    assert error_of({"shapes": [SHAPES[1], {**SHAPES[3], "radius": 2}]}) == (
        "shapes[1].radius: Must be above 0 and at most 1."
    )
    assert error_of({"shapes": [{**SHAPES[4], "points": [[0, 0], [0, float("nan")]]}]}) == (
        "The drawing must be plain JSON."
    )
    assert error_of({"shapes": [{**SHAPES[0], "color": None}]}).startswith("shapes[0].color:")
    assert error_of({"shapes": [{"color": "#000000"}]}).startswith("shapes[0].type:")
