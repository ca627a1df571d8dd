"""The drawing a marker may carry, and its validator.

A drawing is ``{"shapes": [...]}``; every position is normalized to the video frame (``0..1``
from the left and from the top), so a drawing fits the player at any size. Each shape has a
``type``, a ``color`` (``#rrggbb``) and a stroke ``width`` (CSS pixels, ``0 < width <= 32``):

- ``line`` and ``arrow``: ``start`` and ``end`` points (the arrow head is at ``end``);
- ``rect``: ``start`` and ``end``, opposite corners;
- ``circle``: ``center`` and ``radius`` (a fraction of the frame's width, ``0 < r <= 1``);
- ``path`` (freehand): ``points``, 2 to ``MAX_PATH_POINTS`` points.

A point is ``[x, y]``. Unknown keys are refused, so a client's typo is an error rather than a
shape drawn differently from what was meant. Caps keep one marker's JSON small: at most
``MAX_SHAPES`` shapes and ``MAX_DRAWING_BYTES`` bytes.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping

from django.core.exceptions import ValidationError

MAX_DRAWING_BYTES = 64 * 1024
MAX_SHAPES = 200
MAX_PATH_POINTS = 2000
MAX_STROKE_WIDTH = 32.0

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


class _Invalid(Exception):
    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")


def _number(value: object, where: str) -> float:
    # bool is an int to Python, never a coordinate to a client.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _Invalid(where, "Must be a number.")
    return float(value)


def _fraction(value: object, where: str) -> None:
    if not 0.0 <= _number(value, where) <= 1.0:
        raise _Invalid(where, "Must be between 0 and 1.")


def _point(value: object, where: str) -> None:
    if not isinstance(value, list) or len(value) != 2:
        raise _Invalid(where, "Must be a point [x, y].")
    _fraction(value[0], f"{where}[0]")
    _fraction(value[1], f"{where}[1]")


def _radius(value: object, where: str) -> None:
    if not 0.0 < _number(value, where) <= 1.0:
        raise _Invalid(where, "Must be above 0 and at most 1.")


def _points(value: object, where: str) -> None:
    if not isinstance(value, list) or not 2 <= len(value) <= MAX_PATH_POINTS:
        raise _Invalid(where, f"Must be a list of 2 to {MAX_PATH_POINTS} points.")
    for index, point in enumerate(value):
        _point(point, f"{where}[{index}]")


def _color(value: object, where: str) -> None:
    if not isinstance(value, str) or not _COLOR.match(value):
        raise _Invalid(where, "Must be a color like #ff8800.")


def _stroke_width(value: object, where: str) -> None:
    if not 0.0 < _number(value, where) <= MAX_STROKE_WIDTH:
        raise _Invalid(where, f"Must be above 0 and at most {MAX_STROKE_WIDTH:g}.")


FieldCheck = Callable[[object, str], None]
_STYLE: Mapping[str, FieldCheck] = {"color": _color, "width": _stroke_width}
_TWO_POINTS: Mapping[str, FieldCheck] = {"start": _point, "end": _point, **_STYLE}

#: Each shape type and its fields, every one required.
SHAPE_FIELDS: Mapping[str, Mapping[str, FieldCheck]] = {
    "line": _TWO_POINTS,
    "arrow": _TWO_POINTS,
    "rect": _TWO_POINTS,
    "circle": {"center": _point, "radius": _radius, **_STYLE},
    "path": {"points": _points, **_STYLE},
}


def _shape(value: object, where: str) -> None:
    if not isinstance(value, dict):
        raise _Invalid(where, "Must be an object.")
    kind = value.get("type")
    if not isinstance(kind, str) or kind not in SHAPE_FIELDS:
        raise _Invalid(f"{where}.type", f"Must be one of {', '.join(SHAPE_FIELDS)}.")
    fields = SHAPE_FIELDS[kind]
    unknown = sorted(set(value) - set(fields) - {"type"})
    if unknown:
        raise _Invalid(f"{where}.{unknown[0]}", f"Not a field of a {kind}.")
    for name, check in fields.items():
        if name not in value:
            raise _Invalid(f"{where}.{name}", "This field is required.")
        check(value[name], f"{where}.{name}")


def _drawing(value: object) -> None:
    if not isinstance(value, dict):
        raise _Invalid("drawing", 'Must be an object like {"shapes": [...]}.')
    unknown = sorted(set(value) - {"shapes"})
    if unknown:
        raise _Invalid(unknown[0], "Not a field of a drawing.")
    shapes = value.get("shapes")
    if not isinstance(shapes, list) or not 1 <= len(shapes) <= MAX_SHAPES:
        raise _Invalid("shapes", f"Must be a list of 1 to {MAX_SHAPES} shapes.")
    for index, shape in enumerate(shapes):
        _shape(shape, f"shapes[{index}]")


def validate_drawing(value: object) -> None:
    """Raise ``ValidationError`` naming the first bad part, e.g. ``shapes[3].color: ...``."""
    if value is None:
        return
    try:
        size = len(json.dumps(value, separators=(",", ":"), allow_nan=False).encode())
    except (TypeError, ValueError) as exc:
        raise ValidationError("The drawing must be plain JSON.", code="drawing_invalid") from exc
    if size > MAX_DRAWING_BYTES:
        raise ValidationError(
            f"The drawing is {size} bytes; at most {MAX_DRAWING_BYTES} are allowed.",
            code="drawing_too_large",
        )
    try:
        _drawing(value)
    except _Invalid as exc:
        raise ValidationError(str(exc), code="drawing_invalid") from exc


def _openapi_schema() -> dict[str, object]:
    """The drawing as documented in the OpenAPI schema (the validator above is the rule)."""
    point = {
        "type": "array",
        "items": {"type": "number", "minimum": 0, "maximum": 1},
        "minItems": 2,
        "maxItems": 2,
        "description": "[x, y], normalized to the frame (0..1 from the left and the top).",
    }
    return {
        "type": "object",
        "nullable": True,
        "description": f"Normalized shapes over the frame; at most {MAX_DRAWING_BYTES} bytes.",
        "required": ["shapes"],
        "additionalProperties": False,
        "properties": {
            "shapes": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_SHAPES,
                "items": {
                    "type": "object",
                    "required": ["type", "color", "width"],
                    "additionalProperties": False,
                    "description": "line, arrow, rect: start and end; circle: center and "
                    "radius; path: points.",
                    "properties": {
                        "type": {"type": "string", "enum": list(SHAPE_FIELDS)},
                        "color": {"type": "string", "pattern": _COLOR.pattern},
                        "width": {
                            "type": "number",
                            "minimum": 0,
                            "exclusiveMinimum": True,
                            "maximum": MAX_STROKE_WIDTH,
                            "description": "Stroke width in CSS pixels.",
                        },
                        "start": point,
                        "end": point,
                        "center": point,
                        "radius": {
                            "type": "number",
                            "minimum": 0,
                            "exclusiveMinimum": True,
                            "maximum": 1,
                            "description": "A fraction of the frame's width.",
                        },
                        "points": {
                            "type": "array",
                            "items": point,
                            "minItems": 2,
                            "maxItems": MAX_PATH_POINTS,
                        },
                    },
                },
            }
        },
    }


DRAWING_OPENAPI_SCHEMA = _openapi_schema()
