"""Shared fixtures.

The test database gets the demo directory once per session (geography from the migration, then
`demo.build_directory(per_district=2)` and the demo log-ins); each test runs in a transaction that
is rolled back. Do not use `django_db(transaction=True)`: it would flush the session's directory.
Tests that need a real server use `live_crimac`, a `crimac serve` process on its own database.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client

REQUIRE_SERVICES = os.environ.get("CRIMAC_REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CRIMAC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "crimac-demo"


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Still Argon2 (what production uses), with test-sized cost."""

    time_cost = 1
    memory_cost = 64
    parallelism = 1


def pytest_configure(config: pytest.Config) -> None:
    settings.PASSWORD_HASHERS = ["tests.conftest.FastArgon2PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm

    get_hashers.cache_clear()
    get_hashers_by_algorithm.cache_clear()
    with django_db_blocker.unblock():
        from crimac.directory import demo

        demo.build_directory(per_district=2)
        demo.create_logins()


@pytest.fixture(autouse=True)
def _fresh_reference_data() -> None:
    """Alerts keep States, borders and sections per process for a minute; a test that changes
    them must not see another test's copy."""
    from crimac.alerts.actions import forget_reference_data
    from crimac.dissemination import resolution

    forget_reference_data()
    resolution._index = None
    from django.core.cache import cache

    cache.clear()  # what a process remembers between requests (search: large scopes)


@pytest.fixture
def user_named(db: Any) -> Any:
    from crimac.directory.models import User

    def get(username: str) -> User:
        return User.objects.select_related("agency").get(username=username)

    return get


@pytest.fixture
def client_for(db: Any) -> Any:
    """A Django test client logged in as the named demo user (or as a given User)."""
    from crimac.directory.models import User

    def make(who: str | User) -> Client:
        user = who if isinstance(who, User) else User.objects.get(username=who)
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_key_for(db: Any) -> Any:
    """Create an API key for an agency code and return the raw key."""
    from crimac.directory import actions
    from crimac.directory.models import Agency

    def make(code: str, name: str = "test system") -> str:
        return actions.create_api_key(Agency.objects.get(code=code), name, actor=None).raw

    return make


def make_user(username: str, agency_code: str, role: str, **fields: Any) -> Any:
    from crimac.directory.models import Agency, User

    return User.objects.create_user(
        username,
        password=DEMO_PASSWORD,
        agency=Agency.objects.get(code=agency_code),
        role=role,
        **fields,
    )


def assert_reach_holds(user: Any, alert_ids: Any = None) -> None:
    """Search narrows a word's matches to the documents whose reach names one of the searcher's
    States (`Alert.objects.reach_of`) before it checks `visible_to`: every alert `user` may read
    (of `alert_ids`, or all) must reach one of them, as computed now and as its document keeps it."""
    from crimac.alerts.models import Alert
    from crimac.search.indexing import reach_words
    from crimac.search.models import AlertDocument

    bound = Alert.objects.reach_of(user)
    if bound is None:
        return
    visible = Alert.objects.visible_to(user)
    if alert_ids is not None:
        visible = visible.filter(pk__in=list(alert_ids))
    ids = list(visible.values_list("pk", flat=True))
    reaches = Alert.objects.reach(ids)
    assert reaches is not None
    for pk in ids:
        assert reaches[pk] & bound, (
            f"{user} may read alert {pk} reaching {set(reaches[pk])}, not {set(bound)}"
        )
    words = set(reach_words(bound).split())
    for pk, kept in AlertDocument.objects.filter(alert_id__in=ids).values_list("alert_id", "reach"):
        assert kept is None or words & set(kept.split()), f"{user}: alert {pk}'s document keeps {kept!r}"


# --- a real server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveCrimac:
    base_url: str
    env: dict[str, str]
    database_url: str

    def crimac(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a `crimac` command against the live server's database."""
        return subprocess.run(
            [sys.executable, "-m", "crimac.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
            timeout=300,
        )


def _live_database(tmp: Path) -> tuple[str, Any]:
    url = settings.DATABASE_URL
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp / 'live.sqlite3'}", None
    import psycopg

    name = f"crimac_live_{uuid.uuid4().hex[:8]}"
    base, _ = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{base}/{name}", drop


@contextlib.contextmanager
def serve_process(env: dict[str, str], port: int, log_path: Path, *, wait: float = 30) -> Iterator[None]:
    """`crimac serve` on `port` with `env`, its output in `log_path`: up (its /healthz answers)
    until the block ends, then stopped."""
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "crimac.cli", "serve", "--port", str(port), "--log-level", "warning"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + wait
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"crimac serve did not start: {log_path.read_text()}")
                time.sleep(0.2)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@contextlib.contextmanager
def running_crimac(tmp: Path, *demo_args: str) -> Iterator[LiveCrimac]:
    """Migrate a fresh database, load the demo directory with `demo_args`, and serve it with
    `crimac serve` on a free loopback port until the block ends."""
    database_url, drop = _live_database(tmp)
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update({"CRIMAC_DATABASE_URL": database_url, "CRIMAC_DATA_DIR": str(tmp), "CRIMAC_ENV": "test"})
    port = free_port()
    live = LiveCrimac(f"http://127.0.0.1:{port}", env, database_url)
    try:
        live.crimac("migrate", "--verbosity", "0")
        live.crimac("demo", *demo_args)
        with serve_process(env, port, tmp / "server.log"):
            yield live
    finally:
        if drop is not None:
            drop()


@pytest.fixture(scope="session")
def live_crimac(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCrimac]:
    """`crimac serve` on a free loopback port with its own migrated database and demo directory."""
    with running_crimac(tmp_path_factory.mktemp("live"), "--per-district", "1", "--alerts", "0") as live:
        yield live


# --- a real browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if REQUIRE_SERVICES:
            pytest.fail(f"no chromium at {CHROMIUM} and CRIMAC_REQUIRE_SERVICES=1")
        pytest.skip(f"no chromium at {CHROMIUM}")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()
