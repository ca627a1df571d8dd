"""Course page trees for tests, built and published the way the Wagtail admin does it."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count
from typing import Any

from django.conf import settings
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Collection, Locale, Page, PageViewRestriction, Site

from practika_site.courses.models import (
    CourseIndexPage,
    CoursePage,
    Enrollment,
    ExercisePage,
    LessonPage,
    ModulePage,
    RubricCriterion,
)
from practika_site.courses.services import page_add
from practika_site.users.models import User

_numbers = count(1)


def _n() -> int:
    return next(_numbers)


def _tree_root() -> Page:
    """Wagtail's root page, made again if a transactional test's flush removed it (with the
    locale and root collection it needs); serialized rollback would clash with the content
    types on PostgreSQL."""
    root = Page.get_first_root_node()
    if root is None:
        language = get_supported_content_language_variant(settings.LANGUAGE_CODE)
        Locale.objects.get_or_create(language_code=language)
        root = Page.add_root(instance=Page(title="Root", slug="root"))
    if Collection.get_first_root_node() is None:
        # Documents and images (reference videos) need Wagtail's root collection too.
        Collection.add_root(name="Root")
    return root


def make_index(*, as_site_root: bool = True) -> CourseIndexPage:
    """A catalog under the tree root, made the default site's home page."""
    index = page_add(
        parent=_tree_root(), page=CourseIndexPage(title="Courses", slug=f"courses-{_n()}")
    )
    if as_site_root:
        Site.objects.update_or_create(
            is_default_site=True,
            defaults={"hostname": "localhost", "port": 80, "root_page": index},
        )
    return index


def make_course(index: Page, *, title: str | None = None, publish: bool = True) -> CoursePage:
    n = _n()
    page = CoursePage(title=title or f"Course {n}", slug=f"course-{n}", summary=f"Summary {n}")
    return page_add(parent=index, page=page, publish=publish)


def make_module(course: Page, *, title: str | None = None, publish: bool = True) -> ModulePage:
    n = _n()
    page = ModulePage(title=title or f"Module {n}", slug=f"module-{n}", summary="<p>Why.</p>")
    return page_add(parent=course, page=page, publish=publish)


def make_lesson(module: Page, *, title: str | None = None, publish: bool = True) -> LessonPage:
    n = _n()
    page = LessonPage(title=title or f"Lesson {n}", slug=f"lesson-{n}", intro="<p>How.</p>")
    return page_add(parent=module, page=page, publish=publish)


def make_exercise(
    lesson: Page,
    *,
    title: str | None = None,
    instructions: str = "<p>Record one take.</p>",
    criteria: tuple[str, ...] = ("Timing", "Tone"),
    publish: bool = True,
    **fields: Any,
) -> ExercisePage:
    n = _n()
    page = ExercisePage(
        title=title or f"Exercise {n}", slug=f"exercise-{n}", instructions=instructions, **fields
    )
    page.rubric_criteria = [
        RubricCriterion(name=name, description=f"{name} is right.", max_score=5)
        for name in criteria
    ]
    return page_add(parent=lesson, page=page, publish=publish)


@dataclass
class CourseTree:
    course: CoursePage
    modules: list[ModulePage] = field(default_factory=list)
    lessons: list[LessonPage] = field(default_factory=list)
    exercises: list[ExercisePage] = field(default_factory=list)


def make_course_tree(
    index: Page, *, modules: int = 2, lessons: int = 2, exercises: int = 2, title: str | None = None
) -> CourseTree:
    """A published course with ``modules`` x ``lessons`` x ``exercises`` pages."""
    tree = CourseTree(course=make_course(index, title=title))
    for _ in range(modules):
        module = make_module(tree.course)
        tree.modules.append(module)
        for _ in range(lessons):
            lesson = make_lesson(module)
            tree.lessons.append(lesson)
            tree.exercises.extend(make_exercise(lesson) for _ in range(exercises))
    return tree


def enroll(user: User, course: CoursePage, role: str = Enrollment.Role.STUDENT) -> Enrollment:
    return Enrollment.objects.create(course=course, user=user, role=role)


def make_private(page: Page) -> PageViewRestriction:
    """Wagtail page privacy: visible to logged-in site users only."""
    return PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)


def unpublish(page: Page) -> None:
    page.unpublish()  # Wagtail's UnpublishPageAction, as the admin runs it


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The API's one error format; returns ``details``."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    details: dict[str, Any] = body["error"]["details"]
    return details
