"""Reads of clips, with visibility built in: an invisible clip is a 404, never a 403."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from practika_site.core.errors import NotFound
from practika_site.courses.models import Enrollment
from practika_site.users.models import User

from .models import PracticeClip
from .permissions import is_admin


def clips_visible_to(viewer: User) -> QuerySet[PracticeClip]:
    """Every clip ``viewer`` may see; other plugins filter their objects through it."""
    clips = PracticeClip.objects.select_related("owner", "exercise", "course")
    if is_admin(viewer):
        return clips
    enrolled = Enrollment.objects.filter(user=viewer)
    taught = enrolled.filter(role=Enrollment.Role.TEACHER)
    return clips.filter(
        Q(owner=viewer)
        | Q(course_id__in=taught.values("course_id"))
        # Teachers' reference videos are for everyone in the course.
        | Q(kind=PracticeClip.Kind.REFERENCE, course_id__in=enrolled.values("course_id"))
        # A teacher's video reply is for the student whose take it answers.
        | Q(kind=PracticeClip.Kind.REPLY, reply_to__owner=viewer)
    )


def clip_is_taught_by(*, clip: PracticeClip, user: User) -> bool:
    """Whether ``user`` teaches the clip's course (admins count as teachers everywhere)."""
    if is_admin(user):
        return True
    return Enrollment.objects.filter(
        user=user, course_id=clip.course_id, role=Enrollment.Role.TEACHER
    ).exists()


def clip_list(
    *,
    viewer: User,
    exercise_id: UUID | None = None,
    owner_id: UUID | None = None,
    course_id: UUID | None = None,
    status: str | None = None,
    kind: str | None = None,
    search: str | None = None,
    ordering: str = "-created_at",
) -> QuerySet[PracticeClip]:
    clips = clips_visible_to(viewer)
    if exercise_id is not None:
        clips = clips.filter(exercise__uuid=exercise_id)
    if owner_id is not None:
        clips = clips.filter(owner_id=owner_id)
    if course_id is not None:
        clips = clips.filter(course__uuid=course_id)
    if status:
        clips = clips.filter(status=status)
    if kind:
        clips = clips.filter(kind=kind)
    if search:
        clips = clips.filter(
            Q(title__icontains=search)
            | Q(notes__icontains=search)
            | Q(exercise__title__icontains=search)
            | Q(owner__username__icontains=search)
        )
    return clips.order_by(ordering, "-id")


def clip_get(*, viewer: User, clip_id: UUID | str) -> PracticeClip:
    try:
        return clips_visible_to(viewer).get(pk=clip_id)
    except (PracticeClip.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound("Clip not found.") from exc


def reference_clip_for(*, viewer: User, exercise_id: UUID) -> PracticeClip:
    """The reference clip of an exercise the viewer may see (check the exercise first)."""
    clip = (
        clips_visible_to(viewer)
        .filter(exercise__uuid=exercise_id, kind=PracticeClip.Kind.REFERENCE)
        .order_by("-created_at")
        .first()
    )
    if clip is None:
        raise NotFound("This exercise has no reference video.", code="no_reference")
    return clip


def clip_subscribable(*, viewer: User, clip_id: str) -> bool:
    """The ``clip:<id>`` topic: the owner and the course's teachers (and admins)."""
    try:
        clip_get(viewer=viewer, clip_id=clip_id)
    except NotFound:
        return False
    return True
