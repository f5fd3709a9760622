"""`/api/v1/subscriptions` and the `/subscriptions/` page: anonymous, wrong role, outsider, the
happy path with its audit rows, field errors, paging and query counts, an API key and a session."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from crimac.audit.models import AuditEvent
from crimac.directory.models import User
from crimac.dissemination.models import Subscription
from crimac.dissemination.subscriptions import create_subscription

pytestmark = pytest.mark.django_db

API = "/api/v1/subscriptions"
PROBLEM = "application/problem+json"


def user(username: str) -> User:
    return User.objects.select_related("agency").get(username=username)


def post(client: Client, body: Any, **headers: str) -> Any:
    return client.post(API, json.dumps(body), content_type="application/json", **headers)


def fields(response: Any) -> set[str]:
    assert response["Content-Type"] == PROBLEM, response.content
    return {e["field"] for e in response.json().get("errors", [])}


def denied(action: str) -> int:
    return AuditEvent.objects.filter(action=action, outcome="denied").count()


# --- anonymous -------------------------------------------------------------------------------------


def test_anonymous_gets_401_everywhere() -> None:
    client = Client()
    for response in (
        client.get(API),
        post(client, {"kind": "mute", "priority": "routine"}),
        client.delete(f"{API}/1"),
    ):
        assert response.status_code == 401
        assert response["Content-Type"] == PROBLEM
    assert not Subscription.objects.exists()


# --- the happy path ----------------------------------------------------------------------------------


def test_a_nodal_officer_adds_lists_and_removes_an_agency_rule(client_for: Any) -> None:
    nodal = client_for("dl.nodal")
    body = {"kind": "include", "agency": "DL-CR", "category": "missing_person", "state": "HR"}
    response = post(nodal, body)
    assert response.status_code == 201, response.content
    made = response.json()
    assert made["agency"]["code"] == "DL-CR" and made["user"] is None
    assert (made["kind"], made["category"], made["priority"], made["state"]) == (
        "include",
        "missing_person",
        "",
        "HR",
    )
    assert made["active"] is True and made["may_remove"] is True and made["created_by"] == "dl.nodal"
    audit = AuditEvent.objects.get(action="subscription.create", outcome="success")
    assert audit.object_id == str(made["id"]) and audit.via == "api"
    listed = nodal.get(API).json()
    assert [r["id"] for r in listed["results"]] == [made["id"]] and listed["count"] == 1
    # The control room's officers see their agency's rule but may not remove it.
    control = client_for("dl.control")
    seen = control.get(API).json()["results"]
    assert [(r["id"], r["may_remove"]) for r in seen] == [(made["id"], False)]
    before = denied("subscription.remove")
    assert control.delete(f"{API}/{made['id']}").status_code == 403
    assert denied("subscription.remove") == before + 1
    removed = nodal.delete(f"{API}/{made['id']}")
    assert removed.status_code == 200 and removed.json()["active"] is False
    assert AuditEvent.objects.filter(action="subscription.remove", outcome="success").count() == 1
    assert nodal.get(API).json()["results"] == []
    assert [r["id"] for r in nodal.get(f"{API}?active=false").json()["results"]] == [made["id"]]


def test_an_officer_adds_and_removes_their_own_mute(client_for: Any) -> None:
    sho = client_for("dl.sho")
    response = post(sho, {"kind": "mute", "priority": "routine", "category": "general_advisory"})
    assert response.status_code == 201, response.content
    made = response.json()
    assert made["user"] == "dl.sho" and made["agency"] is None
    assert client_for("dl.sho2").get(API).json()["results"] == []  # nobody else sees it
    assert client_for("dl.nodal").get(API).json()["results"] == []
    assert sho.delete(f"{API}/{made['id']}").status_code == 200


def test_an_api_key_acts_as_its_agency_system_account(client: Client, api_key_for: Any) -> None:
    key = {"HTTP_AUTHORIZATION": f"Bearer {api_key_for('DL-NEWDELHI-PS-001')}"}
    response = post(client, {"kind": "include", "priority": "flash"}, **key)
    assert response.status_code == 201, response.content
    assert client.get(API, **key).json()["count"] == 1
    # Its account is an officer's: it may not decide for the agency.
    refused = post(client, {"kind": "include", "priority": "flash", "agency": "DL-NEWDELHI-PS-001"}, **key)
    assert refused.status_code == 403


# --- wrong role, outsider ------------------------------------------------------------------------------


def test_wrong_roles_are_refused_and_audited(client_for: Any) -> None:
    before = denied("subscription.create")
    analyst = post(client_for("analyst"), {"kind": "mute", "priority": "routine"})
    assert analyst.status_code == 403 and analyst["Content-Type"] == PROBLEM
    officer = post(client_for("dl.sho"), {"kind": "include", "priority": "flash", "agency": "DL-HQ"})
    assert officer.status_code == 403
    other_state = post(client_for("as.nodal"), {"kind": "include", "priority": "flash", "agency": "DL-HQ"})
    assert other_state.status_code == 403
    assert denied("subscription.create") == before + 3
    assert not Subscription.objects.exists()


def test_an_outsider_gets_404_for_a_rule_it_cannot_see(client_for: Any) -> None:
    made = create_subscription(actor=user("dl.nodal"), kind="include", agency="DL-CR", priority="flash")
    for who in ["as.nodal", "hr.sho"]:
        response = client_for(who).delete(f"{API}/{made.pk}")
        assert response.status_code == 404
        assert response.json()["detail"] == "no such object, or you may not see it"
    missing = client_for("dl.nodal").delete(f"{API}/999999999")
    assert missing.status_code == 404 and missing.json()["detail"] == "no such object, or you may not see it"
    assert client_for("dl.nodal").delete(f"{API}/{10**30}").status_code in {404, 422}
    made.refresh_from_db()
    assert made.active


# --- bad input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "include", "priority": "flash", "colour": "red"}, "colour"),
        ({"kind": "subscribe", "priority": "flash"}, "kind"),
        ({"kind": "include", "category": "picnics"}, "category"),
        ({"kind": "include", "state": "XX"}, "state"),
        ({"kind": "include", "priority": "urgent"}, "priority"),
        ({"kind": "mute"}, "priority"),
        ({"kind": "mute", "priority": "flash"}, "priority"),
        ({"kind": "mute", "priority": "immediate", "category": "general_advisory"}, "priority"),
        ({"kind": "include", "priority": "flash", "agency": "NO-SUCH-UNIT"}, "agency"),
        ({"kind": "include", "priority": "flash", "agency": "9" * 30}, "agency"),
        ({"kind": "include", "priority": "flash", "agency": "X" * 65}, "agency"),
    ],
)
def test_bad_fields_are_422_naming_them(client_for: Any, body: dict[str, Any], field: str) -> None:
    response = post(client_for("dl.nodal"), body)
    assert response.status_code == 422, response.content
    assert field in fields(response)
    assert not Subscription.objects.exists()


def test_a_mute_covering_flash_says_why(client_for: Any) -> None:
    response = post(client_for("dl.sho"), {"kind": "mute", "category": "general_advisory"})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "priority" and "never muted" in error["message"]


def test_an_empty_include_and_a_duplicate_are_refused(client_for: Any) -> None:
    nodal = client_for("dl.nodal")
    assert post(nodal, {"kind": "include", "agency": "DL-CR"}).status_code == 422
    assert post(nodal, {"kind": "include", "agency": "DL-CR", "priority": "flash"}).status_code == 201
    again = post(nodal, {"kind": "include", "agency": "DL-CR", "priority": "flash"})
    assert again.status_code == 422 and "exists already" in again.content.decode()
    assert Subscription.objects.count() == 1


def test_a_bad_cursor_or_limit(client_for: Any) -> None:
    nodal = client_for("dl.nodal")
    assert nodal.get(f"{API}?cursor=!!!").status_code == 400
    assert nodal.get(f"{API}?cursor=YWJj").status_code == 400  # "abc": not an id
    assert nodal.get(f"{API}?limit=0").status_code == 422


# --- paging and query counts ---------------------------------------------------------------------------


def _rules(n: int, start: int = 0) -> None:
    """Rules number `start` to `start + n` of 48 distinct ones."""
    agencies = ["DL-CR", "DL-HQ", "DL-ATS", "DL-GRP", "DL-STF", "DL-CYBER"]
    priorities = ["flash", "immediate", "priority", "routine"]
    made = 0
    for agency in agencies:
        for priority in priorities:
            for state in ["", "HR"]:
                if made == start + n:
                    return
                if made < start:
                    made += 1
                    continue
                create_subscription(
                    actor=user("dl.nodal"), kind="include", agency=agency, priority=priority, state=state
                )
                made += 1


def test_pages_follow_the_cursor(client_for: Any) -> None:
    _rules(5)
    nodal = client_for("dl.nodal")
    first = nodal.get(f"{API}?limit=2").json()
    assert first["count"] == 5 and len(first["results"]) == 2 and first["next"]
    seen = [r["id"] for r in first["results"]]
    url = first["next"]
    while url:
        page = nodal.get(url.replace("http://testserver", "")).json()
        seen += [r["id"] for r in page["results"]]
        url = page["next"]
    assert seen == sorted(Subscription.objects.values_list("pk", flat=True))


def test_list_queries_do_not_grow_with_the_rows(client_for: Any, django_assert_max_num_queries: Any) -> None:
    nodal = client_for("dl.nodal")
    _rules(2)
    with django_assert_max_num_queries(10) as short:
        assert nodal.get(API).json()["count"] == 2
    _rules(40, start=2)
    with django_assert_max_num_queries(len(short.captured_queries)):
        assert nodal.get(f"{API}?limit=500").json()["count"] >= 40


def test_the_api_describes_the_rules() -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    post_op = schema["paths"]["/api/v1/subscriptions"]["post"]
    assert "never muted" in post_op["description"]
    assert "/api/v1/subscriptions/{sub_id}" in schema["paths"]


# --- the page ---------------------------------------------------------------------------------------------


def test_the_page_lists_adds_and_removes(client_for: Any) -> None:
    nodal = client_for("dl.nodal")
    page = nodal.get("/subscriptions/")
    assert (
        page.status_code == 200 and b'id="new-rule"' in page.content and b'id="rules-empty"' in page.content
    )
    added = nodal.post(
        "/subscriptions/",
        {"kind": "include", "agency": "DL-CR", "category": "missing_person", "state": "HR", "priority": ""},
    )
    assert added.status_code == 302
    made = Subscription.objects.get()
    assert (
        made.agency.code if made.agency else None,
        made.category,
        made.state.code if made.state else None,
    ) == ("DL-CR", "missing_person", "HR")
    listed = nodal.get("/subscriptions/").content.decode()
    assert f'id="rule-{made.pk}"' in listed and "DL-CR" in listed
    assert AuditEvent.objects.filter(action="subscription.create", via="page").count() == 1
    removed = nodal.post("/subscriptions/", {"remove": str(made.pk)})
    assert removed.status_code == 302
    made.refresh_from_db()
    assert not made.active


def test_the_page_shows_errors_and_writes_nothing(client_for: Any) -> None:
    response = client_for("dl.sho").post(
        "/subscriptions/", {"kind": "mute", "priority": "flash", "category": "", "state": "", "agency": ""}
    )
    assert response.status_code == 422
    assert "never muted" in response.content.decode()
    assert not Subscription.objects.exists()


def test_the_page_for_anonymous_wrong_role_and_outsider(client_for: Any) -> None:
    assert Client().get("/subscriptions/").status_code == 302  # to the log-in
    analyst = client_for("analyst")
    page = analyst.get("/subscriptions/")
    assert page.status_code == 200 and b'id="new-rule"' not in page.content
    assert analyst.post("/subscriptions/", {"kind": "mute", "priority": "routine"}).status_code == 403
    made = create_subscription(actor=user("dl.nodal"), kind="include", agency="DL-CR", priority="flash")
    assert client_for("as.nodal").post("/subscriptions/", {"remove": str(made.pk)}).status_code == 404
    assert client_for("dl.control").post("/subscriptions/", {"remove": str(made.pk)}).status_code == 403
    assert client_for("as.nodal").post("/subscriptions/", {"remove": "9" * 40}).status_code == 404
    made.refresh_from_db()
    assert made.active
