"""Rows and requests the feedback tests share."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from plugins.clips.models import PracticeClip
from plugins.feedback.models import Feedback
from plugins.feedback.services import MarkerInput, ScoreInput, feedback_create, feedback_publish
from practika_site.courses.models import ExercisePage, RubricCriterion
from practika_site.users.models import User
from tests.clips.conftest import World

CLIPS = "/api/v1/clips/"
FEEDBACK = "/api/v1/feedback/"
MARKERS = "/api/v1/markers/"
REVIEW_QUEUE = "/api/v1/review-queue/"


def make_take(
    world: World,
    *,
    owner: User | None = None,
    exercise: ExercisePage | None = None,
    duration: float | None = 30.0,
    status: str = PracticeClip.Status.READY,
    created_at: Any = None,
) -> PracticeClip:
    """A take row as the pipeline leaves it (feedback needs no media, only a duration)."""
    owner = owner or world.student
    exercise = exercise or world.exercise
    course = world.other_course if exercise.pk == world.other_exercise.pk else world.course
    attempt = PracticeClip.objects.filter(owner=owner, exercise=exercise, kind="take").count() + 1
    now = timezone.now()
    take = PracticeClip(
        owner=owner,
        exercise=exercise,
        course=course,
        attempt_number=attempt,
        status=status,
        duration=duration,
        max_bytes=1000,
        upload_expires_at=now + timedelta(hours=1),
        ready_at=now if status == PracticeClip.Status.READY else None,
    )
    take.original_key = f"clips/{take.id}/original/take.mp4"
    take.save()
    if created_at is not None:
        PracticeClip.objects.filter(pk=take.pk).update(created_at=created_at)
        take.refresh_from_db()
    return take


def criteria(exercise: ExercisePage) -> list[RubricCriterion]:
    """The exercise's rubric (Timing, Tone; each out of 5), in rubric order."""
    return list(RubricCriterion.objects.filter(page_id=exercise.pk).order_by("sort_order"))


def make_feedback(
    take: PracticeClip,
    author: User,
    *,
    publish: bool = False,
    summary: str = "Steady tempo; watch the left hand.",
    markers: int = 2,
    scores: dict[int, int] | None = None,
) -> Feedback:
    """Feedback through the service: ``markers`` comments 1 s apart, scores by rubric index."""
    rubric = criteria(take.exercise)
    chosen = {0: 4, 1: 3} if scores is None else scores
    feedback = feedback_create(
        clip=take,
        actor=author,
        summary=summary,
        scores=[ScoreInput(criterion_id=rubric[i].uuid, score=s) for i, s in chosen.items()],
        markers=[
            MarkerInput(time=float(i + 1), kind="comment", text=f"Note {i}") for i in range(markers)
        ],
    )
    if publish:
        feedback = feedback_publish(feedback=feedback, actor=author)
    return feedback


def drawing(**shape: Any) -> dict[str, Any]:
    """A drawing with one arrow, or the given shape."""
    return {
        "shapes": [
            shape
            or {
                "type": "arrow",
                "start": [0.1, 0.2],
                "end": [0.5, 0.5],
                "color": "#ff8800",
                "width": 3,
            }
        ]
    }
