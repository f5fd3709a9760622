"""Radius audiences: every active agency with coordinates within `radius_km` (great-circle) of the
incident. The exact set is compared with the directory measured independently (Vincenty's
formula on the sphere, not the haversine the code uses), with an agency placed 50 m inside and
one 50 m outside the circle, and what the outsiders (no coordinates, inactive, farther) do not get.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from crimac.alerts.actions import create_alert, revise_alert
from crimac.alerts.models import Alert
from crimac.alerts.schemas import AlertIn, AlertRevise
from crimac.directory.actions import save_agency
from crimac.directory.models import Agency, User
from crimac.dissemination.models import Delivery
from crimac.dissemination.resolution import EARTH_RADIUS_KM, directory_index, distance_km

pytestmark = pytest.mark.django_db


def incident() -> tuple[Decimal, Decimal]:
    """Two-hundredths of a degree from Ranchi's (demo) district office."""
    dpo = Agency.objects.get(code="JH-RANCHI-DPO")
    assert dpo.latitude is not None and dpo.longitude is not None
    return dpo.latitude + Decimal("0.02"), dpo.longitude - Decimal("0.02")


def user(username: str) -> User:
    return User.objects.select_related("agency").get(username=username)


def central_angle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Vincenty's great-circle formula (sphere): a different computation from the haversine."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    num = math.hypot(
        math.cos(p2) * math.sin(dl), math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    )
    den = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return EARTH_RADIUS_KM * math.atan2(num, den)


def within(lat: Decimal, lon: Decimal, radius_km: float) -> set[str]:
    """The directory, measured here: active agencies with coordinates inside the circle."""
    rows = Agency.objects.filter(active=True, latitude__isnull=False, longitude__isnull=False)
    return {
        code
        for code, a_lat, a_lon in rows.values_list("code", "latitude", "longitude")
        if central_angle_km(float(lat), float(lon), float(a_lat), float(a_lon)) <= radius_km
    }


def north_of(lat: Decimal, km: float) -> Decimal:
    """The latitude `km` due north (along a meridian the great-circle distance is R * angle)."""
    return Decimal(f"{float(lat) + math.degrees(km / EARTH_RADIUS_KM):.5f}")


def station(code: str, lat: Decimal | None, lon: Decimal | None, *, active: bool = True) -> Agency:
    dpo = Agency.objects.select_related("state", "district").get(code="JH-RANCHI-DPO")
    agency = Agency(
        code=code,
        name=f"Test station {code}",
        kind="police_station",
        state=dpo.state,
        district=dpo.district,
        parent=dpo,
        latitude=lat,
        longitude=lon,
        active=active,
    )
    return save_agency(agency, actor=None)


def post(
    audience: dict[str, Any],
    *,
    where: tuple[Decimal, Decimal] | None = None,
    no_place: bool = False,
    **fields: Any,
) -> Alert:
    """Post as Ranchi's SHO; the incident is at `where` (default: `incident()`), or nowhere."""
    data: dict[str, Any] = {
        "category": "missing_person",
        "title": "Missing boy, 9, near the bus stand",
        "persons": [{"role": "missing", "name": "Sonu", "gender": "male", "age_min": 8, "age_max": 10}],
        "audience": audience,
        "state": "JH",
        **fields,
    }
    if not no_place:
        lat, lon = where or incident()
        data["latitude"], data["longitude"] = str(lat), str(lon)
    return create_alert(AlertIn.model_validate(data), actor=user("jh.sho"), publish=True).alert


def recipients(alert: Alert) -> set[str]:
    return set(Delivery.objects.filter(alert=alert).values_list("agency__code", flat=True))


def reasons(alert: Alert) -> dict[str, str]:
    return dict(Delivery.objects.filter(alert=alert).values_list("agency__code", "reason"))


# --- the exact set -------------------------------------------------------------------------------


def test_the_demo_directory_has_plausible_coordinates() -> None:
    ranchi = Agency.objects.get(code="JH-RANCHI-DPO")
    assert ranchi.latitude is not None and ranchi.longitude is not None
    # Within Jharkhand's rough extent, and its stations a few km from the district office.
    assert 21.9 < float(ranchi.latitude) < 25.4 and 83.3 < float(ranchi.longitude) < 87.9
    ps = Agency.objects.get(code="JH-RANCHI-PS-001")
    assert ps.latitude is not None and ps.longitude is not None
    gap = central_angle_km(
        float(ranchi.latitude), float(ranchi.longitude), float(ps.latitude), float(ps.longitude)
    )
    assert 0 < gap < 15
    # The national bodies made by the migration have none: a radius never reaches them.
    assert Agency.objects.get(code="NCRB").latitude is None


