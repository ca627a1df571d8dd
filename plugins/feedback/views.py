"""Site pages: the teachers' review queue and review room, and the feedback on a take as its
student sees it.

Each page renders what it shows before any script runs (the queue filters are a plain GET
form); the modules in ``static/js/review/`` then work through the JSON API and ``/ws/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from plugins.clips.models import PracticeClip
from plugins.clips.permissions import is_admin
from plugins.clips.selectors import clip_get
from plugins.segments.models import VideoSegment
from plugins.segments.selectors import segment_list
from practika_site.core.errors import NotFound
from practika_site.courses.models import CoursePage, Enrollment, RubricCriterion
from practika_site.courses.selectors import exercise_list
from practika_site.users.models import User

from .models import Feedback, FeedbackMarker
from .permissions import can_review_clip
from .review_events import review_topic
from .selectors import feedback_list, review_queue
from .serializers import feedback_data

QUEUE_PAGE_SIZE = 50
# A socket holds at most MAX_TOPICS_PER_CONNECTION (200) topics: an admin of a site with
# more courses than this sees the first ones live (the rest on reload).
MAX_REVIEW_TOPICS = 100
TEMPLATES = "plugins/feedback"


def clock(seconds: float) -> str:
    """A media position as people read it: 75.25 -> "1:15.3" (as static/js/review/time.js)."""
    tenths = round(max(0.0, seconds) * 10)
    minutes, rest = divmod(tenths, 600)
    return f"{minutes}:{rest / 10:04.1f}"


def clock_range(start: float, end: float | None) -> str:
    return clock(start) if end is None else f"{clock(start)}\u2013{clock(end)}"  # an en dash


@dataclass(frozen=True)
class SegmentRow:
    segment: VideoSegment
    at: str


@dataclass(frozen=True)
class MarkerRow:
    marker: FeedbackMarker
    at: str
    criterion: str


def _viewer(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required ran first
    return request.user


def _teaches_anything(user: User) -> bool:
    if is_admin(user) or user.role == User.Role.TEACHER:
        return True
    return Enrollment.objects.filter(user=user, role=Enrollment.Role.TEACHER).exists()


def _taught_courses(viewer: User) -> QuerySet[CoursePage]:
    courses = CoursePage.objects.live()
    if not is_admin(viewer):
        courses = courses.filter(
            enrollments__user=viewer, enrollments__role=Enrollment.Role.TEACHER
        )
    return courses.order_by("path")


class QueueFilterForm(forms.Form):
    """The queue's filters; the choices are the viewer's courses and their exercises."""

    course = forms.TypedChoiceField(required=False, coerce=UUID, empty_value=None)
    exercise = forms.TypedChoiceField(required=False, coerce=UUID, empty_value=None)

    def __init__(self, data: Any, *, viewer: User) -> None:
        super().__init__(data)
        courses = list(_taught_courses(viewer).only("uuid", "title", "path"))
        self.courses = courses  # the page follows their review queues live
        exercises = exercise_list(viewer=viewer).filter(
            course_path__in=[course.path for course in courses]
        )
        by_course: dict[str, list[tuple[str, str]]] = {course.title: [] for course in courses}
        for exercise in exercises:
            by_course.setdefault(exercise.course_title, []).append(
                (str(exercise.uuid), exercise.title)
            )
        course_field = self.fields["course"]
        exercise_field = self.fields["exercise"]
        assert isinstance(course_field, forms.TypedChoiceField)
        assert isinstance(exercise_field, forms.TypedChoiceField)
        course_field.choices = [("", "All courses")] + [
            (str(course.uuid), course.title) for course in courses
        ]
        exercise_field.choices = [("", "All exercises")] + [
            (title, options) for title, options in by_course.items() if options
        ]


def _review_topics(courses: list[CoursePage]) -> list[str]:
    """The ``review:<course uuid>`` topics the queue page follows live: the courses it lists
    (their takes are the queue's), at most ``MAX_REVIEW_TOPICS`` of them."""
    return [review_topic(course.uuid) for course in courses[:MAX_REVIEW_TOPICS]]


@login_required
@require_GET
def review_queue_page(request: HttpRequest) -> HttpResponse:
    """``/review/``: ready takes waiting for feedback in the viewer's courses, oldest first.

    An htmx request (the filters changed, or a take arrived or left on one of the
    ``review:<course uuid>`` topics the page follows) gets only the results part of the page."""
    viewer = _viewer(request)
    if not _teaches_anything(viewer):
        return render(request, f"{TEMPLATES}/forbidden.html", status=403)
    form = QueueFilterForm(request.GET or None, viewer=viewer)
    valid = form.is_valid() if form.is_bound else True
    filters = form.cleaned_data if form.is_bound and valid else {}
    takes = review_queue(
        viewer=viewer, course_id=filters.get("course"), exercise_id=filters.get("exercise")
    )
    page = Paginator(takes, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context: dict[str, Any] = {"form": form, "page": page, "filter_query": query.urlencode()}
    status = 200 if valid else 400
    if request.headers.get("HX-Request") == "true":
        return render(request, f"{TEMPLATES}/includes/queue_results.html", context, status=status)
    context["review_topics"] = _review_topics(form.courses)
    return render(request, f"{TEMPLATES}/review_queue.html", context, status=status)


def _take(viewer: User, clip_id: UUID) -> PracticeClip:
    """A practice take the viewer sees (its owner, the course's teachers, admins), else 404."""
    try:
        clip = clip_get(viewer=viewer, clip_id=clip_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if clip.kind != PracticeClip.Kind.TAKE:
        raise Http404("Not a practice take.")
    return clip


def _segments(viewer: User, take: PracticeClip) -> list[SegmentRow]:
    return [
        SegmentRow(segment=segment, at=clock_range(segment.start, segment.end))
        for segment in segment_list(viewer=viewer, clip_id=take.pk)
    ]


def _marker_rows(feedback: Feedback, criteria: dict[UUID, str]) -> list[MarkerRow]:
    markers = sorted(feedback.markers.all(), key=lambda marker: (marker.time, marker.created_at))
    return [
        MarkerRow(
            marker=marker,
            at=clock_range(marker.time, marker.end_time),
            criterion=criteria.get(marker.criterion_uuid, "") if marker.criterion_uuid else "",
        )
        for marker in markers
    ]


def _criteria(take: PracticeClip) -> list[RubricCriterion]:
    return list(RubricCriterion.objects.filter(page_id=take.exercise_id).order_by("sort_order"))


def _reviewers_feedback(viewer: User, take: PracticeClip) -> Feedback | None:
    """The feedback the viewer is writing on the take: their latest draft, else the latest
    they published (still editable), else none yet (the first marker or save creates it)."""
    mine = list(feedback_list(viewer=viewer, clip=take).filter(author=viewer))
    drafts = [item for item in mine if not item.is_published]
    chosen = drafts or mine
    return chosen[-1] if chosen else None


def _video_box(take: PracticeClip) -> dict[str, str]:
    """The video box's CSS aspect-ratio, reserved before the video loads (no layout shift),
    and the same as a number (the page sizes the box to fit the window's height)."""
    width, height = (take.width, take.height) if take.width and take.height else (16, 9)
    return {"aspect_ratio": f"{width} / {height}", "frame_ratio": f"{width / height:.4f}"}


@login_required
@require_GET
def review_take_page(request: HttpRequest, clip_id: UUID) -> HttpResponse:
    """``/review/clips/<id>/``: the review room, for the take's course's teachers (404 for
    everyone else, the take's owner included)."""
    viewer = _viewer(request)
    take = _take(viewer, clip_id)
    if not can_review_clip(user=viewer, clip=take):
        raise Http404("Not a take you review.")
    feedback = _reviewers_feedback(viewer, take)
    criteria = _criteria(take)
    segments = _segments(viewer, take)
    scores = (
        {score.criterion_uuid: score.score for score in feedback.scores.all()} if feedback else {}
    )
    # What the page's script starts from (as the API answers it), read once here.
    config = {
        "take": {"id": str(take.pk)},
        "feedback": feedback_data(feedback) if feedback else None,
        "criteria": [
            {
                "id": str(criterion.uuid),
                "name": criterion.name,
                "description": criterion.description,
                "max_score": criterion.max_score,
            }
            for criterion in criteria
        ],
    }
    names = {criterion.uuid: criterion.name for criterion in criteria}
    context = {
        "take": take,
        "feedback": feedback,
        "markers": _marker_rows(feedback, names) if feedback else [],
        "criteria": [(criterion, scores.get(criterion.uuid)) for criterion in criteria],
        "segments": segments,
        "video_box": _video_box(take),
        "config": config,
    }
    return render(request, f"{TEMPLATES}/review_take.html", context)


@login_required
@require_GET
def take_feedback_page(request: HttpRequest, clip_id: UUID) -> HttpResponse:
    """``/feedback/clips/<id>/``: the published feedback on a take, its video replies and the
    threads on its segments, for the take's owner, the course's teachers and admins."""
    viewer = _viewer(request)
    take = _take(viewer, clip_id)
    published = list(
        feedback_list(viewer=viewer, clip=take).filter(status=Feedback.Status.PUBLISHED)
    )
    segments = _segments(viewer, take)
    names = {criterion.uuid: criterion.name for criterion in _criteria(take)}
    config = {"take": {"id": str(take.pk)}, "is_owner": take.owner_id == viewer.pk}
    context = {
        "take": take,
        "feedback_list": [(item, _marker_rows(item, names)) for item in published],
        "segments": segments,
        "video_box": _video_box(take),
        "config": config,
    }
    return render(request, f"{TEMPLATES}/take_feedback.html", context)
