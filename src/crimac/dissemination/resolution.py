"""Resolving an alert's audience (as written in `alerts.AudienceEntry`) to recipient agencies.

The directory is read once per process into an index of active agencies by State, district, kind
and position, and read again whenever it changes (one cheap query per resolution checks that), so
resolving a national alert for 18,000 agencies is set arithmetic, not a query per term, and a
radius is a bisection on latitude followed by the haversine over the few agencies in the band.

The recipients of an alert are its audience's terms added up, less what its exclusions reach,
plus the agencies whose include subscriptions match it (never one the originator excluded), with
agency mute rules marking routine and priority deliveries as muted. The originating agency is not
made a recipient here: it sees its own alert through the originator rule of `visible_to`.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max

from crimac.alerts.choices import AudienceKind, HandlingCode, Priority
from crimac.alerts.models import AudienceEntry
from crimac.directory.models import Agency
from crimac.directory.permissions import Perm, has_perm

# The mean Earth radius (IUGG): a great-circle distance on a sphere is within 0.5% of the
# ellipsoidal one, far less than the uncertainty of a police station's position.
EARTH_RADIUS_KM = 6371.0088

# Flash and immediate alerts addressed to an agency are never muted.
NEVER_MUTED = frozenset({Priority.FLASH, Priority.IMMEDIATE})

SUBSCRIPTION = "subscription"
USER_SUBSCRIPTION = "subscription (user)"


@dataclass
class DirectoryIndex:
    version: tuple[Any, ...]
    all: set[int] = field(default_factory=set)
    by_state: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_district: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_kind: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    state_of: dict[int, int | None] = field(default_factory=dict)
    # Agencies with coordinates, sorted by latitude (`latitudes[i]` is `placed[i]`'s).
    latitudes: list[float] = field(default_factory=list)
    placed: list[tuple[int, float, float]] = field(default_factory=list)

    def within(self, latitude: float, longitude: float, radius_km: float) -> set[int]:
        """Active agencies with coordinates at most `radius_km` (great-circle) from the point."""
        angle = radius_km / EARTH_RADIUS_KM
        dlat = math.degrees(angle)
        lo = bisect_left(self.latitudes, latitude - dlat)
        hi = bisect_right(self.latitudes, latitude + dlat)
        # The longitude band of the circle's bounding box; near a pole (or for a circle wider
        # than the hemisphere) every longitude can be in range.
        phi = math.radians(latitude)
        dlon: float | None = None
        if angle < math.pi / 2 - abs(phi):
            dlon = math.degrees(math.asin(min(1.0, math.sin(angle) / math.cos(phi))))
        out = set()
        for pk, lat, lon in self.placed[lo:hi]:
            delta = abs(lon - longitude) % 360
            delta = min(delta, 360 - delta)
            if dlon is not None and delta > dlon:
                continue
            if distance_km(latitude, longitude, lat, lon) <= radius_km:
                out.add(pk)
        return out


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance by the haversine formula."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


_index: DirectoryIndex | None = None


def directory_index() -> DirectoryIndex:
    global _index
    stats = Agency.objects.aggregate(n=Count("id"), changed=Max("updated_at"))
    version = (stats["n"], stats["changed"])
    if _index is None or _index.version != version:
        index = DirectoryIndex(version)
        rows = Agency.objects.filter(active=True).values_list(
            "id", "state_id", "district_id", "kind", "latitude", "longitude"
        )
        placed = []
        for pk, state_id, district_id, kind, lat, lon in rows:
            index.all.add(pk)
            index.state_of[pk] = state_id
            if state_id is not None:
                index.by_state[state_id].add(pk)
            if district_id is not None:
                index.by_district[district_id].add(pk)
            index.by_kind[kind].add(pk)
            if lat is not None and lon is not None:
                placed.append((pk, float(lat), float(lon)))
        placed.sort(key=lambda row: row[1])
        index.placed = placed
        index.latitudes = [lat for _, lat, _ in placed]
        _index = index
    return _index


@dataclass(frozen=True)
class Recipient:
    reason: str
    muted: bool = False


def coordinates(alert: Any) -> tuple[float, float] | None:
    lat, lon = getattr(alert, "latitude", None), getattr(alert, "longitude", None)
    return (float(lat), float(lon)) if lat is not None and lon is not None else None


def recipients_for(
    alert: Any,
    entries: list[AudienceEntry],
    *,
    index: DirectoryIndex | None = None,
    rules: list[Any] | None = None,
) -> dict[int, Recipient]:
    """Who receives `alert`: its audience as written, plus subscriptions, with mutes marked.

    - Exclusions win over everything, subscriptions included: the originator said "not them".
    - An audience that reaches nobody gets no subscribers either, so publishing it is refused
      (subscribers.py) rather than sent to subscribers alone.
    - Include subscriptions do not widen an H2 alert (no onward sharing without the
      originator's permission) beyond the audience its originator chose.
    - Agency mute rules mark the delivery muted, except for flash and immediate alerts.

    `index` and `rules` (all active subscription rules) may be passed in when resolving many
    alerts of one event, so they are read once.
    """
    from crimac.dissemination.subscriptions import rule_matches, rules_for_alert

    index = index or directory_index()
    reached, excluded = _resolve(entries, index, coordinates(alert))
    # One (immutable) Recipient per reason, shared: a national alert has 18,000 recipients.
    plain = {reason: Recipient(reason) for reason in set(reached.values())}
    out = {pk: plain[reason] for pk, reason in reached.items()}
    if not out:
        return out
    mute_agencies: set[int] = set()
    matching = rules_for_alert(alert) if rules is None else [r for r in rules if rule_matches(r, alert)]
    for rule in matching:
        if rule.kind == "mute":
            if rule.agency_id is not None:
                mute_agencies.add(rule.agency_id)
            continue
        if alert.handling_code == HandlingCode.H2:
            continue
        if rule.agency_id is not None:
            pk, reason = rule.agency_id, SUBSCRIPTION
        elif rule.user is not None and rule.user.is_active and has_perm(rule.user, Perm.ACKNOWLEDGE):
            pk, reason = rule.user.agency_id, USER_SUBSCRIPTION
        else:
            continue
        if pk in index.all and pk not in excluded and pk not in out:
            out[pk] = Recipient(reason)
    if alert.priority not in NEVER_MUTED:
        for pk in mute_agencies & out.keys():
            out[pk] = Recipient(out[pk].reason, muted=True)
    return out


def _resolve(
    entries: list[AudienceEntry], index: DirectoryIndex, centre: tuple[float, float] | None
) -> tuple[dict[int, str], set[int]]:
    out: dict[int, str] = {}
    excluded: set[int] = set()
    for e in entries:
        ids, reason = _reach(e, index, centre)
        if e.exclude:
            excluded |= ids
        else:  # the first term to reach an agency gives the reason
            out.update(dict.fromkeys(ids - out.keys(), reason))
    for pk in excluded & out.keys():
        del out[pk]
    return out, excluded


def _reach(
    e: AudienceEntry, index: DirectoryIndex, centre: tuple[float, float] | None
) -> tuple[set[int], str]:
    """The active agencies one term reaches, and the reason a delivery gives for it."""
    if e.kind == AudienceKind.NATIONAL:
        return index.all, "national"
    if e.kind == AudienceKind.STATE and e.state_id is not None:
        return index.by_state.get(e.state_id, set()), "bordering State" if e.derived else "State"
    if e.kind == AudienceKind.DISTRICT and e.district_id is not None:
        return index.by_district.get(e.district_id, set()), "district"
    if e.kind == AudienceKind.AGENCY and e.agency_id in index.all:
        return {e.agency_id}, "named"
    if e.kind == AudienceKind.AGENCY_KIND:
        ids = index.by_kind.get(e.agency_kind, set())
        if e.state_id is not None:
            ids = ids & index.by_state.get(e.state_id, set())
        return ids, f"every {e.agency_kind}"
    if e.kind == AudienceKind.RADIUS and e.radius_km and centre is not None:
        return index.within(centre[0], centre[1], e.radius_km), f"within {e.radius_km} km"
    return set(), ""
