"""A clip's files go with its row, however the row goes (here: its exercise page is deleted)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage

from plugins.clips.models import PracticeClip, UploadSession
from practika_site.courses.models import ExercisePage, LessonPage
from tests.courses.factories import make_exercise

from .conftest import Clients, Dirs, World
from .helpers import clip, path_of, request_upload, upload

pytestmark = pytest.mark.django_db

TUS = {"Tus-Resumable": "1.0.0"}


def test_deleting_an_exercise_page_deletes_its_clips_files(
    world: World,
    clients: Clients,
    small_bytes: bytes,
    dirs: Dirs,
    django_capture_on_commit_callbacks: Any,
) -> None:
    lesson = LessonPage.objects.ancestor_of(world.exercise).live().get()
    doomed = make_exercise(lesson)
    kept = upload(clients.student, world.exercise, small_bytes)
    stored = [upload(client, doomed, small_bytes) for client in (clients.student, clients.student2)]
    # An unfinished tus upload too: its partial file must not stay behind either.
    target = request_upload(clients.student, doomed, size_bytes=len(small_bytes))
    created = clients.student.post(
        path_of(target["tus_url"]), headers={**TUS, "Upload-Length": str(len(small_bytes))}
    )
    assert created.status_code == 201
    partial = Path(UploadSession.objects.get(clip_id=target["clip_id"]).temp_path)
    assert partial.exists()
    prefixes = [clip(clip_id).storage_prefix.rstrip("/") for clip_id in stored]
    assert all(default_storage.exists(prefix) for prefix in prefixes)

    with django_capture_on_commit_callbacks(execute=True):
        ExercisePage.objects.get(pk=doomed.pk).delete()

    assert not PracticeClip.objects.filter(pk__in=[*stored, target["clip_id"]]).exists()
    assert not any(default_storage.exists(prefix) for prefix in prefixes)
    assert not partial.exists()
    assert default_storage.exists(clip(kept).original_key)  # other exercises' clips stay
