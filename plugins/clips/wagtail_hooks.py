"""The clips plugin on the site's pages: the practice room of an exercise page, and the
learner's progress on course, module and lesson pages.

Both are Wagtail hooks the core calls without knowing this plugin (``practika_exercise_panels``
from ``ExercisePage.get_context``, ``practika_progress_panels`` from the course templates);
each returns the panel's HTML, or None when the viewer has nothing to see there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from wagtail import hooks
from wagtail.models import Page

from practika_site.core.errors import NotFound
from practika_site.courses.models import CoursePage, ExercisePage, LessonPage, ModulePage
from practika_site.courses.selectors import exercise_get, exercise_list
from practika_site.users.models import User

from .admin_status import reference_status_html, reference_status_view
from .models import PracticeClip
from .selectors import clip_list, reference_clip_for


def _streams_url(clip: PracticeClip) -> str:
    return reverse("clip-streams", kwargs={"pk": clip.pk})


def _timeline_url(clip: PracticeClip) -> str:
    # The feedback plugin serves the timeline; without it the player shows no markers.
    return f"/api/v1/clips/{clip.pk}/timeline/"


def _selected_take(request: HttpRequest, takes: Sequence[PracticeClip]) -> PracticeClip | None:
    """The take named by ``?take=<id>`` (the attempt history's "Watch" links), if it is one of
    the viewer's takes and can play."""
    wanted = request.GET.get("take", "")
    for take in takes:
        if str(take.pk) == wanted and take.playable:
            return take
    return None


@hooks.register("practika_exercise_panels")
def practice_room_panel(request: HttpRequest, page: Page) -> str | None:
    """The practice room: the reference, recording and uploading takes, the attempts."""
    user = request.user
    if not isinstance(user, User) or not isinstance(page, ExercisePage):
        return None
    if page.pk is None or not page.live:
        # Only an author's preview shows a page that is not live.
        return render_to_string("plugins/clips/practice_room.html", {"preview": True}, request)
    try:
        # Enrolled (or an admin), and the page live and visible: the API's own rule.
        exercise_get(viewer=user, exercise_id=page.uuid)
    except NotFound:
        return None
    try:
        reference: PracticeClip | None = reference_clip_for(viewer=user, exercise_id=page.uuid)
    except NotFound:
        reference = None
    takes = list(
        clip_list(
            viewer=user,
            exercise_id=page.uuid,
            owner_id=user.pk,
            kind=PracticeClip.Kind.TAKE,
            ordering="attempt_number",
        )
    )
    # The newest take still on its way through upload or processing: followed live on load.
    pending = next((take for take in reversed(takes) if not take.settled), None)
    takes_left = None if page.max_takes is None else max(page.max_takes - len(takes), 0)
    selected = _selected_take(request, takes)
    context = {
        "exercise": page,
        "reference": reference,
        "reference_streams_url": _streams_url(reference) if reference else "",
        "takes": takes,
        "pending": pending,
        "takes_left": takes_left,
        "selected": selected,
        "selected_streams_url": _streams_url(selected) if selected else "",
        "selected_timeline_url": _timeline_url(selected) if selected else "",
        "upload_max_bytes": settings.PRACTIKA_UPLOAD_MAX_BYTES,
        "max_duration_sec": int(settings.PRACTIKA_MEDIA_CAPS.get("max_duration", 3600)),
    }
    return render_to_string("plugins/clips/practice_room.html", context, request=request)


@dataclass
class ExerciseProgress:
    exercise: ExercisePage
    takes: int = 0
    latest: PracticeClip | None = None

    @property
    def done(self) -> bool:
        return self.takes > 0


@dataclass
class ProgressGroup:
    """One child of the page (a module of a course, a lesson of a module) and its exercises;
    a lesson page has a single group holding its own exercises."""

    page: Page
    exercises: list[ExerciseProgress] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(1 for item in self.exercises if item.done)

    @property
    def total(self) -> int:
        return len(self.exercises)


def _group_path(exercise: ExercisePage, page: Page) -> str:
    """The path of the child of ``page`` that holds ``exercise`` (the page's own for a lesson)."""
    if isinstance(page, LessonPage):
        return str(page.path)
    return str(exercise.path[: len(page.path) + Page.steplen])


def _progress_groups(*, viewer: User, page: Page) -> list[ProgressGroup]:
    """Three queries whatever the size of the course: the exercises, the children, the takes."""
    exercises = list(exercise_list(viewer=viewer).filter(path__startswith=page.path))
    if not exercises:
        return []
    if isinstance(page, LessonPage):
        groups = {str(page.path): ProgressGroup(page=page)}
    else:
        child_paths = {_group_path(exercise, page) for exercise in exercises}
        children = Page.objects.filter(path__in=child_paths).order_by("path").specific()
        groups = {str(child.path): ProgressGroup(page=child) for child in children}
    items: dict[int, ExerciseProgress] = {}
    for exercise in exercises:
        group = groups.get(_group_path(exercise, page))
        if group is not None:
            items[exercise.pk] = ExerciseProgress(exercise=exercise)
            group.exercises.append(items[exercise.pk])
    takes = clip_list(
        viewer=viewer, owner_id=viewer.pk, kind=PracticeClip.Kind.TAKE, ordering="created_at"
    ).filter(exercise_id__in=items)
    for take in takes:
        item = items[take.exercise_id]
        item.takes += 1
        item.latest = take  # oldest first: the last one seen is the latest
    return [group for group in groups.values() if group.exercises]


@hooks.register("practika_progress_panels")
def progress_panel(request: HttpRequest, page: Page) -> str | None:
    """ "Your progress" on a course, module or lesson page: which exercises have a take."""
    user = request.user
    if not isinstance(user, User) or not isinstance(page, CoursePage | ModulePage | LessonPage):
        return None
    if page.pk is None or not page.live:
        return None
    groups = _progress_groups(viewer=user, page=page)
    if not groups:
        return None  # not enrolled, or nothing to practise here yet
    done = sum(group.done for group in groups)
    total = sum(group.total for group in groups)
    context = {
        "page": page,
        "groups": groups,
        "done": done,
        "total": total,
        "is_lesson": isinstance(page, LessonPage),
        "exercise_ids": [
            str(item.exercise.uuid) for group in groups for item in group.exercises if item.done
        ],
    }
    return render_to_string("plugins/clips/progress.html", context, request=request)


@hooks.register("practika_admin_page_status")
def reference_status(request: HttpRequest, page: Page) -> str | None:
    """How far the exercise's reference video got through processing, on its edit form."""
    return reference_status_html(request, page)


@hooks.register("register_admin_urls")
def admin_urls() -> list[URLPattern]:
    # Under /cms/, so Wagtail's admin login and access check come first.
    return [
        path(
            "practika/reference-status/<int:page_id>/",
            reference_status_view,
            name="practika_clips_reference_status",
        )
    ]


@hooks.register("insert_editor_js")
def reference_status_js() -> str:
    script = static("js/clips/reference-status.js")
    return format_html('<script type="module" src="{}"></script>', script)
