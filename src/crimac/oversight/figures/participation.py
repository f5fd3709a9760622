"""Participation: who posts alerts, who stays silent and since when, at every level.

An alert belongs to the State and district of the agency that posted it (its originator), not of
the place it is about: participation is about who shares. A "station" is an active police
station; a station is silent in a period when it published no alert in it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from crimac.alerts.choices import CATEGORIES, Priority
from crimac.directory.choices import AgencyKind
from crimac.directory.models import Agency, District, State
from crimac.oversight.figures.base import iso, posted, ratio
from crimac.oversight.figures.rollup import Rollup, Tally, agency_counts, last_before, rollup
from crimac.oversight.period import Period
from crimac.oversight.tally import merge_max, split

STATION = AgencyKind.POLICE_STATION
TOP = 3


def _row(t: Tally | None) -> dict[str, Any]:
    t = t or Tally()
    return {
        "agencies": t.agencies,
        "stations": t.stations,
        "alerts": t.alerts,
        "stations_posted": t.stations_posted,
        "silent_stations": t.stations - t.stations_posted,
        "share_stations_posted": ratio(t.stations_posted, t.stations),
        "alerts_per_station": ratio(t.alerts, t.stations),
        "first_alert_at": iso(t.first),
        "last_alert_at": iso(t.last),
    }


def _breakdown(pairs: Any) -> dict[str, dict[str, int]]:
    """From (category, priority, alerts) triples."""
    categories: dict[str, int] = {}
    priorities: dict[str, int] = {}
    for category, priority, n in pairs:
        categories[category] = categories.get(category, 0) + n
        priorities[priority] = priorities.get(priority, 0) + n
    return {
        "by_category": {c.value: categories.get(c.value, 0) for c in CATEGORIES},
        "by_priority": {p: priorities.get(p, 0) for p in Priority.values},
    }


def _counted(qs: Any) -> Any:
    return qs.order_by().values_list("category", "priority").annotate(n=Count("id"))


def _kept_months(period: Period, state: State | None) -> tuple[Any, list[Period]]:
    """The kept per-State monthly rows for the period's whole months, and the days left over."""
    from crimac.oversight.models import StateMonth

    months, edges = split(period)
    if months is None:
        return StateMonth.objects.none(), edges
    kept = StateMonth.objects.filter(month__gte=months[0], month__lte=months[1])
    if state is not None:
        kept = kept.filter(state_key=state.pk)
    return kept.order_by(), edges


