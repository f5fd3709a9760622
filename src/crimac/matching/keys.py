"""What a subject of an alert is looked up by: its blocking keys, and the facts a person is
scored on. Keys carry a prefix naming what they are, so a phone never meets a passport.

- persons: `persons.blocking_keys` (phonetic name keys), prefixed `p:`;
- phones: `tel:<E.164>` and `imei:<15 digits>`;
- vehicles: `reg:<normalised registration>`, `chassis:...`, `engine:...`;
- identifiers: `id:<type>:<normalised>`; not the last four digits of an Aadhaar number (ten
  thousand values: thousands of strangers share them), which only supports a person's score.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from crimac.alerts.choices import IdentifierType, PersonRole
from crimac.alerts.normalise import registration_display
from crimac.matching.choices import SubjectKind
from crimac.matching.names import PARSER_VERSION, ParsedName, pack, unpack

if TYPE_CHECKING:
    from crimac.alerts.models import Alert, Identifier, Person, Phone, Vehicle
    from crimac.matching.persons import PersonFacts

MAX_KEY = 200
# Exact identifiers that mean nothing on their own.
WEAK_IDENTIFIERS = frozenset({IdentifierType.AADHAAR_LAST4})


@dataclass
class Subject:
    """One subject of one alert, with its keys and (for a person) its facts."""

    alert_id: int
    kind: str
    position: int
    label: str
    keys: set[str] = field(default_factory=set)  # filed under
    lookup: set[str] = field(default_factory=set)  # looks up (for a person, fewer than it is filed under)
    exact_keys: set[str] = field(default_factory=set)
    facts: PersonFacts | None = None
    role: str = ""
    alert: Any = None  # the Alert it is on (its origin agency loaded, for correlation)

    @property
    def ident(self) -> tuple[int, str, int]:
        return (self.alert_id, self.kind, self.position)


def _key(text: str) -> str:
    return text[:MAX_KEY]


_ROLE_LABELS: dict[str, str] = {str(value): str(label) for value, label in PersonRole.choices}


def person_label(p: Person) -> str:
    ages = ""
    if p.age_min is not None or p.age_max is not None:
        low, high = p.age_min, p.age_max
        ages = f", {low}" if low == high or high is None else f", {low if low is not None else '?'}-{high}"
    gender = "" if p.gender in ("", "unknown") else f", {p.gender}"
    role = _ROLE_LABELS.get(p.role, p.role)  # `p` may be a row read as values (correlation)
    return f"{role}: {p.name or '(name not known)'}{gender}{ages}"[:200]


def person_facts(
    p: Person,
    alert: Alert,
    phones: Iterable[str] = (),
    identifiers: Iterable[str] = (),
    *,
    state: str | None = None,
) -> PersonFacts:
    """`state`: the alert's State code, when the caller has it (else read from `alert.state`)."""
    from crimac.matching.persons import PersonFacts

    seen = p.last_seen_at or alert.occurred_at or alert.reported_at
    return PersonFacts(
        key=f"{alert.pk}:{p.position}",
        names=tuple(n for n in [p.name, *(p.aliases or [])] if n),
        gender="" if p.gender == "unknown" else p.gender,
        age_min=p.age_min,
        age_max=p.age_max,
        birth_year_min=p.birth_date_from.year if p.birth_date_from else None,
        birth_year_max=p.birth_date_to.year if p.birth_date_to else None,
        seen_on=seen.date() if seen else None,
        phones=tuple(phones),
        identifiers=tuple(identifiers),
        state=state if state is not None else (alert.state.code if alert.state_id else ""),
        marks=p.marks or "",
        role=p.role,
    )


# What made a stored profile: bump PROFILE_FORMAT when `person_facts`, `person_label` or the fields
# of `profile_data` change; the parser's version follows its own source (`names.PARSER_VERSION`).
PROFILE_FORMAT = 1
PROFILE_VERSION = f"{PROFILE_FORMAT}.{PARSER_VERSION}"


def profile_data(facts: PersonFacts, label: str) -> dict[str, Any]:
    """A person's facts, label and parsed names as `PersonProfile.data` (JSON)."""
    return {
        "v": PROFILE_VERSION,
        "label": label,
        "role": facts.role,
        "names": list(facts.names),
        "parsed": [pack(p) for p in facts.parsed_names()],
        "relative": list(facts.relative_name()),
        "gender": facts.gender,
        "age": [facts.age_min, facts.age_max],
        "born": [facts.birth_year_min, facts.birth_year_max],
        "seen": facts.seen_on.isoformat() if facts.seen_on else None,
        "state": facts.state,
        "marks": facts.marks,
    }


