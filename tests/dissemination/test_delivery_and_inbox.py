"""Acknowledging and responding (actions and API), the inbox with its cursor paging, filters and
counts, and the originator's view of who got an alert. Every endpoint is tried anonymous, by a
user without the permission, by an outsider and by the right caller."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crimac.alerts.actions import create_alert, create_many
from crimac.alerts.models import Alert
from crimac.alerts.schemas import AlertIn
from crimac.audit.models import AuditEvent, Outcome
from crimac.directory.models import User
from crimac.dissemination import actions
from crimac.dissemination.models import Delivery, Response
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

API = "/api/v1"
PROBLEM = "application/problem+json"
TARGET = "DL-NEWDELHI-PS-002"  # dl.sho2's station


def user(username: str) -> User:
    return User.objects.select_related("agency").get(username=username)


def alert_in(audience: dict[str, Any], **fields: Any) -> AlertIn:
    data: dict[str, Any] = {
        "category": "wanted_person",
        "title": "Absconder wanted in a robbery case",
        "persons": [{"role": "accused", "name": "Vikram Singh", "gender": "male"}],
        "audience": audience,
    }
    data.update(fields)
    return AlertIn.model_validate(data)


def post(audience: dict[str, Any] | None = None, *, by: str = "hr.sho", **fields: Any) -> Alert:
    """An alert from a Gurugram station; by default to dl.sho2's station only."""
    data = alert_in(audience or {"agencies": [TARGET]}, **fields)
    return create_alert(data, actor=user(by), publish=True).alert


def delivery(alert: Alert, code: str = TARGET) -> Delivery:
    return Delivery.objects.select_related("acknowledged_by").get(alert=alert, agency__code=code)


def audits(alert: Alert, action: str, outcome: str = Outcome.SUCCESS) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action=action, object_type="alerts.alert", object_id=str(alert.pk), outcome=outcome
        ).order_by("id")
    )


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:1000]
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert body["status"] == status
    return body


