"""Reads: which course pages a viewer may see.

A page reaches students and the API when it is live, outside every view-restricted section
(Wagtail page privacy on it or an ancestor) and every page between it and its course is live
too. Each selector runs a fixed number of queries whatever the size of the tree: ancestors
are matched by materialised ``path`` prefixes instead of being fetched page by page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import (
    CharField,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Concat, Greatest, Length, Substr
from wagtail.models import Page

from practika_site.core.errors import NotFound
from practika_site.users.models import User

from .models import CoursePage, Enrollment, ExercisePage, LessonPage, ModulePage

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    # request.user as Django types it; only a Practika User can be enrolled.
    Viewer = AbstractBaseUser | AnonymousUser

# How far below its course each page type sits; the page tree rules fix these.
LEVELS_BELOW_COURSE: dict[type[Any], int] = {ModulePage: 1, LessonPage: 2, ExercisePage: 3}
_TREE_ORDER = "path"  # sibling order as arranged in the Wagtail admin


@dataclass(frozen=True)
class LessonNode:
    page: LessonPage
    exercises: list[ExercisePage] = field(default_factory=list)


@dataclass(frozen=True)
class ModuleNode:
    page: ModulePage
    lessons: list[LessonNode] = field(default_factory=list)


@dataclass(frozen=True)
class Navigation:
    """Where a page sits: its ancestors, its course, and its neighbours in course order."""

    breadcrumbs: list[Page]
    course: Page | None
    prev_page: Page | None
    next_page: Page | None


def is_course_admin(viewer: Viewer) -> bool:
    return isinstance(viewer, User) and viewer.is_practika_admin


def hidden_pages_q() -> Q:
    """Pages in a view-restricted section (one query for the restrictions)."""
    return Page.objects.private_q()


def _ancestor_path(levels_up: int) -> Substr:
    # PostgreSQL may evaluate this on pages the query filters out later (the root, say),
    # and refuses a negative length.
    length = Greatest(Length("path") - levels_up * Page.steplen, Value(0))
    return Substr("path", 1, length)


def visible_tree_pages(model: type[Any], *, hidden: Q) -> QuerySet[Any]:
    """Live, unrestricted ``model`` pages whose ancestors up to the course are live.

    Annotated with ``course_path`` and ``ancestor_<n>_path`` (n levels up) so callers can
    match them against courses and parents without fetching those pages.
    """
    levels = LEVELS_BELOW_COURSE[model]
    live_paths = Page.objects.live().values("path")
    queryset = model.objects.live().exclude(hidden).annotate(course_path=_ancestor_path(levels))
    for levels_up in range(1, levels):
        alias = f"ancestor_{levels_up}_path"
        queryset = queryset.annotate(**{alias: _ancestor_path(levels_up)}).filter(
            **{f"{alias}__in": live_paths}
        )
    return queryset


def _enrolled_as(viewer: Viewer) -> Subquery | Value:
    if not isinstance(viewer, User):
        return Value(None, output_field=CharField())
    roles = Enrollment.objects.filter(course=OuterRef("pk"), user=viewer).values("role")
    return Subquery(roles[:1])


def _count_in_course(model: type[Any], *, hidden: Q) -> Coalesce:
    # A range on the indexed path reads only this course's subtree: descendants extend the
    # course's path with [0-9A-Z] steps, so they sort between it and path + "~" (Wagtail
    # gives path the "C" collation on PostgreSQL; SQLite compares bytes).
    counts = (
        visible_tree_pages(model, hidden=hidden)
        .filter(
            path__gt=OuterRef("path"),
            path__lt=Concat(OuterRef("path"), Value("~"), output_field=CharField()),
            depth=OuterRef("depth") + LEVELS_BELOW_COURSE[model],
        )
        .order_by()
        .values("depth")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts[:1], output_field=IntegerField()), 0)


def _courses(*, viewer: Viewer, hidden: Q, index: Page | None = None) -> QuerySet[CoursePage]:
    courses = CoursePage.objects.live().exclude(hidden)
    if index is not None:
        courses = courses.child_of(index)
    return courses.annotate(
        enrolled_as=_enrolled_as(viewer),
        module_count=_count_in_course(ModulePage, hidden=hidden),
        lesson_count=_count_in_course(LessonPage, hidden=hidden),
        exercise_count=_count_in_course(ExercisePage, hidden=hidden),
    ).order_by(_TREE_ORDER)


def course_list(*, viewer: Viewer, index: Page | None = None) -> QuerySet[CoursePage]:
    """The catalog: every visible course (under ``index`` if given), annotated with
    ``enrolled_as`` (the viewer's role or None) and module/lesson/exercise counts."""
    return _courses(viewer=viewer, hidden=hidden_pages_q(), index=index)


def course_get(*, viewer: Viewer, course_id: UUID) -> CoursePage:
    """A visible course annotated as in ``course_list``, with ``outline`` set to its visible
    modules, lessons and exercises (like ``Prefetch(to_attr=...)``)."""
    hidden = hidden_pages_q()
    course = _courses(viewer=viewer, hidden=hidden).filter(uuid=course_id).first()
    if course is None:
        raise NotFound("Course not found.")
    course.outline = course_outline(course=course, hidden=hidden)
    return course


def course_visible_get(*, course_id: UUID) -> CoursePage:
    """A visible course, without annotations: the target of enrollment changes."""
    course = CoursePage.objects.live().exclude(hidden_pages_q()).filter(uuid=course_id).first()
    if course is None:
        raise NotFound("Course not found.")
    return course


_OUTLINE_FIELDS = ("title", "slug", "path", "depth", "url_path", "uuid", "live")
_OUTLINE_EXTRA_FIELDS: dict[type[Any], tuple[str, ...]] = {
    ExercisePage: ("target_duration_sec", "max_takes"),
}


def _outline_pages(model: type[Any], *, course: Page, hidden: Q) -> QuerySet[Any]:
    # Only what the outline shows: rich text bodies stay in the database.
    fields = _OUTLINE_FIELDS + _OUTLINE_EXTRA_FIELDS.get(model, ())
    return (
        model.objects.descendant_of(course)
        .live()
        .exclude(hidden)
        .only(*fields)
        .order_by(_TREE_ORDER)
    )


def course_outline(*, course: Page, hidden: Q | None = None) -> list[ModuleNode]:
    """The visible modules > lessons > exercises of ``course`` in three queries."""
    hidden = hidden_pages_q() if hidden is None else hidden
    modules = {
        page.path: ModuleNode(page=page)
        for page in _outline_pages(ModulePage, course=course, hidden=hidden)
    }
    lessons: dict[str, LessonNode] = {}
    for page in _outline_pages(LessonPage, course=course, hidden=hidden):
        module = modules.get(_parent_path(page))
        if module is not None:  # a lesson under an unpublished module stays hidden
            lessons[page.path] = LessonNode(page=page)
            module.lessons.append(lessons[page.path])
    for page in _outline_pages(ExercisePage, course=course, hidden=hidden):
        lesson = lessons.get(_parent_path(page))
        if lesson is not None:
            lesson.exercises.append(page)
    return list(modules.values())


def _parent_path(page: Page) -> str:
    return str(page.path[: -Page.steplen])


def _page_ref(model: type[Any], path_alias: str, field_name: str) -> Subquery:
    return Subquery(model.objects.filter(path=OuterRef(path_alias)).values(field_name)[:1])


def exercise_list(
    *,
    viewer: Viewer,
    course_id: UUID | None = None,
    lesson_id: UUID | None = None,
    search: str | None = None,
) -> QuerySet[ExercisePage]:
    """Exercises the viewer can practise: visible ones in courses they are enrolled in (as
    student or teacher), every visible one for admins. Annotated with ``course_*``,
    ``module_*`` and ``lesson_*`` ``uuid``/``title`` of their ancestors."""
    courses = CoursePage.objects.live()  # restricted courses: their exercises are hidden
    if not is_course_admin(viewer):
        if not isinstance(viewer, User):
            return ExercisePage.objects.none()
        courses = courses.filter(enrollments__user=viewer)
    if course_id is not None:
        courses = courses.filter(uuid=course_id)
    exercises = visible_tree_pages(ExercisePage, hidden=hidden_pages_q()).filter(
        course_path__in=courses.values("path")
    )
    if lesson_id is not None:
        lessons = LessonPage.objects.filter(uuid=lesson_id).values("path")
        exercises = exercises.filter(ancestor_1_path__in=lessons)
    if search:
        exercises = exercises.filter(Q(title__icontains=search) | Q(instructions__icontains=search))
    return exercises.annotate(
        course_uuid=_page_ref(CoursePage, "course_path", "uuid"),
        course_title=_page_ref(CoursePage, "course_path", "title"),
        module_uuid=_page_ref(ModulePage, "ancestor_2_path", "uuid"),
        module_title=_page_ref(ModulePage, "ancestor_2_path", "title"),
        lesson_uuid=_page_ref(LessonPage, "ancestor_1_path", "uuid"),
        lesson_title=_page_ref(LessonPage, "ancestor_1_path", "title"),
    ).order_by(_TREE_ORDER)


def exercise_get(*, viewer: Viewer, exercise_id: UUID) -> ExercisePage:
    """One exercise from ``exercise_list``, with its rubric criteria prefetched."""
    exercise = (
        exercise_list(viewer=viewer)
        .filter(uuid=exercise_id)
        .prefetch_related("rubric_criteria")
        .first()
    )
    if exercise is None:
        raise NotFound("Exercise not found.")
    return exercise


def enrollment_for(*, viewer: Viewer, course: Page) -> Enrollment | None:
    if not isinstance(viewer, User):
        return None
    return Enrollment.objects.filter(course_id=course.pk, user=viewer).first()


def course_for_page(page: Page) -> CoursePage | None:
    """The course a page belongs to (the page itself for a course), in one query."""
    return CoursePage.objects.ancestor_of(page, inclusive=True).first()


def page_navigation(*, page: Page) -> Navigation:
    """Breadcrumbs and previous/next pages of the same type in course order (the next lesson
    may open the next module), in three queries plus the restrictions."""
    breadcrumbs = list(Page.objects.ancestor_of(page).filter(depth__gt=1).order_by("depth"))
    levels = LEVELS_BELOW_COURSE[type(page)]
    course_depth = page.depth - levels
    course = next((crumb for crumb in breadcrumbs if crumb.depth == course_depth), None)
    if course is None:
        return Navigation(breadcrumbs=breadcrumbs, course=None, prev_page=None, next_page=None)
    siblings = visible_tree_pages(type(page), hidden=hidden_pages_q()).filter(
        course_path=course.path
    )
    return Navigation(
        breadcrumbs=breadcrumbs,
        course=course,
        prev_page=siblings.filter(path__lt=page.path).order_by("-path").first(),
        next_page=siblings.filter(path__gt=page.path).order_by("path").first(),
    )


def page_children(*, page: Page) -> list[Page]:
    """The visible lessons of a module, or exercises of a lesson (an unpublished page shows
    none: its children are hidden with it)."""
    child_model = {ModulePage: LessonPage, LessonPage: ExercisePage}[type(page)]
    if not page.live or page.pk is None:
        return []
    return list(
        child_model.objects.child_of(page).live().exclude(hidden_pages_q()).order_by(_TREE_ORDER)
    )
