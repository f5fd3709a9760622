"""Vehicle and phone look-ups (`/api/v1/vehicles/search`, `/api/v1/phones/search`): normalised as
alerts normalise them, only over visible alerts, audited, and kept 72 hours for the delayed inquiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from crimac.audit.models import AuditEvent
from crimac.search.actions import purge_old_records, recent_searches
from crimac.search.models import SearchRecord

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
IMEI = "490154203237518"  # a valid IMEI (Luhn)


@pytest.fixture
def car(post: Any) -> Any:
    return post(
        "dl.sho",
        category="stolen_vehicle",
        title="White Swift stolen",
        persons=[],
        vehicles=[
            {"registration": "DL 3C AB 1234", "vehicle_type": "car", "make": "Maruti", "colour": "white"}
        ],
    )


@pytest.fixture
def caller(post: Any) -> Any:
    return post("dl.sho", title="Ransom calls", phones=[{"number": "+91 98765 43210", "imei": IMEI}])


def vehicles(client: Client, registration: str, **params: Any) -> Any:
    return client.get("/api/v1/vehicles/search", {"registration": registration, **params})


def phones(client: Client, number: str, **params: Any) -> Any:
    return client.get("/api/v1/phones/search", {"number": number, **params})


def refs(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:400]
    return [r["reference"] for r in response.json()["results"]]


@pytest.mark.parametrize(
    "written", ["DL 3C AB 1234", "dl3cab1234", "DL-03-CAB-1234", "dl 03 cab 1234", "DL.3C.AB.1234"]
)
def test_a_registration_however_written(car: Any, client_for: Any, written: str) -> None:
    response = vehicles(client_for("dl.sho"), written)
    assert refs(response) == [car.reference]
    body = response.json()
    assert body["sought"] == {"kind": "registration", "value": "DL03CAB1234", "exact": True}
    assert body["results"][0]["matched"]["registration_display"] == "DL 03 CAB 1234"


def test_part_of_a_plate_is_looked_up_as_a_part(car: Any, client_for: Any) -> None:
    response = vehicles(client_for("dl.sho"), "cab 1234")
    assert refs(response) == [car.reference]
    assert response.json()["sought"] == {"kind": "registration", "value": "CAB1234", "exact": False}
    assert refs(vehicles(client_for("dl.sho"), "9999")) == []


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("", "Field required"),
        ("x", "not an Indian registration"),
        ("XX 01 AB 1234", "State/UT"),
        ("दिल्ली", "Latin"),
    ],
)
def test_a_bad_registration_is_422_naming_it(client_for: Any, written: str, message: str) -> None:
    params = {"registration": written} if written else {}
    response = client_for("dl.sho").get("/api/v1/vehicles/search", params)
    assert response.status_code == 422 and response["Content-Type"] == PROBLEM
    error = response.json()["errors"][0]
    assert error["field"] == "registration"
    assert message in error["message"] or (written == "" and error["message"])


@pytest.mark.parametrize(
    "written", ["9876543210", "+91 98765 43210", "098765-43210", "+919876543210", "९८७६५४३२१०"]
)
def test_a_phone_however_written(caller: Any, client_for: Any, written: str) -> None:
    response = phones(client_for("dl.sho"), written)
    assert refs(response) == [caller.reference]
    assert response.json()["sought"] == {"kind": "e164", "value": "+919876543210", "exact": True}


def test_an_imei(caller: Any, client_for: Any) -> None:
    response = phones(client_for("dl.sho"), "49-015420-323751-8")
    assert refs(response) == [caller.reference]
    assert response.json()["sought"] == {"kind": "imei", "value": IMEI, "exact": True}
    assert response.json()["results"][0]["matched"]["imei"] == IMEI


@pytest.mark.parametrize("written", ["12", "abc", "+1", "not a phone"])
def test_a_bad_number_is_422_naming_it(client_for: Any, written: str) -> None:
    response = phones(client_for("dl.sho"), written)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "number"


def test_outsiders_find_nothing(car: Any, caller: Any, client_for: Any) -> None:
    for who in ["as.sho", "jh.analyst", "hr.nodal"]:
        client = client_for(who)
        assert vehicles(client, "DL3CAB1234").json()["count"] == 0, who
        assert phones(client, "9876543210").json()["count"] == 0, who
    assert refs(vehicles(client_for("analyst"), "DL3CAB1234")) == [car.reference]


def test_anonymous_is_401() -> None:
    assert Client().get("/api/v1/vehicles/search", {"registration": "DL3CAB1234"}).status_code == 401
    assert Client().get("/api/v1/phones/search", {"number": "9876543210"}).status_code == 401


def test_an_api_key_looks_up_too(car: Any, api_key_for: Any) -> None:
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_key_for('DL-HQ')}"}
    response = Client().get("/api/v1/vehicles/search", {"registration": "DL3CAB1234"}, **auth)
    assert refs(response) == [car.reference]


def test_searches_are_audited_and_kept_for_the_delayed_inquiry(
    car: Any, caller: Any, client_for: Any, user_named: Any
) -> None:
    start = timezone.now() - timedelta(seconds=1)
    vehicles(client_for("as.sho"), "as 01 ab 1234")
    phones(client_for("as.sho"), "098765 43210")
    phones(client_for("as.sho"), IMEI)
    vehicles(client_for("as.sho"), "1234")  # a part: audited, not kept
    audit = AuditEvent.objects.filter(actor_name="as.sho", action__in=["search.vehicles", "search.phones"])
    assert audit.count() == 4
    assert audit.filter(action="search.vehicles").latest("id").detail == {
        "registration": "1234",
        "normalised": "1234",
        "exact": False,
        "count": 0,
    }
    kept = recent_searches("vehicle", start)
    assert [(r.value, r.agency.code, r.user.username) for r in kept] == [
        ("AS01AB1234", user_named("as.sho").agency.code, "as.sho")
    ]
    assert sorted((r.value, r.facts["type"]) for r in recent_searches("phone", start)) == [
        ("+919876543210", "e164"),
        (IMEI, "imei"),
    ]
    assert not recent_searches("person", start).exists()


def test_records_older_than_72_hours_are_not_recent_and_are_purged(client_for: Any) -> None:
    phones(client_for("dl.sho"), "9876543210")
    kept = SearchRecord.objects.get(kind="phone")
    SearchRecord.objects.filter(pk=kept.pk).update(created_at=timezone.now() - timedelta(hours=73))
    assert not recent_searches("phone", timezone.now() - timedelta(days=30)).exists()
    assert purge_old_records() == 1
    assert not SearchRecord.objects.filter(pk=kept.pk).exists()


def test_lookup_query_count_is_flat(post: Any, client_for: Any, django_assert_max_num_queries: Any) -> None:
    client = client_for("dl.sho")
    post(
        "dl.sho",
        title="Car 0",
        persons=[],
        vehicles=[{"registration": "DL 3C AB 1234", "vehicle_type": "car"}],
    )
    vehicles(client, "DL3CAB1234")
    with django_assert_max_num_queries(20) as short:
        assert len(refs(vehicles(client, "DL3CAB1234"))) == 1
    for n in range(5):
        post(
            "dl.sho",
            title=f"Car {n}",
            persons=[],
            vehicles=[{"registration": "DL 3C AB 1234", "vehicle_type": "car"}],
        )
    with django_assert_max_num_queries(len(short.captured_queries)):
        assert len(refs(vehicles(client, "DL3CAB1234"))) == 6
