"""Practika settings, read from the environment (django-environ).

With nothing set, Practika runs on embedded defaults: SQLite in WAL mode, SqliteHuey, the
in-memory channel layer and local files under ``var/``. ``DATABASE_URL``, ``REDIS_URL`` and
``PRACTIKA_STORAGE=s3`` switch each part to its production service; nothing else in the code
knows which mode it runs in.
"""

from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
VAR_DIR = Path(env.str("PRACTIKA_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

_INSECURE_DEV_KEY = "django-insecure-practika-development-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _INSECURE_DEV_KEY

ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "practika_site.core",
    "practika_site.users",
    "practika_site.courses",
    "huey_tasks",
    # Plugins: one line each; removing a line removes that feature and nothing else.
    "plugins.clips",
    "plugins.segments",
    "plugins.feedback",
    "plugins.threads",
    "plugins.notifications",
    *env.list("PRACTIKA_PLUGINS", default=[]),
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "huey.contrib.djhuey",
    "channels",
    "storages",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "practika_site.urls"
WSGI_APPLICATION = "practika_site.wsgi.application"
ASGI_APPLICATION = "practika_site.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "practika_site.core.context_processors.site",
            ]
        },
    }
]

# --- Database -----------------------------------------------------------------------------
if "DATABASE_URL" in env:
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "practika.sqlite3",
            # WAL lets the in-process worker write while web requests read.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, task queue and channel layer --------------------------------------------
REDIS_URL: str | None = env.str("REDIS_URL", default=None)
HUEY_WORKERS = env.int("HUEY_WORKERS", default=2)

CACHES: dict[str, dict[str, Any]]
HUEY: dict[str, Any]
CHANNEL_LAYERS: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "practika",
        }
    }
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": env.str("HUEY_QUEUE_NAME", default="practika"),
        "url": REDIS_URL,
        "immediate": False,
        "consumer": {"workers": HUEY_WORKERS, "worker_type": "thread"},
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                # The pub/sub layer holds two connections per event loop of a process: one that
                # SUBSCRIBEs for all of its sockets and groups, one that PUBLISHes under a lock.
                # A handshake adds none, so a burst of connects needs no bigger pool; the cap
                # bounds a leak, and the health check notices a silently dead connection.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "max_connections": env.int("CHANNEL_LAYER_MAX_CONNECTIONS", default=8),
                        "health_check_interval": 30,
                        "socket_keepalive": True,
                    }
                ],
                "prefix": env.str("CHANNEL_LAYER_PREFIX", default="practika"),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "practika",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": False,
        "consumer": {"workers": HUEY_WORKERS, "worker_type": "thread"},
    }
    # Valid only because the embedded worker runs inside the web process (make dev).
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Files ---------------------------------------------------------------------------------
PRACTIKA_STORAGE = env.str("PRACTIKA_STORAGE", default="local")
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on a missing root
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]

if PRACTIKA_STORAGE == "s3":
    _default_storage: dict[str, Any] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "access_key": env.str("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "custom_domain": env.str("AWS_S3_CUSTOM_DOMAIN", default=None),
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=3600),
            "file_overwrite": False,
            "signature_version": "s3v4",
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="path"),
        },
    }
elif PRACTIKA_STORAGE == "local":
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
    }
else:
    raise ImproperlyConfigured("PRACTIKA_STORAGE must be 'local' or 's3'.")

STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Auth ----------------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
WAGTAIL_FRONTEND_LOGIN_URL = LOGIN_URL
PRACTIKA_TOKEN_TTL_HOURS = env.int("PRACTIKA_TOKEN_TTL_HOURS", default=24 * 30)
PRACTIKA_DEMO_PASSWORD = env.str("PRACTIKA_DEMO_PASSWORD", default="practika-demo")

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
if "EMAIL_URL" in env:
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Practika <practika@localhost>")

# --- API -----------------------------------------------------------------------------------
PRACTIKA_API_MAX_BODY_BYTES = env.int("PRACTIKA_API_MAX_BODY_BYTES", default=1024 * 1024)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "practika_site.core.parsers.BoundedJSONParser",
        "practika_site.core.parsers.BoundedFormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "practika_site.core.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("PRACTIKA_THROTTLE_ANON", default="60/min"),
        "user": env.str("PRACTIKA_THROTTLE_USER", default="1200/min"),
        "login": env.str("PRACTIKA_THROTTLE_LOGIN", default="20/min"),
    },
    "EXCEPTION_HANDLER": "practika_site.core.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_TTL": None,  # set per token by practika_site.users.services.token_issue
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Practika API",
    "DESCRIPTION": "Practice a skill on video and get feedback on it. See API.md for the contract.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["practika_site.api.schema_endpoints"],
    # Two "role" fields with different choices: name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "UserRoleEnum": "practika_site.users.models.User.Role",
        "EnrollmentRoleEnum": "practika_site.courses.models.Enrollment.Role",
        # Plugins add theirs in AppConfig.ready() (practika_site.core.schema.name_schema_enum).
    },
}

