"""The page tree rules, and page ids that survive revisions, copies and aliases."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from practika_site.courses.models import (
    CourseIndexPage,
    CoursePage,
    ExercisePage,
    LessonPage,
    ModulePage,
    RubricCriterion,
)
from tests.courses.factories import (
    CourseTree,
    make_course,
    make_exercise,
    make_index,
    make_lesson,
    make_module,
)


class TestPageTreeRules(WagtailPageTestCase):
    def test_allowed_subpage_types(self) -> None:
        self.assertAllowedSubpageTypes(CourseIndexPage, {CoursePage})
        self.assertAllowedSubpageTypes(CoursePage, {ModulePage})
        self.assertAllowedSubpageTypes(ModulePage, {LessonPage})
        self.assertAllowedSubpageTypes(LessonPage, {ExercisePage})
        self.assertAllowedSubpageTypes(ExercisePage, set())

    def test_allowed_parent_page_types(self) -> None:
        self.assertAllowedParentPageTypes(CourseIndexPage, {Page})
        self.assertAllowedParentPageTypes(CoursePage, {CourseIndexPage})
        self.assertAllowedParentPageTypes(ModulePage, {CoursePage})
        self.assertAllowedParentPageTypes(LessonPage, {ModulePage})
        self.assertAllowedParentPageTypes(ExercisePage, {LessonPage})

    def test_can_create_at(self) -> None:
        self.assertCanCreateAt(CoursePage, ModulePage)
        self.assertCanNotCreateAt(CourseIndexPage, ModulePage)
        self.assertCanNotCreateAt(ModulePage, ExercisePage)
        self.assertCanNotCreateAt(Page, CoursePage)


@pytest.mark.django_db
def test_course_index_only_directly_under_the_root() -> None:
    root = Page.get_first_root_node()
    welcome = root.get_children().first()
    assert CourseIndexPage.can_create_at(root)
    assert welcome is not None
    assert not CourseIndexPage.can_create_at(welcome)


@pytest.mark.django_db
def test_module_slug_cannot_shadow_course_routes(tree: CourseTree) -> None:
    with pytest.raises(ValidationError) as excinfo:
        tree.course.add_child(instance=ModulePage(title="Enroll", slug="enroll"))
    assert "slug" in excinfo.value.message_dict


@pytest.mark.django_db
def test_exercise_validates_duration_and_takes(tree: CourseTree) -> None:
    exercise = tree.exercises[0]
    exercise.target_duration_sec = 0
    exercise.max_takes = 0
    with pytest.raises(ValidationError) as excinfo:
        exercise.full_clean()
    assert {"target_duration_sec", "max_takes"} <= set(excinfo.value.message_dict)


@pytest.mark.django_db
def test_uuids_survive_republishing(tree: CourseTree) -> None:
    exercise = ExercisePage.objects.get(pk=tree.exercises[0].pk)
    page_uuid = exercise.uuid
    criteria_uuids = sorted(str(c.uuid) for c in exercise.rubric_criteria.all())

    draft = exercise.get_latest_revision_as_object()
    draft.title = "Renamed"
    draft.save_revision().publish()

    exercise.refresh_from_db()
    assert exercise.title == "Renamed"
    assert exercise.uuid == page_uuid
    assert sorted(str(c.uuid) for c in exercise.rubric_criteria.all()) == criteria_uuids


@pytest.mark.django_db
def test_copied_and_aliased_exercises_get_their_own_uuids(tree: CourseTree) -> None:
    source = ExercisePage.objects.get(pk=tree.exercises[0].pk)
    lesson = tree.lessons[1]

    copy = source.copy(to=lesson, update_attrs={"slug": "copied"}).specific
    copy.get_latest_revision().publish()  # the copy's revisions carry the source's ids
    alias = source.create_alias(parent=lesson, update_slug="aliased").specific
    source.save_revision().publish()  # republishing updates the alias from the source

    uuids = [page.uuid for page in (source, copy, alias)]
    assert len(set(uuids)) == 3
    assert ExercisePage.objects.get(pk=copy.pk).uuid == copy.uuid
    criteria = RubricCriterion.objects.filter(page__in=[source, copy, alias])
    assert criteria.count() == 6
    assert len({criterion.uuid for criterion in criteria}) == 6


@pytest.mark.django_db
def test_draft_pages_are_not_live() -> None:
    index = make_index()
    course = make_course(index, publish=False)
    module = make_module(course)
    lesson = make_lesson(module)
    exercise = make_exercise(lesson)
    assert not course.live
    assert course.has_unpublished_changes
    assert exercise.live
    assert exercise.live_revision is not None