def cursor_of(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def inbox(client: Client, **params: Any) -> Any:
    return client.get(f"{API}/inbox", params)


def refs(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:1000]
    return [item["reference"] for item in response.json()["results"]]


# --- acknowledge (action) ------------------------------------------------------------------------


def test_acknowledge_records_time_user_and_an_audit_row() -> None:
    alert = post()
    before = timezone.now()
    got = actions.acknowledge(alert, actor=user("dl.sho2"))
    row = delivery(alert)
    assert row.acknowledged_at is not None and row.acknowledged_at >= before
    assert row.acknowledged_by is not None and row.acknowledged_by.username == "dl.sho2"
    assert got.pk == row.pk
    [audit] = audits(alert, "alert.acknowledge")
    assert audit.actor_name == "dl.sho2"
    assert audit.agency_code == TARGET
    assert audit.detail["seconds"] >= 0


def test_acknowledging_twice_keeps_the_first_time_and_user() -> None:
    alert = post()
    actions.acknowledge(alert, actor=user("dl.sho2"))
    first = delivery(alert)
    colleague = make_user("v.colleague", TARGET, "officer")
    again = actions.acknowledge(alert, actor=colleague)
    second = delivery(alert)
    assert (second.acknowledged_at, second.acknowledged_by_id) == (
        first.acknowledged_at,
        user("dl.sho2").pk,
    )
    assert again.acknowledged_at == first.acknowledged_at
    assert len(audits(alert, "alert.acknowledge")) == 1


def test_acknowledging_touches_only_the_callers_agency() -> None:
    alert = post({"agencies": [TARGET, "DL-NEWDELHI-PS-001"]})
    actions.acknowledge(alert, actor=user("dl.sho2"))
    assert delivery(alert, "DL-NEWDELHI-PS-001").acknowledged_at is None


def test_a_non_recipient_gets_404_and_a_denied_audit_row() -> None:
    alert = post()
    with pytest.raises(Http404):
        actions.acknowledge(alert, actor=user("dl.sho"))
    [denied] = audits(alert, "alert.acknowledge", Outcome.DENIED)
    assert denied.actor_name == "dl.sho"
    assert denied.detail == {"reason": "not a recipient"}
    assert delivery(alert).acknowledged_at is None
    assert audits(alert, "alert.acknowledge") == []


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_roles_without_acknowledge_are_refused(role: str) -> None:
    alert = post({"agencies": [TARGET, "NCRB"]})  # even when their agency is a recipient
    # Not the demo "admin", who is a superuser and so holds every permission.
    actor = user("analyst") if role == "analyst" else make_user("v.admin", "NCRB", role)
    assert not actor.is_superuser
    with pytest.raises(PermissionDenied):
        actions.acknowledge(alert, actor=actor)
    assert len(audits(alert, "alert.acknowledge", Outcome.DENIED)) == 1
    assert delivery(alert, "NCRB").acknowledged_at is None


# --- respond (action) ---------------------------------------------------------------------------


def test_a_sighting_claims_a_hit_and_acknowledges() -> None:
    alert = post()
    response = actions.respond(alert, actor=user("dl.sho2"), outcome="sighted", message="seen at ISBT")
    assert response.claims_hit is True
    assert (response.agency.code, response.by.username, response.message) == (
        TARGET,
        "dl.sho2",
        "seen at ISBT",
    )
    assert response.delivery_id == delivery(alert).pk
    row = delivery(alert)
    assert row.acknowledged_at is not None
    assert row.acknowledged_by is not None and row.acknowledged_by.username == "dl.sho2"
    [audit] = audits(alert, "alert.respond")
    assert audit.detail == {"outcome": "sighted", "response": response.pk}


@pytest.mark.parametrize(
    ("outcome", "hit"),
    [
        ("sighted", True),
        ("detained", True),
        ("traced", True),
        ("recovered", True),
        ("no_trace", False),
        ("not_relevant", False),
    ],
)
def test_which_outcomes_claim_a_hit(outcome: str, hit: bool) -> None:
    alert = post()
    assert actions.respond(alert, actor=user("dl.sho2"), outcome=outcome).claims_hit is hit


def test_responding_after_acknowledging_keeps_the_acknowledgement() -> None:
    alert = post()
    actions.acknowledge(alert, actor=user("dl.sho2"))
    first = delivery(alert).acknowledged_at
    colleague = make_user("v.colleague", TARGET, "officer")
    actions.respond(alert, actor=colleague, outcome="no_trace")
    actions.respond(alert, actor=colleague, outcome="sighted")
    row = delivery(alert)
    assert row.acknowledged_at == first
    assert row.acknowledged_by is not None and row.acknowledged_by.username == "dl.sho2"
    assert [r.outcome for r in Response.objects.filter(alert=alert)] == ["no_trace", "sighted"]
    assert len(audits(alert, "alert.acknowledge")) == 1


def test_a_bad_outcome_is_refused_and_nothing_written() -> None:
    alert = post()
    with pytest.raises(ValidationError) as refused:
        actions.respond(alert, actor=user("dl.sho2"), outcome="arrested")
    assert list(refused.value.message_dict) == ["outcome"]
    assert not Response.objects.filter(alert=alert).exists()
    assert delivery(alert).acknowledged_at is None


def test_a_non_recipient_may_not_respond() -> None:
    alert = post()
    with pytest.raises(Http404):
        actions.respond(alert, actor=user("hr.sp"), outcome="sighted")
    assert len(audits(alert, "alert.respond", Outcome.DENIED)) == 1
    assert not Response.objects.filter(alert=alert).exists()


def test_an_analyst_may_not_respond() -> None:
    alert = post({"agencies": [TARGET, "NCRB"]})
    with pytest.raises(PermissionDenied):
        actions.respond(alert, actor=user("analyst"), outcome="sighted")
    assert not Response.objects.filter(alert=alert).exists()


# --- inbox ---------------------------------------------------------------------------------------------


@pytest.fixture
def five(user_named: Any) -> list[Alert]:
    """Five alerts reaching dl.sho2's station in different ways, and two that do not."""
    made = [
        post(title="First for PS-002"),
        post({"states": ["DL"]}, title="Second, to Delhi", priority="routine", category="general_advisory"),
        post({"districts": [79]}, title="Third, to New Delhi", priority="flash"),
        post(
            {"national": True},
            by="as.sho",
            title="Fourth, national",
            category="general_advisory",
            priority="immediate",
        ),
        post(title="Fifth for PS-002", priority="routine"),
    ]
    post({"agencies": ["DL-NEWDELHI-PS-001"]}, title="Not for PS-002")
    post({"states": ["HR"]}, title="Haryana only")
    return made


def test_the_inbox_lists_the_agencys_deliveries_oldest_first(five: list[Alert], client_for: Any) -> None:
    r = inbox(client_for("dl.sho2"))
    assert refs(r) == [a.reference for a in five]
    body = r.json()
    assert body["next"] is None
    assert body["unacknowledged"] == 5
    first = body["results"][0]
    assert first["origin"] == "HR-GURUGRAM-PS-001"
    assert first["reason"] == "named"
    assert first["revision"] == 1
    assert first["acknowledged_at"] is None
    assert [item["reason"] for item in body["results"]] == ["named", "State", "district", "national", "named"]
    # dl.sho (the neighbouring station) sees the three broad ones, not the two named ones.
    not_mine = Alert.objects.get(title="Not for PS-002").reference
    assert refs(inbox(client_for("dl.sho"))) == [
        five[1].reference,
        five[2].reference,
        five[3].reference,
        not_mine,
    ]


def test_cursor_paging_visits_each_delivery_once_in_order(five: list[Alert], client_for: Any) -> None:
    client = client_for("dl.sho2")
    seen: list[str] = []
    r = inbox(client, limit=2)
    pages = 0
    while True:
        pages += 1
        seen += refs(r)
        nxt = r.json()["next"]
        if nxt is None:
            break
        assert "limit=2" in nxt
        r = client.get(nxt)
    assert pages == 3
    assert seen == [a.reference for a in five]
    # The same with `after` taken from each page's last item.
    seen, after = [], None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 2}
        if after:
            params["after"] = after
        items = inbox(client, **params).json()["results"]
        if not items:
            break
        seen += [i["reference"] for i in items]
        after = items[-1]["cursor"]
    assert seen == [a.reference for a in five]
    assert len(set(seen)) == len(seen)


