"""Every API error is an RFC 9457 problem: `application/problem+json` with type, title, status,
detail and instance, a field path for every validation error, and never a stack trace."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from crimac.audit.models import AuditEvent
from crimac.directory.models import Agency, ApiKey

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}
ERROR_KEYS = {"field", "pointer", "in", "message"}
TRACE_MARKERS = ("Traceback", 'File "', ".py", "site-packages", "Exception", "Error:")


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The response is a problem+json of `status` with every RFC 9457 member; returns the body."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert set(body) >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["instance"] == response.wsgi_request.path
    assert_no_trace(response)
    return body


def assert_no_trace(response: Any) -> None:
    text = response.content.decode(errors="replace")
    for marker in TRACE_MARKERS:
        assert marker not in text, f"{marker!r} in {text[:500]}"


def assert_field_errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    errors = body.get("errors")
    assert isinstance(errors, list) and errors, body
    for err in errors:
        assert set(err) == ERROR_KEYS, err
        assert err["pointer"].startswith("#/"), err
        assert err["in"] in {"query", "body", "path", "header"}, err
        assert isinstance(err["message"], str) and err["message"], err
    return errors


def error_for(body: dict[str, Any], field: str) -> dict[str, Any]:
    errors = assert_field_errors(body)
    matching = [e for e in errors if e["field"] == field]
    assert matching, f"no error for {field!r} in {errors}"
    return matching[0]


@pytest.fixture
def nodal(client_for: Any) -> Client:
    return client_for("dl.nodal")


def post_json(client: Client, url: str, data: Any, method: str = "post") -> Any:
    payload = data if isinstance(data, str | bytes) else json.dumps(data)
    return getattr(client, method)(url, data=payload, content_type="application/json")


# --- each kind of error --------------------------------------------------------------------------


def test_unauthenticated_is_a_401_problem_with_a_challenge(client: Client) -> None:
    r = client.get("/api/v1/agencies")
    body = assert_problem(r, 401)
    assert body["title"] == "Not authenticated"
    assert r["WWW-Authenticate"].startswith("Bearer")
    assert "errors" not in body


def test_bad_credential_is_a_401_problem(client: Client) -> None:
    body = assert_problem(client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer abc"), 401)
    assert "malformed" in body["detail"]


def test_forbidden_is_a_403_problem(client_for: Any) -> None:
    body = assert_problem(client_for("dl.sho").get("/api/v1/apikeys"), 403)
    assert body["title"] == "Forbidden"


def test_not_found_is_a_404_problem(nodal: Client) -> None:
    body = assert_problem(nodal.get("/api/v1/agencies/NO-SUCH-AGENCY"), 404)
    assert body["title"] == "Not found"
    assert "NO-SUCH-AGENCY" not in body["detail"]


def test_unknown_state_for_districts_is_a_404_problem(nodal: Client) -> None:
    assert_problem(nodal.get("/api/v1/geography/states/ZZ/districts"), 404)


@pytest.mark.parametrize(
    ("query", "field", "in_message"),
    [
        ("state=ZZ", "state", "ZZ"),
        ("district=999999", "district", "999999"),
        ("parent=NOPE", "parent", "NOPE"),
        ("district=abc", "district", "integer"),
        ("active=maybe", "active", "boolean"),
        ("limit=abc", "limit", "integer"),
        ("q=" + "x" * 101, "q", "100"),
        ("district=99999999999999999999999", "district", "less than or equal to 2147483647"),
        ("parent=99999999999999999999999", "parent", "99999999999999999999999"),
    ],
)
def test_bad_query_filter_is_a_422_naming_the_field(
    nodal: Client, query: str, field: str, in_message: str
) -> None:
    body = assert_problem(nodal.get(f"/api/v1/agencies?{query}"), 422)
    assert body["title"] == "Invalid input"
    err = error_for(body, field)
    assert err["pointer"] == f"#/{field}"
    assert err["in"] == "query"
    assert in_message in err["message"]


def test_unknown_kind_is_a_422_in_the_query(nodal: Client) -> None:
    body = assert_problem(nodal.get("/api/v1/agencies?kind=police_station&kind=bogus"), 422)
    errors = assert_field_errors(body)
    assert [e["in"] for e in errors] == ["query"]
    assert "police_station" in errors[0]["message"]


def test_unknown_kind_names_the_kind_field(nodal: Client) -> None:
    body = assert_problem(nodal.get("/api/v1/agencies?kind=police_station&kind=bogus"), 422)
    err = assert_field_errors(body)[0]
    assert err["field"].split(".")[0] == "kind"
    assert err["pointer"].startswith("#/kind")


@pytest.mark.parametrize("limit", [0, -1, 501, 10_000])
def test_limit_out_of_range_is_a_422_naming_the_limit_field(nodal: Client, limit: int) -> None:
    body = assert_problem(nodal.get(f"/api/v1/agencies?limit={limit}"), 422)
    err = error_for(body, "limit")
    assert err["pointer"] == "#/limit"
    assert err["in"] == "query"
    assert "500" in err["message"]


@pytest.mark.parametrize("limit", [1, 500])
def test_limit_at_the_bounds_is_accepted(nodal: Client, limit: int) -> None:
    r = nodal.get(f"/api/v1/agencies?limit={limit}")
    assert r.status_code == 200
    assert len(r.json()["results"]) == limit


@pytest.mark.parametrize("cursor", ["abcd", "a", "%C3%A9t%C3%A9", "QUJD%FF", "____x", "!!!!", "QU+JD"])
def test_bad_cursor_is_a_400_problem(nodal: Client, cursor: str) -> None:
    body = assert_problem(nodal.get(f"/api/v1/agencies?cursor={cursor}"), 400)
    assert "cursor" in body["detail"]


def test_malformed_json_body_is_a_400_problem(nodal: Client) -> None:
    before = Agency.objects.count()
    body = assert_problem(post_json(nodal, "/api/v1/agencies", "{not json"), 400)
    assert "parse" in body["detail"]
    assert Agency.objects.count() == before


def test_form_encoded_body_is_a_400_problem(nodal: Client) -> None:
    r = nodal.post(
        "/api/v1/apikeys", data="agency=DL-HQ&name=x", content_type="application/x-www-form-urlencoded"
    )
    assert "parse" in assert_problem(r, 400)["detail"]
    assert not ApiKey.objects.filter(name="x").exists()


def test_multipart_body_to_a_json_endpoint_is_a_415_problem(nodal: Client) -> None:
    r = nodal.post("/api/v1/apikeys", data={"agency": "DL-HQ", "name": "x"})
    assert_problem(r, 415)
    assert not ApiKey.objects.filter(name="x").exists()


def test_json_body_of_the_wrong_shape_is_a_422(nodal: Client) -> None:
    body = assert_problem(post_json(nodal, "/api/v1/apikeys", [1, 2]), 422)
    assert_field_errors(body)


def test_empty_body_is_a_422(nodal: Client) -> None:
    body = assert_problem(post_json(nodal, "/api/v1/apikeys", ""), 422)
    assert [e["in"] for e in assert_field_errors(body)] == ["body"]


def test_missing_body_field_is_a_422_naming_it(nodal: Client) -> None:
    body = assert_problem(post_json(nodal, "/api/v1/apikeys", {"agency": "DL-HQ"}), 422)
    err = error_for(body, "name")
    assert err["pointer"] == "#/name"
    assert err["in"] == "body"
    assert "required" in err["message"].lower()


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("post", "/api/v1/apikeys", {"agency": "DL-HQ", "name": "x", "scopes": ["all"]}),
        ("patch", "/api/v1/agencies/DL-HQ", {"name": "New name", "scopes": ["all"]}),
        (
            "post",
            "/api/v1/agencies",
            {
                "code": "DL-NEWDELHI-PS-901",
                "name": "Extra Police Station",
                "kind": "police_station",
                "parent": "DL-NEWDELHI-DPO",
                "state": "DL",
                "district": 79,
                "scopes": ["all"],
            },
        ),
    ],
)
def test_unknown_body_field_is_a_422_and_nothing_is_written(
    nodal: Client, method: str, url: str, data: dict[str, Any]
) -> None:
    agencies = sorted(Agency.objects.values_list("code", "name"))
    keys, events = ApiKey.objects.count(), AuditEvent.objects.count()
    body = assert_problem(post_json(nodal, url, data, method), 422)
    err = error_for(body, "scopes")
    assert err["pointer"] == "#/scopes"
    assert err["in"] == "body"
    assert "not permitted" in err["message"]
    assert sorted(Agency.objects.values_list("code", "name")) == agencies
    assert (ApiKey.objects.count(), AuditEvent.objects.count()) == (keys, events)


def test_nested_body_error_has_a_json_pointer(nodal: Client) -> None:
    body = assert_problem(post_json(nodal, "/api/v1/agencies/DL-HQ", {"name": ""}, "patch"), 422)
    err = error_for(body, "name")
    assert err["pointer"] == "#/name"


def test_bad_path_parameter_is_a_422_in_the_path(nodal: Client) -> None:
    body = assert_problem(nodal.delete("/api/v1/apikeys/abc"), 422)
    err = error_for(body, "key_id")
    assert err["in"] == "path"
    assert err["pointer"] == "#/key_id"


def test_django_validation_error_becomes_field_errors(nodal: Client) -> None:
    r = post_json(nodal, "/api/v1/agencies/DL-NEWDELHI-PS-001", {"latitude": "40.5"}, "patch")
    body = assert_problem(r, 422)
    err = error_for(body, "latitude")
    assert err["pointer"] == "#/latitude"
    assert err["in"] == "body"


def test_pointer_escapes_slash_and_tilde() -> None:
    from crimac.api.problems import field_error

    assert field_error(["a/b", "c~d", 0], "m")["pointer"] == "#/a~1b/c~0d/0"
    assert field_error([], "m", location="query") == {
        "field": "query",
        "pointer": "#/",
        "in": "query",
        "message": "m",
    }


# --- 404s say nothing about why ------------------------------------------------------------------


def _without_instance(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "instance"}


@pytest.mark.parametrize(
    "ref",
    ["NO-SUCH-AGENCY", "no-such-agency", "999999999", "99999999999999999999999", "0", "%20", "DL-HQ-"],
)
def test_unknown_agency_404_is_the_same_whatever_the_reason(nodal: Client, ref: str) -> None:
    reference = _without_instance(assert_problem(nodal.get("/api/v1/agencies/NOPE"), 404))
    body = assert_problem(nodal.get(f"/api/v1/agencies/{ref}"), 404)
    assert _without_instance(body) == reference


def test_unknown_agency_404_is_the_same_for_patch(nodal: Client) -> None:
    reference = _without_instance(assert_problem(nodal.get("/api/v1/agencies/NOPE"), 404))
    body = assert_problem(post_json(nodal, "/api/v1/agencies/NOPE", {"name": "x"}, "patch"), 404)
    assert _without_instance(body) == reference


def test_out_of_scope_key_404_is_identical_to_missing_key(nodal: Client, api_key_for: Any) -> None:
    api_key_for("AS-HQ")
    assam_key = ApiKey.objects.get(agency__code="AS-HQ")
    missing = assert_problem(nodal.delete("/api/v1/apikeys/987654321"), 404)
    hidden = assert_problem(nodal.delete(f"/api/v1/apikeys/{assam_key.pk}"), 404)
    assert _without_instance(hidden) == _without_instance(missing)
    assert ApiKey.objects.get(pk=assam_key.pk).revoked_at is None


@pytest.mark.parametrize("ref", ["%C2%B2", "%E2%91%A0"])
def test_unicode_digit_agency_ref_is_a_404(nodal: Client, ref: str) -> None:
    reference = _without_instance(assert_problem(nodal.get("/api/v1/agencies/NOPE"), 404))
    assert _without_instance(assert_problem(nodal.get(f"/api/v1/agencies/{ref}"), 404)) == reference


def test_unicode_digit_parent_filter_is_a_422(nodal: Client) -> None:
    body = assert_problem(nodal.get("/api/v1/agencies?parent=%C2%B2"), 422)
    error_for(body, "parent")


# --- never a stack trace -------------------------------------------------------------------------

NASTY_REQUESTS = [
    ("get", "/api/v1/agencies/%C2%B2", None),
    ("get", "/api/v1/agencies?parent=%C2%B2", None),
    ("get", "/api/v1/agencies?cursor=AA", None),
    ("get", "/api/v1/agencies?q=%00", None),
    ("get", "/api/v1/agencies?state=%00", None),
    ("get", "/api/v1/agencies/%00", None),
    ("get", "/api/v1/agencies?kind=%00", None),
    ("post", "/api/v1/agencies", "{"),
    ("post", "/api/v1/agencies", '{"code": null}'),
    ("post", "/api/v1/agencies", '{"code": "X", "name": "y", "kind": "police_station", "latitude": 1e400}'),
    ("patch", "/api/v1/agencies/DL-HQ", '{"latitude": "NaN", "longitude": "Infinity"}'),
    ("patch", "/api/v1/agencies/DL-HQ", '{"parent": "DL-HQ"}'),
    ("patch", "/api/v1/agencies/DL-HQ", '{"district": -5}'),
    ("post", "/api/v1/apikeys", '{"agency": "' + "9" * 40 + '", "name": "x"}'),
    ("delete", "/api/v1/apikeys/99999999999999999999999", None),
]


@pytest.mark.parametrize(("method", "url", "data"), NASTY_REQUESTS)
def test_no_stack_trace_in_any_error_body(
    nodal: Client, caplog: pytest.LogCaptureFixture, method: str, url: str, data: str | None
) -> None:
    caplog.set_level(logging.ERROR, logger="crimac.api")
    kwargs: dict[str, Any] = {"data": data, "content_type": "application/json"} if data else {}
    r = getattr(nodal, method)(url, **kwargs)
    assert r.status_code >= 400 or method == "get"
    assert_no_trace(r)
    if r.status_code >= 400:
        body = assert_problem(r, r.status_code)
        if r.status_code == 500:
            # The trace goes to the log under the incident id the caller is told; not to the caller.
            assert body["incident"] in body["detail"]
            logged = [rec for rec in caplog.records if body["incident"] in rec.getMessage()]
            assert logged and logged[0].exc_info is not None


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", "/api/v1/agencies?q=%00", None),
        ("get", "/api/v1/agencies?state=%00", None),
        ("get", "/api/v1/agencies?parent=DL%00HQ", None),
        ("get", "/api/v1/agencies/%00", None),
        ("patch", "/api/v1/agencies/DL-HQ", '{"name": "Delhi\\u0000HQ"}'),
        ("post", "/api/v1/apikeys", '{"agency": "DL-HQ", "name": "a\\u0000b"}'),
    ],
)
def test_nul_characters_never_cause_a_500(nodal: Client, method: str, url: str, data: str | None) -> None:
    name = Agency.objects.get(code="DL-HQ").name
    kwargs: dict[str, Any] = {"data": data, "content_type": "application/json"} if data else {}
    r = getattr(nodal, method)(url, **kwargs)
    assert r.status_code < 500, r.content[:300]
    if r.status_code >= 400:
        assert_problem(r, r.status_code)
    assert Agency.objects.get(code="DL-HQ").name == name
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("cursor", ["AA", "AAAA"])
def test_cursor_that_decodes_to_nul_is_a_400(nodal: Client, cursor: str) -> None:
    assert "cursor" in assert_problem(nodal.get(f"/api/v1/agencies?cursor={cursor}"), 400)["detail"]


def _oversized(field: str = "name") -> str:
    return json.dumps({field: "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024)})


@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_oversized_body_is_a_413_problem(nodal: Client, content_type: str) -> None:
    r = nodal.patch("/api/v1/agencies/DL-HQ", data=_oversized(), content_type=content_type)
    assert_problem(r, 413)


@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_oversized_body_leaks_nothing_and_writes_nothing(nodal: Client, content_type: str) -> None:
    events = AuditEvent.objects.filter(action="agency.update").count()
    r = nodal.patch("/api/v1/agencies/DL-HQ", data=_oversized(), content_type=content_type)
    assert r.status_code >= 400
    assert_no_trace(r)
    assert not Agency.objects.filter(name__startswith="xxxxxxxx").exists()
    assert AuditEvent.objects.filter(action="agency.update").count() == events


@pytest.mark.parametrize(("method", "url"), [("get", "/api/v1/apikeys/1"), ("put", "/api/v1/agencies/DL-HQ")])
def test_wrong_method_is_a_405_problem(nodal: Client, method: str, url: str) -> None:
    r = getattr(nodal, method)(url)
    assert_problem(r, 405)
    assert "Allow" in r


def test_unknown_api_path_is_a_404_problem(nodal: Client) -> None:
    assert_problem(nodal.get("/api/v1/no-such-endpoint"), 404)


def test_successful_responses_are_plain_json(nodal: Client) -> None:
    r = nodal.get("/api/v1/agencies?limit=1")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/json")
    assert set(r.json()) == {"count", "next", "results"}
