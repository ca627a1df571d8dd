"""p50/p95 latency and query count of the courses and exercises endpoints.

Data: 1,000 published courses with 10,000 exercises (1 module, 1 lesson and 10 exercises
each), built once into var/bench/ and reused. Requests go through Django's full stack
in-process (middleware, auth, DRF, serialization); the query count is per request.
"""

from __future__ import annotations

import time
from typing import Any

from bench.common import Row, print_table, setup_django, timed

COURSES = 1000
EXERCISES_PER_COURSE = 10
SAMPLES = 40


def build_data() -> dict[str, Any]:
    from django.db import transaction
    from wagtail.models import Page, Site

    from practika_site.courses.models import (
        CourseIndexPage,
        CoursePage,
        Enrollment,
        ExercisePage,
        LessonPage,
        ModulePage,
    )
    from practika_site.users.models import User

    student, _ = User.objects.get_or_create(username="bench-student")
    admin, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"role": User.Role.ADMIN, "is_superuser": True}
    )
    existing = CoursePage.objects.filter(slug__startswith="course-").count()
    if existing < COURSES:
        started = time.perf_counter()
        index = CourseIndexPage.objects.first()
        if index is None:
            index = Page.get_first_root_node().add_child(
                instance=CourseIndexPage(title="Bench catalog", slug="bench-catalog")
            )
            Site.objects.filter(is_default_site=True).update(root_page=index)
        # Pages are added with treebeard directly (live, no revisions): the admin's
        # revision history is not what this benchmark measures, and it would take minutes.
        with transaction.atomic():
            for n in range(existing, COURSES):
                course = index.add_child(
                    instance=CoursePage(title=f"Course {n}", slug=f"course-{n}", summary="S")
                )
                module = course.add_child(instance=ModulePage(title="Module", slug="module"))
                lesson = module.add_child(instance=LessonPage(title="Lesson", slug="lesson"))
                for e in range(EXERCISES_PER_COURSE):
                    lesson.add_child(
                        instance=ExercisePage(
                            title=f"Exercise {n}.{e}",
                            slug=f"exercise-{e}",
                            instructions="<p>Play it slowly.</p>",
                            target_duration_sec=60,
                        )
                    )
                Enrollment.objects.create(course=course, user=student, role="student")
        print(f"built {COURSES} courses in {time.perf_counter() - started:.1f} s")
    # The last generated ones (other benchmarks add courses of their own to this database).
    course = CoursePage.objects.filter(slug=f"course-{COURSES - 1}").first()
    exercise = ExercisePage.objects.filter(
        title=f"Exercise {COURSES - 1}.{EXERCISES_PER_COURSE - 1}"
    ).first()
    assert course is not None
    assert exercise is not None
    return {
        "student": student,
        "admin": admin,
        "course": course.uuid,
        "exercise": exercise.uuid,
        "courses": CoursePage.objects.count(),
        "exercises": ExercisePage.objects.count(),
    }


def main() -> None:
    setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    data = build_data()
    rows: list[Row] = []
    for who in ("student", "admin"):
        client = APIClient()
        client.force_authenticate(data[who])
        for name, url in (
            ("courses list", "/api/v1/courses/"),
            ("course detail (tree)", f"/api/v1/courses/{data['course']}/"),
            ("exercises list", "/api/v1/exercises/"),
            ("exercises ?search", "/api/v1/exercises/?search=999.9"),
            ("exercises ?course", f"/api/v1/exercises/?course={data['course']}"),
            ("exercise detail", f"/api/v1/exercises/{data['exercise']}/"),
        ):

            def get(url: str = url, client: APIClient = client) -> None:
                response = client.get(url, HTTP_HOST="127.0.0.1")
                assert response.status_code == 200, response.content[:300]

            row = timed(f"{name} [{who}]", get, samples=SAMPLES)
            with CaptureQueriesContext(connection) as queries:
                get()
            row.queries = len(queries)
            rows.append(row)
    print_table(
        "api_courses",
        "api_courses: GET latency in-process",
        rows,
        extra={"courses": data["courses"], "exercises": data["exercises"], "db": "sqlite-wal"},
    )


if __name__ == "__main__":
    main()
