"""An alert as plain data: the API's output and each revision's snapshot are the same shape."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crimac.alerts.choices import CATEGORY_BY_VALUE, AudienceKind
from crimac.alerts.models import Alert, AudienceEntry, Identifier, LegalSection, Person, Phone, Vehicle
from crimac.alerts.normalise import registration_display


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def person_dict(p: Person) -> dict[str, Any]:
    return {
        "role": p.role,
        "name": p.name,
        "aliases": list(p.aliases),
        "gender": p.gender,
        "age_min": p.age_min,
        "age_max": p.age_max,
        "birth_date_from": _iso(p.birth_date_from),
        "birth_date_to": _iso(p.birth_date_to),
        "height_cm_min": p.height_cm_min,
        "height_cm_max": p.height_cm_max,
        "build": p.build,
        "marks": p.marks,
        "languages": list(p.languages),
        "last_seen_place": p.last_seen_place,
        "last_seen_at": _iso(p.last_seen_at),
    }


def vehicle_dict(v: Vehicle) -> dict[str, Any]:
    return {
        "registration": v.registration,
        "registration_normalised": v.registration_normalised,
        "registration_display": registration_display(v.registration_normalised)
        if v.registration_normalised
        else "",
        "vehicle_type": v.vehicle_type,
        "make": v.make,
        "model": v.model,
        "colour": v.colour,
        "chassis_number": v.chassis_number,
        "engine_number": v.engine_number,
    }


def phone_dict(p: Phone) -> dict[str, Any]:
    return {"number": p.number, "e164": p.e164, "imei": p.imei}


def identifier_dict(i: Identifier) -> dict[str, Any]:
    return {"type": i.type, "value": i.value, "normalised": i.normalised}


def section_dict(s: LegalSection) -> dict[str, Any]:
    counterpart = s.counterpart
    return {
        "citation": s.citation,
        "title": s.title,
        "counterpart": counterpart.citation if counterpart else None,
        "counterpart_uncertain": s.counterpart_uncertain,
        "trafficking": s.trafficking,
    }


AUDIENCE_LISTS = (
    "states",
    "districts",
    "agencies",
    "resolved_states",
    "agency_kinds",
    "agency_kinds_in_states",
)


def _terms_dict() -> dict[str, Any]:
    return {
        "states": [],
        "districts": [],
        "agencies": [],
        "agency_kinds": [],
        "agency_kinds_in_states": [],
        "bordering_states": False,
        "radius_km": None,
        "resolved_states": [],
    }


def audience_dict(entries: Iterable[AudienceEntry]) -> dict[str, Any]:
    """The audience as written: its terms, and under `exclude` the terms taken away. The same
    shape as `AudienceIn` (plus `resolved_states`, the bordering States found when it was saved)."""
    out: dict[str, Any] = {"national": False, **_terms_dict(), "exclude": _terms_dict()}
    for e in entries:
        terms = out["exclude"] if e.exclude else out
        if e.kind == AudienceKind.NATIONAL:
            terms["national"] = True
        elif e.kind == AudienceKind.BORDERING_STATES:
            terms["bordering_states"] = True
        elif e.kind == AudienceKind.RADIUS:
            terms["radius_km"] = e.radius_km
        elif e.kind == AudienceKind.STATE:
            assert e.state is not None
            terms["resolved_states" if e.derived else "states"].append(e.state.code)
        elif e.kind == AudienceKind.DISTRICT:
            assert e.district is not None
            terms["districts"].append(e.district.lgd_code)
        elif e.kind == AudienceKind.AGENCY:
            assert e.agency is not None
            terms["agencies"].append(e.agency.code)
        elif e.kind == AudienceKind.AGENCY_KIND:
            if e.agency_kind not in terms["agency_kinds"]:
                terms["agency_kinds"].append(e.agency_kind)
            if e.state is not None and e.state.code not in terms["agency_kinds_in_states"]:
                terms["agency_kinds_in_states"].append(e.state.code)
    for terms in (out, out["exclude"]):
        for key in AUDIENCE_LISTS:
            terms[key] = sorted(terms[key])
    return out


def alert_dict(
    alert: Alert,
    *,
    persons: Iterable[Person],
    vehicles: Iterable[Vehicle],
    phones: Iterable[Phone],
    identifiers: Iterable[Identifier],
    sections: Iterable[LegalSection],
    audience: Iterable[AudienceEntry],
) -> dict[str, Any]:
    category = CATEGORY_BY_VALUE.get(alert.category)
    return {
        "id": alert.pk,
        "reference": alert.reference,
        "status": alert.status,
        "revision": alert.revision,
        "category": alert.category,
        "category_label": category.label if category else alert.category,
        "title": alert.title,
        "narrative": alert.narrative,
        "priority": alert.priority,
        "action_requested": alert.action_requested,
        "occurred_at": _iso(alert.occurred_at),
        "reported_at": _iso(alert.reported_at),
        "published_at": _iso(alert.published_at),
        "expires_at": _iso(alert.expires_at),
        "origin": {
            "agency": alert.origin_agency.code,
            "agency_name": alert.origin_agency.name,
            "officer": alert.origin_user.full_name or alert.origin_user.username,
        },
        "place": {
            "state": alert.state.code,
            "state_name": alert.state.name,
            "district": alert.district.lgd_code if alert.district else None,
            "district_name": alert.district.name if alert.district else None,
            "station": alert.station.code if alert.station else None,
            "address": alert.address,
            "latitude": float(alert.latitude) if alert.latitude is not None else None,
            "longitude": float(alert.longitude) if alert.longitude is not None else None,
        },
        "sections": [section_dict(s) for s in sections],
        "missing_trafficking_sections": alert.missing_trafficking_sections,
        "fir_number": alert.fir_number,
        "fir_date": _iso(alert.fir_date),
        "handling_code": alert.handling_code,
        "audience": audience_dict(audience),
        "persons": [person_dict(p) for p in persons],
        "vehicles": [vehicle_dict(v) for v in vehicles],
        "phones": [phone_dict(p) for p in phones],
        "identifiers": [identifier_dict(i) for i in identifiers],
        "cancel_reason": alert.cancel_reason,
        "outcome": alert.outcome or None,
        "outcome_note": alert.outcome_note,
        "closed_at": _iso(alert.closed_at),
    }


SNAPSHOT_EXCLUDE = {"id", "status", "revision", "published_at", "closed_at"}


def prefetch(queryset: Any) -> Any:
    return queryset.select_related(
        "origin_agency", "origin_user", "state", "district", "station"
    ).prefetch_related(
        "persons",
        "vehicles",
        "phones",
        "identifiers",
        "citations__section__counterpart",
        "audience__state",
        "audience__district",
        "audience__agency",
    )


def alert_out(alert: Alert) -> dict[str, Any]:
    """Serialise an alert loaded through `prefetch` (no further queries)."""
    return alert_dict(
        alert,
        persons=alert.persons.all(),
        vehicles=alert.vehicles.all(),
        phones=alert.phones.all(),
        identifiers=alert.identifiers.all(),
        sections=[c.section for c in alert.citations.all()],
        audience=alert.audience.all(),
    )
