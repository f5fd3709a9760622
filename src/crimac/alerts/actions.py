"""Every write to alerts: create (as a draft or published), publish, revise, cancel, resolve,
attach. Each checks permission, validates, writes in one transaction with its audit row and its
revision, and emits its hook for after commit.

`check_alert` turns the client's `AlertIn` into a `Checked` alert (codes resolved, values
normalised, rules applied) or raises ValidationError with a field path per problem
("persons.0.age_max", "vehicles.1.registration"). Bulk create checks every item with one shared
`Lookup` and inserts all the good ones with a handful of bulk statements.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from crimac.alerts import hooks, normalise
from crimac.alerts.choices import (
    CATEGORY_BY_VALUE,
    TRAFFICKING_CATEGORIES,
    AudienceKind,
    Status,
)
from crimac.alerts.models import (
    Alert,
    AlertRevision,
    AlertSequence,
    AudienceEntry,
    Citation,
    Identifier,
    LegalSection,
    Person,
    Phone,
    Vehicle,
)
from crimac.alerts.schemas import AlertIn, AlertRevise, AudienceIn, AudienceTerms, PersonIn
from crimac.alerts.sections import UnknownCitation, parse
from crimac.alerts.serialise import SNAPSHOT_EXCLUDE, alert_dict
from crimac.audit.actions import record
from crimac.audit.models import AuditEvent, Outcome
from crimac.directory.choices import AgencyKind
from crimac.directory.models import Agency, District, State, StateBorder
from crimac.directory.permissions import Perm, has_perm, may_act_on
from crimac.directory.validation import Errors

if TYPE_CHECKING:
    from django.http import HttpRequest

CLOCK_SKEW = timedelta(minutes=5)


# --- looking things up once ---------------------------------------------------------------------


REFERENCE_TTL_SECONDS = 60


@dataclass
class _Reference:
    """States, land borders and the section catalogue: read by every alert, changed by an
    administrator a few times a year. Kept per process for a minute."""

    loaded_at: float
    states: dict[str, State]
    sections: dict[tuple[str, str], LegalSection]
    borders: dict[int, list[State]]


_reference: _Reference | None = None


def reference_data() -> _Reference:
    global _reference
    now = time.monotonic()
    if _reference is None or now - _reference.loaded_at > REFERENCE_TTL_SECONDS:
        states = {s.code: s for s in State.objects.all()}
        by_pk = {s.pk: s for s in states.values()}
        borders: dict[int, list[State]] = {}
        for state_id, neighbour_id in StateBorder.objects.values_list("state_id", "neighbour_id"):
            borders.setdefault(state_id, []).append(by_pk[neighbour_id])
        sections = {(s.code, s.section): s for s in LegalSection.objects.select_related("counterpart")}
        _reference = _Reference(now, states, sections, borders)
    return _reference


def forget_reference_data() -> None:
    """Drop the per-process copy (tests, and after changing States or the catalogue)."""
    global _reference
    _reference = None


class Lookup:
    """Caches the directory and catalogue rows that alerts name, so a bulk request of 500 alerts
    costs a few queries rather than thousands."""

    def __init__(self) -> None:
        self._ref = reference_data()
        self._districts: dict[int, District | None] = {}
        self._agencies: dict[str, Agency | None] = {}

    def state(self, code: str) -> State | None:
        return self._ref.states.get(code.upper())

    def district(self, lgd_code: int) -> District | None:
        if lgd_code not in self._districts:
            self._districts[lgd_code] = (
                District.objects.select_related("state").filter(lgd_code=lgd_code).first()
            )
        return self._districts[lgd_code]

    def prefetch_districts(self, codes: set[int]) -> None:
        missing = codes - self._districts.keys()
        if missing:
            found = {
                d.lgd_code: d for d in District.objects.select_related("state").filter(lgd_code__in=missing)
            }
            for code in missing:
                self._districts[code] = found.get(code)

    def agency(self, code: str) -> Agency | None:
        key = code.upper()
        if key not in self._agencies:
            self._agencies[key] = Agency.objects.select_related("state", "district").filter(code=key).first()
        return self._agencies[key]

    def prefetch_agencies(self, codes: set[str]) -> None:
        missing = {c.upper() for c in codes} - self._agencies.keys()
        if missing:
            found = {
                a.code: a for a in Agency.objects.select_related("state", "district").filter(code__in=missing)
            }
            for code in missing:
                self._agencies[code] = found.get(code)

    def section(self, code: str, section: str) -> LegalSection | None:
        return self._ref.sections.get((code, section))

    def bordering(self, state: State) -> list[State]:
        return sorted(self._ref.borders.get(state.pk, []), key=lambda s: s.code)


# --- checking -----------------------------------------------------------------------------------


@dataclass
class Checked:
    """An alert that passed `check_alert`: unsaved model objects ready to insert."""

    alert: Alert
    persons: list[Person] = field(default_factory=list)
    vehicles: list[Vehicle] = field(default_factory=list)
    phones: list[Phone] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    sections: list[LegalSection] = field(default_factory=list)
    audience: list[AudienceEntry] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)

    def children(self) -> list[Any]:
        """The rows inserted with the alert that point at it (citations are made from `sections`)."""
        return [*self.persons, *self.vehicles, *self.phones, *self.identifiers, *self.audience]

    def snapshot(self) -> dict[str, Any]:
        return alert_dict(
            self.alert,
            persons=self.persons,
            vehicles=self.vehicles,
            phones=self.phones,
            identifiers=self.identifiers,
            sections=self.sections,
            audience=self.audience,
        )


def require_post(actor: Any, request: HttpRequest | None = None) -> None:
    if not has_perm(actor, Perm.POST_ALERT):
        record("alert.create", actor=actor, outcome=Outcome.DENIED, request=request)
        raise PermissionDenied("your role may not post alerts")


def _check_place(data: Any, actor: Any, lookup: Lookup, errors: Errors, alert: Alert) -> None:
    state_code = data.state or (actor.agency.state.code if actor.agency.state_id else None)
    if not state_code:
        errors.add("state", "give the State/UT where it happened (your agency is national)")
        return
    state = lookup.state(state_code)
    if state is None:
        errors.add("state", f"unknown State/UT code {state_code!r}")
        return
    alert.state = state
    alert.district = None
    alert.station = None
    if data.district is not None:
        district = lookup.district(data.district)
        if district is None:
            errors.add("district", f"unknown LGD district code {data.district}")
        elif district.state_id != state.pk:
            errors.add("district", f"{district.name} is in {district.state.name}, not in {state.name}")
        else:
            alert.district = district
    if data.station:
        station = lookup.agency(data.station)
        if station is None or station.kind != AgencyKind.POLICE_STATION:
            errors.add("station", f"unknown police station {data.station!r}")
        elif station.state_id != state.pk:
            errors.add("station", f"{station.code} is not in {state.name}")
        elif alert.district is not None and station.district_id != alert.district.pk:
            errors.add("station", f"{station.code} is not in {alert.district.name}")
        else:
            alert.station = station
            if alert.district is None:
                alert.district = station.district
    alert.address = data.address or ""
    alert.latitude, alert.longitude = data.latitude, data.longitude
    if (data.latitude is None) != (data.longitude is None):
        errors.add("latitude", "give both latitude and longitude, or neither")


def _check_persons(persons: list[PersonIn], now: datetime, errors: Errors) -> list[Person]:
    out = []
    for i, p in enumerate(persons):
        where = f"persons.{i}"
        if p.age_min is not None and p.age_max is not None and p.age_min > p.age_max:
            errors.add(f"{where}.age_max", "must not be less than age_min")
        if p.birth_date_from and p.birth_date_to and p.birth_date_from > p.birth_date_to:
            errors.add(f"{where}.birth_date_to", "must not be before birth_date_from")
        if p.birth_date_to and p.birth_date_to > now.date():
            errors.add(f"{where}.birth_date_to", "must not be in the future")
        if p.height_cm_min and p.height_cm_max and p.height_cm_min > p.height_cm_max:
            errors.add(f"{where}.height_cm_max", "must not be less than height_cm_min")
        if p.last_seen_at and p.last_seen_at > now + CLOCK_SKEW:
            errors.add(f"{where}.last_seen_at", "must not be in the future")
        if not (p.name or p.marks or p.age_min is not None or p.age_max is not None or p.gender != "unknown"):
            errors.add(f"{where}", "describe the person: a name, an age, a gender or identifying marks")
        out.append(
            Person(
                position=i,
                role=p.role,
                name=p.name,
                aliases=p.aliases,
                gender=p.gender,
                age_min=p.age_min,
                age_max=p.age_max,
                birth_date_from=p.birth_date_from,
                birth_date_to=p.birth_date_to,
                height_cm_min=p.height_cm_min,
                height_cm_max=p.height_cm_max,
                build=p.build,
                marks=p.marks,
                languages=p.languages,
                last_seen_place=p.last_seen_place,
                last_seen_at=p.last_seen_at,
            )
        )
    return out


def _check_vehicles(vehicles: list[Any], errors: Errors) -> list[Vehicle]:
    out = []
    for i, v in enumerate(vehicles):
        where = f"vehicles.{i}"
        reg = chassis = engine = ""
        try:
            reg = normalise.registration(v.registration) if v.registration else ""
        except normalise.Invalid as exc:
            errors.add(f"{where}.registration", str(exc))
        try:
            chassis = normalise.chassis_or_engine(v.chassis_number)
        except normalise.Invalid as exc:
            errors.add(f"{where}.chassis_number", str(exc))
        try:
            engine = normalise.chassis_or_engine(v.engine_number)
        except normalise.Invalid as exc:
            errors.add(f"{where}.engine_number", str(exc))
        if not (v.registration or v.chassis_number or v.engine_number):
            errors.add(where, "give a registration, chassis or engine number")
        out.append(
            Vehicle(
                position=i,
                registration=v.registration,
                registration_normalised=reg,
                vehicle_type=v.vehicle_type,
                make=v.make,
                model=v.model,
                colour=v.colour,
                chassis_number=chassis,
                engine_number=engine,
            )
        )
    return out


def _check_phones(phones: list[Any], errors: Errors) -> list[Phone]:
    out = []
    for i, p in enumerate(phones):
        where = f"phones.{i}"
        e164 = imei = ""
        if p.number:
            try:
                e164 = normalise.phone(p.number)
            except normalise.Invalid as exc:
                errors.add(f"{where}.number", str(exc))
        if p.imei:
            try:
                imei = normalise.imei(p.imei)
            except normalise.Invalid as exc:
                errors.add(f"{where}.imei", str(exc))
        if not (p.number or p.imei):
            errors.add(where, "give a number or an IMEI")
        out.append(Phone(position=i, number=p.number, e164=e164, imei=imei))
    return out


def _check_identifiers(identifiers: list[Any], errors: Errors) -> list[Identifier]:
    out = []
    for i, ident in enumerate(identifiers):
        try:
            norm = normalise.identifier(ident.type, ident.value)
        except normalise.Invalid as exc:
            errors.add(f"identifiers.{i}.value", str(exc))
            norm = ""
        # An Aadhaar number is never stored whole, not even as written.
        value = norm if ident.type == "aadhaar_last4" else ident.value
        out.append(Identifier(position=i, type=ident.type, value=value, normalised=norm))
    return out


def _check_sections(cited: list[str], lookup: Lookup, errors: Errors) -> list[LegalSection]:
    out: list[LegalSection] = []
    for i, text in enumerate(cited):
        try:
            code, number = parse(text)
        except UnknownCitation as exc:
            errors.add(f"sections.{i}", str(exc))
            continue
        section = lookup.section(code, number)
        if section is None:
            errors.add(f"sections.{i}", f"unknown section {code} {number} (not in the catalogue)")
        elif section in out:
            errors.add(f"sections.{i}", f"{section.citation} is cited twice")
        else:
            out.append(section)
    return out


def _check_audience(
    audience: AudienceIn | None,
    state: State | None,
    lookup: Lookup,
    errors: Errors,
    named_before: frozenset[str] = frozenset(),
    has_coordinates: bool = False,
) -> list[AudienceEntry]:
    """`named_before`: agencies the alert already names. A revision may keep one that has since
    been deactivated (it simply receives nothing new); only newly named agencies must be active.
    `has_coordinates`: the alert gives the incident's latitude and longitude (a radius needs them).
    With no positive term the audience is the incident's State; exclusions apply to it too."""
    entries: list[AudienceEntry] = []
    if audience is None or audience.is_empty():
        if state is not None:
            entries.append(AudienceEntry(kind=AudienceKind.STATE, state=state))
    else:
        if audience.national:
            entries.append(AudienceEntry(kind=AudienceKind.NATIONAL))
        entries += _audience_terms(
            audience, "audience", False, state, lookup, errors, named_before, has_coordinates
        )
    if audience is not None and audience.exclude is not None and not audience.exclude.is_empty():
        entries += _audience_terms(
            audience.exclude, "audience.exclude", True, state, lookup, errors, named_before, has_coordinates
        )
    return entries


