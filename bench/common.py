"""Shared bench plumbing: Django on a bench database, timing, and table output."""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

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