# --- Wagtail -------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Practika"
WAGTAILADMIN_BASE_URL = env.str("WAGTAILADMIN_BASE_URL", default="http://127.0.0.1:8000")
# The site's address in links sent out of band (notification emails).
PRACTIKA_SITE_URL = env.str("PRACTIKA_SITE_URL", default=WAGTAILADMIN_BASE_URL)
# Notification emails that arrive within this long of the last one wait for one digest.
PRACTIKA_NOTIFICATION_DIGEST_SECONDS = env.int("PRACTIKA_NOTIFICATION_DIGEST_SECONDS", default=600)
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = [
    *("csv", "docx", "key", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"),
    *("mp4", "m4v", "mov", "webm", "mkv"),  # reference videos of exercises
]

# --- Security ------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"  # Wagtail's preview views opt back in to SAMEORIGIN themselves.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Health checks come from the load balancer over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^api/v1/health/"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Real time -----------------------------------------------------------------------------
# Origins accepted on /ws/ besides the request's own host; empty means same-origin only.
PRACTIKA_WS_ALLOWED_ORIGINS: list[str] = env.list("PRACTIKA_WS_ALLOWED_ORIGINS", default=[])

# --- Worker --------------------------------------------------------------------------------
PRACTIKA_WORKER_HEARTBEAT_MAX_AGE = env.int("PRACTIKA_WORKER_HEARTBEAT_MAX_AGE", default=180)

# --- Media ---------------------------------------------------------------------------------
PRACTIKA_UPLOAD_MAX_BYTES = env.int("PRACTIKA_UPLOAD_MAX_BYTES", default=4 * 1024**3)
# Any other request body (the ASGI middleware in core/upload_limits.py answers 413 past it).
PRACTIKA_REQUEST_MAX_BYTES = env.int("PRACTIKA_REQUEST_MAX_BYTES", default=5 * 1024 * 1024 // 2)
PRACTIKA_UPLOAD_TTL_SECONDS = env.int("PRACTIKA_UPLOAD_TTL_SECONDS", default=6 * 3600)
PRACTIKA_UPLOAD_TEMP_DIR = env.str("PRACTIKA_UPLOAD_TEMP_DIR", default=str(VAR_DIR / "uploads"))
PRACTIKA_MEDIA_URL_TTL_SECONDS = env.int("PRACTIKA_MEDIA_URL_TTL_SECONDS", default=6 * 3600)
# S3 media through CloudFront signed URLs (all three set) instead of presigned S3 GETs; the
# private key is a PEM text or the path of a PEM file.
PRACTIKA_CLOUDFRONT_DOMAIN = env.str("PRACTIKA_CLOUDFRONT_DOMAIN", default="")
PRACTIKA_CLOUDFRONT_KEY_ID = env.str("PRACTIKA_CLOUDFRONT_KEY_ID", default="")
PRACTIKA_CLOUDFRONT_PRIVATE_KEY = env.str("PRACTIKA_CLOUDFRONT_PRIVATE_KEY", default="")
PRACTIKA_MEDIA_WORK_DIR = env.str("PRACTIKA_MEDIA_WORK_DIR", default=str(VAR_DIR / "work"))
PRACTIKA_FFMPEG_THREADS = env.int("PRACTIKA_FFMPEG_THREADS", default=2)
# Limits on what the pipeline accepts (huey_tasks.media.probe.MediaCaps).
PRACTIKA_MEDIA_CAPS = {
    "max_width": env.int("PRACTIKA_MEDIA_MAX_WIDTH", default=3840),
    "max_height": env.int("PRACTIKA_MEDIA_MAX_HEIGHT", default=2160),
    "max_fps": env.float("PRACTIKA_MEDIA_MAX_FPS", default=120.0),
    "max_duration": env.float("PRACTIKA_MEDIA_MAX_DURATION", default=3600.0),
    "max_streams": env.int("PRACTIKA_MEDIA_MAX_STREAMS", default=8),
}

# --- Media jobs ----------------------------------------------------------------------------
PRACTIKA_JOB_MAX_ATTEMPTS = env.int("PRACTIKA_JOB_MAX_ATTEMPTS", default=3)
PRACTIKA_JOB_HEARTBEAT_SECONDS = env.float("PRACTIKA_JOB_HEARTBEAT_SECONDS", default=5.0)
PRACTIKA_JOB_STALE_SECONDS = env.float("PRACTIKA_JOB_STALE_SECONDS", default=30.0)
PRACTIKA_JOB_RETRY_DELAY_SECONDS = env.float("PRACTIKA_JOB_RETRY_DELAY_SECONDS", default=10.0)

# --- i18n and logging ----------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        # Wagtail runs its search/reference index updates as django_tasks, one line each.
        "django_tasks": {"level": "WARNING"},
        # With a handler of its own configured here, run_huey adds no second one.
        "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
