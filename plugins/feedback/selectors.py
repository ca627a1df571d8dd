"""Reads of feedback, with visibility built in: what a viewer may not see is a 404.

A take's owner sees the published feedback on it; the course's teachers see all of it, drafts
included (co-teachers review together; only the author edits); admins see everything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from plugins.clips.models import PracticeClip
from plugins.clips.permissions import is_admin
from plugins.clips.selectors import clips_visible_to
from practika_site.core.errors import NotFound
from practika_site.courses.models import Enrollment, ExercisePage
from practika_site.users.models import User

from .models import Feedback, FeedbackMarker, RubricScore

PUBLISHED = Feedback.Status.PUBLISHED


def _taught_course_ids(viewer: User) -> QuerySet[Enrollment, int]:
    return Enrollment.objects.filter(user=viewer, role=Enrollment.Role.TEACHER).values_list(
        "course_id", flat=True
    )


def feedback_visible_to(viewer: User) -> QuerySet[Feedback]:
    feedback = Feedback.objects.all()
    if is_admin(viewer):
        return feedback
    return feedback.filter(
        Q(clip__course_id__in=_taught_course_ids(viewer)) | Q(clip__owner=viewer, status=PUBLISHED)
    )


def _with_details(feedback: QuerySet[Feedback]) -> QuerySet[Feedback]:
    """What the feedback JSON shows, in a fixed number of queries however many rows."""
    return feedback.select_related("author", "reply_clip", "clip").prefetch_related(
        "scores", "markers"
    )


def feedback_list(*, viewer: User, clip: PracticeClip) -> QuerySet[Feedback]:
    """The feedback on ``clip`` (fetched with clip_get, so visible) the viewer may see."""
    return _with_details(feedback_visible_to(viewer).filter(clip=clip)).order_by("created_at", "id")


def feedback_get(*, viewer: User, feedback_id: UUID | str) -> Feedback:
    try:
        return _with_details(feedback_visible_to(viewer)).get(pk=feedback_id)
    except (Feedback.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound("Feedback not found.") from exc


def marker_list(*, feedback: Feedback) -> QuerySet[FeedbackMarker]:
    """The markers of ``feedback`` (fetched with feedback_get, so visible), by time."""
    return FeedbackMarker.objects.filter(feedback=feedback).order_by(
        "time", "end_time", "created_at", "id"
    )


def marker_get(*, viewer: User, marker_id: UUID | str) -> FeedbackMarker:
    markers = FeedbackMarker.objects.select_related(
        "feedback", "feedback__clip", "feedback__segment"
    ).filter(feedback__in=feedback_visible_to(viewer))
    try:
        return markers.get(pk=marker_id)
    except (FeedbackMarker.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound("Marker not found.") from exc


@dataclass(frozen=True)
class TimelineEntry:
    """One thing on the player's timeline: a segment of the clip or a feedback marker."""

    type: str  # "segment" or "marker"
    id: UUID
    time: float
    end_time: float | None
    title: str = ""
    status: str = ""  # the segment's status, or the marker's feedback's
    feedback_id: UUID | None = None
    segment_id: UUID | None = None
    kind: str | None = None
    text: str = ""
    drawing: dict[str, Any] | None = None
    criterion_id: UUID | None = None


def timeline_entries(*, viewer: User, clip: PracticeClip) -> list[TimelineEntry]:
    """The clip's segments and the markers of the feedback the viewer may see, by time.

    Two queries whatever the counts; rows are read as tuples because a take under review
    may carry hundreds of markers and the player asks for all of them at once.
    """
    entries = [
        TimelineEntry(
            type="segment",
            id=segment_id,
            time=start,
            end_time=end,
            title=title,
            status=status,
            segment_id=segment_id,
        )
        for segment_id, start, end, title, status in clip.segments.order_by("start").values_list(
            "id", "start", "end", "title", "status"
        )
    ]
    markers = FeedbackMarker.objects.filter(
        feedback__in=feedback_visible_to(viewer).filter(clip=clip)
    ).values_list(
        "id",
        "time",
        "end_time",
        "feedback_id",
        "feedback__status",
        "feedback__segment_id",
        "kind",
        "text",
        "drawing",
        "criterion_uuid",
    )
    entries.extend(
        TimelineEntry(
            type="marker",
            id=marker_id,
            time=time,
            end_time=end_time,
            status=feedback_status,
            feedback_id=feedback_id,
            segment_id=segment_id,
            kind=kind,
            text=text,
            drawing=drawing,
            criterion_id=criterion_uuid,
        )
        for (
            marker_id,
            time,
            end_time,
            feedback_id,
            feedback_status,
            segment_id,
            kind,
            text,
            drawing,
            criterion_uuid,
        ) in markers
    )
    # Segments first at the same moment: they frame the markers inside them.
    entries.sort(key=lambda entry: (entry.time, entry.type != "segment", entry.end_time or 0.0))
    return entries


