"""Fixtures for the course tree: a catalog as the site's home page, one published course."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from practika_site.courses.models import CourseIndexPage
from practika_site.users.models import User
from tests.courses.factories import CourseTree, enroll, make_course_tree, make_index


@pytest.fixture(autouse=True)
def _fresh_site_root_cache() -> Iterator[None]:
    # Wagtail caches site root paths in the cache, which outlives each test's rollback.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def index(db: None) -> CourseIndexPage:
    return make_index()


@pytest.fixture
def tree(index: CourseIndexPage) -> CourseTree:
    """One published course: 2 modules x 2 lessons x 2 exercises."""
    return make_course_tree(index, title="Guitar foundations")


@pytest.fixture
def enrolled_student(student: User, tree: CourseTree) -> User:
    enroll(student, tree.course)
    return student
