"""Run the test suites: SQLite always; PostgreSQL (with Redis) and the browser when they are here.

Says loudly which suites it skipped and why. With CRIMAC_REQUIRE_SERVICES=1 (CI) a missing
service is a failure, not a skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIRE = os.environ.get("CRIMAC_REQUIRE_SERVICES") == "1"
PG_URL = os.environ.get("CRIMAC_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/crimac")
REDIS_URL = os.environ.get("CRIMAC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHROMIUM = os.environ.get("CRIMAC_CHROMIUM", "/usr/bin/chromium")


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def postgres_up() -> bool:
    try:
        import psycopg

        admin = PG_URL.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except Exception as exc:
        print(f"  PostgreSQL at {PG_URL}: {exc.__class__.__name__}: {exc}".rstrip())
        return False


def redis_up() -> bool:
    from urllib.parse import urlparse

    parsed = urlparse(REDIS_URL)
    return reachable(parsed.hostname or "127.0.0.1", parsed.port or 6379)


def ensure_chromium() -> bool:
    """Install Debian's chromium when it is missing and we may (root with apt-get)."""
    if Path(CHROMIUM).exists():
        return True
    if shutil.which("apt-get") and os.geteuid() == 0:
        print("chromium is missing: installing Debian's chromium package for the browser tests")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, check=False)
    return Path(CHROMIUM).exists()


def run_suite(name: str, env: dict[str, str], extra: list[str]) -> int:
    print(f"\n===== {name} suite =====", flush=True)
    cmd = [sys.executable, "-m", "pytest", *extra, *sys.argv[1:]]
    return subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode


def main() -> int:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CRIMAC_")}
    base["CRIMAC_ENV"] = "test"
    base["CRIMAC_REQUIRE_SERVICES"] = "1" if REQUIRE else "0"
    results: dict[str, str] = {}
    failed = False

    browser = ensure_chromium()
    pg = postgres_up()
    redis = redis_up()

    with tempfile.TemporaryDirectory(prefix="crimac-test-") as tmp:
        sqlite_env = {
            **base,
            "CRIMAC_DATA_DIR": f"{tmp}/sqlite",
            "CRIMAC_TEST_SQLITE_NAME": f"{tmp}/test.sqlite3",
        }
        sqlite_env["CRIMAC_BROWSER"] = "1" if browser else "0"
        # The Redis tests run with the PostgreSQL suite, which has CRIMAC_REDIS_URL set.
        code = run_suite(
            "SQLite", sqlite_env, ["-m", "not redis" if browser else "not redis and not browser"]
        )
        results["SQLite"] = "passed" if code == 0 else f"FAILED (exit {code})"
        failed |= code != 0
        if not browser:
            results["browser"] = f"SKIPPED: no chromium at {CHROMIUM}"

        if pg:
            pg_env = {
                **base,
                "CRIMAC_DATA_DIR": f"{tmp}/pg",
                "CRIMAC_DATABASE_URL": PG_URL,
                "CRIMAC_BROWSER": "0",
            }
            if redis:
                pg_env["CRIMAC_REDIS_URL"] = REDIS_URL
            markers = "not browser" if redis else "not browser and not redis"
            code = run_suite("PostgreSQL" + (" + Redis" if redis else ""), pg_env, ["-m", markers])
            results["PostgreSQL"] = "passed" if code == 0 else f"FAILED (exit {code})"
            failed |= code != 0
        else:
            results["PostgreSQL"] = f"SKIPPED: no PostgreSQL answering at {PG_URL}"
        if not redis:
            results["Redis"] = f"SKIPPED: no Redis answering at {REDIS_URL}"
        elif not pg:
            results["Redis"] = "SKIPPED: the Redis tests run with the PostgreSQL suite"

    print("\n===== summary =====")
    for name, result in results.items():
        print(f"  {name:<11} {result}")
    skipped = [name for name, result in results.items() if result.startswith("SKIPPED")]
    if skipped:
        banner = "!" * 70
        print(f"\n{banner}\n  SKIPPED SUITES: {', '.join(skipped)}\n{banner}")
        if REQUIRE:
            print("CRIMAC_REQUIRE_SERVICES=1: a skipped suite is a failure")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
