"""The search part of the HTTP API: full-text search over alerts, vehicle, phone and person look-ups.

Every search is rate-limited per user and audited (who searched for what). A person, phone or
vehicle search is also kept for 72 hours, for the delayed inquiry.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from crimac.alerts.api import AlertFilters
from crimac.alerts.schemas import Strict
from crimac.api.auth import caller
from crimac.api.pagination import BadCursor, decode_cursor, encode_cursor
from crimac.api.problems import invalid, problem
from crimac.search import actions, lookups, persons, ratelimit
from crimac.search.choices import SearchKind
from crimac.search.service import search_alerts
from crimac.search.text import QUERY_MAX_CHARS, BadQuery, highlighted, parse_query, plain

router = Router(tags=["search"])

MAX_LIMIT = 100
MAX_OFFSET = 1000  # deeper than this, refine the search


def rate_limited(request: HttpRequest, bucket: str, action: str) -> HttpResponse | None:
    """The 429 answer when the caller is over its limit (audited once per window), else None."""
    user = caller(request)
    verdict = ratelimit.hit(user, bucket)
    if verdict.allowed:
        return None
    actions.record_refusal(action, actor=user, verdict=verdict, request=request)
    return problem(
        request,
        429,
        f"too many searches: at most {verdict.limit} in {ratelimit.limits(bucket)[1]} seconds; "
        f"try again in {verdict.retry_after} seconds",
        headers={"Retry-After": str(verdict.retry_after)},
    )


def page_window(limit: int, cursor: str | None) -> int:
    """Check `limit` and turn `cursor` into an offset."""
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid("query", "limit", f"must be between 1 and {MAX_LIMIT}")
    if not cursor:
        return 0
    raw = decode_cursor(cursor)
    prefix, _, number = raw.partition(":")
    if prefix != "o" or not number.isdecimal() or len(number) > 7 or int(number) > MAX_OFFSET:
        raise BadCursor()
    return int(number)


def next_link(request: HttpRequest, offset: int, shown: int, total: int) -> str | None:
    following = offset + shown
    if shown == 0 or following >= total or following > MAX_OFFSET:
        return None
    params = request.GET.copy()
    params["cursor"] = encode_cursor(f"o:{following}")
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


def alert_links(reference: str) -> dict[str, str]:
    return {
        "self": reverse("api:get_alert", kwargs={"ref": reference}),
        "page": reverse("alerts:detail", kwargs={"ref": reference}),
    }


# --- full text ----------------------------------------------------------------------------------


class SearchFilters(AlertFilters):
    q: str = Field(
        ...,
        max_length=QUERY_MAX_CHARS,
        description="words to find (all of them), in any script; a registration or phone number as written",
    )
    sort: Literal["rank", "newest"] = "rank"
    limit: int = Field(20, description=f"1 to {MAX_LIMIT}")


class SearchHit(Schema):
    reference: str
    title: str
    title_highlighted: str = Field(description="HTML: the title escaped, matched words in <mark>")
    snippet: str = Field(description="HTML: the best passage escaped, matched words in <mark>")
    snippet_text: str
    rank: float = Field(description="higher is better; comparable within one search only")
    category: str
    priority: str
    status: str
    state: str
    district: str | None
    origin: str
    reported_at: str
    links: dict[str, str]


class SearchPage(Schema):
    count: int = Field(description="matching alerts the caller may see, counted up to 1,000")
    capped: bool = Field(
        description="true when there are more than `count` matches: refine the search (sorted by "
        "rank, such a search ranks only the newest of them)"
    )
    next: str | None
    results: list[SearchHit]


def _audit_filters(f: Any) -> dict[str, Any]:
    keys = ("category", "priority", "status", "state", "district", "origin", "reported_from", "reported_to")
    return {k: str(v) if k.startswith("reported") else v for k in keys if (v := getattr(f, k, None))}


@router.get("/search", response=SearchPage, summary="Full-text search over the alerts the caller may see")
def search(request: HttpRequest, filters: Query[SearchFilters]) -> Any:
    user = caller(request)
    offset = page_window(filters.limit, filters.cursor)
    try:
        query = parse_query(filters.q)
    except BadQuery as exc:
        raise invalid("query", "q", str(exc)) from None
    refused = rate_limited(request, "search", "search.alerts")
    if refused is not None:
        return refused
    page = search_alerts(
        user, query, filters, newest=filters.sort == "newest", limit=filters.limit, offset=offset
    )
    actions.record_search(
        "search.alerts",
        actor=user,
        request=request,
        detail={
            "q": query.text[: actions.AUDIT_QUERY_MAX],
            "filters": _audit_filters(filters),
            "sort": filters.sort,
            "offset": offset,
            "count": page.count,
        },
    )
    return {
        "count": page.count,
        "capped": page.capped,
        "next": next_link(request, offset, len(page.results), page.count),
        "results": [
            {
                "reference": r.alert.reference,
                "title": r.alert.title,
                "title_highlighted": highlighted(r.title) or highlighted(r.alert.title),
                "snippet": highlighted(r.snippet),
                "snippet_text": plain(r.snippet),
                "rank": round(r.rank, 6),
                "category": r.alert.category,
                "priority": r.alert.priority,
                "status": r.alert.status,
                "state": r.alert.state.code,
                "district": r.alert.district.name if r.alert.district else None,
                "origin": r.alert.origin_agency.code,
                "reported_at": r.alert.reported_at.isoformat(),
                "links": alert_links(r.alert.reference),
            }
            for r in page.results
        ],
    }


# --- vehicles and phones ------------------------------------------------------------------------


class LookupHit(Schema):
    reference: str
    title: str
    category: str
    status: str
    state: str
    origin: str
    reported_at: str
    matched: dict[str, Any] = Field(description="the vehicle or phone on that alert that matched")
    links: dict[str, str]


class LookupPage(Schema):
    sought: dict[str, Any] = Field(description="the value as normalised, and whether it was looked up whole")
    count: int
    next: str | None
    results: list[LookupHit]


class VehicleQuery(Strict):
    registration: str = Field(..., max_length=40)
    limit: int = 20
    cursor: str | None = Field(None, max_length=200)


class PhoneQuery(Strict):
    number: str = Field(..., max_length=40, description="a phone number as written, or a 15-digit IMEI")
    limit: int = 20
    cursor: str | None = Field(None, max_length=200)


def _lookup_page(
    request: HttpRequest, qs: Any, sought: lookups.Sought, limit: int, offset: int, matched: Any
) -> dict[str, Any]:
    total = qs.count()
    rows = list(qs[offset : offset + limit]) if total else []
    return {
        "sought": {"kind": sought.kind, "value": sought.value, "exact": sought.exact},
        "count": total,
        "next": next_link(request, offset, len(rows), total),
        "results": [
            {
                "reference": row.alert.reference,
                "title": row.alert.title,
                "category": row.alert.category,
                "status": row.alert.status,
                "state": row.alert.state.code,
                "origin": row.alert.origin_agency.code,
                "reported_at": row.alert.reported_at.isoformat(),
                "matched": matched(row),
                "links": alert_links(row.alert.reference),
            }
            for row in rows
        ],
    }


def _vehicle_out(v: Any) -> dict[str, Any]:
    from crimac.alerts.normalise import registration_display

    return {
        "registration": v.registration,
        "registration_normalised": v.registration_normalised,
        "registration_display": registration_display(v.registration_normalised),
        "vehicle_type": v.vehicle_type,
        "make": v.make,
        "model": v.model,
        "colour": v.colour,
    }


def _phone_out(p: Any) -> dict[str, Any]:
    return {"number": p.number, "e164": p.e164, "imei": p.imei}


def _lookup(
    request: HttpRequest,
    field: str,
    raw: str,
    limit: int,
    cursor: str | None,
    *,
    vehicle: bool,
) -> Any:
    user = caller(request)
    offset = page_window(limit, cursor)
    try:
        sought = lookups.vehicle_sought(raw) if vehicle else lookups.phone_sought(raw)
    except lookups.BadValue as exc:
        raise invalid("query", field, str(exc)) from None
    action = "search.vehicles" if vehicle else "search.phones"
    refused = rate_limited(request, "search", action)
    if refused is not None:
        return refused
    qs = lookups.vehicles(user, sought) if vehicle else lookups.phones(user, sought)
    body = _lookup_page(request, qs, sought, limit, offset, _vehicle_out if vehicle else _phone_out)
    actions.record_search(
        action,
        actor=user,
        request=request,
        detail={field: raw[:100], "normalised": sought.value, "exact": sought.exact, "count": body["count"]},
        kind=(SearchKind.VEHICLE if vehicle else SearchKind.PHONE) if sought.exact else None,
        value=sought.value,
        facts={"type": sought.kind},
    )
    return body


@router.get(
    "/vehicles/search", response=LookupPage, summary="Find a vehicle by registration number (normalised)"
)
def vehicles_search(request: HttpRequest, filters: Query[VehicleQuery]) -> Any:
    return _lookup(request, "registration", filters.registration, filters.limit, filters.cursor, vehicle=True)


@router.get("/phones/search", response=LookupPage, summary="Find a phone by number (E.164) or IMEI")
def phones_search(request: HttpRequest, filters: Query[PhoneQuery]) -> Any:
    return _lookup(request, "number", filters.number, filters.limit, filters.cursor, vehicle=False)


# --- persons ------------------------------------------------------------------------------------


class PersonQuery(Strict):
    name: str = Field(..., max_length=persons.NAME_MAX_CHARS, description="as written, in any script")
    gender: str = Field("", max_length=20, description="male, female, transgender or unknown")
    age: str = Field("", max_length=20, description="an age (14) or a range (13-15)")
    state: str = Field("", max_length=8, description="State/UT code: candidates from it rank a little higher")
    limit: int = 20
    cursor: str | None = Field(None, max_length=200)


class PersonHit(Schema):
    reference: str
    title: str
    category: str
    status: str
    state: str
    origin: str
    reported_at: str
    person: dict[str, Any]
    score: float = Field(description="0 to 1: matching's person score")
    exact: bool = Field(description="an identifier both share: a match on its own")
    reasons: list[str]
    links: dict[str, str]


class PersonPage(Schema):
    sought: dict[str, Any]
    count: int
    next: str | None
    results: list[PersonHit]


def person_out(c: persons.Candidate) -> dict[str, Any]:
    p, alert = c.person, c.person.alert
    return {
        "reference": alert.reference,
        "title": alert.title,
        "category": alert.category,
        "status": alert.status,
        "state": alert.state.code,
        "origin": alert.origin_agency.code,
        "reported_at": alert.reported_at.isoformat(),
        "person": {
            "position": p.position,
            "role": p.role,
            "name": p.name,
            "aliases": p.aliases,
            "gender": p.gender,
            "age_min": p.age_min,
            "age_max": p.age_max,
            "last_seen_place": p.last_seen_place,
        },
        "score": c.score,
        "exact": c.exact,
        "reasons": list(c.reasons),
        "links": alert_links(alert.reference),
    }


@router.get(
    "/persons/search",
    response=PersonPage,
    summary="Find a person across the alerts the caller may see: ranked candidates with reasons",
)
def persons_search(request: HttpRequest, filters: Query[PersonQuery]) -> Any:
    user = caller(request)
    offset = page_window(filters.limit, filters.cursor)
    try:
        wanted = persons.sought(filters.name, filters.gender, filters.age, filters.state)
    except persons.BadPerson as exc:
        raise invalid("query", exc.field, str(exc)) from None
    refused = rate_limited(request, "persons", "search.persons")
    if refused is not None:
        return refused
    found = persons.search_persons(user, wanted)
    actions.record_search(
        "search.persons",
        actor=user,
        request=request,
        detail={**wanted.facts(), "normalised": wanted.normalised, "count": len(found)},
        kind=SearchKind.PERSON,
        value=wanted.normalised,
        facts=wanted.facts(),
    )
    rows = found[offset : offset + filters.limit]
    return {
        "sought": {**wanted.facts(), "normalised": wanted.normalised},
        "count": len(found),
        "next": next_link(request, offset, len(rows), len(found)),
        "results": [person_out(c) for c in rows],
    }
