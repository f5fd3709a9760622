"""Per-user unread: opening or acknowledging an alert marks it read for that officer only; the
agency count drops once anyone has read it; muted deliveries are not counted. POST /inbox/read
with its refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from crimac.alerts.models import Alert
from crimac.audit.models import AuditEvent
from crimac.directory.models import User
from crimac.dissemination import actions
from crimac.dissemination.models import Delivery, DeliveryRead
from tests.conftest import make_user
from tests.dissemination.test_escalation import STATION, post, user

pytestmark = pytest.mark.django_db

API = "/api/v1"
PROBLEM = "application/problem+json"


@pytest.fixture
def three() -> list[Alert]:
    return [post(priority="routine"), post(priority="priority"), post(priority="immediate")]


@pytest.fixture
def colleague() -> User:
    return make_user("v.colleague", STATION, "officer")


def counts(client: Client) -> dict[str, int]:
    r = client.get(f"{API}/inbox")
    assert r.status_code == 200, r.content
    return dict(r.json()["unread"])


def as_client(u: User) -> Client:
    client = Client()
    client.force_login(u)
    return client


def mark(client: Client, body: Any) -> Any:
    return client.post(f"{API}/inbox/read", json.dumps(body), content_type="application/json")


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:1000]
    assert response["Content-Type"] == PROBLEM
    return dict(json.loads(response.content))


def test_two_officers_of_one_station_have_their_own_unread_counts(
    three: list[Alert], colleague: User, client_for: Any
) -> None:
    me, them = client_for("dl.sho2"), as_client(colleague)
    assert counts(me) == counts(them) == {"user": 3, "agency": 3}
    assert actions.mark_read(three[0], user("dl.sho2")) is True
    assert counts(me) == {"user": 2, "agency": 2}
    assert counts(them) == {"user": 3, "agency": 2}
    # Acknowledging marks it read for the one who acknowledged.
    assert them.post(f"{API}/alerts/{three[1].reference}/acknowledge").status_code == 200
    assert counts(them) == {"user": 2, "agency": 1}
    assert counts(me) == {"user": 2, "agency": 1}
    # Reading again changes nothing.
    assert actions.mark_read(three[0], user("dl.sho2")) is False
    assert DeliveryRead.objects.filter(delivery__alert=three[0]).count() == 1


def test_the_unread_flag_and_filter_are_per_user(
    three: list[Alert], colleague: User, client_for: Any
) -> None:
    actions.mark_read(three[2], colleague)
    me, them = client_for("dl.sho2"), as_client(colleague)
    mine = {x["reference"]: x["read"] for x in me.get(f"{API}/inbox").json()["results"]}
    theirs = {x["reference"]: x["read"] for x in them.get(f"{API}/inbox").json()["results"]}
    assert mine == {a.reference: False for a in three}
    assert theirs == {three[0].reference: False, three[1].reference: False, three[2].reference: True}
    unread = [x["reference"] for x in them.get(f"{API}/inbox", {"unread": "true"}).json()["results"]]
    read = [x["reference"] for x in them.get(f"{API}/inbox", {"unread": "false"}).json()["results"]]
    assert (unread, read) == ([three[0].reference, three[1].reference], [three[2].reference])


def test_responding_marks_read() -> None:
    alert = post()
    actions.respond(alert, actor=user("dl.sho2"), outcome="no_trace")
    assert DeliveryRead.objects.filter(delivery__alert=alert, user=user("dl.sho2")).exists()


def test_mark_read_is_a_no_op_for_someone_it_was_not_delivered_to() -> None:
    alert = post()
    assert actions.mark_read(alert, user("dl.sho")) is False
    assert actions.mark_read(alert, user("hr.sho")) is False
    assert not DeliveryRead.objects.filter(delivery__alert=alert).exists()


def test_muted_deliveries_are_not_counted_unread(three: list[Alert], client_for: Any) -> None:
    Delivery.objects.filter(alert=three[0], agency__code=STATION).update(muted=True)
    assert counts(client_for("dl.sho2")) == {"user": 2, "agency": 2}


def test_post_inbox_read_marks_the_named_alerts(three: list[Alert], client_for: Any) -> None:
    client = client_for("dl.sho2")
    r = mark(client, {"references": [three[0].reference.lower(), three[2].reference]})
    assert r.status_code == 200, r.content
    assert r.json() == {"marked": 2, "unread": {"user": 1, "agency": 1}}
    [audit] = AuditEvent.objects.filter(action="inbox.read")
    assert audit.actor_name == "dl.sho2" and audit.detail["marked"] == 2
    assert mark(client, {"references": [three[0].reference]}).json()["marked"] == 0


def test_post_inbox_read_up_to_a_cursor(three: list[Alert], client_for: Any) -> None:
    client = client_for("dl.sho2")
    items = client.get(f"{API}/inbox").json()["results"]
    r = mark(client, {"up_to": items[1]["cursor"]})
    assert r.status_code == 200, r.content
    assert r.json()["marked"] == 2
    assert [x["read"] for x in client.get(f"{API}/inbox").json()["results"]] == [True, True, False]


def test_an_agency_api_key_marks_read_for_its_system_account(
    three: list[Alert], api_key_for: Any, client_for: Any
) -> None:
    client = Client(headers={"Authorization": f"Bearer {api_key_for(STATION)}"})
    assert mark(client, {"references": [three[0].reference]}).json()["marked"] == 1
    assert counts(client) == {"user": 2, "agency": 2}
    assert counts(client_for("dl.sho2")) == {"user": 3, "agency": 2}


def test_post_inbox_read_anonymous_is_401(three: list[Alert]) -> None:
    problem(mark(Client(), {"references": [three[0].reference]}), 401)
    problem(Client().get(f"{API}/inbox"), 401)
    assert not DeliveryRead.objects.exists()


def test_an_alert_not_in_your_inbox_is_422_and_nothing_is_marked(three: list[Alert], client_for: Any) -> None:
    outsider = client_for("dl.sho")  # the sibling station: not a recipient
    body = problem(mark(outsider, {"references": [three[0].reference]}), 422)
    assert [e["field"] for e in body["errors"]] == ["references.0"]
    mixed = problem(mark(client_for("dl.sho2"), {"references": [three[0].reference, "HR-2026-999999"]}), 422)
    assert [e["field"] for e in mixed["errors"]] == ["references.1"]
    assert not DeliveryRead.objects.exists()


def test_an_analyst_marks_only_its_own_inbox(three: list[Alert], client_for: Any) -> None:
    """Reading needs no right beyond being a recipient: an analyst without the alert is refused."""
    problem(mark(client_for("analyst"), {"references": [three[0].reference]}), 422)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "references"),
        ({"references": ["X"], "up_to": "ZDE"}, "references"),
        ({"up_to": "garbage!"}, "up_to"),
        ({"references": ["X"], "extra": 1}, "extra"),
        ({"references": ["x" * 41]}, "references.0"),
    ],
)
def test_bad_mark_read_input_is_422_naming_the_field(
    three: list[Alert], client_for: Any, body: Any, field: str
) -> None:
    got = problem(mark(client_for("dl.sho2"), body), 422)
    assert field in [e["field"] for e in got["errors"]]


def test_the_inbox_page_shows_unread_counts_and_marks_all_read(three: list[Alert], client_for: Any) -> None:
    client = client_for("dl.sho2")
    actions.mark_read(three[0], user("dl.sho2"))
    html = client.get("/inbox/").content.decode()
    assert '<strong id="unread-user">2</strong>' in html
    assert f'id="delivery-{three[1].reference}" class="unread"' in html
    assert f'id="delivery-{three[0].reference}" class="read"' in html
    unread_page = client.get("/inbox/?unread=1").content.decode()
    assert three[1].reference in unread_page and three[0].reference not in unread_page
    assert client.post("/inbox/read/").status_code == 302
    assert counts(client) == {"user": 0, "agency": 0}
