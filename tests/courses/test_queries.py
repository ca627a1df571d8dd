"""Every course endpoint and page runs a fixed number of queries, whatever the tree's size."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries
from rest_framework.test import APIClient

from practika_site.courses.models import CourseIndexPage
from practika_site.users.models import User
from tests.courses.factories import CourseTree, enroll, make_course_tree, make_private

ClientFor = Callable[[User], APIClient]
MAX_API_QUERIES = 8  # token auth, restrictions, count, page (+ subqueries in the same SQL)
# Wagtail's routing reads one page per URL segment (the exercise page has five), then come
# the view restrictions, session, user, the menu's permission checks and our selectors, then
# what plugins add through hooks (the header's unread count, the practice room's takes).
MAX_PAGE_QUERIES = 30


def _build(index: CourseIndexPage, student: User, courses: int, size: int) -> list[CourseTree]:
    trees = [
        make_course_tree(index, modules=size, lessons=size, exercises=size) for _ in range(courses)
    ]
    for tree in trees:
        enroll(student, tree.course)
    # Restrictions are read by every request; a private course must not change the counts.
    private = make_course_tree(index, modules=1, lessons=1, exercises=1)
    enroll(student, private.course)
    make_private(private.course)
    return trees


def _count(request: Callable[[], Any]) -> int:
    request()  # warm per-process caches (site root paths, content types) first
    with CaptureQueriesContext(connection) as queries:
        response = request()
    assert response.status_code == 200, getattr(response, "content", b"")[:500]
    return len(queries)


def _api_counts(client: APIClient, tree: CourseTree) -> list[int]:
    urls = [
        "/api/v1/courses/",
        f"/api/v1/courses/{tree.course.uuid}/",
        "/api/v1/exercises/",
        f"/api/v1/exercises/?course={tree.course.uuid}&search=e",
        f"/api/v1/exercises/{tree.exercises[0].uuid}/",
    ]
    return [_count(lambda url=url: client.get(url)) for url in urls]  # type: ignore[misc]


def _page_counts(client: Client, tree: CourseTree) -> list[int]:
    pages = [tree.course.get_parent(), tree.course, tree.modules[0], tree.lessons[0]]
    pages.append(tree.exercises[0])
    return [_count(lambda url=page.url: client.get(url)) for page in pages]  # type: ignore[misc]


@pytest.mark.django_db
def test_api_query_counts_do_not_grow_with_the_tree(
    index: CourseIndexPage, student: User, client_for: ClientFor
) -> None:
    small = _build(index, student, courses=1, size=1)
    client = client_for(student)
    small_counts = _api_counts(client, small[0])

    big = _build(index, student, courses=3, size=2)
    big_counts = _api_counts(client, big[0])

    assert big_counts == small_counts
    assert max(big_counts) <= MAX_API_QUERIES


@pytest.mark.django_db
def test_site_page_query_counts_do_not_grow_with_the_tree(
    index: CourseIndexPage, student: User, client: Client
) -> None:
    client.force_login(student)
    small = _build(index, student, courses=1, size=1)
    small_counts = _page_counts(client, small[0])

    big = _build(index, student, courses=3, size=2)
    big_counts = _page_counts(client, big[0])

    assert big_counts == small_counts
    assert max(big_counts) <= MAX_PAGE_QUERIES


@pytest.mark.django_db
def test_exercise_list_bound(
    index: CourseIndexPage,
    student: User,
    client_for: ClientFor,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    _build(index, student, courses=3, size=2)
    client = client_for(student)
    with django_assert_max_num_queries(MAX_API_QUERIES):
        assert client.get("/api/v1/exercises/?page_size=200").json()["count"] == 24
