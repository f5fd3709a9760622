"""Inbox filters (muted, status, acknowledged, since/until) and the changes mode
(`updated_after`) that lets a poller see revisions of alerts it already has."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from crimac import clock
from crimac.alerts.actions import cancel_alert, revise_alert
from crimac.alerts.models import Alert
from crimac.alerts.schemas import AlertRevise
from crimac.dissemination import actions
from crimac.dissemination.models import Delivery
from tests.dissemination.test_escalation import STATION, post, user

pytestmark = pytest.mark.django_db

API = "/api/v1"
PROBLEM = "application/problem+json"


@pytest.fixture
def four() -> list[Alert]:
    return [post(priority="routine", title=f"Alert number {n}") for n in range(4)]


def get(client: Client, **params: Any) -> dict[str, Any]:
    r = client.get(f"{API}/inbox", params)
    assert r.status_code == 200, r.content[:1000]
    return dict(r.json())


def refs(body: dict[str, Any]) -> list[str]:
    return [x["reference"] for x in body["results"]]


def after_of(next_url: str) -> str:
    return parse_qs(urlsplit(next_url).query)["after"][0]


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:1000]
    assert response["Content-Type"] == PROBLEM
    return dict(json.loads(response.content))


def test_muted_deliveries_are_hidden_unless_asked_for(four: list[Alert], client_for: Any) -> None:
    Delivery.objects.filter(alert=four[1], agency__code=STATION).update(muted=True)
    client = client_for("dl.sho2")
    assert refs(get(client)) == [four[0].reference, four[2].reference, four[3].reference]
    assert refs(get(client, muted="false")) == refs(get(client))
    only = get(client, muted="true")
    assert refs(only) == [four[1].reference]
    assert only["results"][0]["muted"] is True


def test_status_and_acknowledged_filters(four: list[Alert], client_for: Any) -> None:
    cancel_alert(four[0], reason="sent by mistake", actor=user("hr.sho"))
    actions.acknowledge(four[2], actor=user("dl.sho2"))
    client = client_for("dl.sho2")
    assert refs(get(client, status="cancelled")) == [four[0].reference]
    assert refs(get(client, status=["published"])) == [a.reference for a in four[1:]]
    assert refs(get(client, acknowledged="true")) == [four[2].reference]
    assert refs(get(client, acknowledged="false")) == [
        four[0].reference,
        four[1].reference,
        four[3].reference,
    ]
    problem(client.get(f"{API}/inbox", {"status": "lost"}), 422)


def test_since_and_until_bound_the_delivery_time(four: list[Alert], client_for: Any) -> None:
    base = timezone.now().replace(microsecond=0) - timedelta(days=3)
    for n, alert in enumerate(four):
        Delivery.objects.filter(alert=alert).update(created_at=base + timedelta(days=n))
    client = client_for("dl.sho2")
    since, until = (base + timedelta(days=1)).isoformat(), (base + timedelta(days=3)).isoformat()
    assert refs(get(client, since=since)) == [a.reference for a in four[1:]]
    assert refs(get(client, until=until)) == [a.reference for a in four[:3]]
    assert refs(get(client, since=since, until=until)) == [four[1].reference, four[2].reference]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2026-01-01T00:00:00"}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until"),
        ({"updated_after": "2026-01-01T00:00:00"}, "updated_after"),
        ({"acknowledged": "perhaps"}, "acknowledged"),
        ({"unread": "sometimes"}, "unread"),
    ],
)
def test_bad_filters_are_422_naming_the_field(client_for: Any, params: dict[str, str], field: str) -> None:
    body = problem(client_for("dl.sho2").get(f"{API}/inbox", params), 422)
    assert field in [e["field"] for e in body["errors"]]


def revise(alert: Alert, **fields: Any) -> None:
    revise_alert(
        alert, AlertRevise.model_validate({"summary": "details added", **fields}), actor=user("hr.sho")
    )


def test_a_poller_sees_revisions_of_alerts_it_already_has(four: list[Alert], client_for: Any) -> None:
    client = client_for("dl.sho2")
    first = get(client)
    assert refs(first) == [a.reference for a in four]
    # Everything so far happened long ago, from this poller's point of view.
    Delivery.objects.filter(agency__code=STATION).update(updated_at=timezone.now() - timedelta(hours=1))
    poll_from = first["poll_from"]
    assert datetime.fromisoformat(poll_from) <= timezone.now() - timedelta(seconds=5)
    # New items by cursor: none. Revised ones by updated_after: the revised one.
    assert refs(get(client, after=first["results"][-1]["cursor"])) == []
    revise(four[1], title="Alert number 1, with a photograph")
    changed = get(client, updated_after=poll_from)
    assert refs(changed) == [four[1].reference]
    assert changed["results"][0]["revision"] == 2
    assert changed["results"][0]["title"] == "Alert number 1, with a photograph"
    # An acknowledgement by a colleague is a change too.
    with clock.frozen(timezone.now().replace(microsecond=0) + timedelta(minutes=1)):
        actions.acknowledge(four[3], actor=user("dl.sho2"))
    assert refs(get(client, updated_after=poll_from)) == [four[1].reference, four[3].reference]


def test_changes_mode_pages_in_the_order_of_change(four: list[Alert], client_for: Any) -> None:
    base = timezone.now().replace(microsecond=0) - timedelta(minutes=30)
    order = [2, 0, 3, 1]
    for n, index in enumerate(order):
        Delivery.objects.filter(alert=four[index]).update(updated_at=base + timedelta(minutes=n))
    client = client_for("dl.sho2")
    seen: list[str] = []
    body = get(client, updated_after=base.isoformat(), limit=3)
    seen += refs(body)
    assert body["next"] is not None
    body = get(client, updated_after=base.isoformat(), limit=3, after=after_of(body["next"]))
    seen += refs(body)
    assert body["next"] is None
    assert seen == [four[i].reference for i in order]
    later = (base + timedelta(minutes=2)).isoformat()
    assert refs(get(client, updated_after=later)) == [four[3].reference, four[1].reference]


def test_a_changes_cursor_without_updated_after_is_refused(four: list[Alert], client_for: Any) -> None:
    client = client_for("dl.sho2")
    base = (timezone.now() - timedelta(hours=1)).isoformat()
    body = get(client, updated_after=base, limit=1)
    cursor = after_of(body["next"])
    problem(client.get(f"{API}/inbox", {"after": cursor}), 422)
    future = base64.urlsafe_b64encode(f"u{(timezone.now() + timedelta(days=1)).isoformat()}|1".encode())
    problem(client.get(f"{API}/inbox", {"updated_after": base, "after": future.decode().rstrip("=")}), 400)
    garbage = base64.urlsafe_b64encode(b"unot-a-time|1").decode().rstrip("=")
    problem(client.get(f"{API}/inbox", {"updated_after": base, "after": garbage}), 400)


def test_the_endpoint_documents_the_changes_mode(client: Client) -> None:
    schema = client.get(f"{API}/openapi.json").json()
    text = schema["paths"][f"{API}/inbox"]["get"]["description"]
    assert "updated_after" in text and "poll_from" in text