def test_new_deliveries_arrive_after_the_last_cursor(five: list[Alert], client_for: Any) -> None:
    client = client_for("dl.sho2")
    last = inbox(client).json()["results"][-1]["cursor"]
    assert refs(inbox(client, after=last)) == []
    sixth = post(title="Sixth for PS-002")
    assert refs(inbox(client, after=last)) == [sixth.reference]


def test_acknowledging_drops_the_unacknowledged_count(five: list[Alert], client_for: Any) -> None:
    client = client_for("dl.sho2")
    assert inbox(client).json()["unacknowledged"] == 5
    r = client.post(f"{API}/alerts/{five[1].reference}/acknowledge")
    assert r.status_code == 200, r.content
    assert r.json()["acknowledged_by"] == "dl.sho2"
    assert r.json()["reference"] == five[1].reference
    body = inbox(client).json()
    assert body["unacknowledged"] == 4
    assert refs(inbox(client, unacknowledged="true")) == [a.reference for i, a in enumerate(five) if i != 1]
    assert refs(inbox(client, unacknowledged="false")) == [a.reference for a in five]
    # Again: no change.
    assert client.post(f"{API}/alerts/{five[1].reference}/acknowledge").status_code == 200
    assert inbox(client).json()["unacknowledged"] == 4
    assert len(audits(five[1], "alert.acknowledge")) == 1


