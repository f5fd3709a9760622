"""Endpoints and dead letters by API and page: who may (anonymous, wrong role, outsider, the
agency's admin, an API key), what is refused (bad URLs, e-mails, numbers), audit rows, secrets
shown once, and the retry of a dead letter."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from crimac.audit.models import AuditEvent, Outcome
from crimac.dissemination.choices import OutboxStatus
from crimac.dissemination.models import Endpoint, OutboxMessage
from tests.dissemination.test_channels_receivers import TARGET, add_endpoint, post_alert

pytestmark = pytest.mark.django_db

API = "/api/v1/channels"
PROBLEM = "application/problem+json"


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:1000]
    assert response["Content-Type"] == PROBLEM
    return json.loads(response.content)  # type: ignore[no-any-return]


def fields(body: dict[str, Any]) -> set[str]:
    return {e["field"] for e in body.get("errors", [])}


def create(client: Client, **data: Any) -> Any:
    body = {"agency": TARGET, "kind": "webhook", "target": "https://hooks.example.org/crimac"} | data
    return client.post(f"{API}/endpoints", body, content_type="application/json")


def dead_message(kind: str = "email", target: str = "control@example.org") -> OutboxMessage:
    add_endpoint(kind, target)
    post_alert()
    m = OutboxMessage.objects.get(endpoint__target=target)
    OutboxMessage.objects.filter(pk=m.pk).update(status=OutboxStatus.DEAD, attempts=8, last_error="HTTP 500")
    m.refresh_from_db()
    return m


# --- who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/endpoints"),
        ("post", "/endpoints"),
        ("get", "/endpoints/1"),
        ("delete", "/endpoints/1"),
        ("get", "/messages"),
        ("post", "/messages/1/retry"),
    ],
)
def test_anonymous_gets_401(method: str, path: str) -> None:
    response = getattr(Client(), method)(f"{API}{path}", content_type="application/json")
    problem(response, 401)


@pytest.mark.parametrize(
    ("method", "path", "action"),
    [
        ("get", "/endpoints", "endpoint.list"),
        ("post", "/endpoints", "endpoint.create"),
        ("get", "/endpoints/1", "endpoint.read"),
        ("delete", "/endpoints/1", "endpoint.deactivate"),
        ("get", "/messages", "outbox.list"),
        ("post", "/messages/1/retry", "outbox.retry"),
    ],
)
def test_an_officer_gets_403_and_a_denied_row(client_for: Any, method: str, path: str, action: str) -> None:
    kwargs: dict[str, Any] = {"content_type": "application/json"}
    if method == "post" and path == "/endpoints":
        kwargs["data"] = {"agency": TARGET, "kind": "email", "target": "a@example.org"}
    problem(getattr(client_for("dl.sho"), method)(f"{API}{path}", **kwargs), 403)
    assert AuditEvent.objects.filter(action=action, outcome=Outcome.DENIED, actor_name="dl.sho").exists()


def test_an_api_key_of_an_agency_system_may_not_manage_endpoints(api_key_for: Any) -> None:
    key = api_key_for("DL-HQ")
    problem(Client().get(f"{API}/endpoints", HTTP_AUTHORIZATION=f"Bearer {key}"), 403)


def test_the_state_nodal_officer_adds_a_webhook_and_sees_its_secret_once(client_for: Any) -> None:
    client = client_for("dl.nodal")
    response = create(client)
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["agency"]["code"] == TARGET and out["kind"] == "webhook" and out["active"]
    assert len(out["secret"]) >= 40
    endpoint = Endpoint.objects.get(pk=out["id"])
    assert endpoint.secret == out["secret"] and endpoint.created_by.username == "dl.nodal"
    listed = client.get(f"{API}/endpoints").json()
    assert [e["id"] for e in listed] == [out["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in client.get(f"{API}/endpoints/{out['id']}").json()
    row = AuditEvent.objects.get(action="endpoint.create", object_id=str(endpoint.pk))
    assert row.actor_name == "dl.nodal" and row.agency_code == TARGET
    assert row.detail == {"kind": "webhook", "target": "https://hooks.example.org/crimac"}
    assert "secret" not in json.dumps(row.detail)


def test_an_email_endpoint_has_no_secret(client_for: Any) -> None:
    response = create(client_for("dl.nodal"), kind="email", target="sho@delhipolice.example")
    assert response.status_code == 201 and response.json()["secret"] is None


def test_the_nodal_officer_of_another_state_may_not_add_or_see_delhi_endpoints(client_for: Any) -> None:
    body = problem(create(client_for("as.nodal")), 403)
    assert body["detail"] == "you may not do this"
    assert AuditEvent.objects.filter(
        action="endpoint.create", outcome=Outcome.DENIED, actor_name="as.nodal"
    ).exists()
    endpoint, _ = add_endpoint("email", "control@example.org")
    outsider = client_for("as.nodal")
    assert outsider.get(f"{API}/endpoints").json() == []
    missing = problem(outsider.get(f"{API}/endpoints/{endpoint.pk}"), 404)
    gone = problem(outsider.get(f"{API}/endpoints/999999999"), 404)
    assert missing["detail"] == gone["detail"]
    problem(outsider.delete(f"{API}/endpoints/{endpoint.pk}"), 404)
    assert Endpoint.objects.get(pk=endpoint.pk).active


def test_the_administrator_manages_every_agency(client_for: Any) -> None:
    assert create(client_for("admin"), agency="AS-HQ").status_code == 201


def test_deactivating_keeps_the_row_and_writes_an_audit_row(client_for: Any) -> None:
    endpoint, _ = add_endpoint("email", "control@example.org")
    response = client_for("dl.nodal").delete(f"{API}/endpoints/{endpoint.pk}")
    assert response.status_code == 200 and response.json()["active"] is False
    assert not Endpoint.objects.get(pk=endpoint.pk).active
    assert AuditEvent.objects.filter(
        action="endpoint.deactivate", object_id=str(endpoint.pk), actor_name="dl.nodal"
    ).exists()
    post_alert()
    assert not OutboxMessage.objects.filter(endpoint=endpoint).exists()


# --- what is refused --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.org/x",
        "javascript:alert(1)",
        "hooks.example.org/x",
        "http://localhost:8000/hook",
        "http://127.0.0.1/hook",
        "http://127.8.9.10:9000/hook",
        "http://[::1]:8000/hook",
        "http://0.0.0.0/hook",
        "http://testserver/api/v1/alerts",
        "https://app.localhost/x",
        "http://[::1/",
        # Numeric spellings the resolver takes for 127.0.0.1 / 0.0.0.0 (found in review).
        "http://127.1:8000/hook",
        "http://2130706433/hook",
        "http://0x7f000001/hook",
        "http://017700000001/hook",
        "http://0/hook",
        "http://[::ffff:127.0.0.1]/hook",
        # A cloud metadata service and other link-local or multicast addresses.
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/hook",
        "http://224.0.0.1/hook",
    ],
)
def test_bad_webhook_urls_are_refused_naming_the_field(client_for: Any, settings: Any, url: str) -> None:
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    body = problem(create(client_for("dl.nodal"), target=url), 422)
    assert fields(body) == {"target"}, body
    assert not Endpoint.objects.exists()


def test_with_loopback_allowed_a_loopback_receiver_is_taken_but_never_this_server(
    client_for: Any, settings: Any
) -> None:
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    client = client_for("dl.nodal")
    assert create(client, target="http://127.0.0.1:9999/hook").status_code == 201
    body = problem(create(client, target="http://testserver/api/v1/hook"), 422)
    assert "this server itself" in body["errors"][0]["message"]
    body = problem(create(client, target="http://169.254.169.254/latest/"), 422)
    assert "link-local" in body["errors"][0]["message"]


def test_a_name_that_resolves_to_a_forbidden_address_is_refused_when_sending(settings: Any) -> None:
    """Checked again at send time: a name may be pointed at loopback after the endpoint is added."""
    from crimac.dissemination.channels import SendError
    from crimac.dissemination.channels.webhook import check_destination

    settings.WEBHOOK_ALLOW_LOOPBACK = False
    with pytest.raises(SendError, match="loopback"):
        check_destination("http://localhost:9/hook")
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    check_destination("http://localhost:9/hook")
    with pytest.raises(SendError, match="link-local"):
        check_destination("http://169.254.169.254/latest/")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "email", "target": "not-an-address"}, "target"),
        ({"kind": "sms", "target": "12"}, "target"),
        ({"kind": "pigeon"}, "kind"),
        ({"target": ""}, "target"),
        ({"agency": "NO-SUCH-AGENCY"}, "agency"),
        ({"colour": "red"}, "colour"),
        ({"target": "https://x.example/" + "a" * 600}, "target"),
    ],
)
def test_bad_input_is_422_naming_the_field(client_for: Any, data: dict[str, Any], field: str) -> None:
    body = problem(create(client_for("dl.nodal"), **data), 422)
    assert field in fields(body), body


def test_the_same_endpoint_twice_is_refused(client_for: Any) -> None:
    client = client_for("dl.nodal")
    assert create(client, kind="sms", target="+919876543210").status_code == 201
    body = problem(create(client, kind="sms", target="09876543210"), 422)
    assert fields(body) == {"target"} and "already" in body["errors"][0]["message"]


# --- dead letters -----------------------------------------------------------------------------


def test_dead_letters_are_listed_for_the_agency_admin_and_retried(client_for: Any) -> None:
    m = dead_message()
    client = client_for("dl.nodal")
    page = client.get(f"{API}/messages", {"status": "dead"}).json()
    assert [(r["id"], r["status"], r["attempts"], r["last_error"]) for r in page["results"]] == [
        (m.pk, "dead", 8, "HTTP 500")
    ]
    assert page["results"][0]["reference"] == m.payload["alert"]["reference"]
    response = client.post(f"{API}/messages/{m.pk}/retry")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "pending"
    m.refresh_from_db()
    assert (m.status, m.attempts) == (OutboxStatus.PENDING, 0)
    assert m.next_attempt_at <= timezone.now()
    row = AuditEvent.objects.get(action="outbox.retry", object_id=str(m.pk))
    assert row.actor_name == "dl.nodal" and row.detail["attempts_before"] == 8
    body = problem(client.post(f"{API}/messages/{m.pk}/retry"), 422)
    assert fields(body) == {"status"}


def test_an_outsider_sees_no_dead_letters_and_cannot_retry_them(client_for: Any) -> None:
    m = dead_message()
    outsider = client_for("as.nodal")
    assert outsider.get(f"{API}/messages").json()["results"] == []
    problem(outsider.post(f"{API}/messages/{m.pk}/retry"), 404)
    m.refresh_from_db()
    assert m.status == OutboxStatus.DEAD


def test_a_dead_letter_of_a_deactivated_endpoint_is_not_retried(client_for: Any) -> None:
    m = dead_message()
    Endpoint.objects.filter(pk=m.endpoint_id).update(active=False)
    body = problem(client_for("dl.nodal").post(f"{API}/messages/{m.pk}/retry"), 422)
    assert fields(body) == {"endpoint"}


def test_message_filters_and_cursor(client_for: Any) -> None:
    client = client_for("dl.nodal")
    problem(client.get(f"{API}/messages", {"status": "lost"}), 422)
    problem(client.get(f"{API}/messages", {"cursor": "garbage!"}), 400)
    problem(client.get(f"{API}/messages", {"limit": 0}), 422)
    add_endpoint("email", "control@example.org")
    for _ in range(3):
        post_alert()
    first = client.get(f"{API}/messages", {"limit": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert ids == sorted(ids) and len(set(ids)) == 3


def test_list_queries_do_not_grow_with_the_rows(client_for: Any, django_assert_max_num_queries: Any) -> None:
    client = client_for("dl.nodal")
    add_endpoint("email", "a@example.org")
    post_alert()
    with django_assert_max_num_queries(12) as short:
        client.get(f"{API}/endpoints")
        client.get(f"{API}/messages")
    for n in range(6):
        add_endpoint("email", f"b{n}@example.org")
    for _ in range(3):
        post_alert()
    with django_assert_max_num_queries(len(short.captured_queries)):
        client.get(f"{API}/endpoints")
        client.get(f"{API}/messages")


# --- pages ------------------------------------------------------------------------------------


def test_the_page_lists_adds_and_deactivates(client_for: Any, settings: Any) -> None:
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    client = client_for("dl.nodal")
    assert client.get("/channels/").status_code == 200
    response = client.post(
        "/channels/", {"agency": TARGET, "kind": "webhook", "target": "https://h.example.org/x"}
    )
    assert response.status_code == 200
    endpoint = Endpoint.objects.get()
    assert endpoint.secret in response.content.decode()  # shown once, here
    assert endpoint.secret not in client.get("/channels/").content.decode()
    refused = client.post("/channels/", {"agency": TARGET, "kind": "webhook", "target": "http://localhost/x"})
    assert refused.status_code == 422 and "may not point to this server" in refused.content.decode()
    response = client.post("/channels/", {"deactivate": str(endpoint.pk)})
    assert response.status_code == 302
    assert not Endpoint.objects.get(pk=endpoint.pk).active
    assert AuditEvent.objects.filter(action="endpoint.deactivate", via="page").exists()


def test_the_pages_refuse_officers_anonymous_and_outsiders(client_for: Any) -> None:
    assert Client().get("/channels/").status_code == 302
    assert client_for("dl.sho").get("/channels/").status_code == 403
    assert client_for("dl.sho").get("/channels/dead/").status_code == 403
    endpoint, _ = add_endpoint("email", "control@example.org")
    response = client_for("as.nodal").post("/channels/", {"deactivate": str(endpoint.pk)})
    assert response.status_code == 404
    assert Endpoint.objects.get(pk=endpoint.pk).active
    response = client_for("as.nodal").post(
        "/channels/", {"agency": TARGET, "kind": "email", "target": "x@example.org"}
    )
    assert response.status_code == 403


def test_the_dead_letter_page_shows_and_retries(client_for: Any) -> None:
    m = dead_message()
    client = client_for("dl.nodal")
    page = client.get("/channels/dead/").content.decode()
    assert m.payload["alert"]["reference"] in page and "HTTP 500" in page
    assert client_for("as.nodal").get("/channels/dead/").content.decode().count("HTTP 500") == 0
    assert client_for("as.nodal").post("/channels/dead/", {"retry": str(m.pk)}).status_code == 404
    assert client.post("/channels/dead/", {"retry": str(m.pk)}).status_code == 302
    m.refresh_from_db()
    assert m.status == OutboxStatus.PENDING