def _audience_terms(
    terms: AudienceTerms,
    where: str,
    exclude: bool,
    state: State | None,
    lookup: Lookup,
    errors: Errors,
    named_before: frozenset[str],
    has_coordinates: bool,
) -> list[AudienceEntry]:
    """The entries for one set of terms (the audience's, or its exclusions' with `exclude`)."""
    entries: list[AudienceEntry] = []

    def entry(**fields: Any) -> AudienceEntry:
        return AudienceEntry(exclude=exclude, **fields)

    for i, code in enumerate(terms.states):
        found = lookup.state(code)
        if found is None:
            errors.add(f"{where}.states.{i}", f"unknown State/UT code {code!r}")
        else:
            entries.append(entry(kind=AudienceKind.STATE, state=found))
    lookup.prefetch_districts(set(terms.districts))
    for i, lgd in enumerate(terms.districts):
        district = lookup.district(lgd)
        if district is None:
            errors.add(f"{where}.districts.{i}", f"unknown LGD district code {lgd}")
        else:
            entries.append(entry(kind=AudienceKind.DISTRICT, district=district))
    lookup.prefetch_agencies(set(terms.agencies))
    for i, code in enumerate(terms.agencies):
        agency = lookup.agency(code)
        # Excluding an inactive agency is harmless (it receives nothing anyway): only refuse unknown.
        if agency is None or (not agency.active and not exclude and agency.code not in named_before):
            errors.add(f"{where}.agencies.{i}", f"unknown or inactive agency {code!r}")
        else:
            entries.append(entry(kind=AudienceKind.AGENCY, agency=agency))
    kind_states: list[State | None] = []
    for i, code in enumerate(terms.agency_kinds_in_states):
        found = lookup.state(code)
        if found is None:
            errors.add(f"{where}.agency_kinds_in_states.{i}", f"unknown State/UT code {code!r}")
        kind_states.append(found)
    if terms.agency_kinds_in_states and not terms.agency_kinds:
        errors.add(f"{where}.agency_kinds", "name the agency kinds to limit to those States")
    for kind in dict.fromkeys(terms.agency_kinds):
        for kind_state in kind_states or [None]:
            entries.append(entry(kind=AudienceKind.AGENCY_KIND, agency_kind=kind, state=kind_state))
    if terms.bordering_states:
        entries.append(entry(kind=AudienceKind.BORDERING_STATES))
        if state is not None:
            neighbours = lookup.bordering(state)
            if not neighbours:
                errors.add(f"{where}.bordering_states", f"{state.name} borders no other State/UT by land")
            entries.extend(entry(kind=AudienceKind.STATE, state=n, derived=True) for n in neighbours)
    if terms.radius_km is not None:
        if not has_coordinates:
            errors.add(
                f"{where}.radius_km",
                "a radius is measured from the incident: give its latitude and longitude",
            )
        entries.append(entry(kind=AudienceKind.RADIUS, radius_km=terms.radius_km))
    return entries


