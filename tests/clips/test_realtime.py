"""The ``clip:<id>`` topic over the real ``/ws/`` stack: who may subscribe, what arrives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from plugins.clips.models import PracticeClip
from plugins.clips.services import clip_commit, clip_request_upload
from plugins.clips.storage import store_local_file_copy
from practika_site.core.realtime import publish
from practika_site.users.models import User
from tests.realtime.helpers import (
    error_frame,
    open_websocket,
    receive_frame,
    subscribe,
    token_for,
    without_message,
    ws_headers,
)

from .conftest import World

pytestmark = pytest.mark.django_db(transaction=True)


def _new_clip(world: World) -> PracticeClip:
    target = clip_request_upload(
        actor=world.student,
        exercise_id=world.exercise.uuid,
        duration_sec=3,
        absolute_url=lambda path: f"http://testserver{path}",
    )
    return target.clip


@pytest.fixture
def live_clip(live_world: World) -> PracticeClip:
    return _new_clip(live_world)


async def _socket_for(user: User) -> Any:
    return open_websocket(headers=ws_headers(token=await token_for(user)))


async def test_owner_and_course_teacher_may_subscribe(
    live_world: World, live_clip: PracticeClip
) -> None:
    topic = f"clip:{live_clip.pk}"
    for user in (live_world.student, live_world.teacher):
        async with await _socket_for(user) as ws:
            assert await subscribe(ws, topic) == {"type": "subscribed", "topic": topic}
            await sync_to_async(publish)(topic, "clip.progress", {"progress": 5})
            frame = await receive_frame(ws)
            assert frame["type"] == "clip.progress"
            assert frame["topic"] == topic
            assert frame["data"] == {"progress": 5}


@pytest.mark.parametrize("who", ["student2", "other_teacher", "outsider"])
async def test_others_are_forbidden_and_the_socket_stays_open(
    live_world: World, live_clip: PracticeClip, who: str
) -> None:
    user: User = getattr(live_world, who)
    topic = f"clip:{live_clip.pk}"
    async with await _socket_for(user) as ws:
        assert without_message(await subscribe(ws, topic)) == error_frame("forbidden", topic)
        for malformed in ("clip:not-a-uuid", "clip:----------------------------------"):
            frame = await subscribe(ws, malformed)
            assert without_message(frame) == error_frame("forbidden", malformed)
        own = f"user:{user.pk}"
        assert await subscribe(ws, own) == {"type": "subscribed", "topic": own}


async def _wait_for(ws: WebsocketCommunicator, event_type: str) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    while not frames or frames[-1]["type"] != event_type:
        frames.append(await ws.receive_json_from(timeout=60))
    return frames


async def test_processing_events_reach_the_owner(
    live_world: World, live_clip: PracticeClip, h264_mp4: Path
) -> None:
    topic = f"clip:{live_clip.pk}"

    def commit_and_process() -> None:
        store_local_file_copy(h264_mp4, live_clip.original_key)
        # Huey's immediate mode runs the job inline once the commit's transaction commits.
        clip_commit(clip=live_clip, actor=live_world.student)

    async with await _socket_for(live_world.student) as ws:
        assert await subscribe(ws, topic) == {"type": "subscribed", "topic": topic}
        await database_sync_to_async(commit_and_process)()
        frames = await _wait_for(ws, "clip.ready")
    types = [frame["type"] for frame in frames]
    assert types[0] == "clip.progress"
    assert frames[0]["data"]["status"] == "uploaded"
    assert "clip.playable" in types
    assert types.index("clip.playable") < types.index("clip.ready")
    assert frames[-1]["data"] == {
        "clip_id": str(live_clip.pk),
        "status": "ready",
        "progress": 100,
        "playable": True,
        "error": None,
    }
