"""The production configuration: ``check --deploy`` is clean, a missing SECRET_KEY is fatal."""

import json
import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

from django.conf import settings

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")


def production_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """Only what production sets: no DATABASE_URL/REDIS_URL/DEBUG leaking in from the test run."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(var_dir)),
        "DJANGO_SETTINGS_MODULE": "practika_site.settings.base",
        "PRACTIKA_VAR_DIR": str(var_dir),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "practika.example.com",
    }
    env.update(extra)
    return env


def random_secret_key() -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(60))


def test_check_deploy_passes_without_warnings(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, MANAGE, "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env(tmp_path, SECRET_KEY=random_secret_key()),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert "no issues" in output


def test_settings_refuse_to_load_without_a_secret_key_when_debug_is_off(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=production_env(tmp_path),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_production_settings_values(tmp_path: Path) -> None:
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.ALLOWED_HOSTS, s.SECURE_REDIRECT_EXEMPT]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=production_env(tmp_path, SECRET_KEY=random_secret_key()),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    debug, ssl_redirect, session_secure, csrf_secure, hsts, hosts, exempt = json.loads(
        result.stdout.strip().splitlines()[-1]
    )
    assert debug is False
    assert ssl_redirect is True
    assert session_secure is True
    assert csrf_secure is True
    assert hsts >= 31536000
    assert hosts == ["practika.example.com"]
    # Load balancers probe health over plain HTTP.
    assert any("health" in pattern for pattern in exempt)


def test_production_with_redis_builds_its_huey(tmp_path: Path) -> None:
    """The worker and web processes of docker-compose construct Huey from these settings
    (tests run Huey in immediate mode and would never notice a refused configuration)."""
    code = (
        "import django; django.setup(); from huey.contrib.djhuey import HUEY; "
        "print(type(HUEY).__name__, HUEY.name)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=production_env(
            tmp_path, SECRET_KEY=random_secret_key(), REDIS_URL="redis://127.0.0.1:6379/9"
        ),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["PriorityRedisHuey", "practika"]
