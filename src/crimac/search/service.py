"""Full-text search over the alerts a user may see: the one entry point the API and the pages use."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any

from django.core.cache import cache

from crimac.alerts.models import Alert
from crimac.search import indexing
from crimac.search.backends import Scope, backend
from crimac.search.text import Query


@dataclass
class Result:
    alert: Alert
    rank: float
    title: str  # with highlight markers
    snippet: str


# Counting every match of a common word costs as much as reading them all: the count stops here,
# and the page says "more than COUNT_CAP".
COUNT_CAP = 1000


@dataclass
class Page:
    count: int
    results: list[Result]
    offset: int
    limit: int
    capped: bool = False  # there are more than `count` matches

    @property
    def more(self) -> bool:
        return self.offset + len(self.results) < self.count


def scope_of(user: Any, filters: Any = None) -> Scope:
    """The alerts a search by `user` may return: visible to it, with the list `filters` (those
    that documents copy also narrow the index's matches). Raises the filters' field errors."""
    scope_qs = Alert.objects.visible_to(user)
    reach = Alert.objects.reach_of(user) if backend().narrows_by_reach else None
    if filters is None:
        return Scope.of(scope_qs, reach=reach)
    import crimac.api  # noqa: F401 - loads alerts.api in the order its imports need
    from crimac.alerts.api import PLACE_AND_TIME, filter_lookups

    lookups = filter_lookups(filters)
    copied = {k: v for k, v in lookups.items() if k in PLACE_AND_TIME}
    return Scope.of(scope_qs.filter(**lookups), copied, reach=reach)


# A scope found larger than the backend's `small` is remembered so long, per process: counting it
# (up to `small` + 1) costs a station officer 40-150 ms at a million alerts, on every search. Only
# "large" is remembered: a scope grows, and a large scope searched as large is merely slower.
LARGE_SCOPE_SECONDS = 600


def _small(search_backend: Any, scope: Scope) -> bool:
    """Whether the scope holds at most the backend's `small` alerts (searched alert by alert)."""
    if not search_backend.measures(scope):
        return False
    sql, params = scope.in_sql()
    key = "crimac:search:large:" + hashlib.sha256(f"{sql}|{params!r}".encode()).hexdigest()
    if cache.get(key):
        return False
    if scope.size(search_backend.small) <= search_backend.small:
        return True
    cache.set(key, True, LARGE_SCOPE_SECONDS)
    return False


def search_alerts(
    user: Any, query: Query, filters: Any = None, *, newest: bool = False, limit: int = 20, offset: int = 0
) -> Page:
    """Alerts `user` may see that match `query` and the alert list's `filters`, best first (or
    newest first). The count is of visible matches only. Raises the list filters' field errors."""
    indexing.refresh_drafts(user)
    scope = scope_of(user, filters)
    search_backend = backend()
    with search_backend.session():
        if _small(search_backend, scope):
            scope = replace(scope, small=True)
        total = search_backend.count(query, scope, cap=COUNT_CAP)
        capped = total > COUNT_CAP
        hits = (
            search_backend.page(query, scope, newest=newest, limit=limit, offset=offset, common=capped)
            if total
            else []
        )
    alerts = Alert.objects.select_related("origin_agency", "state", "district").in_bulk(
        [h.alert_id for h in hits]
    )
    results = [Result(alerts[h.alert_id], h.rank, h.title, h.snippet) for h in hits if h.alert_id in alerts]
    return Page(count=min(total, COUNT_CAP), results=results, offset=offset, limit=limit, capped=capped)
