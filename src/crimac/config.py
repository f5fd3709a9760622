"""Reading `CRIMAC_*` environment variables into typed values.

Every setting the operator may change is read here, with the safe default for the embedded mode.
Production refuses to start with unsafe values (see `check_production`).
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

PREFIX = "CRIMAC_"


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(PREFIX + name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(PREFIX + name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{PREFIX}{name} must be one of 1/0/true/false/yes/no/on/off, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(PREFIX + name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{PREFIX}{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(PREFIX + name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def data_dir() -> Path:
    path = Path(env_str("DATA_DIR") or Path.cwd() / "var").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


INSECURE_KEY_PREFIX = "insecure-embedded-"


def check_production(*, secret_key: str, debug: bool, allowed_hosts: list[str]) -> None:
    """Refuse to start a production deployment with settings that are only safe on one laptop."""
    problems = []
    if not secret_key or secret_key.startswith(INSECURE_KEY_PREFIX) or len(secret_key) < 40:
        problems.append(f"{PREFIX}SECRET_KEY must be set to a random value of 40+ characters")
    if debug:
        problems.append(f"{PREFIX}DEBUG must be off")
    if not allowed_hosts or "*" in allowed_hosts:
        problems.append(f"{PREFIX}ALLOWED_HOSTS must name the hosts this server answers for")
    if problems:
        raise ImproperlyConfigured(
            "unsafe production settings (CRIMAC_ENV=production): " + "; ".join(problems)
        )
