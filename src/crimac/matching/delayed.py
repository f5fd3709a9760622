"""The delayed inquiry (as NCIC does it): a person, phone or vehicle that some agency searched in
the last 72 hours and that a newly published alert carries is told to that agency, which may have
had the person in front of it before anyone had posted the alert.

The searches are `crimac.search`'s record (`recent_searches`). Phones and vehicles are compared
by their normalised values; a person search is scored against the alert's persons with the same
`persons.score` correlation uses (a pre-filter by name fragments keeps it to a few rows).
The searching agency learns only the alert's reference and originating agency.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from crimac.alerts.models import Alert
from crimac.audit.actions import record
from crimac.dissemination import feed
from crimac.matching.choices import SubjectKind
from crimac.matching.keys import Subject

WINDOW = timedelta(hours=72)
MAX_PERSON_SEARCHES = 500  # person searches scored per new alert, newest first
MAX_NOTICES = 50  # agencies told about one alert


def _recent(kind: str) -> Any:
    try:
        from crimac.search.actions import recent_searches
    except ImportError:  # search not installed
        return None
    return recent_searches(kind, timezone.now() - WINDOW)


def _search_facts(row: Any) -> Any:
    from crimac.matching.persons import PersonFacts

    facts = row.facts or {}
    seen = facts.get("seen_on")
    try:
        seen_on = date.fromisoformat(seen) if seen else row.created_at.date()
    except ValueError:
        seen_on = row.created_at.date()

    def age(name: str) -> int | None:
        value = facts.get(name)
        return value if isinstance(value, int) and 0 <= value <= 130 else None

    names = tuple(str(n)[:200] for n in facts.get("names", []) if n) or (row.value,)
    return PersonFacts(
        key=f"search:{row.pk}",
        names=names,
        gender=str(facts.get("gender") or ""),
        age_min=age("age_min"),
        age_max=age("age_max"),
        seen_on=seen_on,
        state=str(facts.get("state") or ""),
    )


def _fragments(subjects: list[Subject]) -> set[str]:
    """The first three letters of every token of the persons' normalised names."""
    from crimac.matching.names import normalise_name

    out: set[str] = set()
    for s in subjects:
        if s.facts is None:
            continue
        for name in s.facts.names:
            out |= {token[:3] for token in normalise_name(name).split() if len(token) >= 3}
    return out


def inquire(alert: Alert, subjects: list[Subject]) -> list[int]:
    """Tell every agency that searched for one of `alert`'s subjects in the last 72 hours.
    Returns the agency ids told. Precondition: inside the correlation's transaction."""
    hits: dict[int, tuple[Any, str, float, list[str]]] = {}

    def hit(row: Any, what: str, score: float, reasons: list[str]) -> None:
        if row.agency_id == alert.origin_agency_id:
            return
        best = hits.get(row.agency_id)
        if best is None or score > best[2]:
            hits[row.agency_id] = (row, what, score, reasons)

    exact: dict[str, set[str]] = {"phone": set(), "vehicle": set()}
    for s in subjects:
        for key in s.exact_keys:
            prefix, _, value = key.partition(":")
            if prefix in ("tel", "imei"):
                exact["phone"].add(value)
            elif prefix == "reg":
                exact["vehicle"].add(value)
    for kind, values in exact.items():
        recent = _recent(kind) if values else None
        if recent is not None:
            for row in recent.filter(value__in=sorted(values)):
                hit(row, f"the {kind} {row.value}", 1.0, [f"same {kind} {row.value}"])
    persons = [s for s in subjects if s.kind == SubjectKind.PERSON and s.facts is not None and s.facts.names]
    fragments = _fragments(persons)
    recent = _recent("person") if fragments else None
    if recent is not None:
        from crimac.matching.persons import MATCH_THRESHOLD, score
        from crimac.matching.reveal import public_reasons

        near = Q()
        for fragment in sorted(fragments):
            near |= Q(value__contains=fragment)
        for row in recent.filter(near)[:MAX_PERSON_SEARCHES]:
            sought = _search_facts(row)
            for s in persons:
                assert s.facts is not None
                scored = score(sought, s.facts)
                if scored.exact or scored.score >= MATCH_THRESHOLD:
                    hit(
                        row,
                        f"the person '{sought.names[0]}'",
                        float(scored.score),
                        public_reasons(list(scored.reasons)),
                    )
    told = []
    for agency_id, (row, what, best, reasons) in sorted(hits.items(), key=lambda kv: -kv[1][2])[:MAX_NOTICES]:
        when = timezone.localtime(row.created_at).strftime("%Y-%m-%d %H:%M")
        feed.record_notice(
            alert,
            "delayed_inquiry",
            {
                "reference": alert.reference,
                "message": (
                    f"Delayed inquiry: {what}, searched by your agency on {when}, matches alert "
                    f"{alert.reference} of {alert.origin_agency.name} ({alert.origin_agency.code}), "
                    f"published now. Contact the originator."
                )[:1000],
                "related_origin": alert.origin_agency.code,
                "score": round(best, 4),
                "reasons": reasons[:10],
            },
            to=row.agency,
        )
        told.append(agency_id)
    if told:
        record(
            "match.delayed_inquiry",
            obj=alert,
            agency=alert.origin_agency,
            via="correlation",
            detail={"reference": alert.reference, "agencies": told},
        )
    return told