def check_alert(
    data: AlertIn,
    *,
    actor: Any,
    lookup: Lookup | None = None,
    now: datetime | None = None,
    named_before: frozenset[str] = frozenset(),
) -> Checked:
    """Validate and resolve a new alert. Raises ValidationError naming every bad field."""
    lookup = lookup or Lookup()
    now = now or timezone.now()
    errors = Errors()
    category = CATEGORY_BY_VALUE[data.category]
    alert = Alert(
        origin_agency=actor.agency,
        origin_user=actor,
        category=data.category,
        title=data.title,
        narrative=data.narrative,
        priority=data.priority or category.default_priority,
        action_requested=data.action_requested or category.default_action,
        occurred_at=data.occurred_at,
        reported_at=data.reported_at or now,
        fir_number=data.fir_number,
        fir_date=data.fir_date,
        handling_code=data.handling_code,
        expires_at=data.expires_at,
    )
    _check_times(alert, now, errors)
    _check_place(data, actor, lookup, errors, alert)
    checked = Checked(
        alert=alert,
        persons=_check_persons(data.persons, now, errors),
        vehicles=_check_vehicles(data.vehicles, errors),
        phones=_check_phones(data.phones, errors),
        identifiers=_check_identifiers(data.identifiers, errors),
        sections=_check_sections(data.sections, lookup, errors),
        audience=_check_audience(
            data.audience,
            getattr(alert, "state", None),
            lookup,
            errors,
            named_before,
            has_coordinates=data.latitude is not None and data.longitude is not None,
        ),
    )
    errors.raise_if_any()
    _flag_trafficking(checked)
    return checked


