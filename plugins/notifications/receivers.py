"""What other plugins' events mean for people. Connected only for installed plugins, so
removing one of them removes its notifications and nothing else."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.apps import apps

from .models import NotificationKind
from .services import notification_create

logger = logging.getLogger(__name__)

Receiver = Callable[..., None]


def never_raises(receiver: Receiver) -> Receiver:
    """A notification that cannot be made must not fail what caused it (a job, a publish)."""

    @functools.wraps(receiver)
    def guarded(*args: Any, **kwargs: Any) -> None:
        try:
            receiver(*args, **kwargs)
        except Exception:
            logger.exception("Could not create the notification of %s.", receiver.__name__)

    return guarded


def connect_receivers() -> None:
    if apps.is_installed("plugins.clips"):
        from plugins.clips.signals import clip_failed, clip_ready

        clip_ready.connect(on_clip_ready, dispatch_uid="notifications.clip_ready")
        clip_failed.connect(on_clip_failed, dispatch_uid="notifications.clip_failed")


def _exercise_url(clip: Any) -> str:
    url = clip.exercise.get_url()
    return f"{url}?clip={clip.pk}" if url else ""


def _take_name(clip: Any) -> str:
    return f"Take {clip.attempt_number} of {clip.exercise.title}"


@never_raises
def on_clip_ready(sender: Any, clip: Any, **kwargs: Any) -> None:
    if clip.kind != "take":
        return
    notification_create(
        user=clip.owner,
        kind=NotificationKind.CLIP_READY,
        title=f"{_take_name(clip)} is ready to watch",
        target_type="clip",
        target_id=clip.pk,
        url=_exercise_url(clip),
        data={"clip_id": str(clip.pk), "exercise_id": str(clip.exercise.uuid)},
    )


@never_raises
def on_clip_failed(sender: Any, clip: Any, **kwargs: Any) -> None:
    if clip.kind != "take":
        return
    notification_create(
        user=clip.owner,
        kind=NotificationKind.CLIP_FAILED,
        title=f"{_take_name(clip)} could not be processed",
        body=clip.error_message,
        target_type="clip",
        target_id=clip.pk,
        url=_exercise_url(clip),
        data={
            "clip_id": str(clip.pk),
            "exercise_id": str(clip.exercise.uuid),
            "error_code": clip.error_code,
        },
    )
