"""Alerts per originating agency for a period, rolled up to districts, States and the nation.

The dashboard needs the same alerts counted at every level and for every compliance check. The
counts per agency and month are kept up to date at publish (`crimac.oversight.tally`), so a
period's whole months are summed from those rows (at most agencies x months, whatever the number
of alerts), and only the days before the first and after the last whole month are counted from
the alerts (one GROUP BY on the originating agency). The rows are then summed up the directory
here: a loop over agencies (tens of thousands at most), never over alerts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet, Sum

from crimac.alerts.choices import TRAFFICKING_CATEGORIES
from crimac.directory.choices import AgencyKind
from crimac.directory.models import Agency
from crimac.oversight import tally
from crimac.oversight.figures.base import HEINOUS, MISSING, posted
from crimac.oversight.period import Period

STATION = AgencyKind.POLICE_STATION
COUNTS = tally.COUNTS


@dataclass
class Tally:
    """Alerts and directory counts for one place (a State, a district, the nation)."""

    agencies: int = 0
    stations: int = 0
    stations_posted: int = 0
    first: datetime | None = None
    last: datetime | None = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))

    @property
    def alerts(self) -> int:
        return self.counts["alerts"]

    def add_alerts(self, row: dict[str, Any], *, station: bool) -> None:
        for k in COUNTS:
            self.counts[k] += row[k]
        self.first = row["first"] if self.first is None else min(self.first, row["first"])
        self.last = row["last"] if self.last is None else max(self.last, row["last"])
        if station and row["alerts"]:
            self.stations_posted += 1

    def add(self, other: Tally) -> None:
        """Sum another place into this one (a district into its State)."""
        self.agencies += other.agencies
        self.stations += other.stations
        self.stations_posted += other.stations_posted
        for k in COUNTS:
            self.counts[k] += other.counts[k]
        if other.first is not None:
            self.first = other.first if self.first is None else min(self.first, other.first)
        if other.last is not None:
            self.last = other.last if self.last is None else max(self.last, other.last)


def _counts(qs: Any) -> Any:
    from crimac.oversight.figures.compliance import check_filter

    return qs.annotate(
        alerts=Count("id"),
        first=Min("published_at"),
        last=Max("published_at"),
        trafficking=Count("id", filter=Q(category__in=TRAFFICKING_CATEGORIES)),
        trafficking_uncited=Count("id", filter=check_filter("trafficking_uncited")),
        heinous=Count("id", filter=Q(category=HEINOUS)),
        no_fir=Count("id", filter=check_filter("no_fir")),
        missing=Count("id", filter=Q(category=MISSING)),
        no_photo=Count("id", filter=check_filter("no_photo")),
    )


@dataclass
class Rollup:
    period: Period
    # (state_id, district_id) -> (active agencies, active police stations)
    directory: dict[tuple[int | None, int | None], tuple[int, int]]
    # one row per originating agency: its State, district, whether it is an active station, counts
    per_agency: list[dict[str, Any]]
    _cache: dict[str, dict[Any, Tally]] = field(default_factory=dict)

    def places(self) -> dict[tuple[int | None, int | None], Tally]:
        """Per (State, district): the one pass over the agencies' rows; the levels above sum these."""
        if "place" in self._cache:
            return self._cache["place"]
        out: dict[Any, Tally] = {}
        for place, (agencies, stations) in self.directory.items():
            t = out.setdefault(place, Tally())
            t.agencies += agencies
            t.stations += stations
        for row in self.per_agency:
            t = out.setdefault((row["state_id"], row["district_id"]), Tally())
            t.add_alerts(row, station=row["station"])
        self._cache["place"] = out
        return out

    def tally(self, name: str, key: Callable[[int | None, int | None], Any]) -> dict[Any, Tally]:
        """Sum per place; `key(state_id, district_id)` names the place."""
        if name in self._cache:
            return self._cache[name]
        out: dict[Any, Tally] = {}
        for (state_id, district_id), t in self.places().items():
            out.setdefault(key(state_id, district_id), Tally()).add(t)
        self._cache[name] = out
        return out

    def by_state(self) -> dict[int | None, Tally]:
        return self.tally("state", lambda state_id, _d: state_id)

    def by_district(self) -> dict[int | None, Tally]:
        return self.tally("district", lambda _s, district_id: district_id)

    def national(self) -> Tally:
        return self.tally("national", lambda _s, _d: "IN").get("IN", Tally())