def _check_times(alert: Alert, now: datetime, errors: Errors) -> None:
    if alert.reported_at > now + CLOCK_SKEW:
        errors.add("reported_at", "must not be in the future")
    if alert.occurred_at is not None and alert.occurred_at > alert.reported_at:
        errors.add("occurred_at", "must not be after reported_at")
    if alert.fir_date is not None:
        if alert.fir_date > timezone.localdate(now):
            errors.add("fir_date", "must not be in the future")
        if alert.occurred_at is not None and alert.fir_date < timezone.localdate(alert.occurred_at):
            errors.add("fir_date", "must not be before the occurrence")
    if alert.fir_date is not None and not alert.fir_number:
        errors.add("fir_number", "give the FIR number with its date")
    if alert.expires_at is not None and alert.expires_at <= alert.reported_at:
        errors.add("expires_at", "must be after reported_at")


TRAFFICKING_WARNING = (
    "A trafficking alert should cite a trafficking section: IPC 370/370A, 366A/366B, 372/373 or "
    "BNS 143/144, 96/141, 98/99. MHA has asked States to register trafficking cases under them."
)


def _flag_trafficking(checked: Checked) -> None:
    alert = checked.alert
    missing = alert.category in TRAFFICKING_CATEGORIES and not any(s.trafficking for s in checked.sections)
    alert.missing_trafficking_sections = missing
    checked.warnings = (
        [{"field": "sections", "code": "trafficking_sections", "message": TRAFFICKING_WARNING}]
        if missing
        else []
    )


# --- writing ------------------------------------------------------------------------------------


def reference_prefix(agency: Agency) -> str:
    if agency.state_id is None:
        return "IN"
    # The per-process State rows answer this without a query (an API key's agency comes without it).
    for state in reference_data().states.values():
        if state.pk == agency.state_id:
            return state.code
    fallback = agency.state  # a State added since the reference data was loaded
    return fallback.code if fallback is not None else "IN"


