"""Overload is a 503 with Retry-After, never a 500: a request that cannot get a database connection
in time (psycopg's pool timing out) is answered "come back shortly", and logged.

The end-to-end test runs `crimac serve` on PostgreSQL with a pool of one connection and a
one-second timeout, makes one request hold that connection (blocked on a table lock the test
holds from its own connection), and sends more requests meanwhile. The in-process tests raise a
real `PoolTimeout` from a pool that cannot connect (nothing listens on its port).
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import include, path

from tests.conftest import DEMO_PASSWORD, LiveCrimac, free_port, serve_process

# --- a real PoolTimeout, in process -------------------------------------------------------------


@pytest.fixture(scope="module")
def starved_pool() -> Iterator[Any]:
    """A real psycopg pool of one connection to a port where nothing listens: `getconn` waits
    its timeout and raises PoolTimeout."""
    from psycopg_pool import ConnectionPool

    pool = ConnectionPool(
        f"host=127.0.0.1 port={free_port()} connect_timeout=1",
        min_size=0,
        max_size=1,
        timeout=0.2,
        reconnect_timeout=1,
        open=True,
    )
    try:
        yield pool
    finally:
        pool.close()


def _starved_view(request: HttpRequest) -> HttpResponse:
    with _POOL[0].connection():
        return HttpResponse("unreachable")


_POOL: list[Any] = []

urlpatterns = [
    path("starved/", _starved_view),
    path("api/v1/starved", _starved_view),
    path("", include("crimac.urls")),
]


@pytest.fixture
def starved(starved_pool: Any) -> Iterator[Any]:
    _POOL[:] = [starved_pool]
    yield starved_pool
    _POOL.clear()


def _pool_timeout(pool: Any) -> BaseException:
    try:
        pool.getconn()
    except Exception as exc:
        return exc
    raise AssertionError("the pool gave a connection although nothing listens")


def test_a_pool_timeout_is_overload_also_when_django_wraps_it(starved: Any) -> None:
    from psycopg_pool import PoolTimeout

    from crimac.middleware import is_overload

    raw = _pool_timeout(starved)
    assert isinstance(raw, PoolTimeout)
    assert is_overload(raw)
    # What Django's wrap_database_errors raises: its own OperationalError, caused by psycopg's.
    wrapped = OperationalError(str(raw))
    wrapped.__cause__ = raw
    assert is_overload(wrapped)
    assert not is_overload(OperationalError("server closed the connection unexpectedly"))
    assert not is_overload(ValueError("x"))


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_a_page_that_gets_no_connection_is_a_503_page_with_retry_after(
    client: Any, starved: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="crimac.overload"):
        response = client.get("/starved/")
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert response["Content-Type"].startswith("text/html")
    assert b"try again" in response.content
    assert any("overloaded: GET /starved/" in r.getMessage() for r in caplog.records)


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_an_api_path_that_gets_no_connection_is_a_503_problem(client: Any, starved: Any) -> None:
    response = client.get("/api/v1/starved")
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 503
    assert "overloaded" in body["detail"]


def test_the_api_error_handler_answers_503_for_overload_and_500_otherwise(starved: Any) -> None:
    """Errors raised inside ninja (authentication, handlers) reach `CrimacAPI.on_exception`,
    not the middleware."""
    from crimac.api import api

    request = RequestFactory().get("/api/v1/alerts")
    overload = api.on_exception(request, _pool_timeout(starved))
    assert overload.status_code == 503
    assert "Retry-After" in overload
    bug = api.on_exception(request, RuntimeError("a bug"))
    assert bug.status_code == 500
    assert "Retry-After" not in bug


def test_handler500_answers_503_for_overload_raised_outside_a_view(starved: Any) -> None:
    from crimac.middleware import server_error

    request = RequestFactory().get("/alerts/")
    try:
        raise OperationalError("no connection") from _pool_timeout(starved)
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    assert "Retry-After" in response


# --- end to end: crimac serve on PostgreSQL with a pool of one ----------------------------------


@contextlib.contextmanager
def _serve(live: LiveCrimac, tmp: Path, **env: str) -> Iterator[tuple[str, Path]]:
    port = free_port()
    log_path = tmp / "overload-server.log"
    full_env = {**live.env, **{f"CRIMAC_{k}": v for k, v in env.items()}}
    with serve_process(full_env, port, log_path, wait=60):
        yield f"http://127.0.0.1:{port}", log_path


def _wait_for_lock_waiter(conn: Any, database: str) -> None:
    """Until a session of the server waits on our lock (it then holds the pool's only connection)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
            [database],
        ).fetchone()
        if row[0]:
            return
        time.sleep(0.05)
    raise AssertionError("the first request never reached the locked table")