def rollup(period: Period) -> Rollup:
    """Every agency's State, district, kind and state (ids and flags only, one query), and the
    period's counts per originating agency (`agency_counts`)."""
    info: dict[int, tuple[int | None, int | None, bool]] = {}
    directory: dict[tuple[int | None, int | None], tuple[int, int]] = {}
    for pk, state_id, district_id, kind, active in Agency.objects.order_by().values_list(
        "pk", "state_id", "district_id", "kind", "active"
    ):
        station = kind == STATION and active
        info[pk] = (state_id, district_id, station)
        if active:
            agencies, stations = directory.get((state_id, district_id), (0, 0))
            directory[(state_id, district_id)] = (agencies + 1, stations + station)
    per_agency = []
    for agency_id, r in agency_counts(period).items():
        place = info[agency_id]
        per_agency.append({**r, "state_id": place[0], "district_id": place[1], "station": place[2]})
    return Rollup(period, directory, per_agency)


def _merge(into: dict[int, dict[str, Any]], agency_id: int, row: dict[str, Any]) -> None:
    if not row["alerts"]:
        return
    have = into.get(agency_id)
    if have is None:
        into[agency_id] = {k: row[k] for k in (*COUNTS, "first", "last")}
        return
    for k in COUNTS:
        have[k] += row[k]
    have["first"] = min(have["first"], row["first"])
    have["last"] = max(have["last"], row["last"])


def agency_counts(period: Period, agencies: QuerySet[Agency] | None = None) -> dict[int, dict[str, Any]]:
    """Per originating agency (of `agencies`, or all) that published in the period: its alerts,
    compliance counts, first and last publication. Whole months from the kept counts, the days
    around them from the alerts."""
    from crimac.oversight.models import AgencyMonth

    months, edges = tally.split(period)
    out: dict[int, dict[str, Any]] = {}
    if months is not None:
        kept = AgencyMonth.objects.filter(month__gte=months[0], month__lte=months[1], alerts__gt=0)
        if agencies is not None:
            kept = kept.filter(agency_id__in=agencies.values("pk"))
        sums = {f"n_{c}": Sum(c) for c in COUNTS}
        per_agency = (
            kept.order_by().values("agency_id").annotate(**sums, first=Min("first_at"), last=Max("last_at"))
        )
        for r in per_agency:
            row: dict[str, Any] = dict(r)
            _merge(
                out,
                row["agency_id"],
                {**{c: row[f"n_{c}"] for c in COUNTS}, "first": row["first"], "last": row["last"]},
            )
    for edge in edges:
        qs = posted(edge)
        if agencies is not None:
            qs = qs.filter(origin_agency__in=agencies.values("pk"))
        for r in _counts(qs.order_by().values("origin_agency_id")):
            _merge(out, r["origin_agency_id"], r)
    return out


def last_before(day: date, agencies: QuerySet[Agency]) -> dict[int, datetime]:
    """Per agency of `agencies`: its last publication before `day` (00:00 in the centre's time
    zone), if it ever published."""
    from crimac.oversight.models import AgencyMonth

    month = day.replace(day=1)
    out: dict[int, datetime] = {}
    kept = AgencyMonth.objects.filter(month__lt=month, alerts__gt=0, agency_id__in=agencies.values("pk"))
    tally.merge_max(out, kept.order_by().values_list("agency_id").annotate(last=Max("last_at")))
    if day > month:
        edge = posted(Period(month, day - timedelta(days=1))).filter(origin_agency__in=agencies.values("pk"))
        tally.merge_max(
            out, edge.order_by().values_list("origin_agency_id").annotate(last=Max("published_at"))
        )
    return out