def allocate_references(prefix: str, year: int, count: int) -> list[str]:
    """Take `count` consecutive numbers of (prefix, year). Call inside the write's transaction:
    the sequence row stays locked until commit, so numbers are never given twice."""
    table = AlertSequence._meta.db_table
    sql = f"UPDATE {table} SET last = last + %s WHERE prefix = %s AND year = %s RETURNING last"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, prefix, year])
        row = cursor.fetchone()
    if row is None:
        try:
            with transaction.atomic():
                AlertSequence.objects.create(prefix=prefix, year=year, last=count)
            row = (count,)
        except IntegrityError:
            with connection.cursor() as cursor:
                cursor.execute(sql, [count, prefix, year])
                row = cursor.fetchone()
    last = int(row[0])
    return [f"{prefix}-{year}-{n:06d}" for n in range(last - count + 1, last + 1)]


def _insert(
    items: list[Checked],
    *,
    actor: Any,
    publish: bool,
    request: HttpRequest | None,
    via: str,
    backdate: bool = False,
) -> None:
    """Insert checked alerts with their subjects, first revision and audit rows.
    Precondition: inside a transaction."""
    now = timezone.now()
    by_prefix: dict[str, list[Checked]] = {}
    for item in items:
        by_prefix.setdefault(reference_prefix(item.alert.origin_agency), []).append(item)
    for prefix, group in by_prefix.items():
        for item, ref in zip(
            group, allocate_references(prefix, timezone.localdate(now).year, len(group)), strict=True
        ):
            item.alert.reference = ref
    for item in items:
        item.alert.status = Status.PUBLISHED if publish else Status.DRAFT
        published = item.alert.reported_at if backdate else now
        item.alert.published_at = published if publish else None
    Alert.objects.bulk_create([i.alert for i in items])
    children: dict[type, list[Any]] = {Person: [], Vehicle: [], Phone: [], Identifier: [], AudienceEntry: []}
    citations: list[Citation] = []
    by_item: dict[int, list[Citation]] = {}
    for item in items:
        for obj in item.children():
            obj.alert = item.alert
            children[type(obj)].append(obj)
        cited = [Citation(alert=item.alert, section=s, position=n) for n, s in enumerate(item.sections)]
        by_item[id(item)] = cited
        citations += cited
    for model, objs in children.items():
        model.objects.bulk_create(objs)  # type: ignore[attr-defined]
    Citation.objects.bulk_create(citations)
    event = "published" if publish else "created"
    AlertRevision.objects.bulk_create(
        AlertRevision(
            alert=i.alert,
            number=1,
            event=event,
            snapshot=_snapshot(i),
            by=actor,
            summary="published" if publish else "draft created",
        )
        for i in items
    )
    agency = actor.agency
    address = request.META.get("REMOTE_ADDR") if request is not None else None
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=actor,
            actor_name=actor.get_username(),
            agency=agency,
            agency_code=agency.code,
            action="alert.publish" if publish else "alert.create",
            object_type="alerts.alert",
            object_id=str(i.alert.pk),
            object_repr=str(i.alert)[:200],
            client_address=address,
            via=via or ("api" if request is not None and request.path.startswith("/api/") else "page"),
            detail={"reference": i.alert.reference, "warnings": [w["code"] for w in i.warnings]},
        )
        for i in items
    )
    if publish:
        loaded = {i.alert.pk: _as_loaded(i, by_item[id(i)]) for i in items}
        hooks.emit("published", list(loaded), actor_id=actor.pk, revision=1, loaded=loaded)


def _as_loaded(item: Checked, citations: list[Citation]) -> Alert:
    """The alert as just written, its children answered from memory (as `prefetch_related`
    would), for subscribers that would otherwise read back what this transaction wrote."""
    alert = item.alert
    cache: dict[str, Any] = {}
    for name, objs in (
        ("persons", item.persons),
        ("vehicles", item.vehicles),
        ("phones", item.phones),
        ("identifiers", item.identifiers),
        ("audience", item.audience),
        ("citations", citations),
    ):
        qs = getattr(alert, name).all()
        qs._result_cache = list(objs)
        qs._prefetch_done = True
        cache[name] = qs
    alert._prefetched_objects_cache = cache  # type: ignore[attr-defined]
    return alert


def _snapshot(item: Checked) -> dict[str, Any]:
    data = item.snapshot()
    for key in SNAPSHOT_EXCLUDE:
        data.pop(key, None)
    return data


def create_alert(
    data: AlertIn, *, actor: Any, publish: bool, request: HttpRequest | None = None, via: str = ""
) -> Checked:
    """Create one alert, published at once or as a draft. Returns it with its warnings."""
    require_post(actor, request)
    checked = check_alert(data, actor=actor)
    if publish and not checked.audience:
        raise ValidationError({"audience": ["the audience resolves to nobody: name at least one recipient"]})
    with transaction.atomic():
        _insert([checked], actor=actor, publish=publish, request=request, via=via)
    return checked


def create_draft(data: AlertIn, *, actor: Any, request: HttpRequest | None = None, via: str = "") -> Checked:
    return create_alert(data, actor=actor, publish=False, request=request, via=via)


