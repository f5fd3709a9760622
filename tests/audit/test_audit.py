"""The audit trail of log-ins and log-outs made through the real pages, and its append-only rule."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from crimac.audit.actions import record
from crimac.audit.models import AuditEvent, Outcome
from crimac.directory.models import User
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

WRONG_PASSWORD_TEXT = "Please enter a correct username and password"


def login_events() -> Any:
    return AuditEvent.objects.filter(action="auth.login").order_by("id")


def post_login(client: Client, username: str, password: str) -> Any:
    """Fill in the real form: GET the page, then POST with its CSRF token, as a browser does."""
    page = client.get("/login/")
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    return client.post(
        "/login/",
        {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password, "next": ""},
    )


@pytest.fixture
def csrf_client() -> Client:
    """A client that enforces CSRF like a browser, so the form is exercised as it really is."""
    return Client(enforce_csrf_checks=True)


def test_login_success_is_audited_with_actor_agency_and_address(csrf_client: Client) -> None:
    before = set(login_events().values_list("id", flat=True))

    response = post_login(csrf_client, "dl.sho", DEMO_PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    new = login_events().exclude(id__in=before)
    assert new.count() == 1
    event = new.get()
    sho = User.objects.get(username="dl.sho")
    assert event.outcome == Outcome.SUCCESS
    assert event.actor_id == sho.pk
    assert event.actor_name == "dl.sho"
    assert event.agency_id == sho.agency_id
    assert event.agency_code == "DL-NEWDELHI-PS-001"
    assert event.client_address == "127.0.0.1"
    assert event.via == "page"
    # The session really is logged in as that user.
    assert csrf_client.get("/").status_code == 200
    assert int(csrf_client.session["_auth_user_id"]) == sho.pk


def test_wrong_password_is_audited_as_failed_without_actor_and_shows_the_error(
    csrf_client: Client,
) -> None:
    before = set(login_events().values_list("id", flat=True))

    response = post_login(csrf_client, "dl.sho", "not-the-password")

    assert response.status_code == 200
    body = response.content.decode()
    assert 'role="alert"' in body
    assert WRONG_PASSWORD_TEXT in body
    assert "_auth_user_id" not in csrf_client.session
    event = login_events().exclude(id__in=before).get()
    assert event.outcome == Outcome.FAILED
    assert event.actor_id is None
    assert event.actor_name == ""
    assert event.agency_id is None
    assert event.object_repr == "dl.sho"
    assert event.detail == {"username": "dl.sho"}
    assert event.client_address == "127.0.0.1"
    # The password tried is never written down.
    assert "not-the-password" not in str(event.detail)
    assert "not-the-password" not in event.object_repr


def test_unknown_username_is_audited_too(csrf_client: Client) -> None:
    before = set(login_events().values_list("id", flat=True))

    response = post_login(csrf_client, "nobody.here", "whatever-it-is")

    assert response.status_code == 200
    assert WRONG_PASSWORD_TEXT in response.content.decode()
    event = login_events().exclude(id__in=before).get()
    assert event.outcome == Outcome.FAILED
    assert event.actor_id is None
    assert event.detail == {"username": "nobody.here"}
    assert event.object_repr == "nobody.here"


def test_failed_login_keeps_the_typed_username_in_the_form(csrf_client: Client) -> None:
    response = post_login(csrf_client, "dl.sho", "wrong-again")

    assert 'value="dl.sho"' in response.content.decode()


def test_overlong_username_is_cut_to_the_column_not_a_500(csrf_client: Client) -> None:
    response = post_login(csrf_client, "x" * 5000, "wrong")

    assert response.status_code == 200
    event = login_events().last()
    assert event is not None
    assert event.outcome == Outcome.FAILED
    assert len(event.object_repr) <= 150


def test_logout_is_audited(client_for: Any) -> None:
    client = client_for("dl.nodal")
    before = set(AuditEvent.objects.filter(action="auth.logout").values_list("id", flat=True))

    response = client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    event = AuditEvent.objects.filter(action="auth.logout").exclude(id__in=before).get()
    nodal = User.objects.get(username="dl.nodal")
    assert event.outcome == Outcome.SUCCESS
    assert event.actor_id == nodal.pk
    assert event.agency_code == "DL-HQ"
    assert event.client_address == "127.0.0.1"
    # Logged out for real: home now sends to the log-in page.
    assert client.get("/")["Location"].startswith("/login/")


def test_logout_when_not_logged_in_writes_nothing() -> None:
    before = AuditEvent.objects.filter(action="auth.logout").count()

    response = Client().post("/logout/")

    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.logout").count() == before


def test_logout_by_get_is_refused(client_for: Any) -> None:
    client = client_for("dl.sho")

    assert client.get("/logout/").status_code == 405
    assert client.get("/").status_code == 200


# --- append-only ------------------------------------------------------------------------------


@pytest.fixture
def event() -> AuditEvent:
    return record("test.event", object_type="test", object_repr="original", via="system")


def test_saving_an_existing_row_is_refused(event: AuditEvent) -> None:
    event.object_repr = "tampered"
    with pytest.raises(TypeError, match="append-only"):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).object_repr == "original"


def test_deleting_a_row_is_refused(event: AuditEvent) -> None:
    with pytest.raises(TypeError, match="append-only"):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_is_refused(event: AuditEvent) -> None:
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.filter(pk=event.pk).update(object_repr="tampered")
    assert AuditEvent.objects.get(pk=event.pk).object_repr == "original"


def test_queryset_delete_is_refused(event: AuditEvent) -> None:
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_new_rows_can_still_be_inserted() -> None:
    count = AuditEvent.objects.count()
    AuditEvent(action="test.insert", via="system").save()
    assert AuditEvent.objects.count() == count + 1


def test_nul_in_username_is_refused_and_recorded_not_a_500(csrf_client: Client) -> None:
    """PostgreSQL cannot store NUL in text; crimac.middleware refuses it before the view runs
    and records the refusal, on every database."""
    response = post_login(csrf_client, "dl.\x00sho", "whatever")

    assert response.status_code == 400
    event = AuditEvent.objects.filter(action="request.rejected").latest("id")
    assert event.outcome == Outcome.DENIED
    assert event.detail["where"] == "form field 'username'"
