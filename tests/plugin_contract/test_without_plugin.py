"""Remove the example plugin and the rest of the site still works (in a subprocess)."""

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHECKS = Path(__file__).with_name("without_plugin_checks.py")
TIMEOUT_SECONDS = 240


def test_site_without_the_example_plugin() -> None:
    env = {**os.environ, "PRACTIKA_TEST_WITHOUT_EXAMPLE_PLUGIN": "1"}
    # The child's own options only; coverage and -x style options of the parent do not apply.
    env.pop("PYTEST_ADDOPTS", None)
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(CHECKS.relative_to(REPO)),
        "-q",
        "-p",
        "no:cacheprovider",
        "--no-header",
        "-rfEs",
    ]
    result = subprocess.run(
        command,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    output = f"$ {' '.join(command)}\n{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, output
    summary = result.stdout.strip().splitlines()[-1]
    passed = re.search(r"(\d+) passed", summary)
    assert passed is not None, output
    assert int(passed.group(1)) >= 10, output
    assert not re.search(r"skipped|failed|error|xfail", summary), output
