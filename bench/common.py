"""Shared bench plumbing: Django on a bench database, timing, and table output."""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from practika_site.courses.models import ExercisePage
    from practika_site.users.models import User

ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR = ROOT / "var" / "bench"


def setup_django() -> None:
    """The embedded mode (SQLite WAL) on a bench database of its own under var/bench/."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practika_site.settings.base")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("PRACTIKA_VAR_DIR", str(BENCH_VAR))
    os.environ.setdefault("PRACTIKA_THROTTLE_USER", "1000000/min")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


@dataclass
class Row:
    name: str
    samples: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    queries: int | str = ""
    note: str = ""


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def timed(name: str, action: Callable[[], object], *, samples: int, warmup: int = 3) -> Row:
    for _ in range(warmup):
        action()
    durations = []
    for _ in range(samples):
        started = time.perf_counter()
        action()
        durations.append((time.perf_counter() - started) * 1000)
    return Row(
        name=name,
        samples=samples,
        p50_ms=round(statistics.median(durations), 2),
        p95_ms=round(percentile(durations, 0.95), 2),
        max_ms=round(max(durations), 2),
    )


def print_table(name: str, title: str, rows: Sequence[Row], *, extra: dict[str, object]) -> None:
    cores = os.cpu_count()
    details = "; ".join(f"{k}: {v}" for k, v in extra.items())
    print(f"\n{title}  (cores: {cores}; {details})")
    headers = ["benchmark", "n", "p50 ms", "p95 ms", "max ms", "queries", "note"]
    table = [
        [
            r.name,
            str(r.samples),
            *(f"{v:.2f}" for v in (r.p50_ms, r.p95_ms, r.max_ms)),
            str(r.queries),
            r.note,
        ]
        for r in rows
    ]
    widths = [max(len(h), *(len(line[i]) for line in table)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for line in table:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))
    out = BENCH_VAR / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"title": title, "cores": cores, **extra, "rows": [asdict(r) for r in rows]})
    )
    print(f"(JSON: {out.relative_to(ROOT)})")


def summarize(name: str, durations_ms: Sequence[float], *, note: str = "") -> Row:
    """A row from durations measured elsewhere (one sample is fine: p50 = p95 = max)."""
    return Row(
        name=name,
        samples=len(durations_ms),
        p50_ms=round(statistics.median(durations_ms), 2),
        p95_ms=round(percentile(durations_ms, 0.95), 2),
        max_ms=round(max(durations_ms), 2),
        note=note,
    )


def proc_status_kib(pid: int | str = "self") -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` (peak RSS) of a process, in KiB, from ``/proc/<pid>/status``."""
    values: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values


def bench_student_exercise() -> tuple[User, ExercisePage]:
    """A student enrolled in a one-exercise course ("Bench clips"), made once and reused.

    The course sits in the catalog ``api_courses`` builds (made here the same way if it does
    not exist yet); pages are added with treebeard directly, live, without revisions.
    """
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

    with transaction.atomic():
        student, _ = User.objects.get_or_create(username="bench-clips-student")
        course = CoursePage.objects.filter(slug="bench-clips").first()
        if course is None:
            index = CourseIndexPage.objects.first()
            if index is None:
                index = Page.get_first_root_node().add_child(
                    instance=CourseIndexPage(title="Bench catalog", slug="bench-catalog")
                )
                Site.objects.filter(is_default_site=True).update(root_page=index)
            course = index.add_child(
                instance=CoursePage(title="Bench clips", slug="bench-clips", summary="S")
            )
            module = course.add_child(instance=ModulePage(title="Module", slug="module"))
            lesson = module.add_child(instance=LessonPage(title="Lesson", slug="lesson"))
            lesson.add_child(
                instance=ExercisePage(
                    title="Record a take", slug="take", instructions="<p>Play.</p>"
                )
            )
        Enrollment.objects.get_or_create(course=course, user=student, defaults={"role": "student"})
        exercise = ExercisePage.objects.descendant_of(course).first()
    assert exercise is not None
    return student, exercise