@dataclass
class BulkResult:
    index: int
    checked: Checked | None = None
    errors: dict[str, list[str]] | None = None


def create_many(
    items: list[AlertIn | dict[str, list[str]]],
    *,
    actor: Any,
    publish: bool = True,
    request: HttpRequest | None = None,
    via: str = "",
    backdate: bool = False,
) -> list[BulkResult]:
    """Create many alerts: each is all-or-nothing on its own; the good ones are inserted together.

    `items` holds parsed alerts, or the field errors an item already failed its schema with.
    `backdate` (demo and historical loads): each alert counts as published when it was reported.
    """
    require_post(actor, request)
    lookup = Lookup()
    now = timezone.now()
    agency_codes = {
        code for it in items if isinstance(it, AlertIn) and it.audience for code in it.audience.agencies
    } | {it.station for it in items if isinstance(it, AlertIn) and it.station}
    lookup.prefetch_agencies(agency_codes)
    lookup.prefetch_districts({it.district for it in items if isinstance(it, AlertIn) and it.district})
    results = []
    good: list[Checked] = []
    for index, item in enumerate(items):
        if not isinstance(item, AlertIn):
            results.append(BulkResult(index, errors=item))
            continue
        try:
            checked = check_alert(item, actor=actor, lookup=lookup, now=now)
            if publish and not checked.audience:
                raise ValidationError({"audience": ["the audience resolves to nobody"]})
        except ValidationError as exc:
            results.append(BulkResult(index, errors=exc.message_dict))
            continue
        results.append(BulkResult(index, checked=checked))
        good.append(checked)
    if good:
        try:
            with transaction.atomic():
                _insert(good, actor=actor, publish=publish, request=request, via=via, backdate=backdate)
        except ValidationError:
            # A subscriber refused one of them (e.g. its audience reaches no agency): insert them
            # one by one so that each succeeds or fails on its own.
            by_alert = {id(r.checked): r for r in results if r.checked is not None}
            for one in good:
                _unsave(one)
                try:
                    with transaction.atomic():
                        _insert(
                            [one], actor=actor, publish=publish, request=request, via=via, backdate=backdate
                        )
                except ValidationError as exc:
                    _unsave(one)
                    result = by_alert[id(one)]
                    result.checked, result.errors = None, exc.message_dict
    return results


def _unsave(item: Checked) -> None:
    """Forget the ids a rolled-back insert gave the objects, so they can be inserted again."""
    item.alert.pk = None
    for obj in item.children():
        obj.pk = None


# --- changing an alert --------------------------------------------------------------------------


def may_change(actor: Any, alert: Alert) -> bool:
    """The originating agency, and supervisors up its hierarchy, may revise, cancel or resolve."""
    if not getattr(actor, "is_authenticated", False):
        return False
    if actor.agency_id == alert.origin_agency_id and has_perm(actor, Perm.POST_ALERT):
        return True
    return may_act_on(actor, Perm.REVISE_ALERT, alert.origin_agency)


def _require_change(actor: Any, alert: Alert, action: str, request: HttpRequest | None) -> None:
    if not may_change(actor, alert):
        record(action, actor=actor, obj=alert, outcome=Outcome.DENIED, request=request)
        raise PermissionDenied("only the originating agency and its supervisors may change this alert")


def _locked(alert: Alert) -> Alert:
    from crimac.alerts.serialise import prefetch

    return prefetch(Alert.objects.select_for_update(of=("self",))).get(pk=alert.pk)


def _current(alert: Alert) -> Checked:
    return Checked(
        alert=alert,
        persons=list(alert.persons.all()),
        vehicles=list(alert.vehicles.all()),
        phones=list(alert.phones.all()),
        identifiers=list(alert.identifiers.all()),
        sections=[c.section for c in alert.citations.all()],
        audience=list(alert.audience.all()),
    )


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    changes = {}
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            changes[key] = [before.get(key), after.get(key)]
    return changes


def _replace_children(alert: Alert, item: Checked, which: set[str]) -> None:
    groups: list[tuple[str, Any, list[Any]]] = [
        ("persons", Person, item.persons),
        ("vehicles", Vehicle, item.vehicles),
        ("phones", Phone, item.phones),
        ("identifiers", Identifier, item.identifiers),
        ("audience", AudienceEntry, item.audience),
    ]
    for name, model, objs in groups:
        if name in which:
            model.objects.filter(alert=alert).delete()
            for obj in objs:
                obj.pk = None
                obj.alert = alert
            model.objects.bulk_create(objs)
    if "sections" in which:
        Citation.objects.filter(alert=alert).delete()
        Citation.objects.bulk_create(
            Citation(alert=alert, section=s, position=n) for n, s in enumerate(item.sections)
        )


