"""The matching API: GET /api/v1/matches, GET /api/v1/alerts/{ref}/matches,
POST /api/v1/matches/{id}/confirm|reject: permissions (anonymous, wrong role, outsider), reveal
rules, audit rows, bad input and query counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from crimac.alerts.models import Alert
from crimac.audit.models import AuditEvent
from crimac.matching.models import Match
from tests.matching.test_correlate import missing_girl, publish, rescued_minor

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(
    user_named: Callable[[str], Any], django_capture_on_commit_callbacks: Any
) -> tuple[Alert, Alert, Match]:
    jh = missing_girl(user_named("jh.sho"), django_capture_on_commit_callbacks)
    dl = rescued_minor(user_named("dl.sho"), django_capture_on_commit_callbacks)
    return jh, dl, Match.objects.get()


def bearer(key: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {key}"})


def test_anonymous_callers_get_401_problem_json(pair: tuple[Alert, Alert, Match]) -> None:
    jh, _, match = pair
    client = Client()
    for method, url in [
        ("get", "/api/v1/matches"),
        ("get", f"/api/v1/alerts/{jh.reference}/matches"),
        ("post", f"/api/v1/matches/{match.pk}/confirm"),
        ("post", f"/api/v1/matches/{match.pk}/reject"),
    ]:
        r = getattr(client, method)(url)
        assert r.status_code == 401, url
        assert r["Content-Type"].startswith("application/problem+json")


def test_each_side_lists_the_match_with_only_the_others_reference_and_origin(
    pair: tuple[Alert, Alert, Match], client_for: Callable[[str], Client]
) -> None:
    jh, dl, match = pair
    body = client_for("dl.sho").get("/api/v1/matches").json()
    assert body["count"] == 1 and body["next"] is None
    [m] = body["results"]
    assert m["id"] == match.pk and m["pairing"] == "missing_rescued" and m["priority"] == "flash"
    assert m["alert"]["reference"] == dl.reference and m["alert"]["visible"]
    assert m["other"] == {
        "reference": jh.reference,
        "origin": "JH-RANCHI-PS-001",
        "origin_name": jh.origin_agency.name,
        "visible": False,
        "title": None,
        "category": None,
        "subject": None,
    }
    assert m["may_decide"] is True
    assert all("(" not in r for r in m["reasons"])
    [m] = client_for("jh.sho").get("/api/v1/matches").json()["results"]
    assert m["alert"]["reference"] == jh.reference and m["other"]["reference"] == dl.reference
    assert not m["other"]["visible"]
    # National analyst: both alerts readable, the full reasons, but no right to decide.
    [m] = client_for("analyst").get("/api/v1/matches").json()["results"]
    assert m["other"]["visible"] and m["alert"]["visible"] and m["may_decide"] is False
    assert m["reasons"] == match.reasons
    # Outsiders: another State's officer, another station of the same district.
    for who in ("as.sho", "dl.sho2", "hr.nodal"):
        assert client_for(who).get("/api/v1/matches").json() == {"count": 0, "next": None, "results": []}


def test_matches_of_one_alert(pair: tuple[Alert, Alert, Match], client_for: Callable[[str], Client]) -> None:
    jh, dl, _match = pair
    r = client_for("dl.sho").get(f"/api/v1/alerts/{dl.reference}/matches")
    assert r.status_code == 200
    [m] = r.json()
    assert m["alert"]["reference"] == dl.reference and m["other"]["reference"] == jh.reference
    # The other alert is not the caller's to read: the same 404 as a missing one.
    missing = client_for("dl.sho").get("/api/v1/alerts/DL-1999-000001/matches")
    hidden = client_for("dl.sho").get(f"/api/v1/alerts/{jh.reference}/matches")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == missing.json()["detail"]
    # A recipient who may read the alert but is on neither side sees no matches on it.
    assert client_for("dl.sho2").get(f"/api/v1/alerts/{dl.reference}/matches").json() == []


def test_confirm_and_reject_with_audit_rows(
    pair: tuple[Alert, Alert, Match], client_for: Callable[[str], Client]
) -> None:
    _, _dl, match = pair
    r = client_for("dl.sho").post(
        f"/api/v1/matches/{match.pk}/confirm",
        {"note": "family identified her"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "confirmed" and r.json()["decided_by"] == "dl.sho"
    match.refresh_from_db()
    assert match.status == "confirmed" and match.decision_note == "family identified her"
    row = AuditEvent.objects.get(action="match.confirm")
    assert row.outcome == "success" and row.actor_name == "dl.sho" and row.object_id == str(match.pk)
    assert row.detail["changes"] == {"status": ["new", "confirmed"]}
    # The other side (its supervisor) changes its mind: audited too.
    r = client_for("jh.sp").generic("POST", f"/api/v1/matches/{match.pk}/reject")  # no body at all
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "rejected"
    assert AuditEvent.objects.get(action="match.reject").detail["changes"] == {
        "status": ["confirmed", "rejected"]
    }


def test_a_caller_who_sees_the_match_but_may_not_decide_gets_403_and_a_denied_row(
    pair: tuple[Alert, Alert, Match], client_for: Callable[[str], Client]
) -> None:
    _, _, match = pair
    for who in ("analyst", "dl.analyst"):
        r = client_for(who).generic("POST", f"/api/v1/matches/{match.pk}/confirm")
        assert r.status_code == 403, who
        assert r["Content-Type"].startswith("application/problem+json")
    assert AuditEvent.objects.filter(action="match.confirm", outcome="denied").count() == 2
    match.refresh_from_db()
    assert match.status == "new"


def test_an_outsider_gets_the_same_404_as_for_a_missing_match(
    pair: tuple[Alert, Alert, Match], client_for: Callable[[str], Client]
) -> None:
    _, _, match = pair
    hidden = client_for("as.nodal").generic("POST", f"/api/v1/matches/{match.pk}/reject")
    missing = client_for("as.nodal").generic("POST", f"/api/v1/matches/{match.pk + 1000}/reject")
    huge = client_for("as.nodal").generic("POST", "/api/v1/matches/99999999999999999999/reject")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == missing.json()["detail"]
    assert huge.status_code in (404, 422)
    match.refresh_from_db()
    assert match.status == "new"


def test_bad_input_is_a_4xx_naming_the_field(
    pair: tuple[Alert, Alert, Match], client_for: Callable[[str], Client]
) -> None:
    _, _, match = pair
    client = client_for("dl.sho")
    r = client.post(f"/api/v1/matches/{match.pk}/confirm", {"nope": 1}, content_type="application/json")
    assert r.status_code == 422 and "nope" in r.content.decode()
    r = client.post(
        f"/api/v1/matches/{match.pk}/confirm", {"note": "x" * 1001}, content_type="application/json"
    )
    assert r.status_code == 422 and "note" in r.content.decode()
    for query, field in [("limit=0", "limit"), ("status=maybe", "status"), ("kind=car", "kind")]:
        r = client.get(f"/api/v1/matches?{query}")
        assert r.status_code == 422 and field in r.content.decode(), query
    r = client.get("/api/v1/matches?cursor=garbage")
    assert r.status_code == 400 and "cursor" in r.json()["detail"]


def test_an_api_key_of_the_station_works(
    pair: tuple[Alert, Alert, Match], api_key_for: Callable[[str], str]
) -> None:
    _, _dl, match = pair
    client = bearer(api_key_for("DL-NEWDELHI-PS-001"))
    assert client.get("/api/v1/matches").json()["count"] == 1
    r = client.post(f"/api/v1/matches/{match.pk}/reject", {}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    other = bearer(api_key_for("AS-HQ"))
    assert other.get("/api/v1/matches").json()["count"] == 0


def test_the_list_pages_and_its_query_count_does_not_grow_with_the_page(
    user_named: Callable[[str], Any],
    django_capture_on_commit_callbacks: Any,
    client_for: Callable[[str], Client],
    django_assert_num_queries: Any,
    django_assert_max_num_queries: Any,
) -> None:
    who = user_named("hr.sho")
    for i in range(7):
        publish(
            who, django_capture_on_commit_callbacks, title=f"Calls {i}", phones=[{"number": "9876543210"}]
        )
    client = client_for("hr.sho")
    total = Match.objects.count()
    assert total > 6
    client.get("/api/v1/matches?limit=2")  # warm up per-process caches
    with django_assert_max_num_queries(8) as short:
        first = client.get("/api/v1/matches?limit=2").json()
    with django_assert_num_queries(len(short.captured_queries)):
        everything = client.get("/api/v1/matches?limit=100").json()
    assert first["count"] == everything["count"] == total
    assert len(everything["results"]) == total
    seen = [m["id"] for m in first["results"]]
    url = first["next"]
    while url:
        page = client.get(url).json()
        seen += [m["id"] for m in page["results"]]
        url = page["next"]
    assert seen == sorted(seen, reverse=True) and len(seen) == total
    filtered = client.get("/api/v1/matches?kind=phone&status=new&pairing=false").json()
    assert filtered["count"] == total
    assert client.get("/api/v1/matches?kind=person").json()["count"] == 0
