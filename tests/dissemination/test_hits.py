"""Hit confirmation as NCIC does it: a response claiming a hit asks the originator to confirm
within the priority's deadline, reminds at every deadline until it does, and tells the
responder the answer. The endpoint and page, with every kind of caller refused."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from crimac import clock
from crimac.alerts.actions import cancel_alert
from crimac.alerts.models import Alert
from crimac.audit.models import AuditEvent, Outcome
from crimac.directory.models import Agency
from crimac.dissemination import actions, escalation, feed
from crimac.dissemination.models import FeedEvent, Response
from tests.dissemination.test_escalation import ORIGIN, SIBLING, STATION, post, user

pytestmark = pytest.mark.django_db

API = "/api/v1"
PROBLEM = "application/problem+json"
MINUTES = timedelta(minutes=settings.ACK_DEADLINE_MINUTES["immediate"])


def told(agency_code: str, alert: Alert, kind: str) -> list[dict[str, Any]]:
    agency = Agency.objects.get(code=agency_code)
    return [feed.message(e) for e in feed.events_for(agency).filter(alert=alert, kind=kind)]


def claim(alert: Alert, by: str = "dl.sho2", outcome: str = "detained") -> Response:
    return actions.respond(alert, actor=user(by), outcome=outcome, message="held at the bus stand")


def confirm_url(alert: Alert, response_id: int) -> str:
    return f"{API}/alerts/{alert.reference}/responses/{response_id}/confirm"


def confirm(client: Client, alert: Alert, response_id: int, body: Any) -> Any:
    return client.post(confirm_url(alert, response_id), json.dumps(body), content_type="application/json")


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:1000]
    assert response["Content-Type"] == PROBLEM
    return dict(json.loads(response.content))


def denied(alert: Alert) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action="alert.confirm_hit", object_id=str(alert.pk), outcome=Outcome.DENIED)
    )


def test_a_claimed_hit_sets_its_deadline_and_tells_the_originator_at_once() -> None:
    alert = post(STATION, SIBLING, priority="immediate")
    with clock.frozen() as c:
        response = claim(alert)
        assert response.confirm_by == response.next_reminder_at == c.now() + MINUTES
    [notice] = told(ORIGIN, alert, "hit_claimed")
    assert notice["agency"] == STATION
    assert notice["deadline"] == response.confirm_by.isoformat()
    assert notice["related"] == str(response.pk)
    # Only the originator is told: not the responder, not the other recipient.
    assert told(STATION, alert, "hit_claimed") == []
    assert told(SIBLING, alert, "hit_claimed") == []


def test_a_response_without_a_hit_asks_nothing() -> None:
    alert = post(priority="immediate")
    response = claim(alert, outcome="no_trace")
    assert (response.confirm_by, response.next_reminder_at) == (None, None)
    assert not FeedEvent.objects.filter(alert=alert, kind="hit_claimed").exists()


def test_reminders_come_at_each_deadline_until_confirmed() -> None:
    alert = post(priority="immediate")
    with clock.frozen() as c:
        response = claim(alert)
        due = c.now() + MINUTES
    assert escalation.remind_due(due - timedelta(seconds=1)) == 0
    assert escalation.remind_due(due) == 1
    assert escalation.remind_due(due) == 0  # once per deadline
    response.refresh_from_db()
    assert (response.reminders_sent, response.next_reminder_at) == (1, due + MINUTES)
    [reminder] = told(ORIGIN, alert, "hit_reminder")
    assert reminder["agency"] == STATION and "reminder 1" in reminder["message"]
    assert told(STATION, alert, "hit_reminder") == []
    assert escalation.remind_due(due + MINUTES - timedelta(seconds=1)) == 0
    assert escalation.remind_due(due + MINUTES) == 1
    response.refresh_from_db()
    assert response.reminders_sent == 2
    actions.confirm_hit(alert, response.pk, actor=user("hr.sho"), confirmed=True)
    assert escalation.remind_due(due + 10 * MINUTES) == 0
    response.refresh_from_db()
    assert (response.reminders_sent, response.next_reminder_at) == (2, None)
    audits = AuditEvent.objects.filter(action="alert.hit_reminder", object_id=str(alert.pk))
    assert audits.count() == 2 and all(a.actor is None for a in audits)


def test_a_worker_that_was_down_sends_one_reminder_not_the_backlog() -> None:
    alert = post(priority="immediate")
    with clock.frozen() as c:
        response = claim(alert)
        due = c.now() + MINUTES
    assert escalation.remind_due(due + 5 * MINUTES + timedelta(seconds=1)) == 1
    response.refresh_from_db()
    assert response.reminders_sent == 1
    assert response.next_reminder_at == due + 6 * MINUTES


def test_a_cancelled_alert_stops_the_reminders() -> None:
    alert = post(priority="immediate")
    with clock.frozen() as c:
        claim(alert)
        due = c.now() + MINUTES
    cancel_alert(alert, reason="found safe at home", actor=user("hr.sho"))
    assert escalation.remind_due(due) == 0


def test_confirming_tells_the_responder_and_is_audited(client_for: Any) -> None:
    alert = post(STATION, SIBLING, priority="immediate")
    response = claim(alert)
    with clock.frozen() as c:
        r = confirm(client_for("hr.sho"), alert, response.pk, {"confirmed": True, "note": "same person"})
        assert r.status_code == 200, r.content
        body = r.json()
        assert body["confirmation"] == "confirmed"
        assert body["confirmed_by"] == "hr.sho" and body["confirmation_note"] == "same person"
        assert body["confirmed_at"] == c.now().isoformat()
    [notice] = told(STATION, alert, "hit_confirmed")
    assert "confirmed" in notice["message"] and "same person" in notice["message"]
    assert told(SIBLING, alert, "hit_confirmed") == []
    assert told(ORIGIN, alert, "hit_confirmed") == []
    [audit] = AuditEvent.objects.filter(action="alert.confirm_hit", outcome=Outcome.SUCCESS)
    assert audit.actor_name == "hr.sho" and audit.detail["confirmation"] == "confirmed"
    rows = client_for("hr.sho").get(f"{API}/alerts/{alert.reference}/deliveries").json()["responses"]
    assert [(x["id"], x["confirmation"]) for x in rows] == [(response.pk, "confirmed")]


def test_refusing_a_hit(client_for: Any) -> None:
    alert = post(priority="immediate")
    response = claim(alert)
    r = confirm(client_for("hr.sho"), alert, response.pk, {"confirmed": False, "note": "different man"})
    assert r.status_code == 200, r.content
    assert r.json()["confirmation"] == "not_confirmed"
    [notice] = told(STATION, alert, "hit_confirmed")
    assert "refused" in notice["message"]


def test_confirming_twice_is_409_and_keeps_the_first_answer(client_for: Any) -> None:
    alert = post(priority="immediate")
    response = claim(alert)
    assert confirm(client_for("hr.sho"), alert, response.pk, {"confirmed": True}).status_code == 200
    problem(confirm(client_for("hr.sho"), alert, response.pk, {"confirmed": False}), 409)
    response.refresh_from_db()
    assert response.confirmation == "confirmed"
    assert FeedEvent.objects.filter(alert=alert, kind="hit_confirmed").count() == 1


def test_confirming_a_response_that_claims_no_hit_is_422(client_for: Any) -> None:
    alert = post(priority="immediate")
    response = claim(alert, outcome="no_trace")
    body = problem(confirm(client_for("hr.sho"), alert, response.pk, {"confirmed": True}), 422)
    assert "confirmed" in [e["field"] for e in body["errors"]]
    response.refresh_from_db()
    assert response.confirmation == ""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "confirmed"),
        ({"confirmed": True, "extra": 1}, "extra"),
        ({"confirmed": True, "note": "x" * 2001}, "note"),
    ],
)
def test_bad_confirmation_input_is_422_naming_the_field(client_for: Any, body: Any, field: str) -> None:
    alert = post(priority="immediate")
    response = claim(alert)
    got = problem(confirm(client_for("hr.sho"), alert, response.pk, body), 422)
    assert field in [e["field"] for e in got["errors"]]


def test_anonymous_is_401() -> None:
    alert = post(priority="immediate")
    response = claim(alert)
    problem(confirm(Client(), alert, response.pk, {"confirmed": True}), 401)


def test_the_recipient_who_claimed_it_may_not_confirm_it(client_for: Any) -> None:
    alert = post(priority="immediate")
    response = claim(alert)
    problem(confirm(client_for("dl.sho2"), alert, response.pk, {"confirmed": True}), 403)
    assert len(denied(alert)) == 1
    response.refresh_from_db()
    assert response.confirmation == ""


def test_a_national_analyst_who_sees_it_may_not_confirm(client_for: Any) -> None:
    alert = post(priority="immediate")
    response = claim(alert)
    problem(confirm(client_for("analyst"), alert, response.pk, {"confirmed": True}), 403)
    assert len(denied(alert)) == 1


def test_an_outsider_gets_the_404_of_a_missing_alert(client_for: Any) -> None:
    alert = post(priority="immediate")
    response = claim(alert)
    outsider = problem(confirm(client_for("as.nodal"), alert, response.pk, {"confirmed": True}), 404)
    missing = problem(confirm(client_for("as.nodal"), alert, 999999, {"confirmed": True}), 404)
    assert outsider["detail"] == missing["detail"]


def test_a_response_of_another_alert_is_404(client_for: Any) -> None:
    alert, other = post(priority="immediate"), post(priority="immediate")
    response = claim(other)
    problem(confirm(client_for("hr.sho"), alert, response.pk, {"confirmed": True}), 404)


def test_the_supervisor_of_the_originator_may_confirm(client_for: Any) -> None:
    alert = post(priority="immediate")
    response = claim(alert)
    assert confirm(client_for("hr.sp"), alert, response.pk, {"confirmed": True}).status_code == 200


def test_an_api_key_of_the_originating_agency_may_confirm(api_key_for: Any) -> None:
    alert = post(priority="immediate")
    response = claim(alert)
    client = Client(headers={"Authorization": f"Bearer {api_key_for(ORIGIN)}"})
    assert confirm(client, alert, response.pk, {"confirmed": True}).status_code == 200


# --- the page --------------------------------------------------------------------------------


def test_the_receipts_page_shows_the_hit_and_confirms_it(client_for: Any) -> None:
    alert = post(priority="immediate")
    response = claim(alert)
    page = client_for("hr.sho").get(f"/inbox/{alert.reference}/receipts/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="response-{response.pk}"' in html and "Confirm the hit" in html
    r = client_for("hr.sho").post(
        f"/inbox/{alert.reference}/responses/{response.pk}/confirm/", {"confirmed": "yes", "note": "ok"}
    )
    assert r.status_code == 302
    response.refresh_from_db()
    assert response.confirmation == "confirmed"
    html = client_for("hr.sho").get(f"/inbox/{alert.reference}/receipts/").content.decode()
    assert "hit confirmed" in html and "Confirm the hit" not in html


def test_the_receipts_page_is_for_the_originator_only(client_for: Any) -> None:
    alert = post(priority="immediate")
    response = claim(alert)
    assert client_for("dl.sho2").get(f"/inbox/{alert.reference}/receipts/").status_code == 404
    assert client_for("as.nodal").get(f"/inbox/{alert.reference}/receipts/").status_code == 404
    assert Client().get(f"/inbox/{alert.reference}/receipts/").status_code == 302  # to log in
    r = client_for("dl.sho2").post(
        f"/inbox/{alert.reference}/responses/{response.pk}/confirm/", {"confirmed": "yes"}
    )
    assert r.status_code == 403
    response.refresh_from_db()
    assert response.confirmation == ""
