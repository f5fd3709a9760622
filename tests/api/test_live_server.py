"""Contract tests over real HTTP against `crimac serve` (its own database, `crimac demo
--per-district 1`): health, the OpenAPI document, API keys made on the command line, paging, and
logging in through the real form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.db import connection

pytestmark = pytest.mark.server

PROBLEM = "application/problem+json"
DEMO_PASSWORD = "crimac-demo"


@pytest.fixture
def http(live_crimac: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_crimac.base_url, timeout=30, follow_redirects=False) as client:
        yield client


def create_key(live_crimac: Any, agency: str, name: str) -> str:
    done = live_crimac.crimac("apikey", "create", "--agency", agency, "--name", name)
    key = done.stdout.strip()
    assert re.fullmatch(r"cmk_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}", key), done.stdout
    assert key not in done.stderr
    return key


def key_id(live_crimac: Any, agency: str, name: str, *, include_revoked: bool = False) -> int | None:
    args = ["apikey", "list", "--agency", agency] + (["--all"] if include_revoked else [])
    listing = live_crimac.crimac(*args).stdout.splitlines()
    assert listing[0].split()[:2] == ["id", "agency"], listing
    ids = [
        int(line.split()[0])
        for line in listing[1:]
        if line.split()[1] == agency and line.endswith(f" {name}")
    ]
    assert len(ids) <= 1, listing
    return ids[0] if ids else None


def assert_problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert body["status"] == status
    assert "Traceback" not in r.text
    return body


def test_healthz(http: httpx.Client) -> None:
    r = http.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_readyz_names_the_database(http: httpx.Client) -> None:
    r = http.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "database": connection.vendor}


def test_openapi_over_http(http: httpx.Client) -> None:
    r = http.get("/api/v1/openapi.json")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    paths = r.json()["paths"]
    for path in ["/api/v1/agencies", "/api/v1/agencies/{ref}", "/api/v1/me", "/api/v1/apikeys/{key_id}"]:
        assert path in paths


def test_anonymous_api_call_is_a_401_problem(http: httpx.Client) -> None:
    r = http.get("/api/v1/me")
    assert_problem(r, 401)
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_cli_key_authenticates_then_revocation_locks_it_out(live_crimac: Any, http: httpx.Client) -> None:
    key = create_key(live_crimac, "DL-HQ", "x")
    auth = {"Authorization": f"Bearer {key}"}

    r = http.get("/api/v1/me", headers=auth)
    assert r.status_code == 200, r.text
    me = r.json()
    assert me["is_system"] is True
    assert me["username"] == "system.dl-hq"
    assert me["agency"]["code"] == "DL-HQ"

    found = key_id(live_crimac, "DL-HQ", "x")
    assert found is not None
    listing = live_crimac.crimac("apikey", "list", "--agency", "DL-HQ").stdout
    assert key not in listing
    assert "never" not in next(line for line in listing.splitlines() if line.split()[0] == str(found))

    done = live_crimac.crimac("apikey", "revoke", str(found))
    assert f"revoked key {found}" in done.stdout
    assert key_id(live_crimac, "DL-HQ", "x") is None
    assert key_id(live_crimac, "DL-HQ", "x", include_revoked=True) == found

    body = assert_problem(http.get("/api/v1/me", headers=auth), 401)
    assert "revoked" in body["detail"]


def test_malformed_and_unknown_keys_over_http(http: httpx.Client) -> None:
    body = assert_problem(http.get("/api/v1/me", headers={"Authorization": "Bearer abc"}), 401)
    assert "malformed" in body["detail"]
    unknown = {"Authorization": "Bearer cmk_deadbeef_" + "A" * 43}
    assert "unknown" in assert_problem(http.get("/api/v1/me", headers=unknown), 401)["detail"]
    assert_problem(http.get("/api/v1/me", headers={"Authorization": "Basic eDp5"}), 401)


def test_paging_through_every_agency_reaches_the_count(live_crimac: Any, http: httpx.Client) -> None:
    auth = {"Authorization": f"Bearer {create_key(live_crimac, 'DL-HQ', 'pager')}"}
    codes: list[str] = []
    counts: set[int] = set()
    url: str | None = "/api/v1/agencies?limit=500"
    pages = 0
    while url is not None:
        r = http.get(url, headers=auth)
        assert r.status_code == 200, r.text[:500]
        page = r.json()
        counts.add(page["count"])
        codes += [a["code"] for a in page["results"]]
        url = page["next"]
        if url is not None:
            assert url.startswith(f"{live_crimac.base_url}/api/v1/agencies?"), url
        pages += 1
        assert pages < 100
    (count,) = counts
    in_db = live_crimac.crimac(
        "shell",
        "--no-imports",
        "-c",
        "from crimac.directory.models import Agency; print(Agency.objects.count())",
    )
    assert count == int(in_db.stdout.split()[-1])
    assert count > 1500, "the demo directory has every district's office, control room and AHTU"
    assert len(codes) == count
    assert len(set(codes)) == count
    assert codes == sorted(codes)
    assert pages == -(-count // 500)
    assert "DL-NEWDELHI-PS-001" in codes
    assert "DL-CENTRAL-PS-002" not in codes, "--per-district 1 makes one station per district"


def _login_form(http: httpx.Client) -> str:
    r = http.get("/login/")
    assert r.status_code == 200
    assert "csrftoken" in http.cookies
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.text)
    assert match, r.text[:1000]
    return match.group(1)


def test_login_through_the_real_form(http: httpx.Client) -> None:
    token = _login_form(http)
    r = http.post(
        "/login/", data={"csrfmiddlewaretoken": token, "username": "dl.sho", "password": DEMO_PASSWORD}
    )
    assert r.status_code == 302, r.text[:500]
    assert r.headers["location"] == "/"
    assert "sessionid" in http.cookies
    home = http.get("/")
    assert home.status_code == 200
    assert "DL-NEWDELHI-PS-001" in home.text
    assert "Delhi SHO" in home.text
    me = http.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["username"] == "dl.sho"


def test_login_with_the_wrong_password(http: httpx.Client) -> None:
    token = _login_form(http)
    r = http.post(
        "/login/", data={"csrfmiddlewaretoken": token, "username": "dl.sho", "password": "wrong-pass"}
    )
    assert r.status_code == 200
    assert 'role="alert"' in r.text
    assert "correct username and password" in r.text
    assert "sessionid" not in http.cookies
    assert http.get("/", follow_redirects=False).status_code == 302
    assert_problem(http.get("/api/v1/me"), 401)


def test_login_without_the_csrf_token_is_refused(http: httpx.Client) -> None:
    _login_form(http)
    r = http.post("/login/", data={"username": "dl.sho", "password": DEMO_PASSWORD})
    assert r.status_code == 403
    assert "sessionid" not in http.cookies


def test_session_write_over_http_needs_the_csrf_header(http: httpx.Client) -> None:
    token = _login_form(http)
    r = http.post(
        "/login/", data={"csrfmiddlewaretoken": token, "username": "dl.nodal", "password": DEMO_PASSWORD}
    )
    assert r.status_code == 302
    payload = {"agency": "DL-HQ", "name": "browser-made"}
    refused = http.post("/api/v1/apikeys", json=payload)
    assert "CSRF" in assert_problem(refused, 403)["detail"]
    created = http.post("/api/v1/apikeys", json=payload, headers={"X-CSRFToken": http.cookies["csrftoken"]})
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert http.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).json()["is_system"] is True