MARKER_COUNT_KINDS = tuple(FeedbackMarker.Kind.values)


def _published_marker_count(kind: str) -> Count:
    return Count(
        "feedback__markers",
        filter=Q(feedback__status=PUBLISHED, feedback__markers__kind=kind),
    )


def attempt_list(
    *, viewer: User, exercise: ExercisePage, student_id: UUID | None = None
) -> QuerySet[PracticeClip]:
    """Every take of ``exercise`` the viewer may see (a student: their own; a teacher: their
    students'), by student and attempt, with what a progress chart needs from the published
    feedback: ``published_feedback`` (with scores), its count and marker counts by kind."""
    takes = clips_visible_to(viewer).filter(exercise=exercise, kind=PracticeClip.Kind.TAKE)
    if student_id is not None:
        takes = takes.filter(owner_id=student_id)
    published = Feedback.objects.filter(status=PUBLISHED).prefetch_related("scores")
    return (
        takes.annotate(
            feedback_count=Count("feedback", filter=Q(feedback__status=PUBLISHED), distinct=True),
            **{
                f"{kind}_marker_count": _published_marker_count(kind) for kind in MARKER_COUNT_KINDS
            },
        )
        .prefetch_related(Prefetch("feedback", queryset=published, to_attr="published_feedback"))
        .order_by("owner__username", "attempt_number", "created_at", "id")
    )


@dataclass(frozen=True)
class CriterionScore:
    criterion_id: UUID
    name: str
    max_score: int
    score: float
    count: int  # how many published feedback scored it (the score is their mean)


def mean_scores(feedback: Iterable[Feedback]) -> list[CriterionScore]:
    """Per criterion, the mean of the scores given (in rubric order)."""
    given: dict[UUID, list[RubricScore]] = defaultdict(list)
    for item in feedback:
        for score in item.scores.all():
            given[score.criterion_uuid].append(score)
    means = [
        CriterionScore(
            criterion_id=criterion,
            name=scores[-1].criterion_name,
            max_score=scores[-1].max_score,
            score=round(sum(score.score for score in scores) / len(scores), 2),
            count=len(scores),
        )
        for criterion, scores in given.items()
    ]
    positions = {criterion: scores[-1].position for criterion, scores in given.items()}
    return sorted(means, key=lambda mean: (positions[mean.criterion_id], mean.name))


def review_queue(
    *,
    viewer: User,
    course_id: UUID | None = None,
    exercise_id: UUID | None = None,
) -> QuerySet[PracticeClip]:
    """Ready takes in the courses the viewer teaches (all for admins) that have no published
    feedback yet, oldest first. A student teaches no course, so theirs is empty."""
    takes = PracticeClip.objects.filter(
        kind=PracticeClip.Kind.TAKE, status=PracticeClip.Status.READY
    ).select_related("owner", "exercise", "course")
    if not is_admin(viewer):
        takes = takes.filter(course_id__in=_taught_course_ids(viewer))
    if course_id is not None:
        takes = takes.filter(course__uuid=course_id)
    if exercise_id is not None:
        takes = takes.filter(exercise__uuid=exercise_id)
    published = Feedback.objects.filter(clip=OuterRef("pk"), status=PUBLISHED)
    return (
        takes.filter(~Exists(published))
        .annotate(draft_count=Count("feedback", filter=Q(feedback__status=Feedback.Status.DRAFT)))
        .order_by("created_at", "id")
    )
