"""MEDIA_ROOT is not a public folder: only Wagtail images are; clips need a signed URL."""

from pathlib import Path

import pytest
from django.test import Client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "public"),
    [
        ("images/photo.jpg", True),
        ("original_images/photo.jpg", True),
        ("clips/0b5c/original/take.mp4", False),
        ("documents/plan.pdf", False),
        ("images/../clips/x.mp4", False),
    ],
)
def test_only_images_are_served_from_media_root(
    settings: object, tmp_path: Path, name: str, public: bool
) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]  # pytest-django settings
    target = tmp_path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"secret-or-not")
    response = Client().get(f"/media/{name}")
    assert (response.status_code == 200) is public
