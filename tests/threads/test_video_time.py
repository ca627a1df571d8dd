"""A message's ``video_time`` lies within the clip, as the pipeline measured it with ffmpeg."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugins.clips.models import PracticeClip
from plugins.threads.services import thread_create
from tests.api.assertions import assert_error
from tests.clips.helpers import commit, upload

from .conftest import Clients, OnCommit, World, make_segment

pytestmark = pytest.mark.django_db


def test_video_time_is_bounded_by_the_measured_duration(
    clients: Clients, world: World, h264_mp4: Path, on_commit: OnCommit
) -> None:
    # Declared 10 s; the file is 3 s, and the probe's word is the one that counts.
    clip_id = upload(
        clients.student, world.exercise, h264_mp4.read_bytes(), filename="take.mp4", duration_sec=10
    )
    with on_commit(execute=True):
        assert commit(clients.student, clip_id).status_code == 202
    clip = PracticeClip.objects.get(pk=clip_id)
    assert clip.status == PracticeClip.Status.READY, clip.error_message
    assert clip.duration is not None
    assert 2.9 < clip.duration < 3.2

    thread = thread_create(
        actor=world.teacher, segment=make_segment(clip, world.teacher, 0.5, 2.5), title="Timing"
    )
    url = f"/api/v1/threads/{thread.pk}/messages/"
    inside = clients.teacher.post(url, {"body": "here", "video_time": 2.9}, format="json")
    assert inside.status_code == 201, inside.content
    error = assert_error(
        clients.teacher.post(url, {"body": "past the end", "video_time": 5.0}, format="json"),
        400,
        "invalid",
    )
    assert "video_time" in error["details"]