def state_rows(period: Period, data: Rollup | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One row per State/UT (ranked by alerts), and the national totals."""
    data = data or rollup(period)
    states = list(State.objects.filter(active=True).order_by("name"))
    tallies = data.by_state()
    rows = []
    for s in states:
        rows.append({"code": s.code, "name": s.name, "kind": s.kind, **_row(tallies.get(s.pk)), "id": s.pk})
    ranked = sorted((r for r in rows if r["alerts"]), key=lambda r: (-r["alerts"], r["name"]))
    for position, row in enumerate(ranked, start=1):
        row["rank"] = position
    for row in rows:
        row.setdefault("rank", None)
    whole = _row(data.national())
    central = tallies[None].alerts if None in tallies else 0
    national = {
        "states": len(rows),
        "states_posted": sum(1 for r in rows if r["alerts"]),
        "silent_states": sum(1 for r in rows if not r["alerts"]),
        "agencies": whole["agencies"],
        "stations": whole["stations"],
        "alerts": whole["alerts"],
        "alerts_by_central_agencies": central,
        "stations_posted": whole["stations_posted"],
        "silent_stations": whole["silent_stations"],
        "share_stations_posted": whole["share_stations_posted"],
        "alerts_per_station": whole["alerts_per_station"],
        "first_alert_at": whole["first_alert_at"],
        "last_alert_at": whole["last_alert_at"],
    }
    return rows, national


def silent_states(period: Period, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The States/UTs that posted nothing in the period, with their last alert before it."""
    silent = [r for r in rows if not r["alerts"]]
    agencies = Agency.objects.filter(state_id__in=[r["id"] for r in silent])
    state_of = dict(agencies.values_list("pk", "state_id"))
    last: dict[int, datetime] = {}
    merge_max(last, ((state_of[a], when) for a, when in last_before(period.start, agencies).items()))
    return [
        {
            "code": r["code"],
            "name": r["name"],
            "stations": r["stations"],
            "last_alert_at": iso(last.get(r["id"])),
            "silent_days": _days_since(last.get(r["id"]), period),
        }
        for r in silent
    ]


def _days_since(when: datetime | None, period: Period) -> int | None:
    """Days from `when` to the end of the period; None when there was never an alert."""
    if when is None:
        return None
    _, end = period.bounds()
    return max(0, (end - when).days)


def district_rows(
    period: Period,
    *,
    state_ids: set[int] | None = None,
    district_id: int | None = None,
    data: Rollup | None = None,
) -> list[dict[str, Any]]:
    """One row per district of the given States (None: all), or of one district."""
    data = data or rollup(period)
    districts = District.objects.select_related("state").order_by("state__name", "name")
    if state_ids is not None:
        districts = districts.filter(state_id__in=state_ids)
    if district_id is not None:
        districts = districts.filter(pk=district_id)
    tallies = data.by_district()
    rows = []
    for d in districts:
        t = tallies.get(d.pk)
        if d.retired_at is not None and t is None:
            continue
        rows.append({"state": d.state.code, "code": d.lgd_code, "name": d.name, **_row(t)})
    return rows


def station_rows(period: Period, *, state: State, district: District | None = None) -> list[dict[str, Any]]:
    """Every active police station of a State (or district) with its alerts in the period, and for
    the silent ones how long they have been silent: since their last alert ever, or since they
    joined when they never posted. A handful of queries, none over all the period's alerts."""
    stations = Agency.objects.filter(active=True, kind=STATION, state=state).select_related("district")
    if district is not None:
        stations = stations.filter(district=district)
    counts = agency_counts(period, stations)
    _, end = period.bounds()
    last_before_start = last_before(period.start, stations)
    rows = []
    for a in stations.order_by("code"):
        c = counts.get(a.pk)
        since = None if c else (last_before_start.get(a.pk) or a.created_at)
        rows.append(
            {
                "code": a.code,
                "name": a.name,
                "district": a.district.name if a.district else "",
                "district_code": a.district.lgd_code if a.district else None,
                "alerts": c["alerts"] if c else 0,
                "first_alert_at": iso(c["first"]) if c else None,
                "last_alert_at": iso(c["last"]) if c else iso(last_before_start.get(a.pk)),
                "silent": c is None,
                "silent_since": iso(since),
                "silent_days": max(0, (end - since).days) if since else None,
                "ever_posted": bool(c) or a.pk in last_before_start,
            }
        )
    return rows


def _posted_by(period: Period, state: State | None, district: District | None) -> Any:
    qs = posted(period)
    if state is not None:
        qs = qs.filter(origin_agency__state=state)
    if district is not None:
        qs = qs.filter(origin_agency__district=district)
    return qs


def breakdown(
    period: Period, *, state: State | None = None, district: District | None = None
) -> dict[str, Any]:
    """Alerts per category and per priority. Nationally and for a State from the kept monthly
    rows and the days around them; for a district from its alerts (they are few)."""
    if district is not None:
        return _breakdown(_counted(_posted_by(period, state, district)))
    kept, edges = _kept_months(period, state)
    pairs = list(kept.values_list("category", "priority").annotate(n=Sum("alerts")))
    for edge in edges:
        pairs += _counted(_posted_by(edge, state, None))
    return _breakdown(pairs)


def trend(
    period: Period, unit: str = "month", *, state: State | None = None, district: District | None = None
) -> list[dict[str, Any]]:
    """Alerts per week (Monday) or month in the period, gaps filled with zero. Months nationally
    and for a State come from the kept monthly rows (and the alerts of the days around them)."""
    trunc = TruncWeek if unit == "week" else TruncMonth
    tz = timezone.get_current_timezone()

    def raw(p: Period, d: District | None) -> Any:
        return (
            _posted_by(p, state, d)
            .order_by()
            .annotate(bucket=trunc("published_at", tzinfo=tz))
            .values_list("bucket")
            .annotate(n=Count("id"))
        )

    counts: dict[Any, int] = {}

    def add(bucket: Any, n: int) -> None:
        day = bucket.date() if isinstance(bucket, datetime) else bucket
        counts[day] = counts.get(day, 0) + n

    if unit == "month" and district is None:
        kept, edges = _kept_months(period, state)
        for month, n in kept.values_list("month").annotate(n=Sum("alerts")):
            add(month, n)
        for edge in edges:
            for bucket, n in raw(edge, None):
                add(bucket, n)
    else:
        for bucket, n in raw(period, district):
            add(bucket, n)
    return [{"start": b.isoformat(), "alerts": counts.get(b, 0)} for b in _buckets(period, unit)]


def _buckets(period: Period, unit: str) -> list[Any]:
    from datetime import timedelta

    if unit == "week":
        day = period.start - timedelta(days=period.start.weekday())
        out = []
        while day <= period.end:
            out.append(day)
            day += timedelta(days=7)
        return out
    day = period.start.replace(day=1)
    out = []
    while day <= period.end:
        out.append(day)
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def top(rows: list[dict[str, Any]], n: int = TOP) -> list[dict[str, Any]]:
    return sorted((r for r in rows if r["alerts"]), key=lambda r: (-r["alerts"], r["name"]))[:n]
