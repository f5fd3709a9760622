"""Django settings, read from `CRIMAC_*` environment variables (see docs/operator-guide.md)."""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from crimac import config

BASE_DIR = Path(__file__).resolve().parent
ENV = config.env_str("ENV", "development")
if ENV not in {"development", "production", "test"}:
    raise config.ImproperlyConfigured("CRIMAC_ENV must be development, production or test")
PRODUCTION = ENV == "production"
DATA_DIR = config.data_dir()


def _secret_key() -> str:
    key = config.env_str("SECRET_KEY")
    if key or PRODUCTION:
        return key
    # Embedded mode: a random key kept beside the database, so sessions survive a restart.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(config.INSECURE_KEY_PREFIX + secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = config.env_bool("DEBUG", default=False)
ALLOWED_HOSTS = config.env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = config.env_list("CSRF_TRUSTED_ORIGINS", [])
if PRODUCTION:
    config.check_production(secret_key=SECRET_KEY, debug=DEBUG, allowed_hosts=ALLOWED_HOSTS)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "crimac.audit",
    "crimac.directory",
    "crimac.alerts",
    "crimac.dissemination",
    "crimac.matching",
    "crimac.search",
    "crimac.oversight",
    "django_htmx",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "crimac.api.middleware.ApiProblemMiddleware",
    "crimac.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Innermost, and sync only: every middleware above it then runs synchronously in the
    # request's thread. Were the innermost one async-capable, Django's async-capable middleware
    # (sessions, CSRF, auth, ...) would run in async mode and hop between the event loop and the
    # request's thread for each of their methods, a dozen hops per request. Keep it last.
    "crimac.middleware.OverloadMiddleware",
]

ROOT_URLCONF = "crimac.urls"
ASGI_APPLICATION = "crimac.asgi.application"

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
                "crimac.context_processors.navigation",
            ],
        },
    },
]

DATABASE_URL = config.env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'crimac.sqlite3'}"
# Under ASGI each request runs in a thread of its own, so Django's persistent connections
# (CONN_MAX_AGE) are never reused and pile up until PostgreSQL refuses new clients. PostgreSQL
# connections come from a pool per process instead.
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at BEGIN, so
    # two writers queue on busy_timeout instead of failing with "database is locked" mid-way.
    _db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    _db["TEST"] = {"NAME": config.env_str("TEST_SQLITE_NAME") or None}
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _pool_max = config.env_int("DB_POOL_MAX", 20)
    _db.setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(config.env_int("DB_POOL_MIN", 2), _pool_max),
        # Requests run in threads, and the live feed reads in up to five threads of its own.
        "max_size": _pool_max,
        # How long a request waits for a free connection before it is answered 503 with
        # Retry-After (crimac.middleware.OverloadMiddleware).
        "timeout": config.env_int("DB_POOL_TIMEOUT", 10),
    }
    # No JIT: PostgreSQL compiles any query its planner costs high (a person search's union of
    # per-key look-ups: 1,160 functions) and the compiling, not the query, took 7.7 of 8 seconds.
    # crimac's queries are short and many; none runs long enough to repay it.
    _db["OPTIONS"]["options"] = "-c jit=off"
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "directory.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

REDIS_URL = config.env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

LANGUAGE_CODE = "en-in"
TIME_ZONE = config.env_str("TIME_ZONE", "Asia/Kolkata")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(exist_ok=True)
# The embedded server serves static files itself (WhiteNoise); nothing comes from a CDN.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(config.env_str("MEDIA_DIR") or DATA_DIR / "media")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = config.env_int("SESSION_HOURS", 12) * 3600
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000

# Demo log-ins are for a laptop, never for a deployment.
DEMO_ALLOWED = not PRODUCTION
# How many API requests may touch `last_used_at` of a key: at most one write per key per minute.
API_KEY_TOUCH_SECONDS = config.env_int("API_KEY_TOUCH_SECONDS", 60)
API_PAGE_SIZE_MAX = 500

# How long a recipient has to acknowledge, per priority (minutes).
ACK_DEADLINE_MINUTES = {
    "flash": config.env_int("ACK_MINUTES_FLASH", 10),
    "immediate": config.env_int("ACK_MINUTES_IMMEDIATE", 60),
    "priority": config.env_int("ACK_MINUTES_PRIORITY", 12 * 60),
    "routine": config.env_int("ACK_MINUTES_ROUTINE", 72 * 60),
}
ATTACHMENT_MAX_BYTES = config.env_int("ATTACHMENT_MAX_MB", 10) * 1024 * 1024
ATTACHMENT_MAX_PIXELS = 50_000_000
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
IDEMPOTENCY_HOURS = config.env_int("IDEMPOTENCY_HOURS", 24)
BULK_MAX_ALERTS = 500

# The outbox worker and the external channels (read by crimac.dissemination.channels.conf).
# Embedded (SQLite): the worker runs inside `crimac serve`; scaled out: run `crimac worker`.
WORKER_IN_SERVER = config.env_bool("WORKER_IN_SERVER", default=_db["ENGINE"].endswith("sqlite3"))
WEBHOOK_ALLOW_LOOPBACK = config.env_bool("WEBHOOK_ALLOW_LOOPBACK", default=False)
OUTBOX_MAX_ATTEMPTS = config.env_int("OUTBOX_MAX_ATTEMPTS", 8)
OUTBOX_BACKOFF_BASE_SECONDS = float(config.env_int("OUTBOX_BACKOFF_BASE_SECONDS", 30))
OUTBOX_BACKOFF_CAP_SECONDS = float(config.env_int("OUTBOX_BACKOFF_CAP_SECONDS", 3600))
OUTBOX_LEASE_SECONDS = float(config.env_int("OUTBOX_LEASE_SECONDS", 0))  # 0: 60 + batch x timeout
CHANNEL_TIMEOUT_SECONDS = float(config.env_int("CHANNEL_TIMEOUT_SECONDS", 10))
PUBLIC_URL = config.env_str("PUBLIC_URL")  # links in e-mail and SMS; empty: paths only
SMS_GATEWAY = config.env_str("SMS_GATEWAY", "crimac.dissemination.channels.sms.HttpJsonGateway")
SMS_GATEWAY_URL = config.env_str("SMS_GATEWAY_URL")
SMS_GATEWAY_TOKEN = config.env_str("SMS_GATEWAY_TOKEN")
EMAIL_HOST = config.env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = config.env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = config.env_str("EMAIL_USER")
EMAIL_HOST_PASSWORD = config.env_str("EMAIL_PASSWORD")
EMAIL_USE_TLS = config.env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = config.env_str("EMAIL_FROM", "crimac@localhost")
# How often each server process looks for feed events it was not told about (written by a process
# without the channel layer, e.g. `crimac worker`, or an announcement lost in transit).
FEED_POLL_SECONDS = config.env_int("FEED_POLL_SECONDS", 2)
# Searches per user and window (count, seconds), counted in the database across processes.
SEARCH_RATE_LIMIT = (config.env_int("SEARCH_PER_MINUTE", 60), 60)
SEARCH_PERSON_RATE_LIMIT = (config.env_int("PERSON_SEARCH_PER_MINUTE", 20), 60)
# Person, phone and vehicle searches are kept this long for the delayed inquiry (NCIC), then purged.
SEARCH_RECORD_HOURS = config.env_int("SEARCH_RECORD_HOURS", 72)
# The weekly digest of silent stations and unacknowledged alerts (oversight): on in production.
CRIMAC_DIGEST = config.env_bool("DIGEST", default=PRODUCTION)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": config.env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