def test_the_unacknowledged_count_ignores_the_page(five: list[Alert], client_for: Any) -> None:
    body = inbox(client_for("dl.sho2"), limit=1, priority="flash").json()
    assert body["unacknowledged"] == 5
    assert [i["reference"] for i in body["results"]] == [five[2].reference]


def test_filters_by_priority_and_category(five: list[Alert], client_for: Any) -> None:
    client = client_for("dl.sho2")
    assert refs(inbox(client, priority="routine")) == [five[1].reference, five[4].reference]
    assert refs(inbox(client, priority=["routine", "flash"])) == [
        five[1].reference,
        five[2].reference,
        five[4].reference,
    ]
    assert refs(inbox(client, category="general_advisory")) == [five[1].reference, five[3].reference]
    assert refs(inbox(client, category="general_advisory", priority="routine")) == [five[1].reference]


@pytest.mark.parametrize(("field", "value"), [("priority", "urgent"), ("category", "lost_dog")])
def test_an_unknown_filter_value_is_a_422_naming_the_field(
    five: list[Alert], client_for: Any, field: str, value: str
) -> None:
    body = problem(inbox(client_for("dl.sho2"), **{field: value}), 422)
    assert [e["field"] for e in body["errors"]] == [field]
    assert value in body["errors"][0]["message"]


@pytest.mark.parametrize("limit", [0, 1001, -1])
def test_a_limit_out_of_range_is_a_422(client_for: Any, limit: int) -> None:
    body = problem(inbox(client_for("dl.sho2"), limit=limit), 422)
    assert [e["field"] for e in body["errors"]] == ["limit"]


@pytest.mark.parametrize(
    "after",
    [
        "garbage!",
        "not-a-cursor",
        cursor_of("x12"),
        cursor_of("d"),
        cursor_of("d-5"),
        cursor_of("d1 "),
        cursor_of("d\u0661\u0662"),  # Arabic-Indic digits
        "%%%",
    ],
)
def test_a_garbage_cursor_is_a_400_problem(five: list[Alert], client_for: Any, after: str) -> None:
    body = problem(inbox(client_for("dl.sho2"), after=after), 400)
    assert "after" in body["detail"]


def test_a_cursor_from_the_future_is_a_400(five: list[Alert], client_for: Any) -> None:
    body = problem(inbox(client_for("dl.sho2"), after=cursor_of("d999999999")), 400)
    assert "future" in body["detail"]
    latest = Delivery.objects.order_by("-id").first()
    assert latest is not None
    assert inbox(client_for("dl.sho2"), after=cursor_of(f"d{latest.pk}")).status_code == 200
    problem(inbox(client_for("dl.sho2"), after=cursor_of(f"d{latest.pk + 1}")), 400)


def test_anonymous_gets_401_everywhere(five: list[Alert]) -> None:
    anonymous = Client()
    ref = five[0].reference
    problem(anonymous.get(f"{API}/inbox"), 401)
    problem(anonymous.post(f"{API}/alerts/{ref}/acknowledge"), 401)
    problem(
        anonymous.post(
            f"{API}/alerts/{ref}/responses", {"outcome": "sighted"}, content_type="application/json"
        ),
        401,
    )
    problem(anonymous.get(f"{API}/alerts/{ref}/deliveries"), 401)
    assert delivery(five[0]).acknowledged_at is None


def test_an_agency_api_key_reads_its_inbox_and_acknowledges(
    five: list[Alert], api_key_for: Callable[[str], str]
) -> None:
    client = Client(headers={"Authorization": f"Bearer {api_key_for(TARGET)}"})
    assert refs(inbox(client)) == [a.reference for a in five]
    r = client.post(f"{API}/alerts/{five[0].reference}/acknowledge")
    assert r.status_code == 200, r.content
    assert r.json()["acknowledged_by"] == f"system.{TARGET.lower()}"
    assert inbox(client).json()["unacknowledged"] == 4
    other = Client(headers={"Authorization": f"Bearer {api_key_for('AS-HQ')}"})
    assert refs(inbox(other)) == [five[3].reference]