def revise_alert(
    alert: Alert, data: AlertRevise, *, actor: Any, request: HttpRequest | None = None, via: str = ""
) -> Checked:
    """Publish an update (or edit a draft). Fields given replace the alert's; lists given
    replace the lists. The new revision records what changed and the author's summary."""
    _require_change(actor, alert, "alert.revise", request)
    with transaction.atomic():
        current = _locked(alert)
        if current.status not in {Status.DRAFT, Status.PUBLISHED}:
            raise ValidationError({"status": [f"a {current.status} alert cannot be revised"]})
        before = _snapshot(_current(current))
        given = data.model_dump(exclude_unset=True)
        merged = _merged_input(before, given, current)
        named = frozenset(e.agency.code for e in current.audience.all() if e.agency is not None)
        checked = check_alert(merged, actor=_origin_actor(current, actor), named_before=named)
        checked.alert.origin_agency, checked.alert.origin_user = current.origin_agency, current.origin_user
        checked.alert.reported_at = current.reported_at
        checked.alert.reference = current.reference
        if current.status == Status.PUBLISHED and not checked.audience:
            raise ValidationError({"audience": ["the audience resolves to nobody"]})
        after = _snapshot(checked)
        changes = _diff(before, after)
        if not changes:
            raise ValidationError({"__all__": ["nothing changed"]})
        for name in ALERT_FIELDS:
            setattr(current, name, getattr(checked.alert, name))
        current.revision += 1
        current.save()
        # Lists are re-derived from the merged alert; persons only when given, so their
        # photographs stay attached to them.
        _replace_children(current, checked, (CHILD_FIELDS - {"persons"}) | ({"persons"} & given.keys()))
        AlertRevision.objects.create(
            alert=current,
            number=current.revision,
            event="revised",
            summary=data.summary,
            changes=changes,
            snapshot=after,
            by=actor,
        )
        record(
            "alert.revise",
            actor=actor,
            obj=current,
            request=request,
            via=via,
            detail={"revision": current.revision, "changed": sorted(changes)},
        )
        if current.status == Status.PUBLISHED:
            hooks.emit("revised", [current.pk], actor_id=actor.pk, revision=current.revision)
    checked.alert = current
    return checked


ALERT_FIELDS = [
    "title",
    "narrative",
    "priority",
    "action_requested",
    "occurred_at",
    "state",
    "district",
    "station",
    "address",
    "latitude",
    "longitude",
    "fir_number",
    "fir_date",
    "handling_code",
    "expires_at",
    "missing_trafficking_sections",
]
CHILD_FIELDS = {"persons", "vehicles", "phones", "identifiers", "sections", "audience"}


def _origin_actor(alert: Alert, actor: Any) -> Any:
    """Checks run as the originating officer, so defaults (the agency's State) stay the origin's."""
    return alert.origin_user if alert.origin_user.agency_id == alert.origin_agency_id else actor


def _merged_input(before: dict[str, Any], given: dict[str, Any], alert: Alert) -> AlertIn:
    """The alert as it would be after the revision, as an `AlertIn`, so it is checked whole."""
    audience = before["audience"]
    base: dict[str, Any] = {
        "category": before["category"],
        "title": before["title"],
        "narrative": before["narrative"],
        "priority": before["priority"],
        "action_requested": before["action_requested"],
        "occurred_at": before["occurred_at"],
        "reported_at": before["reported_at"],
        "state": before["place"]["state"],
        "district": before["place"]["district"],
        "station": before["place"]["station"],
        "address": before["place"]["address"],
        "latitude": before["place"]["latitude"],
        "longitude": before["place"]["longitude"],
        "sections": [s["citation"] for s in before["sections"]],
        "fir_number": before["fir_number"],
        "fir_date": before["fir_date"],
        "handling_code": before["handling_code"],
        "expires_at": before["expires_at"],
        "audience": _audience_input(audience),
        "persons": before["persons"],
        "vehicles": [
            {k: v for k, v in veh.items() if k not in {"registration_normalised", "registration_display"}}
            for veh in before["vehicles"]
        ],
        "phones": [{"number": p["number"], "imei": p["imei"]} for p in before["phones"]],
        "identifiers": [{"type": i["type"], "value": i["value"]} for i in before["identifiers"]],
    }
    for key, value in given.items():
        if key == "summary":
            continue
        base[key] = value
    if "state" in given and "district" not in given:
        base["district"] = None
        base["station"] = None
    if "state" in given and "audience" not in given and _is_default_audience(audience, before):
        base["audience"] = None  # the default (the incident's State) follows the corrected State
    try:
        return AlertIn.model_validate(base)
    except Exception as exc:  # pydantic.ValidationError: report it the Django way
        from crimac.api.problems import from_pydantic

        raise ValidationError(
            {
                e["field"]: [e["message"]]
                for e in from_pydantic(
                    [{**err, "loc": ("body", "payload", *err["loc"])} for err in exc.errors()]  # type: ignore[attr-defined]
                )
            }
        ) from None


