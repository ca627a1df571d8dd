"""The player's timeline for a take with 500 feedback markers: target under 50 ms (issue 5).

The take (a ready clip row of the bench student; the timeline needs no media) gets 20
segments and 5 published feedback of 100 markers each, 500 in all: points and ranges of
every kind, one in five a drawing of a few shapes, some on a rubric criterion. Made once
into the bench database, then reused.

Timed through Django's full stack in-process (middleware, DRF with ``force_authenticate``,
serialization): ``GET /api/v1/clips/{id}/timeline/`` as the student who owns the take and as
the teacher of the course, and, for comparison, ``GET /api/v1/feedback/{id}/markers/`` of one
feedback (100 markers). The query count of each request is in the table; it does not grow
with the markers. Run with ``python -m bench timeline``.
"""

from __future__ import annotations

import os
import random
from datetime import timedelta
from typing import Any

from bench.common import Row, bench_student_exercise, print_table, setup_django, timed

MARKERS = 500
FEEDBACK_COUNT = 5
SEGMENTS = 20
DURATION = 600.0
SAMPLES = 100
TARGET_MS = 50.0
TITLE = "bench-timeline"


def _drawing(chooser: random.Random) -> dict[str, Any]:
    """A few normalized shapes, as the review room's drawing tool sends them."""
    shapes: list[dict[str, Any]] = []
    for _ in range(chooser.randint(1, 4)):
        x, y = round(chooser.uniform(0.1, 0.8), 3), round(chooser.uniform(0.1, 0.8), 3)
        options: list[dict[str, Any]] = [
            {"type": "arrow", "start": [x, y], "end": [x + 0.1, y + 0.1]},
            {"type": "circle", "center": [x, y], "radius": 0.08},
            {"type": "rect", "start": [x, y], "end": [x + 0.15, y + 0.1]},
            {"type": "path", "points": [[x + i / 100, y + (i % 3) / 100] for i in range(20)]},
        ]
        shapes.append({**chooser.choice(options), "color": "#e53935", "width": 3})
    return {"shapes": shapes}


def ensure_world() -> tuple[Any, Any]:
    """The take with its segments and 500 markers, and the course's teacher."""
    from django.db import transaction
    from django.utils import timezone

    from plugins.clips.models import PracticeClip
    from plugins.feedback.drawing import validate_drawing
    from plugins.feedback.models import Feedback, FeedbackMarker
    from plugins.segments.models import VideoSegment
    from practika_site.courses.models import Enrollment
    from practika_site.courses.selectors import course_for_page
    from practika_site.users.models import User

    student, exercise = bench_student_exercise()
    course = course_for_page(exercise)
    teacher, _ = User.objects.get_or_create(username="bench-timeline-teacher")
    Enrollment.objects.get_or_create(course=course, user=teacher, defaults={"role": "teacher"})
    clip = PracticeClip.objects.filter(owner=student, title=TITLE).first()
    if clip is not None and FeedbackMarker.objects.filter(feedback__clip=clip).count() == MARKERS:
        return clip, teacher
    chooser = random.Random(7)
    kinds = [choice for choice, _ in FeedbackMarker.Kind.choices]
    now = timezone.now()
    with transaction.atomic():
        if clip is not None:
            clip.delete()
        clip = PracticeClip(
            owner=student,
            exercise=exercise,
            course=course,
            kind=PracticeClip.Kind.TAKE,
            title=TITLE,
            status=PracticeClip.Status.READY,
            progress=100,
            duration=DURATION,
            ready_at=now,
            playable_at=now,
            max_bytes=1,
            upload_expires_at=now + timedelta(hours=1),
        )
        clip.original_key = f"{clip.storage_prefix}original/take.mp4"
        clip.save()
        VideoSegment.objects.bulk_create(
            VideoSegment(
                clip=clip,
                start=i * 30.0,
                end=i * 30.0 + 10,
                title=f"Bar {i + 1}",
                created_by=teacher,
                status=VideoSegment.Status.READY,
            )
            for i in range(SEGMENTS)
        )
        per_feedback = MARKERS // FEEDBACK_COUNT
        for n in range(FEEDBACK_COUNT):
            feedback = Feedback.objects.create(
                clip=clip,
                author=teacher,
                summary=f"Feedback {n + 1}",
                status=Feedback.Status.PUBLISHED,
                published_at=now,
            )
            markers = []
            for i in range(per_feedback):
                time = round(chooser.uniform(0, DURATION - 5), 3)
                kind = kinds[i % len(kinds)]
                drawing = _drawing(chooser) if kind == "drawing" else None
                if drawing is not None:
                    validate_drawing(drawing)
                markers.append(
                    FeedbackMarker(
                        feedback=feedback,
                        time=time,
                        end_time=time + 3 if i % 3 == 0 else None,
                        kind=kind,
                        text=f"Marker {i}: watch the wrist here." * (1 + i % 3),
                        drawing=drawing,
                    )
                )
            FeedbackMarker.objects.bulk_create(markers)
    return clip, teacher


def request_row(name: str, user: Any, path: str) -> Row:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(user)

    def get() -> None:
        response = api.get(path, HTTP_HOST="127.0.0.1")
        assert response.status_code == 200, response.content[:300]

    # Each request clears the query log (request_started), so start the count from empty.
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        get()
    row = timed(name, get, samples=SAMPLES)
    row.queries = len(queries)
    return row


def main() -> None:
    setup_django()
    clip, teacher = ensure_world()
    first_feedback = clip.feedback.order_by("created_at").first()
    rows = [
        request_row(f"timeline, {MARKERS} markers [student]", clip.owner, _timeline(clip)),
        request_row(f"timeline, {MARKERS} markers [teacher]", teacher, _timeline(clip)),
        request_row(
            f"one feedback's markers, {MARKERS // FEEDBACK_COUNT} [teacher]",
            teacher,
            f"/api/v1/feedback/{first_feedback.pk}/markers/",
        ),
    ]
    for row in rows[:2]:
        row.note = "OK" if row.p95_ms < TARGET_MS else f"over {TARGET_MS:.0f} ms"
    print_table(
        "timeline",
        "timeline: a take with 500 markers, in-process",
        rows,
        extra={
            "markers": MARKERS,
            "segments": SEGMENTS,
            "feedback": FEEDBACK_COUNT,
            "target_ms": TARGET_MS,
            "load_avg_1min": round(os.getloadavg()[0], 2),
            "db": "sqlite-wal",
        },
    )


def _timeline(clip: Any) -> str:
    return f"/api/v1/clips/{clip.pk}/timeline/"


if __name__ == "__main__":
    main()
