"""The radius and exclusion audience terms as clients write them: the API and the posting page
accept them, store them as written, give them back in the same shape, keep them through a
revision, and refuse bad ones naming the field."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from crimac.alerts.models import Alert, AudienceEntry
from crimac.directory.models import Agency
from crimac.dissemination.models import Delivery

pytestmark = pytest.mark.django_db

API = "/api/v1/alerts"


def dl_hq_point() -> tuple[str, str]:
    hq = Agency.objects.get(code="DL-HQ")
    assert hq.latitude is not None and hq.longitude is not None
    return str(hq.latitude), str(hq.longitude)


def body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": "missing_person",
        "title": "Missing girl, 14, last seen near the metro",
        "persons": [{"role": "missing", "name": "Pooja Kumari", "gender": "female", "age_min": 13}],
    }
    data.update(overrides)
    return data


def create(client: Client, data: dict[str, Any]) -> Any:
    return client.post(API, json.dumps(data), content_type="application/json")


def error_fields(response: Any) -> set[str]:
    return {e["field"] for e in response.json().get("errors", [])}


def recipients(reference: str) -> set[str]:
    return set(Delivery.objects.filter(alert__reference=reference).values_list("agency__code", flat=True))


# --- the API ---------------------------------------------------------------------------------------


def test_the_api_takes_a_radius_and_exclusions_and_gives_them_back(client_for: Any) -> None:
    lat, lon = dl_hq_point()
    audience = {
        "radius_km": 40,
        "agencies": ["CBI"],
        "exclude": {"agencies": ["DL-CR"], "agency_kinds": ["ahtu"], "bordering_states": True},
    }
    response = create(client_for("dl.sho"), body(latitude=lat, longitude=lon, audience=audience))
    assert response.status_code == 201, response.content
    out = response.json()["audience"]
    assert out["radius_km"] == 40 and out["agencies"] == ["CBI"] and out["national"] is False
    assert out["exclude"]["agencies"] == ["DL-CR"]
    assert out["exclude"]["agency_kinds"] == ["ahtu"]
    assert out["exclude"]["bordering_states"] is True
    assert set(out["exclude"]["resolved_states"]) == {"HR", "UP"}
    assert out["exclude"]["radius_km"] is None and out["exclude"]["states"] == []
    got = recipients(response.json()["reference"])
    assert "CBI" in got and "DL-HQ" in got
    assert "DL-CR" not in got
    assert not any(code.endswith("-AHTU") for code in got)
    assert not Agency.objects.filter(code__in=got, state__code__in=["HR", "UP"]).exists()
    stored = AudienceEntry.objects.filter(alert__reference=response.json()["reference"])
    assert stored.get(kind="radius").radius_km == 40
    assert stored.filter(exclude=True).count() == 5  # agency, kind, bordering + its two States


def test_the_default_audience_has_empty_exclusions(client_for: Any) -> None:
    response = create(client_for("dl.sho"), body())
    out = response.json()["audience"]
    assert out["states"] == ["DL"] and out["radius_km"] is None
    assert not any(v for v in out["exclude"].values())


@pytest.mark.parametrize(
    ("audience", "field"),
    [
        ({"radius_km": 0}, "audience.radius_km"),
        ({"radius_km": 2001}, "audience.radius_km"),
        ({"radius_km": "far"}, "audience.radius_km"),
        ({"states": ["DL"], "exclude": {"states": ["XX"]}}, "audience.exclude.states.0"),
        ({"states": ["DL"], "exclude": {"districts": [999999]}}, "audience.exclude.districts.0"),
        ({"states": ["DL"], "exclude": {"agencies": ["NO-SUCH"]}}, "audience.exclude.agencies.0"),
        ({"states": ["DL"], "exclude": {"planets": ["Mars"]}}, "audience.exclude.planets"),
        ({"states": ["DL"], "exclude": {"national": True}}, "audience.exclude.national"),
        ({"states": ["DL"], "exclude": {"radius_km": 10}}, "audience.exclude.radius_km"),
        ({"states": ["DL"], "exclude": {"agency_kinds_in_states": ["HR"]}}, "audience.exclude.agency_kinds"),
    ],
)
def test_bad_terms_are_422_naming_the_field(client_for: Any, audience: dict[str, Any], field: str) -> None:
    before = (Alert.objects.count(), AudienceEntry.objects.count())
    response = create(client_for("dl.sho"), body(audience=audience))
    assert response.status_code == 422, response.content
    assert field in error_fields(response)
    assert (Alert.objects.count(), AudienceEntry.objects.count()) == before


def test_a_radius_without_coordinates_names_the_field_and_says_why(client_for: Any) -> None:
    response = create(client_for("dl.sho"), body(audience={"radius_km": 25}))
    assert response.status_code == 422
    (error,) = [e for e in response.json()["errors"] if e["field"] == "audience.radius_km"]
    assert "latitude and longitude" in error["message"]


def test_everyone_excluded_is_refused_at_publish_but_may_be_a_draft(client_for: Any) -> None:
    sho = client_for("dl.sho")
    refused = create(sho, body(audience={"states": ["DL"], "exclude": {"states": ["DL"]}}))
    assert refused.status_code == 422 and "audience" in error_fields(refused)
    draft = create(sho, body(publish=False, audience={"states": ["DL"], "exclude": {"states": ["DL"]}}))
    assert draft.status_code == 201
    assert recipients(draft.json()["reference"]) == set()


def test_a_revision_keeps_the_terms_it_does_not_change(client_for: Any) -> None:
    lat, lon = dl_hq_point()
    sho = client_for("dl.sho")
    audience = {"radius_km": 30, "exclude": {"bordering_states": True, "agencies": ["DL-CR"]}}
    made = create(sho, body(latitude=lat, longitude=lon, audience=audience)).json()
    revised = sho.post(
        f"{API}/{made['reference']}/revise",
        json.dumps({"summary": "photo added", "title": "Missing girl, 14: photograph added"}),
        content_type="application/json",
    )
    assert revised.status_code == 200, revised.content
    assert revised.json()["audience"] == made["audience"]
    # Changing the State keeps a non-default audience as it was written.
    moved = sho.post(
        f"{API}/{made['reference']}/revise",
        json.dumps({"summary": "wider", "audience": {"radius_km": 60, "exclude": {"agencies": ["DL-CR"]}}}),
        content_type="application/json",
    )
    assert moved.status_code == 200, moved.content
    out = moved.json()["audience"]
    assert out["radius_km"] == 60 and out["exclude"]["agencies"] == ["DL-CR"]
    assert out["exclude"]["bordering_states"] is False


def test_dropping_the_coordinates_of_a_radius_alert_is_refused(client_for: Any) -> None:
    lat, lon = dl_hq_point()
    sho = client_for("dl.sho")
    made = create(sho, body(latitude=lat, longitude=lon, audience={"radius_km": 30})).json()
    response = sho.post(
        f"{API}/{made['reference']}/revise",
        json.dumps({"summary": "no place", "latitude": None, "longitude": None}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "audience.radius_km" in error_fields(response)


# --- the posting page ------------------------------------------------------------------------------


def form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": "missing_person",
        "title": "Missing girl, 11, from Connaught Place",
        "state": "DL",
        "handling_code": "H0",
        "persons-0-role": "missing",
        "persons-0-name": "Priya Sharma",
        "persons-0-gender": "female",
        "save_as": "publish",
    }
    data.update(changes)
    return data


def test_the_page_offers_the_radius_and_the_exclusions(client_for: Any) -> None:
    page = client_for("dl.sho").get("/alerts/new/").content.decode()
    for name in [
        'name="audience_radius_km"',
        'name="latitude"',
        'name="longitude"',
        'name="audience_exclude_states"',
        'name="audience_exclude_districts"',
        'name="audience_exclude_kinds"',
        'name="audience_exclude_agencies"',
    ]:
        assert name in page, name


def test_the_page_posts_a_radius_with_exclusions(client_for: Any) -> None:
    lat, lon = dl_hq_point()
    response = client_for("dl.sho").post(
        "/alerts/new/",
        form(
            audience_radius_km="35",
            latitude=lat,
            longitude=lon,
            audience_exclude_states=["HR", "UP"],
            audience_exclude_kinds=["ahtu"],
            audience_exclude_agencies="DL-CR, DL-GRP",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    alert = Alert.objects.get(title="Missing girl, 11, from Connaught Place")
    assert alert.latitude == Decimal(lat) and alert.longitude == Decimal(lon)
    entries = {
        (
            e.kind,
            e.exclude,
            e.radius_km,
            e.state.code if e.state else None,
            e.agency.code if e.agency else None,
            e.agency_kind,
        )
        for e in alert.audience.select_related("state", "agency")
    }
    assert ("radius", False, 35, None, None, "") in entries
    assert ("state", True, None, "HR", None, "") in entries and (
        "state",
        True,
        None,
        "UP",
        None,
        "",
    ) in entries
    assert ("agency_kind", True, None, None, None, "ahtu") in entries
    assert ("agency", True, None, None, "DL-CR", "") in entries and (
        "agency",
        True,
        None,
        None,
        "DL-GRP",
        "",
    ) in entries
    got = recipients(alert.reference)
    assert got and not got & {"DL-CR", "DL-GRP"}
    assert not Agency.objects.filter(code__in=got, state__code__in=["HR", "UP"]).exists()


def test_the_page_refuses_a_radius_without_coordinates_keeping_the_input(client_for: Any) -> None:
    before = Alert.objects.count()
    response = client_for("dl.sho").post(
        "/alerts/new/", form(audience_radius_km="35", audience_exclude_agencies="DL-CR")
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "latitude and longitude" in page
    assert 'value="35"' in page and 'value="DL-CR"' in page
    assert Alert.objects.count() == before


def test_the_page_names_a_bad_radius(client_for: Any) -> None:
    response = client_for("dl.sho").post("/alerts/new/", form(audience_radius_km="5000"))
    assert response.status_code == 422
    assert "radius" in response.content.decode()
    assert not Alert.objects.filter(title="Missing girl, 11, from Connaught Place").exists()
