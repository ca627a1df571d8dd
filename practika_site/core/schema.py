"""The API schema's shared naming, which plugins extend from their AppConfig.ready()."""

from __future__ import annotations

from typing import cast

from django.conf import settings


def name_schema_enum(name: str, choices_path: str) -> None:
    """Name a choice set's component in the schema (``ClipStatusEnum``), so two plugins'
    fields called ``status`` or ``kind`` never collide. Call before the schema is built."""
    overrides = cast(
        dict[str, str], settings.SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})
    )
    overrides[name] = choices_path