def test_a_radius_reaches_exactly_the_agencies_within_it() -> None:
    inside = station("JH-TEST-PS-IN", north_of(incident()[0], 29.95), incident()[1])
    outside = station("JH-TEST-PS-OUT", north_of(incident()[0], 30.05), incident()[1])
    assert 29.9 < distance_km(*map(float, incident()), float(inside.latitude), float(inside.longitude)) < 30  # type: ignore[arg-type]
    alert = post({"radius_km": 30})
    expected = within(*incident(), 30)
    assert len(expected) >= 5  # Ranchi's units, not a lone test station
    assert "JH-TEST-PS-IN" in expected and "JH-TEST-PS-OUT" not in expected
    assert recipients(alert) == expected
    assert set(reasons(alert).values()) == {"within 30 km"}
    # Outsiders: the agency 50 m beyond the edge, the State headquarters elsewhere, other States.
    assert not recipients(alert) & {"JH-TEST-PS-OUT", "DL-HQ", "NCRB", "CBI"}
    assert outside.pk not in {d.agency_id for d in Delivery.objects.filter(alert=alert)}


def test_agencies_without_coordinates_or_inactive_are_not_reached() -> None:
    station("JH-TEST-PS-NOWHERE", None, None)
    station("JH-TEST-PS-SHUT", incident()[0], incident()[1], active=False)
    station("JH-TEST-PS-HERE", incident()[0], incident()[1])
    alert = post({"radius_km": 50})
    got = recipients(alert)
    assert "JH-TEST-PS-HERE" in got
    assert "JH-TEST-PS-NOWHERE" not in got and "JH-TEST-PS-SHUT" not in got
    assert got == within(*incident(), 50)


def test_a_radius_adds_up_with_other_terms() -> None:
    alert = post({"radius_km": 20, "states": ["AS"], "agencies": ["CBI"]})
    expected = (
        within(*incident(), 20)
        | set(Agency.objects.filter(active=True, state__code="AS").values_list("code", flat=True))
        | {"CBI"}
    )
    assert recipients(alert) == expected
    got = reasons(alert)
    assert got["AS-HQ"] == "State" and got["CBI"] == "named"
    assert got["JH-RANCHI-DPO"] == "within 20 km"


def test_a_wide_radius_crosses_state_borders() -> None:
    alert = post({"radius_km": 400})
    got = recipients(alert)
    assert got == within(*incident(), 400)
    states = set(Agency.objects.filter(code__in=got).values_list("state__code", flat=True))
    assert "JH" in states and len(states - {"JH", None}) >= 1


def test_the_index_bounding_box_misses_nothing_near_a_pole_or_the_antimeridian() -> None:
    index = directory_index()
    # Over the whole directory, the bisection and bounding box agree with a plain scan.
    for lat, lon, radius in [(23.41, 85.33, 150), (8.0, 77.0, 300), (34.5, 77.0, 900), (20.0, 80.0, 2000)]:
        plain = {pk for pk, a_lat, a_lon in index.placed if distance_km(lat, lon, a_lat, a_lon) <= radius}
        assert index.within(lat, lon, radius) == plain
    assert distance_km(89.9, 10.0, 89.9, -170.0) == pytest.approx(
        2 * 0.1 * math.pi / 180 * EARTH_RADIUS_KM, rel=1e-6
    )


# --- refusals ------------------------------------------------------------------------------------


def test_a_radius_without_the_incident_coordinates_is_refused_naming_the_field() -> None:
    before = Alert.objects.count()
    with pytest.raises(ValidationError) as refused:
        post({"radius_km": 25}, no_place=True)
    assert "audience.radius_km" in refused.value.message_dict
    assert "latitude and longitude" in refused.value.message_dict["audience.radius_km"][0]
    assert Alert.objects.count() == before


@pytest.mark.parametrize("radius", [0, -5, 2001])
def test_a_radius_out_of_range_is_refused(radius: int) -> None:
    with pytest.raises(Exception) as refused:
        AlertIn.model_validate(
            {"category": "general_advisory", "title": "Advisory", "audience": {"radius_km": radius}}
        )
    assert "radius_km" in str(refused.value)


def test_a_radius_reaching_nobody_is_refused_at_publish() -> None:
    # A point in the Bay of Bengal, 1 km around it: no unit there.
    before = Alert.objects.count()
    with pytest.raises(ValidationError) as refused:
        post({"radius_km": 1}, where=(Decimal("15.00000"), Decimal("88.00000")))
    assert list(refused.value.message_dict) == ["audience"]
    assert Alert.objects.count() == before


# --- revisions -------------------------------------------------------------------------------------


def test_moving_the_incident_adds_the_new_neighbours_and_drops_nobody() -> None:
    alert = post({"radius_km": 15})
    first = recipients(alert)
    assert first
    moved = (north_of(incident()[0], 40), incident()[1])
    revise_alert(
        alert,
        AlertRevise.model_validate(
            {"summary": "seen further north", "latitude": str(moved[0]), "longitude": str(moved[1])}
        ),
        actor=user("jh.sho"),
    )
    now = recipients(alert)
    assert now == first | within(*moved, 15)
    assert {d.revision for d in Delivery.objects.filter(alert=alert)} == {2}