def test_pool_exhaustion_on_a_live_server_is_503_with_retry_after(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    from django.conf import settings

    if not settings.DATABASE_URL.startswith("postgres"):
        pytest.skip("the connection pool exists on PostgreSQL only")
    live_crimac: LiveCrimac = request.getfixturevalue("live_crimac")
    import httpx
    import psycopg

    key = live_crimac.crimac("apikey", "create", "--agency", "DL-HQ", "--name", "overload").stdout
    key = key.strip().splitlines()[-1]
    database = live_crimac.database_url.rsplit("/", 1)[1]
    bearer = {"Authorization": f"Bearer {key}"}
    with _serve(live_crimac, tmp_path, DB_POOL_MIN="1", DB_POOL_MAX="1", DB_POOL_TIMEOUT="1") as (
        base,
        log_path,
    ):
        browser = httpx.Client(base_url=base, timeout=60)
        page = browser.get("/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token is not None
        signed_in = browser.post(
            "/login/",
            data={"username": "dl.sho", "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        )
        assert signed_in.status_code == 302, signed_in.text[:300]

        holder_result: dict[str, Any] = {}
        with psycopg.connect(live_crimac.database_url) as locker:
            locker.execute("LOCK TABLE directory_apikey IN ACCESS EXCLUSIVE MODE")

            def hold() -> None:
                with httpx.Client(base_url=base, timeout=60, headers=bearer) as http:
                    holder_result["response"] = http.get("/api/v1/alerts/categories")

            holder = threading.Thread(target=hold)
            holder.start()
            try:
                with psycopg.connect(live_crimac.database_url, autocommit=True) as watcher:
                    _wait_for_lock_waiter(watcher, database)
                with httpx.Client(base_url=base, timeout=60, headers=bearer) as http:
                    api_answer = http.get("/api/v1/alerts/categories")
                page_answer = browser.get("/alerts/")
            finally:
                locker.rollback()  # releases the lock: the held request finishes
                holder.join(timeout=60)

        assert api_answer.status_code == 503, api_answer.text[:500]
        assert int(api_answer.headers["Retry-After"]) >= 1
        assert api_answer.headers["Content-Type"] == "application/problem+json"
        assert "overloaded" in api_answer.json()["detail"]

        assert page_answer.status_code == 503, page_answer.text[:500]
        assert int(page_answer.headers["Retry-After"]) >= 1
        assert page_answer.headers["Content-Type"].startswith("text/html")

        # The request that held the connection was only slow, and the server recovers.
        assert holder_result["response"].status_code == 200
        assert browser.get("/alerts/").status_code == 200
        with httpx.Client(base_url=base, timeout=60, headers=bearer) as http:
            assert http.get("/api/v1/alerts/categories").status_code == 200
        browser.close()
    log_text = log_path.read_text()
    assert "overloaded: GET /api/v1/alerts/categories answered 503" in log_text
    assert "overloaded: GET /alerts/ answered 503" in log_text
    assert "Traceback" not in log_text


# --- the middleware chain runs in one thread ----------------------------------------------------


def test_every_middleware_runs_synchronously_under_asgi(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Under ASGI, Django adapts between sync and async wherever the chain changes mode, and
    async-mode middleware sends each of its methods to the request's thread and back. With the
    sync-only OverloadMiddleware innermost, the chain changes mode only at its two ends: below
    OverloadMiddleware (logged), and at the top of the stack (not logged)."""
    from django.core.handlers.asgi import ASGIHandler

    settings.DEBUG = True  # Django logs its adaptations only then
    with caplog.at_level(logging.DEBUG, logger="django.request"):
        ASGIHandler()
    adapted = [r.getMessage() for r in caplog.records if "adapted for" in r.getMessage()]
    assert adapted == ["Asynchronous handler adapted for middleware crimac.middleware.OverloadMiddleware."]
    assert settings.MIDDLEWARE[-1] == "crimac.middleware.OverloadMiddleware"
