"""``make bench``: run every benchmark (or those named: ``python -m bench api_courses``)."""

import importlib
import sys

BENCHMARKS = ["api_courses", "uploads", "segments", "timeline", "threads_fanout", "clips_pipeline"]


def main() -> None:
    # Arguments starting with "-" are options the benchmarks read (clips_pipeline --short).
    names = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
    for name in names or BENCHMARKS:
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main()
