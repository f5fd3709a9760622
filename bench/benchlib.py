"""What several benchmarks share: a scratch database, and Django set up in the bench's own process
on it with the demo directory. Imported as `benchlib` (bench scripts run with bench/ on sys.path)."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import time
import urllib.request
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes], seconds: float = 60, log: Path | None = None) -> None:
    """Until `url` answers (a server `proc` is starting); RuntimeError if `proc` exits or time runs
    out, with the server's `log` when given."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                told = f":\n{log.read_text(errors='replace')}" if log is not None else ""
                raise RuntimeError(f"{url} did not answer{told}") from None
            time.sleep(0.2)