# Names read back from profiles, each once per process: a name's parse is a function of the name
# alone (the profile's version says which code made it), and a common name is on thousands of them.
_UNPACKED: dict[str, tuple[ParsedName, ...]] = {}
UNPACKED_MAX = 65536


def _unpacked(name: str, packed: list[list[Any]]) -> tuple[ParsedName, ...]:
    found = _UNPACKED.get(name)
    if found is None:
        if len(_UNPACKED) >= UNPACKED_MAX:
            _UNPACKED.clear()
        found = _UNPACKED[name] = unpack(packed)
    return found


def forget_unpacked() -> None:
    _UNPACKED.clear()


def profile_facts(alert_id: int, position: int, data: dict[str, Any]) -> PersonFacts | None:
    """The facts `profile_data` stored, or None when another version of the code stored them."""
    from crimac.matching.persons import PersonFacts

    if data.get("v") != PROFILE_VERSION:
        return None
    seen = data["seen"]
    kind, given = data["relative"]
    return PersonFacts(
        key=f"{alert_id}:{position}",
        names=tuple(data["names"]),
        gender=data["gender"],
        age_min=data["age"][0],
        age_max=data["age"][1],
        birth_year_min=data["born"][0],
        birth_year_max=data["born"][1],
        seen_on=datetime.date.fromisoformat(seen) if seen else None,
        state=data["state"],
        marks=data["marks"],
        role=data["role"],
        parsed=tuple(_unpacked(n, p) for n, p in zip(data["names"], data["parsed"], strict=True)),
        relative=(kind, given),
    )


def profile_subject(alert_id: int, position: int, data: dict[str, Any]) -> Subject | None:
    """A candidate person from its stored profile (its alert stands in by id: the caller loads the
    alerts of those it keeps), or None for a stale profile."""
    facts = profile_facts(alert_id, position, data)
    if facts is None:
        return None
    return Subject(
        alert_id,
        SubjectKind.PERSON,
        position,
        data["label"],
        facts=facts,
        role=facts.role,
        alert=SimpleNamespace(pk=alert_id, id=alert_id),
    )


def subjects_of(
    alert: Alert,
    persons: list[Person],
    phones: list[Phone],
    vehicles: list[Vehicle],
    identifiers: list[Identifier],
) -> list[Subject]:
    """Every subject of one alert with its keys. A person is not lent the alert's phones or
    identifiers: they may be anyone's (the trafficker's phone on a missing girl's alert), and would
    make two different people "exactly" the same; phones and identifiers match as themselves."""
    from crimac.matching import persons as person_matching

    blocking_keys = person_matching.blocking_keys
    query_keys = getattr(person_matching, "query_keys", lambda keys: keys)

    out: list[Subject] = []
    for p in persons:
        facts = person_facts(p, alert)
        raw = blocking_keys(facts) if facts.names else set()
        keys = {_key(f"p:{k}") for k in raw}
        lookup = {_key(f"p:{k}") for k in query_keys(raw)}
        out.append(
            Subject(
                alert.pk, SubjectKind.PERSON, p.position, person_label(p), keys, lookup, set(), facts, p.role
            )
        )
    for ph in phones:
        exact = {k for k in (f"tel:{ph.e164}" if ph.e164 else "", f"imei:{ph.imei}" if ph.imei else "") if k}
        if exact:
            label = " / ".join(x for x in (ph.e164 or ph.number, f"IMEI {ph.imei}" if ph.imei else "") if x)
            out.append(Subject(alert.pk, SubjectKind.PHONE, ph.position, label[:200], exact, exact, exact))
    for v in vehicles:
        exact = {
            _key(k)
            for k in (
                f"reg:{v.registration_normalised}" if v.registration_normalised else "",
                f"chassis:{v.chassis_number.upper()}" if v.chassis_number else "",
                f"engine:{v.engine_number.upper()}" if v.engine_number else "",
            )
            if k
        }
        if exact:
            label = registration_display(v.registration_normalised) if v.registration_normalised else ""
            label = " ".join(x for x in (label, v.make, v.model, v.colour) if x) or "vehicle"
            out.append(Subject(alert.pk, SubjectKind.VEHICLE, v.position, label[:200], exact, exact, exact))
    for i in identifiers:
        if i.type in WEAK_IDENTIFIERS or not i.normalised:
            continue
        exact = {_key(f"id:{i.type}:{i.normalised}")}
        label = f"{i.get_type_display()}: {i.normalised}"
        out.append(Subject(alert.pk, SubjectKind.IDENTIFIER, i.position, label[:200], exact, exact, exact))
    for s in out:
        s.alert = alert
    return out