def test_a_bad_api_key_is_401(five: list[Alert]) -> None:
    client = Client(headers={"Authorization": "Bearer cmk_nope_nope"})
    problem(inbox(client), 401)


# --- acknowledge and respond over the API ------------------------------------------------------------


def test_acknowledge_by_someone_who_cannot_see_the_alert_is_404(five: list[Alert], client_for: Any) -> None:
    r = client_for("dl.sho").post(f"{API}/alerts/{five[0].reference}/acknowledge")
    problem(r, 404)
    assert delivery(five[0]).acknowledged_at is None


def test_acknowledge_by_a_non_recipient_who_can_see_it_is_404_and_audited(
    five: list[Alert], client_for: Any
) -> None:
    # hr.sp supervises the originating station: it may read the alert, but was not sent it.
    problem(client_for("hr.sp").post(f"{API}/alerts/{five[0].reference}/acknowledge"), 404)
    [denied] = audits(five[0], "alert.acknowledge", Outcome.DENIED)
    assert denied.actor_name == "hr.sp"
    problem(client_for("dl.sho").post(f"{API}/alerts/no-such-ref/acknowledge"), 404)


def test_acknowledge_by_an_analyst_is_403(five: list[Alert], client_for: Any) -> None:
    problem(client_for("analyst").post(f"{API}/alerts/{five[3].reference}/acknowledge"), 403)
    assert delivery(five[3], "NCRB").acknowledged_at is None


def respond(client: Client, ref: str, body: Any) -> Any:
    return client.post(f"{API}/alerts/{ref}/responses", json.dumps(body), content_type="application/json")


def test_responding_is_201_with_claims_hit(five: list[Alert], client_for: Any) -> None:
    client = client_for("dl.sho2")
    r = respond(client, five[0].reference, {"outcome": "sighted", "message": "seen near ISBT at 14:10"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["claims_hit"] is True
    assert (body["agency"], body["by"], body["outcome"]) == (TARGET, "dl.sho2", "sighted")
    assert Response.objects.get(pk=body["id"]).message == "seen near ISBT at 14:10"
    assert delivery(five[0]).acknowledged_at is not None
    r = respond(client, five[0].reference, {"outcome": "no_trace"})
    assert r.status_code == 201 and r.json()["claims_hit"] is False
    assert inbox(client).json()["unacknowledged"] == 4


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "arrested"}, "outcome"),
        ({}, "outcome"),
        ({"outcome": "sighted", "extra": 1}, "extra"),
        ({"outcome": "sighted", "message": "x" * 2001}, "message"),
    ],
)
def test_a_bad_response_is_422_and_writes_nothing(
    five: list[Alert], client_for: Any, body: dict[str, Any], field: str
) -> None:
    got = problem(respond(client_for("dl.sho2"), five[0].reference, body), 422)
    assert field in [e["field"] for e in got["errors"]]
    assert not Response.objects.filter(alert=five[0]).exists()
    assert delivery(five[0]).acknowledged_at is None


def test_responding_to_an_alert_not_delivered_is_404(five: list[Alert], client_for: Any) -> None:
    problem(respond(client_for("dl.sho"), five[0].reference, {"outcome": "sighted"}), 404)
    problem(respond(client_for("hr.sp"), five[0].reference, {"outcome": "sighted"}), 404)
    assert len(audits(five[0], "alert.respond", Outcome.DENIED)) == 1
    assert not Response.objects.filter(alert=five[0]).exists()


# --- who got it ----------------------------------------------------------------------------------------


