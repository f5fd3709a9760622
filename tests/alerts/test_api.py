"""The alerts HTTP API (/api/v1/alerts...): create (session and Bearer key), drafts, bulk,
idempotency keys, list filters and keyset paging, revise/publish/cancel/resolve, revisions, the
audit row of a read, and who may do what (anonymous, no permission, outsider, peer, supervisor).

Every refused request is checked for its problem+json shape, its field path and for having
written nothing."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crimac.alerts.models import Alert, AlertRevision, Attachment, IdempotencyRecord, Person
from crimac.audit.models import AuditEvent
from crimac.directory.models import Agency, User

pytestmark = pytest.mark.django_db

API = "/api/v1"
PROBLEM = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}
ERROR_KEYS = {"field", "pointer", "in", "message"}
NOT_FOUND = "no such object, or you may not see it"
PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


# --- helpers ------------------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    return moment.isoformat()


def ago(**delta: float) -> str:
    return iso(timezone.now() - timedelta(**delta))


def alert_body(**overrides: Any) -> dict[str, Any]:
    """A complete, valid alert as a Delhi station would post it."""
    body: dict[str, Any] = {
        "category": "missing_person",
        "title": "Missing girl, 14, last seen near Kotwali market",
        "narrative": "Left home for school at 07:30 and did not return.",
        "priority": "immediate",
        "occurred_at": ago(hours=3),
        "persons": [
            {"role": "missing", "name": "Pooja Kumari", "gender": "female", "age_min": 13, "age_max": 15},
            {"role": "suspect", "name": "Ravi", "gender": "male", "marks": "scar on left cheek"},
        ],
        "vehicles": [{"registration": "dl 3c ab 1234", "vehicle_type": "car", "colour": "white"}],
        "phones": [{"number": "98100 12345"}],
        "sections": ["IPC 363"],
    }
    body.update(overrides)
    return body


def small_body(title: str = "General advisory for stations", **overrides: Any) -> dict[str, Any]:
    return {"category": "general_advisory", "title": title, **overrides}


def post_json(client: Client, path: str, body: Any, **headers: str) -> Any:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(API + path, data, content_type="application/json", headers=headers or None)


def create(client: Client, body: dict[str, Any] | None = None, **headers: str) -> dict[str, Any]:
    r = post_json(client, "/alerts", body if body is not None else alert_body(), **headers)
    assert r.status_code == 201, r.content[:1000]
    return r.json()


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:1000]
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert set(body) >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["instance"] == response.wsgi_request.path
    assert "Traceback" not in response.content.decode(errors="replace")
    return body


def fields_of(body: dict[str, Any]) -> list[str]:
    errors = body.get("errors")
    assert isinstance(errors, list) and errors, body
    for err in errors:
        assert set(err) == ERROR_KEYS, err
        assert err["pointer"].startswith("#/"), err
        assert err["message"], err
    return [e["field"] for e in errors]


def error_message(body: dict[str, Any], field: str) -> str:
    matching = [e["message"] for e in body["errors"] if e["field"] == field]
    assert matching, f"no error for {field!r} in {body['errors']}"
    return matching[0]


def refs(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:1000]
    return [a["reference"] for a in response.json()["results"]]


@pytest.fixture
def bearer(api_key_for: Callable[..., str]) -> Callable[[str], Client]:
    def make(agency_code: str) -> Client:
        return Client(headers={"Authorization": f"Bearer {api_key_for(agency_code)}"})

    return make


@pytest.fixture
def sho(client_for: Callable[[str], Client]) -> Client:
    return client_for("dl.sho")


@pytest.fixture
def delhi_alert(sho: Client) -> dict[str, Any]:
    """Published by dl.sho (New Delhi PS-001) to Delhi only: Assam cannot see it."""
    return create(sho)


@pytest.fixture
def national_alert(sho: Client) -> dict[str, Any]:
    """Published by dl.sho to the whole country: every agency can see it."""
    return create(
        sho, alert_body(title="Wanted: chain snatcher working the metro", audience={"national": True})
    )


@pytest.fixture
def district_codes(user_named: Callable[[str], User]) -> dict[str, int]:
    return {
        "new_delhi": user_named("dl.sho").agency.district.lgd_code,
        "gurugram": Agency.objects.get(code="HR-GURUGRAM-PS-001").district.lgd_code,
        "kamrup_metro": user_named("as.sho").agency.district.lgd_code,
    }


# --- the catalogues -----------------------------------------------------------------------------


def test_categories_list_every_category_with_defaults(sho: Client) -> None:
    r = sho.get(f"{API}/alerts/categories")
    assert r.status_code == 200
    by_value = {c["value"]: c for c in r.json()}
    assert {"missing_person", "human_trafficking", "stolen_vehicle", "general_advisory"} <= set(by_value)
    assert by_value["human_trafficking"]["trafficking"] is True
    assert by_value["stolen_vehicle"]["trafficking"] is False
    assert by_value["terror_incident"]["default_priority"] == "flash"


def test_sections_search_gives_the_bns_counterpart(sho: Client) -> None:
    r = sho.get(f"{API}/alerts/sections", {"q": "IPC 379"})
    assert r.status_code == 200
    found = {s["citation"]: s for s in r.json()}
    assert found["IPC 379"]["counterpart"] == "BNS 303"
    assert found["IPC 379"]["title"] == "Theft"
    assert all(s["code"] == "IPC" for s in r.json())


def test_sections_query_is_bounded(sho: Client) -> None:
    body = assert_problem(sho.get(f"{API}/alerts/sections", {"q": "x" * 101}), 422)
    assert fields_of(body) == ["q"]


# --- creating -----------------------------------------------------------------------------------


def test_create_by_session_returns_the_whole_alert(sho: Client, district_codes: dict[str, int]) -> None:
    before = Alert.objects.count()
    r = post_json(sho, "/alerts", alert_body(district=district_codes["new_delhi"]))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["reference"].startswith(f"DL-{timezone.localdate().year}-")
    assert body["status"] == "published" and body["published_at"]
    assert body["origin"]["agency"] == "DL-NEWDELHI-PS-001"
    assert body["place"] == {
        **body["place"],
        "state": "DL",
        "district": district_codes["new_delhi"],
    }
    assert [p["name"] for p in body["persons"]] == ["Pooja Kumari", "Ravi"]
    assert body["persons"][0]["age_min"] == 13 and body["persons"][0]["age_max"] == 15
    assert body["vehicles"][0]["registration"] == "dl 3c ab 1234"
    assert body["vehicles"][0]["registration_normalised"] == "DL03CAB1234"
    assert body["phones"][0]["e164"] == "+919810012345"
    assert body["sections"] == [
        {
            "citation": "IPC 363",
            "title": body["sections"][0]["title"],
            "counterpart": "BNS 137(2)",
            "counterpart_uncertain": False,
            "trafficking": False,
        }
    ]
    assert body["warnings"] == []
    assert body["audience"]["states"] == ["DL"]
    assert body["links"]["self"] == f"{API}/alerts/{body['reference']}"
    assert Alert.objects.count() == before + 1
    alert = Alert.objects.get(reference=body["reference"])
    assert alert.persons.count() == 2 and alert.vehicles.count() == 1 and alert.phones.count() == 1
    assert list(AlertRevision.objects.filter(alert=alert).values_list("number", "event")) == [
        (1, "published")
    ]
    assert AuditEvent.objects.filter(action="alert.publish", object_id=str(alert.pk), via="api").count() == 1


def test_create_with_a_bearer_key_originates_from_the_keys_agency(bearer: Callable[[str], Client]) -> None:
    system = bearer("DL-HQ")
    r = post_json(system, "/alerts", alert_body(title="Pushed by the Delhi CCTNS"))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["reference"].startswith("DL-")
    assert body["origin"]["agency"] == "DL-HQ"
    alert = Alert.objects.get(reference=body["reference"])
    assert alert.origin_agency.code == "DL-HQ"
    assert alert.origin_user.agency.code == "DL-HQ"


def test_bearer_key_of_another_state_numbers_in_its_own_sequence(bearer: Callable[[str], Client]) -> None:
    body = create(bearer("AS-HQ"), small_body())
    assert body["reference"].startswith("AS-")
    assert body["place"]["state"] == "AS"


def test_trafficking_alert_without_a_trafficking_section_warns(sho: Client) -> None:
    body = create(sho, alert_body(category="human_trafficking", sections=["IPC 363"]))
    assert [w["code"] for w in body["warnings"]] == ["trafficking_sections"]
    assert body["missing_trafficking_sections"] is True
    cited = create(sho, alert_body(category="human_trafficking", sections=["IPC 370"]))
    assert cited["warnings"] == [] and cited["missing_trafficking_sections"] is False


def test_create_as_draft(sho: Client, client_for: Callable[[str], Client]) -> None:
    body = create(sho, alert_body(publish=False))
    assert body["status"] == "draft"
    assert body["published_at"] is None
    alert = Alert.objects.get(reference=body["reference"])
    assert list(alert.revisions.values_list("event", flat=True)) == ["created"]
    assert AuditEvent.objects.filter(action="alert.create", object_id=str(alert.pk)).exists()
    # A draft is its agency's alone: not the supervisor's, not the analyst's, not a peer's.
    for other in ("dl.sp", "dl.sho2", "analyst", "dl.nodal"):
        client = client_for(other)
        assert_problem(client.get(f"{API}/alerts/{body['reference']}"), 404)
        assert body["reference"] not in refs(client.get(f"{API}/alerts"))
    assert body["reference"] in refs(sho.get(f"{API}/alerts"))


def test_publish_a_draft(sho: Client) -> None:
    draft = create(sho, alert_body(publish=False))
    r = sho.post(f"{API}/alerts/{draft['reference']}/publish")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "published" and r.json()["published_at"]
    again = assert_problem(sho.post(f"{API}/alerts/{draft['reference']}/publish"), 422)
    assert fields_of(again) == ["status"]
    events = list(
        AlertRevision.objects.filter(alert__reference=draft["reference"]).values_list("event", flat=True)
    )
    assert events == ["created", "published"]


# --- who may do what ----------------------------------------------------------------------------

ENDPOINTS = [
    ("get", "/alerts/categories"),
    ("get", "/alerts/sections?q=IPC"),
    ("post", "/alerts"),
    ("post", "/alerts/bulk"),
    ("get", "/alerts"),
    ("get", "/alerts/{ref}"),
    ("get", "/alerts/{ref}/revisions"),
    ("post", "/alerts/{ref}/revise"),
    ("post", "/alerts/{ref}/publish"),
    ("post", "/alerts/{ref}/cancel"),
    ("post", "/alerts/{ref}/resolve"),
    ("post", "/alerts/{ref}/attachments"),
    ("get", "/alerts/{ref}/attachments/{attachment}"),
    ("get", "/alerts/{ref}/attachments/{attachment}?thumbnail=1"),
]


@pytest.fixture
def alert_with_photo(sho: Client, settings: Any, tmp_path: Any) -> dict[str, Any]:
    settings.MEDIA_ROOT = tmp_path
    body = create(sho, alert_body(audience={"national": True}))
    r = sho.post(
        f"{API}/alerts/{body['reference']}/attachments",
        {"file": _upload("face.png", PNG_1PX), "person": "0"},
    )
    assert r.status_code == 201, r.content
    return {**body, "attachment": r.json()["id"]}


def _upload(name: str, data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_gets_401_everywhere(method: str, path: str, alert_with_photo: dict[str, Any]) -> None:
    url = API + path.format(ref=alert_with_photo["reference"], attachment=alert_with_photo["attachment"])
    before = (Alert.objects.count(), AlertRevision.objects.count(), Attachment.objects.count())
    anonymous = Client()
    if method == "post":
        r = anonymous.post(url, json.dumps(small_body()), content_type="application/json")
    else:
        r = anonymous.get(url)
    body = assert_problem(r, 401)
    assert r["WWW-Authenticate"].startswith("Bearer")
    assert "Bearer" in body["detail"]
    assert (Alert.objects.count(), AlertRevision.objects.count(), Attachment.objects.count()) == before


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_a_bad_bearer_key_is_401_everywhere(method: str, path: str, delhi_alert: dict[str, Any]) -> None:
    url = API + path.format(ref=delhi_alert["reference"], attachment=1)
    client = Client(headers={"Authorization": "Bearer cmk_00000000_nottherealsecretatallreally"})
    r = client.post(url, "{}", content_type="application/json") if method == "post" else client.get(url)
    assert assert_problem(r, 401)["detail"] == "unknown API key"


def test_analyst_may_not_post(client_for: Callable[[str], Client]) -> None:
    analyst = client_for("analyst")
    before = Alert.objects.count()
    body = assert_problem(post_json(analyst, "/alerts", alert_body(state="DL")), 403)
    assert "may not post" in body["detail"]
    bulk = assert_problem(post_json(analyst, "/alerts/bulk", {"alerts": [alert_body(state="DL")]}), 403)
    assert "may not post" in bulk["detail"]
    assert Alert.objects.count() == before
    denied = AuditEvent.objects.filter(action="alert.create", actor__username="analyst", outcome="denied")
    assert denied.count() == 2


def test_csrf_is_required_for_session_writes(user_named: Callable[[str], User]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_named("dl.sho"))
    before = Alert.objects.count()
    assert_problem(post_json(client, "/alerts", alert_body()), 403)
    assert Alert.objects.count() == before


def test_reading_needs_visibility(
    client_for: Callable[[str], Client], delhi_alert: dict[str, Any], national_alert: dict[str, Any]
) -> None:
    outsider = client_for("as.sho")
    hidden = delhi_alert["reference"]
    missing = assert_problem(outsider.get(f"{API}/alerts/DL-1999-999999"), 404)
    for path in (f"/alerts/{hidden}", f"/alerts/{hidden}/revisions", f"/alerts/{delhi_alert['id']}"):
        body = assert_problem(outsider.get(API + path), 404)
        assert body["detail"] == missing["detail"] == NOT_FOUND
    assert outsider.get(f"{API}/alerts/{national_alert['reference']}").status_code == 200
    for viewer in ("dl.sho2", "dl.sp", "dl.nodal", "analyst", "dl.control"):
        assert client_for(viewer).get(f"{API}/alerts/{hidden}").status_code == 200, viewer
    assert client_for("as.analyst").get(f"{API}/alerts/{hidden}").status_code == 404


@pytest.mark.parametrize("ref", ["\u00b2", "\u2460", "\u0661", "9" * 30, "0", "-1", "DL-2024-", "dl-2024-%"])
def test_odd_references_are_a_plain_404(sho: Client, delhi_alert: dict[str, Any], ref: str) -> None:
    for suffix in ("", "/revisions", "/attachments/1"):
        body = assert_problem(sho.get(f"{API}/alerts/{quote(ref)}{suffix}"), 404)
        assert body["detail"] == NOT_FOUND


CHANGES: list[tuple[str, Any]] = [
    ("revise", {"summary": "Suspect seen in a red car", "priority": "flash"}),
    ("publish", None),
    ("cancel", {"reason": "Girl returned home"}),
    ("resolve", {"outcome": "traced", "note": "found at her aunt's"}),
    ("attachments", "file"),
]


def _change(client: Client, ref: str, action: str, payload: Any) -> Any:
    url = f"{API}/alerts/{ref}/{action}"
    if payload == "file":
        return client.post(url, {"file": _upload("p.pdf", b"%PDF-1.4\n%%EOF\n"), "caption": "x"})
    if payload is None:
        return client.post(url)
    return post_json(client, f"/alerts/{ref}/{action}", payload)


def _state_of(ref: str) -> tuple[Any, ...]:
    alert = Alert.objects.get(reference=ref)
    return (alert.status, alert.revision, alert.priority, alert.revisions.count(), alert.attachments.count())


@pytest.mark.parametrize(("action", "payload"), CHANGES)
def test_outsider_who_cannot_see_gets_404(
    action: str,
    payload: Any,
    client_for: Callable[[str], Client],
    delhi_alert: dict[str, Any],
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    ref = delhi_alert["reference"]
    before = _state_of(ref)
    body = assert_problem(_change(client_for("as.sho"), ref, action, payload), 404)
    assert body["detail"] == NOT_FOUND
    assert _state_of(ref) == before
    assert not any(tmp_path.rglob("*.*"))


@pytest.mark.parametrize("who", ["as.sho", "dl.sho2", "analyst"])
@pytest.mark.parametrize(("action", "payload"), CHANGES)
def test_who_sees_but_did_not_originate_gets_403(
    who: str,
    action: str,
    payload: Any,
    client_for: Callable[[str], Client],
    national_alert: dict[str, Any],
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    ref = national_alert["reference"]
    client = client_for(who)
    assert client.get(f"{API}/alerts/{ref}").status_code == 200
    before = _state_of(ref)
    body = assert_problem(_change(client, ref, action, payload), 403)
    assert "originating agency" in body["detail"]
    assert _state_of(ref) == before
    assert not any(tmp_path.rglob("*.*"))
    audit_action = {"attachments": "alert.attach"}.get(action, f"alert.{action}")
    assert AuditEvent.objects.filter(
        action=audit_action, actor__username=who, outcome="denied", object_id=str(national_alert["id"])
    ).exists()


def test_supervisor_can_cancel_a_stations_alert(
    client_for: Callable[[str], Client], delhi_alert: dict[str, Any]
) -> None:
    ref = delhi_alert["reference"]
    r = post_json(client_for("dl.sp"), f"/alerts/{ref}/cancel", {"reason": "Duplicate of an earlier alert"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "cancelled"
    assert r.json()["cancel_reason"] == "Duplicate of an earlier alert"
    last = AlertRevision.objects.filter(alert__reference=ref).order_by("-number").first()
    assert last is not None and last.event == "cancelled" and last.by.username == "dl.sp"


def test_state_nodal_officer_can_resolve_and_another_states_cannot(
    client_for: Callable[[str], Client], national_alert: dict[str, Any]
) -> None:
    ref = national_alert["reference"]
    assert_problem(post_json(client_for("as.nodal"), f"/alerts/{ref}/resolve", {"outcome": "arrested"}), 403)
    r = post_json(client_for("dl.nodal"), f"/alerts/{ref}/resolve", {"outcome": "arrested"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "resolved" and r.json()["outcome"] == "arrested"


def test_a_station_under_another_district_office_is_not_the_supervisors(
    client_for: Callable[[str], Client], national_alert: dict[str, Any]
) -> None:
    # as.sp supervises Kamrup Metro, not New Delhi.
    ref = national_alert["reference"]
    assert_problem(post_json(client_for("as.sp"), f"/alerts/{ref}/cancel", {"reason": "not mine"}), 403)
    assert Alert.objects.get(reference=ref).status == "published"


# --- bad input ----------------------------------------------------------------------------------


def _counts() -> tuple[int, ...]:
    return (
        Alert.objects.count(),
        Person.objects.count(),
        AlertRevision.objects.count(),
        AuditEvent.objects.filter(action__in=["alert.publish", "alert.create"], outcome="success").count(),
    )


def _refused(client: Client, body: Any, field: str, *, status: int = 422) -> str:
    before = _counts()
    problem = assert_problem(post_json(client, "/alerts", body), status)
    assert field in fields_of(problem), problem
    assert _counts() == before, "a refused alert left rows behind"
    return error_message(problem, field)


def test_occurred_after_reported(sho: Client) -> None:
    body = alert_body(reported_at=ago(hours=2), occurred_at=ago(hours=1))
    assert "after reported_at" in _refused(sho, body, "occurred_at")


def test_reported_in_the_future(sho: Client) -> None:
    now = timezone.now()
    body = alert_body(reported_at=iso(now + timedelta(days=1)), occurred_at=iso(now))
    assert "future" in _refused(sho, body, "reported_at")


def test_district_outside_the_state(sho: Client, district_codes: dict[str, int]) -> None:
    message = _refused(sho, alert_body(state="DL", district=district_codes["gurugram"]), "district")
    assert "Haryana" in message and "Delhi" in message


def test_unknown_district_and_state(sho: Client) -> None:
    _refused(sho, alert_body(district=999999), "district")
    assert "unknown State/UT" in _refused(sho, alert_body(state="ZZ"), "state")


def test_age_range_upside_down(sho: Client) -> None:
    persons = [{"role": "missing", "name": "Pooja", "age_min": 15, "age_max": 13}]
    assert "age_min" in _refused(sho, alert_body(persons=persons), "persons.0.age_max")


def test_age_out_of_range_names_the_person_field(sho: Client) -> None:
    persons = [alert_body()["persons"][0], {"role": "suspect", "name": "Old", "age_min": 121}]
    _refused(sho, alert_body(persons=persons), "persons.1.age_min")


def test_malformed_registration(sho: Client) -> None:
    vehicles = [{"registration": "DL 3C AB 1234"}, {"registration": "ZZ 99 QQQQ 123456"}]
    _refused(sho, alert_body(vehicles=vehicles), "vehicles.1.registration")
    _refused(sho, alert_body(vehicles=[{"registration": "not a plate!"}]), "vehicles.0.registration")


def test_bad_phone_number(sho: Client) -> None:
    _refused(sho, alert_body(phones=[{"number": "12"}]), "phones.0.number")


def test_unknown_section(sho: Client) -> None:
    assert "not in the catalogue" in _refused(sho, alert_body(sections=["IPC 999"]), "sections.0")
    _refused(sho, alert_body(sections=["IPC 363", "the penal code"]), "sections.1")
    assert "twice" in _refused(sho, alert_body(sections=["IPC 363", "363 IPC"]), "sections.1")


def test_unknown_category(sho: Client) -> None:
    assert "unknown category" in _refused(sho, alert_body(category="jaywalking"), "category")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (alert_body(colour_of_sky="blue"), "colour_of_sky"),
        (alert_body(persons=[{"role": "missing", "name": "A", "shoe_size": 9}]), "persons.0.shoe_size"),
        (alert_body(audience={"national": True, "planets": ["Mars"]}), "audience.planets"),
    ],
)
def test_unknown_fields_are_refused(sho: Client, body: dict[str, Any], field: str) -> None:
    _refused(sho, body, field)


def test_title_too_short_and_missing(sho: Client) -> None:
    _refused(sho, alert_body(title="ab"), "title")
    body = alert_body()
    del body["title"]
    _refused(sho, body, "title")


def test_several_errors_are_reported_together(sho: Client, district_codes: dict[str, int]) -> None:
    body = alert_body(
        district=district_codes["gurugram"],
        persons=[{"role": "missing", "name": "A", "age_min": 9, "age_max": 3}],
        sections=["IPC 999"],
    )
    before = _counts()
    problem = assert_problem(post_json(sho, "/alerts", body), 422)
    assert {"district", "persons.0.age_max", "sections.0"} <= set(fields_of(problem))
    assert _counts() == before


def test_island_ut_has_no_bordering_states(sho: Client) -> None:
    body = alert_body(state="AN", audience={"bordering_states": True})
    assert "borders no other" in _refused(sho, body, "audience.bordering_states")
    # A draft is checked by the same rules.
    _refused(sho, {**body, "publish": False}, "audience.bordering_states")


def test_bordering_states_resolve_for_a_land_state(sho: Client) -> None:
    body = create(sho, alert_body(audience={"bordering_states": True}))
    assert body["audience"]["bordering_states"] is True
    assert set(body["audience"]["resolved_states"]) == {"HR", "UP"}


def test_wrong_types_and_bad_json(sho: Client) -> None:
    _refused(sho, alert_body(title=5), "title")
    _refused(sho, alert_body(persons={"role": "missing"}), "persons")
    _refused(sho, alert_body(publish="sometimes"), "publish")
    before = _counts()
    assert_problem(post_json(sho, "/alerts", "{not json"), 400)
    assert_problem(post_json(sho, "/alerts", "[1, 2]"), 422)
    assert _counts() == before


def test_times_without_an_offset_are_read_in_the_servers_zone(sho: Client, settings: Any) -> None:
    zone = ZoneInfo(settings.TIME_ZONE)
    persons = [{"role": "suspect", "name": "A", "last_seen_at": "2024-01-01T09:00:00"}]
    body = alert_body(
        occurred_at="2024-01-01T10:00:00",
        reported_at="2024-01-01T12:00:00",
        expires_at="2099-01-01T10:00:00",
        persons=persons,
    )
    made = create(sho, body)
    alert = Alert.objects.get(reference=made["reference"])
    assert alert.occurred_at == datetime(2024, 1, 1, 10, tzinfo=zone)
    assert alert.reported_at == datetime(2024, 1, 1, 12, tzinfo=zone)
    assert alert.expires_at == datetime(2099, 1, 1, 10, tzinfo=zone)
    assert alert.persons.get().last_seen_at == datetime(2024, 1, 1, 9, tzinfo=zone)
    assert datetime.fromisoformat(made["occurred_at"]) == datetime(2024, 1, 1, 10, tzinfo=zone)


def test_a_time_without_offset_is_compared_with_one_with_an_offset(sho: Client, settings: Any) -> None:
    reported = datetime(2024, 1, 1, 12, tzinfo=ZoneInfo(settings.TIME_ZONE))
    body = alert_body(reported_at=reported.isoformat(), occurred_at="2024-01-01T12:30:00")
    assert "after reported_at" in _refused(sho, body, "occurred_at")
    ok = alert_body(reported_at=reported.astimezone(UTC).isoformat(), occurred_at="2024-01-01T11:59:00")
    create(sho, ok)


@pytest.mark.parametrize(
    "overrides",
    [{"occurred_at": "0001-01-01T00:00:00+05:30"}, {"expires_at": "9999-12-31T23:59:59-12:00"}],
    ids=["occurred_at-year-1", "expires_at-year-9999"],
)
def test_extreme_datetimes_are_not_a_500(sho: Client, overrides: dict[str, Any]) -> None:
    r = post_json(sho, "/alerts", alert_body(**overrides))
    assert r.status_code in {201, 422}, r.content[:300]


def test_huge_audience_district_code_is_a_field_error(sho: Client) -> None:
    _refused(sho, alert_body(audience={"districts": [10**30]}), "audience.districts.0")


# --- idempotency --------------------------------------------------------------------------------


def test_same_key_twice_makes_one_alert(sho: Client) -> None:
    before = Alert.objects.count()
    body = alert_body()
    first = post_json(sho, "/alerts", body, **{"Idempotency-Key": "cctns-42"})
    second = post_json(sho, "/alerts", body, **{"Idempotency-Key": "cctns-42"})
    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert Alert.objects.count() == before + 1
    assert IdempotencyRecord.objects.filter(key="cctns-42").count() == 1


def test_same_key_with_another_body_is_refused(sho: Client) -> None:
    create(sho, alert_body(), **{"Idempotency-Key": "k-1"})
    before = _counts()
    r = post_json(
        sho, "/alerts", alert_body(title="A different alert entirely"), **{"Idempotency-Key": "k-1"}
    )
    problem = assert_problem(r, 422)
    assert problem["errors"][0]["field"] == "Idempotency-Key"
    assert problem["errors"][0]["in"] == "header"
    assert "different request" in problem["errors"][0]["message"]
    assert _counts() == before


def test_same_key_on_another_endpoint_is_refused(sho: Client) -> None:
    create(sho, alert_body(), **{"Idempotency-Key": "k-2"})
    r = post_json(sho, "/alerts/bulk", {"alerts": [alert_body()]}, **{"Idempotency-Key": "k-2"})
    assert assert_problem(r, 422)["errors"][0]["field"] == "Idempotency-Key"


def test_agencies_use_keys_independently(client_for: Callable[[str], Client], bearer: Any) -> None:
    before = Alert.objects.count()
    body = alert_body()
    answers = [
        post_json(client, "/alerts", body, **{"Idempotency-Key": "shared"})
        for client in (client_for("dl.sho"), client_for("dl.sho2"), bearer("DL-HQ"))
    ]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert not any(a.has_header("Idempotent-Replayed") for a in answers)
    assert len({a.json()["reference"] for a in answers}) == 3
    assert Alert.objects.count() == before + 3


def test_an_expired_key_is_refused(sho: Client) -> None:
    body = alert_body()
    create(sho, body, **{"Idempotency-Key": "old-key"})
    updated = IdempotencyRecord.objects.filter(key="old-key").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert updated == 1
    before = _counts()
    problem = assert_problem(post_json(sho, "/alerts", body, **{"Idempotency-Key": "old-key"}), 422)
    assert problem["errors"][0]["field"] == "Idempotency-Key"
    assert "expired" in problem["errors"][0]["message"]
    assert _counts() == before


def test_a_refused_request_does_not_use_up_its_key(sho: Client) -> None:
    bad = alert_body(title="ab")
    assert_problem(post_json(sho, "/alerts", bad, **{"Idempotency-Key": "fix-and-retry"}), 422)
    assert not IdempotencyRecord.objects.filter(key="fix-and-retry").exists()
    r = post_json(sho, "/alerts", alert_body(), **{"Idempotency-Key": "fix-and-retry"})
    assert r.status_code == 201 and not r.has_header("Idempotent-Replayed")


@pytest.mark.parametrize("key", ["", "x" * 201, "tab\there"])
def test_malformed_keys_are_refused(sho: Client, key: str) -> None:
    before = _counts()
    problem = assert_problem(post_json(sho, "/alerts", alert_body(), **{"Idempotency-Key": key}), 422)
    assert problem["errors"][0]["field"] == "Idempotency-Key"
    assert _counts() == before


def test_bulk_with_a_key_replays(sho: Client) -> None:
    payload = {"alerts": [small_body("Bulk one"), small_body("Bulk two"), small_body("x")]}
    before = Alert.objects.count()
    first = post_json(sho, "/alerts/bulk", payload, **{"Idempotency-Key": "bulk-7"})
    second = post_json(sho, "/alerts/bulk", payload, **{"Idempotency-Key": "bulk-7"})
    assert first.status_code == second.status_code == 200
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert first.json()["created"] == 2
    assert Alert.objects.count() == before + 2


@pytest.fixture
def http(live_crimac: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_crimac.base_url, timeout=60) as client:
        yield client


@pytest.mark.server
def test_concurrent_retries_with_one_key_make_one_alert(live_crimac: Any, http: httpx.Client) -> None:
    key = live_crimac.crimac("apikey", "create", "--agency", "DL-HQ", "--name", "t").stdout.strip()
    auth = {"Authorization": f"Bearer {key}"}
    origin = {"origin": "DL-HQ", "limit": 1}
    before = http.get("/api/v1/alerts", params=origin, headers=auth)
    assert before.status_code == 200, before.text
    payload = json.dumps(alert_body(title=f"Concurrent retry {uuid.uuid4().hex[:8]}")).encode()
    headers = {**auth, "Idempotency-Key": uuid.uuid4().hex, "Content-Type": "application/json"}
    barrier = threading.Barrier(5)

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=live_crimac.base_url, timeout=60) as own:
            barrier.wait()
            return own.post("/api/v1/alerts", content=payload, headers=headers)

    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(send, range(5)))
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {201, 409}, [(a.status_code, a.text[:300]) for a in answers]
    created = [a for a in answers if a.status_code == 201]
    assert created, statuses
    assert len({a.json()["reference"] for a in created}) == 1
    assert sum(1 for a in created if a.headers.get("Idempotent-Replayed") != "true") == 1
    after = http.get("/api/v1/alerts", params=origin, headers=auth)
    assert after.json()["count"] == before.json()["count"] + 1
    assert after.json()["results"][0]["reference"] == created[0].json()["reference"]


# --- bulk ---------------------------------------------------------------------------------------


def test_bulk_keeps_the_good_and_reports_the_bad(sho: Client) -> None:
    bad_person = [{"role": "missing", "name": "A", "age_min": 15, "age_max": 13}]
    items = [
        small_body("First good alert"),
        small_body("ab"),
        alert_body(title="Second good alert"),
        alert_body(title="Bad ages", persons=bad_person),
        small_body("Third good alert", vehicles=[{"registration": "HR26DK0001"}]),
    ]
    before = Alert.objects.count()
    r = post_json(sho, "/alerts/bulk", {"alerts": items})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["created"], body["failed"]) == (3, 2)
    assert [i["index"] for i in body["results"]] == [0, 1, 2, 3, 4]
    assert [i["status"] for i in body["results"]] == [201, 422, 201, 422, 201]
    assert [e["field"] for e in body["results"][1]["errors"]] == ["title"]
    assert [e["field"] for e in body["results"][3]["errors"]] == ["persons.0.age_max"]
    assert all(set(e) == ERROR_KEYS for i in (1, 3) for e in body["results"][i]["errors"])
    assert Alert.objects.count() == before + 3
    made = {i["reference"]: i for i in body["results"] if i["status"] == 201}
    titles = dict(Alert.objects.filter(reference__in=made).values_list("reference", "title"))
    assert sorted(titles.values()) == ["First good alert", "Second good alert", "Third good alert"]
    assert titles[body["results"][0]["reference"]] == "First good alert"
    assert set(Alert.objects.filter(reference__in=made).values_list("status", flat=True)) == {"published"}
    assert Alert.objects.get(
        reference=body["results"][4]["reference"]
    ).vehicles.get().registration_normalised == ("HR26DK0001")


def test_bulk_drafts(sho: Client) -> None:
    r = post_json(
        sho, "/alerts/bulk", {"alerts": [small_body("Draft one"), small_body("Draft two")], "publish": False}
    )
    assert r.status_code == 200 and r.json()["created"] == 2
    made = [i["reference"] for i in r.json()["results"]]
    assert set(Alert.objects.filter(reference__in=made).values_list("status", flat=True)) == {"draft"}


def test_bulk_by_bearer_key(bearer: Callable[[str], Client]) -> None:
    r = post_json(bearer("DL-HQ"), "/alerts/bulk", {"alerts": [small_body("From the State system")]})
    assert r.status_code == 200 and r.json()["created"] == 1
    assert r.json()["results"][0]["reference"].startswith("DL-")


def test_bulk_over_the_limit_is_refused_whole(sho: Client) -> None:
    before = Alert.objects.count()
    problem = assert_problem(post_json(sho, "/alerts/bulk", {"alerts": [small_body()] * 501}), 422)
    assert fields_of(problem) == ["alerts"]
    assert "500" in problem["errors"][0]["message"]
    assert Alert.objects.count() == before


def test_bulk_of_exactly_the_limit_is_accepted(sho: Client) -> None:
    before = Alert.objects.count()
    r = post_json(sho, "/alerts/bulk", {"alerts": [small_body(f"Advisory {n}") for n in range(500)]})
    assert r.status_code == 200, r.content[:500]
    assert r.json()["created"] == 500
    assert Alert.objects.count() == before + 500
    references = [i["reference"] for i in r.json()["results"]]
    assert len(set(references)) == 500


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"alerts": []}, "alerts"),
        ({}, "alerts"),
        ({"alerts": [1]}, "alerts.0"),
        ({"alerts": [small_body()], "extra": 1}, "extra"),
    ],
)
def test_bulk_shape_errors(sho: Client, payload: dict[str, Any], field: str) -> None:
    before = Alert.objects.count()
    assert field in fields_of(assert_problem(post_json(sho, "/alerts/bulk", payload), 422))
    assert Alert.objects.count() == before


# --- listing ------------------------------------------------------------------------------------


def _bulk(client: Client, items: list[dict[str, Any]]) -> list[str]:
    r = post_json(client, "/alerts/bulk", {"alerts": items})
    assert r.status_code == 200, r.content
    assert r.json()["failed"] == 0, r.json()
    return [i["reference"] for i in r.json()["results"]]


@pytest.fixture
def listed(client_for: Callable[[str], Client], district_codes: dict[str, int]) -> dict[str, str]:
    """Five alerts in March 2024 (IST), each different in one way, and one cancelled."""
    sho = client_for("dl.sho")
    a1, a2, a3 = _bulk(
        sho,
        [
            small_body(
                "Missing boy from New Delhi",
                category="missing_person",
                priority="immediate",
                district=district_codes["new_delhi"],
                reported_at="2024-03-01T12:00:00+05:30",
            ),
            small_body(
                "Stolen white car",
                category="stolen_vehicle",
                priority="routine",
                reported_at="2024-03-05T12:00:00+05:30",
            ),
            small_body(
                "Wanted in Gurugram",
                category="wanted_person",
                priority="flash",
                state="HR",
                district=district_codes["gurugram"],
                reported_at="2024-03-10T12:00:00+05:30",
                audience={"national": True},
            ),
        ],
    )
    (a4,) = _bulk(
        client_for("as.sho"),
        [
            small_body(
                "Missing girl from Guwahati",
                category="missing_person",
                priority="immediate",
                reported_at="2024-03-07T12:00:00+05:30",
                audience={"national": True},
            )
        ],
    )
    (a5,) = _bulk(sho, [small_body("Advisory later withdrawn", reported_at="2024-03-08T12:00:00+05:30")])
    r = post_json(sho, f"/alerts/{a5}/cancel", {"reason": "sent by mistake"})
    assert r.status_code == 200
    return {"a1": a1, "a2": a2, "a3": a3, "a4": a4, "a5": a5}


def _names(listed: dict[str, str], response: Any) -> set[str]:
    by_ref = {v: k for k, v in listed.items()}
    got = refs(response)
    assert len(got) == len(set(got))
    assert response.json()["count"] == len(got)
    return {by_ref.get(r, r) for r in got}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"a1", "a2", "a3", "a4", "a5"}),
        ({"category": "missing_person"}, {"a1", "a4"}),
        ({"category": ["missing_person", "stolen_vehicle"]}, {"a1", "a2", "a4"}),
        ({"priority": "flash"}, {"a3"}),
        ({"priority": ["flash", "routine"]}, {"a2", "a3", "a5"}),
        ({"status": "cancelled"}, {"a5"}),
        ({"status": "published"}, {"a1", "a2", "a3", "a4"}),
        ({"state": "HR"}, {"a3"}),
        ({"state": "as"}, {"a4"}),
        ({"district": "new_delhi"}, {"a1"}),
        ({"district": "gurugram"}, {"a3"}),
        ({"origin": "AS-KAMRUPMETRO-PS-001"}, {"a4"}),
        ({"from": "2024-03-05"}, {"a2", "a3", "a4", "a5"}),
        ({"to": "2024-03-05"}, {"a1", "a2"}),
        ({"from": "2024-03-05", "to": "2024-03-07"}, {"a2", "a4"}),
        ({"from": "2024-03-07", "to": "2024-03-07"}, {"a4"}),
        ({"from": "2024-03-11"}, set()),
        ({"category": "missing_person", "state": "DL"}, {"a1"}),
    ],
)
def test_list_filters_narrow(
    client_for: Callable[[str], Client],
    listed: dict[str, str],
    district_codes: dict[str, int],
    query: dict[str, Any],
    expected: set[str],
) -> None:
    if "district" in query:
        query = {**query, "district": district_codes[query["district"]]}
    assert _names(listed, client_for("analyst").get(f"{API}/alerts", query)) == expected


def test_list_is_newest_first(client_for: Callable[[str], Client], listed: dict[str, str]) -> None:
    got = refs(client_for("analyst").get(f"{API}/alerts"))
    assert got == [listed[k] for k in ("a3", "a5", "a4", "a2", "a1")]


def test_list_shows_only_visible_alerts(client_for: Callable[[str], Client], listed: dict[str, str]) -> None:
    # as.sho: its own alert and the national one; none of Delhi's own.
    assert _names(listed, client_for("as.sho").get(f"{API}/alerts")) == {"a3", "a4"}
    # dl.sho2: Delhi's alerts (State audience) and the national ones.
    assert _names(listed, client_for("dl.sho2").get(f"{API}/alerts")) == {"a1", "a2", "a3", "a4", "a5"}
    # The Assam State analyst: what reached Assam, and what happened in Assam.
    assert _names(listed, client_for("as.analyst").get(f"{API}/alerts")) == {"a3", "a4"}
    draft = create(client_for("dl.sho"), small_body("Unfinished draft", publish=False))["reference"]
    assert draft not in refs(client_for("dl.sho2").get(f"{API}/alerts"))
    assert draft not in refs(client_for("analyst").get(f"{API}/alerts"))
    assert draft in refs(client_for("dl.sho").get(f"{API}/alerts", {"status": "draft"}))


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2024-03-08", "to": "2024-03-01"}, "to"),
        ({"from": "yesterday"}, "from"),
        ({"category": "jaywalking"}, "category"),
        ({"priority": "whenever"}, "priority"),
        ({"status": "lost"}, "status"),
        ({"state": "ZZ"}, "state"),
        ({"district": "999999"}, "district"),
        ({"district": "Gurugram"}, "district"),
        ({"origin": "NO-SUCH-AGENCY"}, "origin"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
    ],
)
def test_list_refuses_bad_filters(sho: Client, query: dict[str, str], field: str) -> None:
    problem = assert_problem(sho.get(f"{API}/alerts", query), 422)
    assert fields_of(problem) == [field]
    assert problem["errors"][0]["in"] == "query"


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        "bm90IGEgY3Vyc29y",  # "not a cursor"
        base64.urlsafe_b64encode(b"2024-01-01T00:00:00+00:00|abc").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_a_cursor_not_given_out_is_a_400(sho: Client, cursor: str) -> None:
    problem = assert_problem(sho.get(f"{API}/alerts", {"cursor": cursor}), 400)
    assert "cursor" in problem["detail"]


def test_from_the_first_day_of_the_calendar_is_not_a_500(sho: Client) -> None:
    r = sho.get(f"{API}/alerts", {"from": "0001-01-01"})
    assert r.status_code in {200, 422}, r.content[:300]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_forged_cursor_with_an_extreme_time_is_a_400(sho: Client, moment: str) -> None:
    cursor = base64.urlsafe_b64encode(f"{moment}|1".encode()).decode()
    assert_problem(sho.get(f"{API}/alerts", {"cursor": cursor}), 400)


def test_keyset_paging_yields_every_visible_alert_once(
    client_for: Callable[[str], Client], user_named: Callable[[str], User]
) -> None:
    base = timezone.now() - timedelta(days=2)
    # 30 alerts in 10 instants of three each: ties on reported_at must page by id.
    items = [
        small_body(f"Paged alert {n:02d}", reported_at=iso(base + timedelta(minutes=n // 3)))
        for n in range(30)
    ]
    mine = set(_bulk(client_for("dl.sho"), items))
    hidden = {
        create(client_for("as.sho"), small_body("Assam only"))["reference"],
        create(client_for("dl.sho"), small_body("A draft", publish=False))["reference"],
    }
    viewer = client_for("dl.sho2")
    expected = list(
        Alert.objects.visible_to(user_named("dl.sho2"))
        .order_by("-reported_at", "-id")
        .values_list("reference", flat=True)
    )
    assert mine <= set(expected) and not hidden & set(expected)
    seen: list[str] = []
    pages = 0
    url: str | None = f"{API}/alerts?limit=7"
    while url:
        r = viewer.get(url)
        assert r.status_code == 200, r.content
        page = r.json()
        assert page["count"] == len(expected)
        assert len(page["results"]) <= 7
        seen += [a["reference"] for a in page["results"]]
        url = page["next"]
        if url:
            assert url.startswith("http://testserver/api/v1/alerts?") and "limit=7" in url
        pages += 1
        assert pages <= 10
    assert seen == expected
    assert pages == -(-len(expected) // 7)


def test_paging_keeps_the_filters(sho: Client) -> None:
    _bulk(sho, [small_body(f"Routine {n}", priority="routine") for n in range(4)])
    _bulk(sho, [small_body(f"Flash {n}", priority="flash") for n in range(3)])
    first = sho.get(f"{API}/alerts", {"priority": "flash", "limit": 2}).json()
    assert first["count"] == 3 and first["next"] and "priority=flash" in first["next"]
    second = sho.get(first["next"]).json()
    got = [a["title"] for a in first["results"] + second["results"]]
    assert sorted(got) == ["Flash 0", "Flash 1", "Flash 2"]
    assert second["next"] is None


def _rich(n: int, codes: dict[str, int]) -> dict[str, Any]:
    return alert_body(
        title=f"Rich alert {n}",
        reported_at=ago(hours=n + 1),
        occurred_at=ago(hours=n + 2),
        district=codes["new_delhi"],
        sections=["IPC 363", "BNS 303"],
        identifiers=[{"type": "passport", "value": "K1234567"}],
        audience={
            "states": ["DL", "HR"],
            "districts": [codes["kamrup_metro"]],
            "agencies": ["AS-HQ"],
            "agency_kinds": ["ahtu"],
        },
    )


def test_list_query_count_does_not_grow_with_the_page(
    client_for: Callable[[str], Client],
    district_codes: dict[str, int],
    django_assert_max_num_queries: Any,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    sho = client_for("dl.sho")
    made = _bulk(sho, [_rich(n, district_codes) for n in range(30)])
    for ref in made[:30:3]:
        r = sho.post(f"{API}/alerts/{ref}/attachments", {"file": _upload("f.png", PNG_1PX), "person": "1"})
        assert r.status_code == 201, r.content
    viewer = client_for("dl.sho2")
    counts = []
    for limit in (5, 25):
        with CaptureQueriesContext(connection) as ctx, django_assert_max_num_queries(18):
            r = viewer.get(f"{API}/alerts", {"limit": limit})
        assert r.status_code == 200
        page = r.json()["results"]
        assert len(page) == limit
        assert any(a["attachments"] and a["attachments"][0]["person"] == 1 for a in page)
        assert all(len(a["persons"]) == 2 and len(a["sections"]) == 2 for a in page)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


# --- reading, revising, cancelling, resolving ---------------------------------------------------


def test_detail_is_audited(client_for: Callable[[str], Client], delhi_alert: dict[str, Any]) -> None:
    reader = client_for("dl.sho2")
    reads = AuditEvent.objects.filter(action="alert.read", object_id=str(delhi_alert["id"]))
    assert not reads.exists()
    r = reader.get(f"{API}/alerts/{delhi_alert['reference'].lower()}")
    assert r.status_code == 200 and r.json()["reference"] == delhi_alert["reference"]
    event = reads.get()
    assert event.actor.username == "dl.sho2"
    assert event.agency_code == "DL-NEWDELHI-PS-002"
    assert event.object_type == "alerts.alert" and event.via == "api"
    assert reader.get(f"{API}/alerts/{delhi_alert['id']}").status_code == 200
    assert reads.count() == 2
    # A refused read writes no read event.
    client_for("as.sho").get(f"{API}/alerts/{delhi_alert['reference']}")
    assert reads.count() == 2


def test_revise_publishes_an_update(sho: Client, delhi_alert: dict[str, Any]) -> None:
    ref = delhi_alert["reference"]
    r = post_json(
        sho,
        f"/alerts/{ref}/revise",
        {
            "summary": "Seen boarding a bus to Jaipur",
            "priority": "flash",
            "phones": [{"number": "98100 12345"}, {"number": "+91 99999 00000"}],
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["revision"] == 2 and body["priority"] == "flash"
    assert [p["e164"] for p in body["phones"]] == ["+919810012345", "+919999900000"]
    assert [p["name"] for p in body["persons"]] == ["Pooja Kumari", "Ravi"]
    assert body["title"] == delhi_alert["title"]


def test_revise_refusals(sho: Client, delhi_alert: dict[str, Any]) -> None:
    ref = delhi_alert["reference"]
    before = _state_of(ref)
    assert fields_of(assert_problem(post_json(sho, f"/alerts/{ref}/revise", {"priority": "flash"}), 422)) == [
        "summary"
    ]
    unchanged = assert_problem(post_json(sho, f"/alerts/{ref}/revise", {"summary": "no change really"}), 422)
    assert "nothing changed" in unchanged["errors"][0]["message"]
    bad_ages = {"summary": "ages", "persons": [{"role": "missing", "name": "A", "age_min": 9, "age_max": 2}]}
    assert "persons.0.age_max" in fields_of(
        assert_problem(post_json(sho, f"/alerts/{ref}/revise", bad_ages), 422)
    )
    extra = {"summary": "sneak", "status": "resolved"}
    assert "status" in fields_of(assert_problem(post_json(sho, f"/alerts/{ref}/revise", extra), 422))
    assert _state_of(ref) == before


def test_revisions_list_every_change(sho: Client, delhi_alert: dict[str, Any]) -> None:
    ref = delhi_alert["reference"]
    assert (
        post_json(sho, f"/alerts/{ref}/revise", {"summary": "More urgent", "priority": "flash"}).status_code
        == 200
    )
    assert (
        post_json(
            sho, f"/alerts/{ref}/revise", {"summary": "Better title", "title": "Missing girl: Pooja"}
        ).status_code
        == 200
    )
    assert (
        post_json(sho, f"/alerts/{ref}/resolve", {"outcome": "traced", "note": "at her aunt's"}).status_code
        == 200
    )
    r = sho.get(f"{API}/alerts/{ref}/revisions")
    assert r.status_code == 200
    revisions = r.json()
    assert [(v["number"], v["event"]) for v in revisions] == [
        (1, "published"),
        (2, "revised"),
        (3, "revised"),
        (4, "resolved"),
    ]
    assert revisions[1]["summary"] == "More urgent"
    assert revisions[1]["changes"] == {"priority": ["immediate", "flash"]}
    assert revisions[2]["changes"] == {"title": [delhi_alert["title"], "Missing girl: Pooja"]}
    assert revisions[3]["changes"]["status"] == ["published", "resolved"]
    assert revisions[3]["summary"] == "traced: at her aunt's"
    assert all(v["by"] == "dl.sho" for v in revisions)
    assert revisions[2]["snapshot"]["title"] == "Missing girl: Pooja"


def test_cancel_then_nothing_more(sho: Client, delhi_alert: dict[str, Any]) -> None:
    ref = delhi_alert["reference"]
    assert fields_of(assert_problem(post_json(sho, f"/alerts/{ref}/cancel", {"reason": "x"}), 422)) == [
        "reason"
    ]
    assert fields_of(assert_problem(post_json(sho, f"/alerts/{ref}/cancel", {}), 422)) == ["reason"]
    r = post_json(sho, f"/alerts/{ref}/cancel", {"reason": "Girl came home"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "cancelled" and r.json()["closed_at"]
    assert AuditEvent.objects.filter(action="alert.cancel", object_id=str(delhi_alert["id"])).count() == 1
    for action, payload in [
        ("cancel", {"reason": "again"}),
        ("resolve", {"outcome": "traced"}),
        ("revise", {"summary": "after the fact", "priority": "flash"}),
        ("publish", None),
    ]:
        problem = assert_problem(_change(sho, ref, action, payload), 422)
        assert fields_of(problem) == ["status"], (action, problem)
    assert Alert.objects.get(reference=ref).status == "cancelled"


def test_resolve(sho: Client, delhi_alert: dict[str, Any]) -> None:
    ref = delhi_alert["reference"]
    bad = assert_problem(post_json(sho, f"/alerts/{ref}/resolve", {"outcome": "vanished"}), 422)
    assert fields_of(bad) == ["outcome"]
    r = post_json(sho, f"/alerts/{ref}/resolve", {"outcome": "traced", "note": "Found safe in Jaipur"})
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["outcome"], r.json()["outcome_note"]) == (
        "resolved",
        "traced",
        "Found safe in Jaipur",
    )
    draft = create(sho, small_body(publish=False))["reference"]
    assert fields_of(
        assert_problem(post_json(sho, f"/alerts/{draft}/resolve", {"outcome": "traced"}), 422)
    ) == ["status"]


def test_revising_a_draft_keeps_it_a_draft(sho: Client) -> None:
    ref = create(sho, alert_body(publish=False))["reference"]
    r = post_json(sho, f"/alerts/{ref}/revise", {"summary": "fix title", "title": "Corrected title"})
    assert r.status_code == 200
    assert r.json()["status"] == "draft" and r.json()["title"] == "Corrected title"


def test_openapi_describes_the_alert_endpoints(sho: Client) -> None:
    paths = sho.get(f"{API}/openapi.json").json()["paths"]
    for path in (
        "/api/v1/alerts",
        "/api/v1/alerts/bulk",
        "/api/v1/alerts/{ref}",
        "/api/v1/alerts/{ref}/revise",
        "/api/v1/alerts/{ref}/attachments",
        "/api/v1/alerts/{ref}/attachments/{attachment_id}",
    ):
        assert path in paths, path