def _audience_input(audience: dict[str, Any]) -> dict[str, Any]:
    """The snapshot's audience as `AudienceIn` takes it: without what was derived from it."""
    out = {k: v for k, v in audience.items() if k != "resolved_states"}
    if isinstance(out.get("exclude"), dict):
        out["exclude"] = {k: v for k, v in out["exclude"].items() if k != "resolved_states"}
    return out


def _is_default_audience(audience: dict[str, Any], before: dict[str, Any]) -> bool:
    """Is the audience just the incident's State, as `check_alert` gives when none is named?"""
    others = {k: v for k, v in audience.items() if k not in {"states", "resolved_states", "exclude"}}
    exclude = audience.get("exclude") or {}
    excluded = any(v for k, v in exclude.items() if k != "resolved_states")
    return not any(others.values()) and not excluded and audience["states"] == [before["place"]["state"]]


def publish_alert(alert: Alert, *, actor: Any, request: HttpRequest | None = None, via: str = "") -> Alert:
    """Publish a draft."""
    _require_change(actor, alert, "alert.publish", request)
    with transaction.atomic():
        current = _locked(alert)
        if current.status != Status.DRAFT:
            raise ValidationError(
                {"status": [f"only a draft can be published; this alert is {current.status}"]}
            )
        if not current.audience.exists():
            raise ValidationError(
                {"audience": ["the audience resolves to nobody: name at least one recipient"]}
            )
        current.status = Status.PUBLISHED
        current.published_at = timezone.now()
        current.save(update_fields=["status", "published_at", "updated_at"])
        AlertRevision.objects.create(
            alert=current,
            number=current.revision,
            event="published",
            summary="published",
            snapshot=_snapshot(_current(current)),
            by=actor,
        )
        record("alert.publish", actor=actor, obj=current, request=request, via=via)
        hooks.emit("published", [current.pk], actor_id=actor.pk, revision=current.revision)
    return current


def cancel_alert(
    alert: Alert, *, actor: Any, reason: str, request: HttpRequest | None = None, via: str = ""
) -> Alert:
    _require_change(actor, alert, "alert.cancel", request)
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise ValidationError({"reason": ["say why the alert is cancelled"]})
    with transaction.atomic():
        current = _locked(alert)
        if current.status not in {Status.DRAFT, Status.PUBLISHED}:
            raise ValidationError({"status": [f"a {current.status} alert cannot be cancelled"]})
        was_published = current.status == Status.PUBLISHED
        current.status = Status.CANCELLED
        current.cancel_reason = reason
        current.closed_at = timezone.now()
        current.revision += 1
        current.save(update_fields=["status", "cancel_reason", "closed_at", "revision", "updated_at"])
        AlertRevision.objects.create(
            alert=current,
            number=current.revision,
            event="cancelled",
            summary=reason,
            changes={"status": ["published" if was_published else "draft", "cancelled"]},
            snapshot=_snapshot(_current(current)),
            by=actor,
        )
        record("alert.cancel", actor=actor, obj=current, request=request, via=via, detail={"reason": reason})
        if was_published:
            hooks.emit("cancelled", [current.pk], actor_id=actor.pk, revision=current.revision)
    return current


def resolve_alert(
    alert: Alert,
    *,
    actor: Any,
    outcome: str,
    note: str = "",
    request: HttpRequest | None = None,
    via: str = "",
) -> Alert:
    from crimac.alerts.choices import Outcome as AlertOutcome

    _require_change(actor, alert, "alert.resolve", request)
    if outcome not in AlertOutcome.values:
        raise ValidationError({"outcome": [f"must be one of: {', '.join(AlertOutcome.values)}"]})
    with transaction.atomic():
        current = _locked(alert)
        if current.status != Status.PUBLISHED:
            raise ValidationError(
                {"status": [f"only a published alert can be resolved; this one is {current.status}"]}
            )
        current.status = Status.RESOLVED
        current.outcome = outcome
        current.outcome_note = note
        current.closed_at = timezone.now()
        current.revision += 1
        current.save(
            update_fields=["status", "outcome", "outcome_note", "closed_at", "revision", "updated_at"]
        )
        AlertRevision.objects.create(
            alert=current,
            number=current.revision,
            event="resolved",
            summary=f"{outcome}: {note}".strip(": "),
            changes={"status": ["published", "resolved"], "outcome": [None, outcome]},
            snapshot=_snapshot(_current(current)),
            by=actor,
        )
        record(
            "alert.resolve", actor=actor, obj=current, request=request, via=via, detail={"outcome": outcome}
        )
        hooks.emit("resolved", [current.pk], actor_id=actor.pk, revision=current.revision)
    return current


def expire_due_alerts(*, now: datetime | None = None) -> int:
    """Mark published alerts past their expiry as expired (run by the worker or a timer)."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(Alert.objects.select_for_update().filter(status=Status.PUBLISHED, expires_at__lte=now))
        for alert in due:
            alert.status = Status.EXPIRED
            alert.closed_at = now
            alert.save(update_fields=["status", "closed_at", "updated_at"])
            record("alert.expire", obj=alert, via="system")
    return len(due)
