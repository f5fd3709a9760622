"""Who may call the API: API keys (Bearer) and sessions (with CSRF on writes), and the permission
cases for every endpoint: anonymous, wrong role, another State, administrator."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest
from django.test import Client

from crimac.audit.models import AuditEvent
from crimac.directory.models import Agency, ApiKey, District, User

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert body["status"] == status
    assert "Traceback" not in response.content.decode()
    return body


def call(client: Client, method: str, url: str, data: Any = None, **extra: Any) -> Any:
    if data is None:
        return getattr(client, method)(url, **extra)
    return getattr(client, method)(url, data=json.dumps(data), content_type="application/json", **extra)


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def events(action: str, outcome: str = "success", **filters: Any) -> Any:
    return AuditEvent.objects.filter(action=action, outcome=outcome, **filters)


def new_station(code: str = "DL-NEWDELHI-PS-950", state: str = "DL", district_slug: str = "NEWDELHI") -> dict:
    district = District.objects.get(state__code=state, slug=district_slug)
    return {
        "code": code,
        "name": "Connaught Place Police Station",
        "kind": "police_station",
        "parent": f"{state}-{district_slug}-DPO",
        "state": state,
        "district": district.lgd_code,
    }


# --- every endpoint, every method ----------------------------------------------------------------

# (method, path template, concrete path, body). The templates must match the OpenAPI document.
ENDPOINTS = [
    ("get", "/api/v1/agencies", "/api/v1/agencies", None),
    ("post", "/api/v1/agencies", "/api/v1/agencies", "station"),
    ("get", "/api/v1/agencies/{ref}", "/api/v1/agencies/DL-HQ", None),
    ("patch", "/api/v1/agencies/{ref}", "/api/v1/agencies/DL-HQ", {"name": "Renamed"}),
    ("get", "/api/v1/geography/states", "/api/v1/geography/states", None),
    ("get", "/api/v1/geography/states/{code}/districts", "/api/v1/geography/states/DL/districts", None),
    ("get", "/api/v1/me", "/api/v1/me", None),
    ("get", "/api/v1/apikeys", "/api/v1/apikeys", None),
    ("post", "/api/v1/apikeys", "/api/v1/apikeys", {"agency": "DL-HQ", "name": "x"}),
    ("delete", "/api/v1/apikeys/{key_id}", "/api/v1/apikeys/KEY", None),
]


def _concrete(url: str, body: Any, key_id: int) -> tuple[str, Any]:
    return url.replace("KEY", str(key_id)), (new_station() if body == "station" else body)


def _schema_operations() -> list[tuple[str, str, list[str]]]:
    from crimac.api import api

    spec = api.get_openapi_schema(path_prefix="/api/v1/")
    return [
        (method, path, op.get("tags", []))
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _schema_params() -> list[Any]:
    return [
        pytest.param(method, path, id=f"{method.upper()} {path}") for method, path, _ in _schema_operations()
    ]


def _send(client: Client, method: str, path: str, **extra: Any) -> Any:
    url = re.sub(r"{[^}]+}", "1", path)
    if method == "get":
        return client.get(url, **extra)
    return getattr(client, method)(url, data="{}", content_type="application/json", **extra)


def test_endpoint_table_covers_every_directory_operation() -> None:
    directory = {(m, path) for m, path, tags in _schema_operations() if "directory" in tags}
    assert directory == {(m, template) for m, template, _, _ in ENDPOINTS}


@pytest.mark.parametrize(("method", "path"), _schema_params())
def test_anonymous_gets_401_for_every_operation_in_the_schema(client: Client, method: str, path: str) -> None:
    """Not only the directory: any endpoint any app adds under /api/v1/ must refuse strangers."""
    body = assert_problem(_send(client, method, path), 401)
    assert "Bearer" in body["detail"]


@pytest.mark.parametrize(("method", "path"), _schema_params())
def test_every_operation_in_the_schema_is_routed(client_for: Any, method: str, path: str) -> None:
    r = _send(client_for("admin"), method, path)
    assert r.status_code != 405, f"{method.upper()} {path} is documented but not routed"
    assert r.status_code < 500, r.content[:300]
    assert r["Content-Type"].startswith(("application/json", PROBLEM)), r["Content-Type"]


@pytest.mark.parametrize(("method", "template", "url", "body"), ENDPOINTS)
def test_anonymous_gets_401_everywhere(
    client: Client, api_key_for: Any, method: str, template: str, url: str, body: Any
) -> None:
    api_key_for("DL-HQ")
    key = ApiKey.objects.get(agency__code="DL-HQ")
    agencies_before = sorted(Agency.objects.values_list("code", "name"))
    url, body = _concrete(url, body, key.pk)
    problem = assert_problem(call(client, method, url, body), 401)
    assert "Bearer" in problem["detail"]
    assert sorted(Agency.objects.values_list("code", "name")) == agencies_before
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None
    assert ApiKey.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/api/v1/apikeys", {"agency": "DL-HQ", "name": "x"}),
        ("patch", "/api/v1/agencies/DL-HQ", {"name": "Renamed"}),
    ],
)
def test_anonymous_write_with_csrf_enforced_is_401(method: str, url: str, body: Any) -> None:
    assert_problem(call(Client(enforce_csrf_checks=True), method, url, body), 401)


@pytest.mark.parametrize(("method", "template", "url", "body"), ENDPOINTS)
def test_admin_may_call_every_endpoint(
    client_for: Any, api_key_for: Any, method: str, template: str, url: str, body: Any
) -> None:
    api_key_for("AS-HQ")
    key = ApiKey.objects.get(agency__code="AS-HQ")
    url, body = _concrete(url, body, key.pk)
    r = call(client_for("admin"), method, url, body)
    assert r.status_code in {200, 201}, r.content[:500]
    assert r["Content-Type"].startswith("application/json")


# --- wrong role ----------------------------------------------------------------------------------

WRONG_ROLE_CASES = [
    ("post", "/api/v1/agencies", "station", "agency.create"),
    ("patch", "/api/v1/agencies/DL-NEWDELHI-PS-001", {"name": "Renamed"}, "agency.update"),
    ("post", "/api/v1/apikeys", {"agency": "DL-NEWDELHI-PS-001", "name": "x"}, "apikey.create"),
    ("get", "/api/v1/apikeys", None, "apikey.list"),
    ("delete", "/api/v1/apikeys/KEY", None, "apikey.revoke"),
]


@pytest.mark.parametrize("username", ["dl.sho", "dl.sp", "analyst"])
@pytest.mark.parametrize(("method", "url", "body", "action"), WRONG_ROLE_CASES)
def test_wrong_role_is_403_and_audited_as_denied(
    client_for: Any,
    api_key_for: Any,
    username: str,
    method: str,
    url: str,
    body: Any,
    action: str,
) -> None:
    api_key_for("DL-NEWDELHI-PS-001")
    key = ApiKey.objects.get(agency__code="DL-NEWDELHI-PS-001")
    url, body = _concrete(url, body, key.pk)
    agencies_before = sorted(Agency.objects.values_list("code", "name"))
    denied_before = events(action, "denied", actor_name=username).count()

    problem = assert_problem(call(client_for(username), method, url, body), 403)

    assert problem["detail"] == "you may not do this"
    assert events(action, "denied", actor_name=username).count() == denied_before + 1
    row = events(action, "denied", actor_name=username).first()
    assert row.via == "api"
    assert row.actor == User.objects.get(username=username)
    assert sorted(Agency.objects.values_list("code", "name")) == agencies_before
    assert ApiKey.objects.count() == 1
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None


def test_api_key_account_is_an_officer_and_may_not_manage(client: Client, api_key_for: Any) -> None:
    raw = api_key_for("DL-HQ")
    r = call(client, "post", "/api/v1/apikeys", {"agency": "DL-HQ", "name": "mine"}, **bearer(raw))
    assert assert_problem(r, 403)["detail"] == "you may not do this"
    assert events("apikey.create", "denied", actor_name="system.dl-hq").count() == 1
    assert ApiKey.objects.count() == 1


# --- another State -------------------------------------------------------------------------------


def test_nodal_officer_may_not_create_a_key_for_another_state(client_for: Any) -> None:
    r = call(client_for("dl.nodal"), "post", "/api/v1/apikeys", {"agency": "AS-HQ", "name": "x"})
    assert_problem(r, 403)
    assert not ApiKey.objects.filter(agency__code="AS-HQ").exists()
    row = events("apikey.create", "denied", actor_name="dl.nodal").get()
    assert row.object_id == str(Agency.objects.get(code="AS-HQ").pk)


def test_nodal_officer_may_not_patch_another_states_agency(client_for: Any) -> None:
    r = call(client_for("dl.nodal"), "patch", "/api/v1/agencies/AS-HQ", {"name": "Taken over"})
    assert r.status_code in {403, 404}
    assert_problem(r, r.status_code)
    assert Agency.objects.get(code="AS-HQ").name == "Assam Police Headquarters"
    assert events("agency.update", "denied", actor_name="dl.nodal").count() == 1
    assert not events("agency.update", actor_name="dl.nodal").exists()


def test_nodal_officer_may_not_move_an_agency_into_another_state(client_for: Any) -> None:
    district = District.objects.get(state__code="AS", slug="KAMRUPMETRO")
    patch = {"state": "AS", "district": district.lgd_code, "parent": "AS-KAMRUPMETRO-DPO"}
    r = call(client_for("dl.nodal"), "patch", "/api/v1/agencies/DL-NEWDELHI-PS-002", patch)
    assert_problem(r, 403)
    moved = Agency.objects.select_related("state").get(code="DL-NEWDELHI-PS-002")
    assert moved.state.code == "DL"
    assert moved.parent.code == "DL-NEWDELHI-DPO"


def test_nodal_officer_may_not_create_an_agency_in_another_state(client_for: Any) -> None:
    station = new_station("AS-KAMRUPMETRO-PS-950", "AS", "KAMRUPMETRO")
    r = call(client_for("dl.nodal"), "post", "/api/v1/agencies", station)
    assert_problem(r, 403)
    assert not Agency.objects.filter(code="AS-KAMRUPMETRO-PS-950").exists()
    assert events("agency.create", "denied", actor_name="dl.nodal").count() == 1


def test_nodal_officer_may_not_revoke_another_states_key(client_for: Any, api_key_for: Any) -> None:
    api_key_for("AS-HQ")
    key = ApiKey.objects.get(agency__code="AS-HQ")
    r = call(client_for("dl.nodal"), "delete", f"/api/v1/apikeys/{key.pk}")
    assert r.status_code in {403, 404}
    assert_problem(r, r.status_code)
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None
    assert not events("apikey.revoke", object_id=str(key.pk)).exists()


def test_nodal_officer_lists_only_own_state_keys(client_for: Any, api_key_for: Any) -> None:
    api_key_for("DL-HQ", "delhi system")
    api_key_for("DL-NEWDELHI-PS-001", "station system")
    api_key_for("AS-HQ", "assam system")
    delhi = client_for("dl.nodal").get("/api/v1/apikeys").json()
    assert sorted(k["name"] for k in delhi) == ["delhi system", "station system"]
    assam = client_for("as.nodal").get("/api/v1/apikeys").json()
    assert [k["name"] for k in assam] == ["assam system"]
    everyone = client_for("admin").get("/api/v1/apikeys").json()
    assert sorted(k["name"] for k in everyone) == ["assam system", "delhi system", "station system"]


def test_admin_may_act_in_any_state(client_for: Any, api_key_for: Any) -> None:
    admin = client_for("admin")
    station = new_station("AS-KAMRUPMETRO-PS-950", "AS", "KAMRUPMETRO")
    assert call(admin, "post", "/api/v1/agencies", station).status_code == 201
    assert call(admin, "patch", "/api/v1/agencies/AS-HQ", {"name": "Assam HQ"}).status_code == 200
    assert Agency.objects.get(code="AS-HQ").name == "Assam HQ"
    created = call(admin, "post", "/api/v1/apikeys", {"agency": "AS-HQ", "name": "assam"})
    assert created.status_code == 201
    raw = api_key_for("DL-HQ")
    dl_key = ApiKey.objects.get(prefix=raw.split("_")[1])
    assert call(admin, "delete", f"/api/v1/apikeys/{dl_key.pk}").status_code == 200
    assert ApiKey.objects.get(pk=dl_key.pk).revoked_at is not None
    assert ApiKey.objects.get(pk=created.json()["id"]).created_by.username == "admin"


# --- API keys: create, list, use, revoke ---------------------------------------------------------


def test_create_key_returns_the_raw_key_once(client_for: Any) -> None:
    nodal = client_for("dl.nodal")
    r = call(nodal, "post", "/api/v1/apikeys", {"agency": "DL-NEWDELHI-PS-001", "name": "CCTNS bridge"})
    assert r.status_code == 201, r.content
    body = r.json()
    raw = body["key"]
    assert raw.startswith("cmk_")
    assert raw.split("_")[1] == body["prefix"]
    assert body["agency"]["code"] == "DL-NEWDELHI-PS-001"
    assert body["created_by"] == "dl.nodal"
    assert body["active"] is True
    assert body["last_used_at"] is None and body["revoked_at"] is None

    stored = ApiKey.objects.get(pk=body["id"])
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {stored.key_hash, stored.prefix, stored.name}
    audit = events("apikey.create", object_id=str(stored.pk)).get()
    assert audit.actor_name == "dl.nodal"
    assert audit.agency_code == "DL-NEWDELHI-PS-001"

    listing = nodal.get("/api/v1/apikeys")
    assert listing.status_code == 200
    assert raw not in listing.content.decode()
    assert stored.key_hash not in listing.content.decode()
    (item,) = [k for k in listing.json() if k["id"] == stored.pk]
    assert "key" not in item and "key_hash" not in item
    assert item["prefix"] == body["prefix"]
    assert item["name"] == "CCTNS bridge"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"agency": "NO-SUCH", "name": "x"}, "agency"),
        ({"agency": "DL-HQ", "name": ""}, "name"),
        ({"agency": "DL-HQ", "name": "x" * 101}, "name"),
        ({"agency": "DL-HQ", "name": "   "}, "name"),
    ],
)
def test_create_key_with_bad_input_is_a_422(client_for: Any, data: dict, field: str) -> None:
    body = assert_problem(call(client_for("dl.nodal"), "post", "/api/v1/apikeys", data), 422)
    assert field in [e["field"] for e in body["errors"]]
    assert ApiKey.objects.count() == 0
    assert not events("apikey.create").exists()


def test_bearer_key_authenticates_as_the_agency_system_account(client: Client, api_key_for: Any) -> None:
    raw = api_key_for("DL-NEWDELHI-PS-001")
    r = client.get("/api/v1/me", **bearer(raw))
    assert r.status_code == 200, r.content
    me = r.json()
    assert me["is_system"] is True
    assert me["username"] == "system.dl-newdelhi-ps-001"
    assert me["agency"]["code"] == "DL-NEWDELHI-PS-001"
    assert me["role"] == "officer"
    assert "manage_api_keys" not in me["permissions"]


def test_bearer_scheme_is_case_insensitive(client: Client, api_key_for: Any) -> None:
    raw = api_key_for("DL-HQ")
    r = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"bearer {raw}")
    assert r.status_code == 200
    assert r.json()["agency"]["code"] == "DL-HQ"


def test_last_used_is_set_and_use_is_audited_once_per_interval(client: Client, api_key_for: Any) -> None:
    raw = api_key_for("DL-HQ")
    key = ApiKey.objects.get(prefix=raw.split("_")[1])
    assert key.last_used_at is None
    assert client.get("/api/v1/me", **bearer(raw)).status_code == 200
    key.refresh_from_db()
    first_use = key.last_used_at
    assert first_use is not None
    use = events("apikey.use", object_id=str(key.pk)).get()
    assert use.actor_name == "system.dl-hq"
    assert use.via == "api"
    assert client.get("/api/v1/agencies?limit=1", **bearer(raw)).status_code == 200
    key.refresh_from_db()
    assert key.last_used_at == first_use
    assert events("apikey.use", object_id=str(key.pk)).count() == 1


def test_every_use_is_recorded_when_the_interval_is_zero(
    client: Client, api_key_for: Any, settings: Any
) -> None:
    settings.API_KEY_TOUCH_SECONDS = 0
    raw = api_key_for("DL-HQ")
    for _ in range(3):
        assert client.get("/api/v1/me", **bearer(raw)).status_code == 200
    assert events("apikey.use", agency_code="DL-HQ").count() == 3


def test_listing_shows_last_used(client: Client, client_for: Any, api_key_for: Any) -> None:
    raw = api_key_for("DL-HQ")
    assert client.get("/api/v1/me", **bearer(raw)).status_code == 200
    (item,) = client_for("dl.nodal").get("/api/v1/apikeys").json()
    assert item["last_used_at"] is not None


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Bearer abc", "malformed"),
        ("Bearer cmk_abc", "malformed"),
        ("Bearer cmk_abcdefgh_short", "malformed"),
        ("Bearer xyz_abcdefgh_" + "a" * 43, "malformed"),
        ("Bearer cmk_abcdefgh_" + "a" * 43 + "_extra", "malformed"),
    ],
)
def test_malformed_key_is_401_and_audited_as_failed(client: Client, header: str, detail: str) -> None:
    r = client.get("/api/v1/me", HTTP_AUTHORIZATION=header)
    body = assert_problem(r, 401)
    assert detail in body["detail"]
    assert r["WWW-Authenticate"].startswith("Bearer")
    row = events("apikey.use", "failed").get()
    assert row.detail == {"reason": "malformed"}
    assert row.actor is None


def test_unknown_well_formed_key_is_401(client: Client) -> None:
    body = assert_problem(client.get("/api/v1/me", **bearer("cmk_deadbeef_" + "A" * 43)), 401)
    assert "unknown" in body["detail"]
    row = events("apikey.use", "failed").get()
    assert row.detail == {"reason": "unknown", "prefix": "deadbeef"}


def test_real_prefix_with_wrong_secret_is_401(client: Client, api_key_for: Any) -> None:
    raw = api_key_for("DL-HQ")
    forged = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
    body = assert_problem(client.get("/api/v1/me", **bearer(forged)), 401)
    assert "unknown" in body["detail"]
    assert ApiKey.objects.get(prefix=raw.split("_")[1]).last_used_at is None


@pytest.mark.parametrize(
    "header", ["Basic x", "Basic ZGwuc2hvOmNyaW1hYy1kZW1v", "Token abc", "Bearer", "Bearer "]
)
def test_wrong_scheme_is_401(client: Client, header: str) -> None:
    body = assert_problem(client.get("/api/v1/me", HTTP_AUTHORIZATION=header), 401)
    assert "Bearer" in body["detail"]


def test_wrong_scheme_is_401_even_with_a_session(client_for: Any) -> None:
    r = client_for("dl.nodal").get("/api/v1/me", HTTP_AUTHORIZATION="Basic x")
    assert_problem(r, 401)


def test_revoked_key_is_401_and_audited_as_denied(client: Client, client_for: Any) -> None:
    nodal = client_for("dl.nodal")
    created = call(nodal, "post", "/api/v1/apikeys", {"agency": "DL-HQ", "name": "to revoke"}).json()
    raw = created["key"]
    assert client.get("/api/v1/me", **bearer(raw)).status_code == 200

    r = nodal.delete(f"/api/v1/apikeys/{created['id']}")
    assert r.status_code == 200, r.content
    assert r.json()["active"] is False
    assert r.json()["revoked_at"] is not None
    revoke = events("apikey.revoke", object_id=str(created["id"])).get()
    assert revoke.actor_name == "dl.nodal"

    body = assert_problem(client.get("/api/v1/me", **bearer(raw)), 401)
    assert "revoked" in body["detail"]
    denied = events("apikey.use", "denied", object_id=str(created["id"])).get()
    assert denied.detail == {"reason": "revoked"}
    assert denied.agency_code == "DL-HQ"


def test_revoking_twice_keeps_the_first_revocation_time(client_for: Any, api_key_for: Any) -> None:
    api_key_for("DL-HQ")
    key = ApiKey.objects.get(agency__code="DL-HQ")
    nodal = client_for("dl.nodal")
    first = nodal.delete(f"/api/v1/apikeys/{key.pk}").json()["revoked_at"]
    second = nodal.delete(f"/api/v1/apikeys/{key.pk}")
    assert second.status_code == 200
    assert second.json()["revoked_at"] == first


def test_revoking_a_missing_key_is_404(client_for: Any) -> None:
    assert_problem(client_for("dl.nodal").delete("/api/v1/apikeys/987654321"), 404)


def test_key_of_a_deactivated_agency_stops_working(client: Client, api_key_for: Any) -> None:
    raw = api_key_for("DL-NEWDELHI-PS-002")
    assert client.get("/api/v1/me", **bearer(raw)).status_code == 200
    Agency.objects.filter(code="DL-NEWDELHI-PS-002").update(active=False)
    assert_problem(client.get("/api/v1/me", **bearer(raw)), 401)


# --- sessions and CSRF ---------------------------------------------------------------------------


@pytest.fixture
def csrf_client(user_named: Any) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_named("dl.nodal"))
    return client


def _csrf_token(client: Client) -> str:
    assert client.get("/").status_code == 200
    return client.cookies["csrftoken"].value


def test_session_reads_need_no_csrf_token(csrf_client: Client) -> None:
    r = csrf_client.get("/api/v1/me")
    assert r.status_code == 200
    assert r.json()["username"] == "dl.nodal"
    assert r.json()["is_system"] is False


def test_session_write_without_csrf_token_is_refused(csrf_client: Client) -> None:
    r = call(csrf_client, "post", "/api/v1/apikeys", {"agency": "DL-HQ", "name": "x"})
    assert "CSRF" in assert_problem(r, 403)["detail"]
    r = call(csrf_client, "patch", "/api/v1/agencies/DL-HQ", {"name": "No token"})
    assert "CSRF" in assert_problem(r, 403)["detail"]
    assert ApiKey.objects.count() == 0
    assert Agency.objects.get(code="DL-HQ").name == "Delhi Police Headquarters"


def test_session_write_with_a_wrong_csrf_token_is_refused(csrf_client: Client) -> None:
    _csrf_token(csrf_client)
    r = call(
        csrf_client,
        "post",
        "/api/v1/apikeys",
        {"agency": "DL-HQ", "name": "x"},
        HTTP_X_CSRFTOKEN="x" * 32,
    )
    assert_problem(r, 403)
    assert ApiKey.objects.count() == 0


def test_session_write_with_csrf_token_succeeds(csrf_client: Client) -> None:
    token = _csrf_token(csrf_client)
    r = call(csrf_client, "post", "/api/v1/apikeys", {"agency": "DL-HQ", "name": "x"}, HTTP_X_CSRFTOKEN=token)
    assert r.status_code == 201, r.content
    key_id = r.json()["id"]
    r = call(csrf_client, "patch", "/api/v1/agencies/DL-HQ", {"name": "With token"}, HTTP_X_CSRFTOKEN=token)
    assert r.status_code == 200
    assert Agency.objects.get(code="DL-HQ").name == "With token"
    r = csrf_client.delete(f"/api/v1/apikeys/{key_id}", HTTP_X_CSRFTOKEN=token)
    assert r.status_code == 200
    assert ApiKey.objects.get(pk=key_id).revoked_at is not None


def test_bearer_writes_need_no_csrf_token(api_key_for: Any) -> None:
    raw = api_key_for("DL-HQ")
    client = Client(enforce_csrf_checks=True)
    r = call(client, "post", "/api/v1/apikeys", {"agency": "DL-HQ", "name": "x"}, **bearer(raw))
    # Refused for want of permission (the system account is an officer), not for want of a token.
    assert assert_problem(r, 403)["detail"] == "you may not do this"


def test_no_key_for_an_inactive_agency(client_for: Any) -> None:
    Agency.objects.filter(code="DL-NEWDELHI-PS-002").update(active=False)
    r = call(client_for("dl.nodal"), "post", "/api/v1/apikeys", {"agency": "DL-NEWDELHI-PS-002", "name": "x"})
    body = assert_problem(r, 422)
    assert [e["field"] for e in body["errors"]] == ["agency"]
    assert "not active" in body["errors"][0]["message"]
    assert ApiKey.objects.count() == 0
