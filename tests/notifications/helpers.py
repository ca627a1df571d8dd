from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from plugins.clips.models import PracticeClip
from practika_site.courses.models import ExercisePage
from practika_site.users.models import User


def make_take(owner: User, exercise: ExercisePage, *, attempt: int = 1) -> PracticeClip:
    """A take row (no media): what the notification receivers read."""
    course = exercise.get_parent().get_parent().get_parent().specific
    clip = PracticeClip(
        owner=owner,
        exercise=exercise,
        course=course,
        attempt_number=attempt,
        max_bytes=1000,
        upload_expires_at=timezone.now() + timedelta(hours=1),
        status=PracticeClip.Status.READY,
    )
    clip.original_key = f"{clip.storage_prefix}original/take.mp4"
    clip.save()
    return clip
