"""``make bench``: run every benchmark (or those named: ``python -m bench api_courses``)."""

import importlib
import sys

BENCHMARKS = ["api_courses"]


def main() -> None:
    for name in sys.argv[1:] or BENCHMARKS:
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main()
