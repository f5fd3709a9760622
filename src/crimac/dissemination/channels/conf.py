"""Settings of the external channels and the worker.

Each is a Django setting (named without the `CRIMAC_` prefix) when settings.py defines it, and
otherwise the `CRIMAC_<NAME>` environment variable, and otherwise the default: the channels work
before settings.py lists them, and a test or an operator can set them either way.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from crimac import config

_MISSING = object()


def setting(name: str, default: Any) -> Any:
    """`name` as a Django setting, else as CRIMAC_<name> in the environment (parsed like the
    default's type), else `default`."""
    value = getattr(settings, name, _MISSING)
    if value is not _MISSING:
        return value
    if isinstance(default, bool):
        return config.env_bool(name, default)
    if isinstance(default, int):
        return config.env_int(name, default)
    if isinstance(default, float):
        raw = config.env_str(name)
        try:
            return float(raw) if raw else default
        except ValueError:
            raise config.ImproperlyConfigured(f"CRIMAC_{name} must be a number, not {raw!r}") from None
    raw = config.env_str(name)
    return raw if raw else default


def is_sqlite() -> bool:
    return bool(settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"))


def max_attempts() -> int:
    return max(1, int(setting("OUTBOX_MAX_ATTEMPTS", 8)))


def backoff_base() -> float:
    return float(setting("OUTBOX_BACKOFF_BASE_SECONDS", 30.0))


def backoff_cap() -> float:
    return float(setting("OUTBOX_BACKOFF_CAP_SECONDS", 3600.0))


def send_timeout() -> float:
    return float(setting("CHANNEL_TIMEOUT_SECONDS", 10.0))


def lease_seconds(batch: int) -> float:
    """How long a claimed message is reserved for the worker that claimed it. A worker that dies
    leaves its messages to the next worker after this; it must outlast sending the whole batch."""
    configured = float(setting("OUTBOX_LEASE_SECONDS", 0.0))
    return configured if configured > 0 else 60.0 + batch * send_timeout()


def public_url() -> str:
    """The address officers open crimac at, for links in e-mail and SMS (empty: paths only)."""
    return str(setting("PUBLIC_URL", "")).rstrip("/")


def allow_loopback() -> bool:
    return bool(setting("WEBHOOK_ALLOW_LOOPBACK", False))


def worker_in_server() -> bool:
    return bool(setting("WORKER_IN_SERVER", is_sqlite()))
