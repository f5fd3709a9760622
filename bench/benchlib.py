"""What several benchmarks share: a scratch database, and Django set up in the bench's own process
on it with the demo directory. Imported as `benchlib` (bench scripts run with bench/ on sys.path)."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

POSTGRES = "postgres://postgres@127.0.0.1:5432"


@contextlib.contextmanager
def scratch_database(kind: str, tmp: Path, prefix: str = "crimac_bench") -> Iterator[str]:
    """A database URL for one run: a file under `tmp` (SQLite), or a PostgreSQL database named
    `<prefix>_<random>` that is dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'bench.sqlite3'}"
        return
    import psycopg

    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def django_with_demo_directory(url: str, tmp: Path) -> None:
    """Set Django up in this process on `url` (no other CRIMAC_* setting leaks in), migrate, and
    load the demo directory with one station per district and no alerts."""
    django_on(url, tmp)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("demo", "--alerts", "0", "--per-district", "1", stdout=StringIO())


def django_on(url: str, tmp: Path) -> None:
    """Set Django up in this process on `url` (no other CRIMAC_* setting leaks in), nothing more:
    for a bench that reuses a database it built before."""
    for key in [k for k in os.environ if k.startswith("CRIMAC_")]:
        del os.environ[key]
    os.environ.update(
        {
            "CRIMAC_DATABASE_URL": url,
            "CRIMAC_DATA_DIR": str(tmp),
            "CRIMAC_ENV": "development",
            "CRIMAC_DEBUG": "0",
            "CRIMAC_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "crimac.settings",
        }
    )
    import django

    django.setup()
