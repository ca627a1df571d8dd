"""With no service variables set, Practika runs embedded: SQLite (WAL), SqliteHuey, in-memory
channel layer, local cache and files. Checked in a fresh interpreter, so the result does not
depend on the variables of the run that executes this test (``make services-test`` sets them).
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.core.cache import caches
from django.core.files.storage import storages
from django.db import connection
from channels.layers import get_channel_layer
from huey import SqliteHuey
from huey.contrib.djhuey import HUEY

layer = type(get_channel_layer())
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    journal_mode = cursor.fetchone()[0]
    cursor.execute("PRAGMA synchronous")
    synchronous = cursor.fetchone()[0]
print(json.dumps({
    "vendor": connection.vendor,
    "db_name": str(connection.settings_dict["NAME"]),
    "journal_mode": journal_mode,
    "synchronous": synchronous,
    "huey_class": settings.HUEY["huey_class"],
    "huey_is_sqlite": isinstance(HUEY, SqliteHuey),
    "huey_filename": settings.HUEY.get("filename"),
    "channel_layer": layer.__module__ + "." + layer.__name__,
    "cache": type(caches["default"]).__name__,
    "storage": type(storages["default"]).__name__,
    "storage_location": str(getattr(storages["default"], "location", "")),
}))
"""

SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "PRACTIKA_STORAGE", "MEDIA_ROOT")


def embedded_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "practika_site.settings.base",
            "DEBUG": "1",
            "PRACTIKA_VAR_DIR": str(var_dir),
        }
    )
    return env


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    var_dir = tmp_path_factory.mktemp("embedded-var")
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=embedded_env(var_dir),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    facts: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    facts["var_dir"] = str(var_dir)
    return facts


def test_embedded_database_is_a_sqlite_file_in_wal_mode(embedded: dict[str, Any]) -> None:
    assert embedded["vendor"] == "sqlite"
    assert embedded["db_name"] == str(Path(embedded["var_dir"]) / "practika.sqlite3")
    assert embedded["journal_mode"] == "wal"
    assert embedded["synchronous"] == 1  # NORMAL


def test_embedded_task_queue_is_sqlite_huey(embedded: dict[str, Any]) -> None:
    assert embedded["huey_class"] == "huey.SqliteHuey"
    assert embedded["huey_is_sqlite"] is True
    assert embedded["huey_filename"] == str(Path(embedded["var_dir"]) / "huey.sqlite3")


def test_embedded_channel_layer_is_in_memory(embedded: dict[str, Any]) -> None:
    assert embedded["channel_layer"] == "channels.layers.InMemoryChannelLayer"


def test_embedded_cache_and_files_are_local(embedded: dict[str, Any]) -> None:
    assert embedded["cache"] == "LocMemCache"
    assert embedded["storage"] == "FileSystemStorage"
    assert embedded["storage_location"] == str(Path(embedded["var_dir"]) / "media")


def test_unknown_storage_mode_is_refused(tmp_path: Path) -> None:
    env = {**embedded_env(tmp_path), "PRACTIKA_STORAGE": "ftp"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "PRACTIKA_STORAGE" in result.stderr
