"""One pass over the period's alerts, grouped by the agency that posted them, rolled up to
districts, States and the nation.

The dashboard needs the same alerts counted at every level and for every compliance check. Doing
that with one GROUP BY per level reads the alerts many times; instead the database groups the
period's alerts once by originating agency (at most one row per agency, whatever the number of
alerts) with every count the figures need, and the rows are summed up the directory here: a loop
over agencies (tens of thousands at most), never over alerts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Min, Q

from crimac.alerts.choices import TRAFFICKING_CATEGORIES
from crimac.directory.choices import AgencyKind
from crimac.directory.models import Agency
from crimac.oversight.figures.base import posted
from crimac.oversight.period import Period

STATION = AgencyKind.POLICE_STATION
COUNTS = ("alerts", "trafficking", "trafficking_uncited", "heinous", "no_fir", "missing", "no_photo")


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


def _counts(qs: Any) -> Any:
    from crimac.oversight.figures.compliance import HEINOUS, MISSING, check_filter

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

    def tally(self, name: str, key: Callable[[int | None, int | None], Any]) -> dict[Any, Tally]:
        """Sum per place; `key(state_id, district_id)` names the place."""
        if name in self._cache:
            return self._cache[name]
        out: dict[Any, Tally] = {}
        for (state_id, district_id), (agencies, stations) in self.directory.items():
            t = out.setdefault(key(state_id, district_id), Tally())
            t.agencies += agencies
            t.stations += stations
        for row in self.per_agency:
            t = out.setdefault(key(row["state_id"], row["district_id"]), Tally())
            t.add_alerts(row, station=row["station"])
        self._cache[name] = out
        return out

    def by_state(self) -> dict[int | None, Tally]:
        return self.tally("state", lambda state_id, _d: state_id)

    def by_district(self) -> dict[int | None, Tally]:
        return self.tally("district", lambda _s, district_id: district_id)

    def national(self) -> Tally:
        return self.tally("national", lambda _s, _d: "IN").get("IN", Tally())


def rollup(period: Period) -> Rollup:
    """Two queries: every agency's State, district, kind and state (ids and flags only), and the
    period's alerts grouped by originating agency alone (no join: the cheapest grouping)."""
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
    for r in _counts(posted(period).order_by().values("origin_agency_id")):
        place = info[r["origin_agency_id"]]
        per_agency.append({**r, "state_id": place[0], "district_id": place[1], "station": place[2]})
    return Rollup(period, directory, per_agency)
