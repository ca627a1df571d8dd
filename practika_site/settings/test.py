"""Test settings: the embedded defaults, fast hashing, Huey in immediate mode.

``make services-test`` runs the same suite with DATABASE_URL and REDIS_URL set; this module
keeps those values, so the same tests run against PostgreSQL and Redis for real.
"""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("PRACTIKA_VAR_DIR", "/tmp/practika-test-var")  # noqa: S108

from .base import *  # noqa: F403
from .base import HUEY, INSTALLED_APPS, REST_FRAMEWORK

# The example plugin proves the plugin contract; only tests install it. The "gone when the
# app is removed" tests run with PRACTIKA_TEST_WITHOUT_EXAMPLE_PLUGIN=1 to leave it out.
if os.environ.get("PRACTIKA_TEST_WITHOUT_EXAMPLE_PLUGIN") != "1":
    INSTALLED_APPS = ["tests.plugin_example", *INSTALLED_APPS]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not SQLite's shared-cache memory database: live-server tests write from
    # several threads, and shared cache answers "table locked" at once instead of waiting
    # out the busy timeout as a WAL file does (and as make dev's database does).
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(VAR_DIR, f"test-{os.getpid()}.sqlite3")  # noqa: F405
    }

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
HUEY = {**HUEY, "immediate": True}
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "1000/min", "user": "10000/min", "login": "1000/min"},
}
WAGTAILADMIN_BASE_URL = "http://testserver"