def test_the_originator_sees_recipients_acknowledgements_and_responses(client_for: Any) -> None:
    alert = post({"agencies": [TARGET, "DL-NEWDELHI-PS-001", "AS-HQ"]})
    Delivery.objects.filter(alert=alert, agency__code="AS-HQ").update(
        deadline=timezone.now() - timedelta(minutes=1)
    )
    assert client_for("dl.sho2").post(f"{API}/alerts/{alert.reference}/acknowledge").status_code == 200
    assert respond(client_for("dl.sho"), alert.reference, {"outcome": "no_trace"}).status_code == 201
    r = client_for("hr.sho").get(f"{API}/alerts/{alert.reference}/deliveries")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["recipients"], body["acknowledged"], body["overdue"]) == (3, 2, 1)
    rows = {row["agency"]: row for row in body["deliveries"]}
    assert [row["agency"] for row in body["deliveries"]] == sorted(rows)
    assert set(rows) == {TARGET, "DL-NEWDELHI-PS-001", "AS-HQ"}
    assert rows[TARGET]["acknowledged_by"] == "dl.sho2"
    assert rows["DL-NEWDELHI-PS-001"]["acknowledged_by"] == "dl.sho"
    row = delivery(alert)
    assert row.acknowledged_at is not None
    assert rows[TARGET]["seconds_to_acknowledge"] == pytest.approx(
        (row.acknowledged_at - row.created_at).total_seconds()
    )
    assert rows[TARGET]["seconds_to_acknowledge"] >= 0
    assert rows["AS-HQ"]["seconds_to_acknowledge"] is None
    assert rows["AS-HQ"]["acknowledged_at"] is None
    assert {row["reason"] for row in rows.values()} == {"named"}
    assert [(x["agency"], x["by"], x["outcome"], x["claims_hit"]) for x in body["responses"]] == [
        ("DL-NEWDELHI-PS-001", "dl.sho", "no_trace", False)
    ]


@pytest.mark.parametrize(("username", "status"), [("hr.sp", 200), ("hr.nodal", 200), ("hr.sho2", 404)])
def test_supervisors_of_the_origin_see_deliveries_peers_do_not(
    client_for: Any, username: str, status: int
) -> None:
    alert = post()
    r = client_for(username).get(f"{API}/alerts/{alert.reference}/deliveries")
    assert r.status_code == status, r.content
    if status == 200:
        assert r.json()["recipients"] == 1


def test_a_recipient_that_is_not_the_originator_gets_404_for_deliveries(client_for: Any) -> None:
    alert = post({"agencies": [TARGET, "AS-HQ"]})
    problem(client_for("dl.sho2").get(f"{API}/alerts/{alert.reference}/deliveries"), 404)
    assert len(audits(alert, "alert.deliveries", Outcome.DENIED)) == 1
    problem(client_for("dl.sho").get(f"{API}/alerts/{alert.reference}/deliveries"), 404)


# --- query counts ----------------------------------------------------------------------------------------


def test_inbox_queries_do_not_grow_with_the_deliveries(
    client_for: Any, django_assert_max_num_queries: Any
) -> None:
    items = [alert_in({"agencies": [TARGET]}, title=f"Bulk alert number {n}") for n in range(60)]
    results = create_many(items, actor=user("hr.sho"), publish=True)
    assert all(r.checked is not None for r in results)
    client = client_for("dl.sho2")
    # Some acknowledged, so acknowledged_by is read too.
    for r in results[:10]:
        assert r.checked is not None
        actions.acknowledge(r.checked.alert, actor=user("dl.sho2"))
    with CaptureQueriesContext(connection) as small:
        assert len(refs(inbox(client, limit=2))) == 2
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = inbox(client, limit=50).json()
    assert len(body["results"]) == 50
    assert body["results"][0]["acknowledged_by"] == "dl.sho2"
    with django_assert_max_num_queries(len(small.captured_queries) + 1):  # the cursor check
        assert len(refs(inbox(client, limit=50, after=body["results"][-1]["cursor"]))) == 10
