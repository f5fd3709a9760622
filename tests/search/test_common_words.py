"""The paths a national index takes for common words, made to run on a few alerts by shrinking
their thresholds: the count stops at COUNT_CAP (the page says "more than"), newest-first pages
come from the newest PROBE alerts of the scope when they hold the page (else from the whole
index), and a ranked search of a common word ranks the newest matches. Both databases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from crimac.search import service
from crimac.search.backends import postgres, sqlite
from crimac.search.service import search_alerts
from crimac.search.text import parse_query

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "COUNT_CAP", 3)
    monkeypatch.setattr(postgres, "PROBE", 4)
    # A handful of alerts is a small scope: checked alert by alert unless told otherwise.
    monkeypatch.setattr(postgres.PostgresBackend, "small", 0)
    monkeypatch.setattr(sqlite.SqliteBackend, "small", 0)


def _titles(page: Any) -> list[str]:
    return [r.alert.title for r in page.results]


def test_count_stops_at_the_cap_and_says_so(post: Any, user_named: Any, small_thresholds: None) -> None:
    for n in range(5):
        post("dl.sho", title=f"Tractor {n} stolen", narrative="A tractor was taken from the field.")
    page = search_alerts(user_named("analyst"), parse_query("tractor"), limit=2)
    assert (page.count, page.capped) == (3, True)
    assert len(page.results) == 2
    few = search_alerts(user_named("analyst"), parse_query("tractor 3"), limit=2)
    assert (few.count, few.capped) == (1, False)


def test_newest_first_from_the_probe_and_past_it(post: Any, user_named: Any, small_thresholds: None) -> None:
    # Oldest first: the two 'harvester' alerts are older than the newest PROBE (4) alerts.
    post("dl.sho", title="Harvester A stolen", narrative="Combine harvester taken.")
    post("dl.sho", title="Harvester B stolen", narrative="Combine harvester taken.")
    for n in range(5):
        post("dl.sho", title=f"Tractor {n} stolen", narrative="A tractor was taken from the field.")
    analyst = user_named("analyst")
    newest = search_alerts(analyst, parse_query("tractor"), newest=True, limit=3)
    assert _titles(newest) == ["Tractor 4 stolen", "Tractor 3 stolen", "Tractor 2 stolen"]
    # Not in the newest 4 alerts: found from the whole index, newest first, highlighted.
    past = search_alerts(analyst, parse_query("harvester"), newest=True, limit=3)
    assert _titles(past) == ["Harvester B stolen", "Harvester A stolen"]
    assert all("\ue000" in r.title for r in past.results)
    # A second page past the probe's window.
    second = search_alerts(analyst, parse_query("tractor"), newest=True, limit=3, offset=3)
    assert _titles(second) == ["Tractor 1 stolen", "Tractor 0 stolen"]


@pytest.mark.parametrize("probe", [6, 4], ids=["the probe holds them", "past the probe"])
def test_ranked_search_of_a_common_word_ranks_the_newest(
    post: Any,
    user_named: Any,
    small_thresholds: None,
    monkeypatch: pytest.MonkeyPatch,
    probe: int,
    sql_run: Any,
) -> None:
    """The best of the newest max(PROBE_MATCHES, 5 pages) matches: on PostgreSQL from the newest
    alerts when they hold that many, else read from the index (the same page either way); on
    SQLite read backwards from the index."""
    for module in (postgres, sqlite):  # with a page of 1: the newest 5 matches
        monkeypatch.setattr(module, "PROBE_MATCHES", 1)
    monkeypatch.setattr(postgres, "PROBE", probe)
    post("dl.sho", title="Tractor tractor tractor", narrative="Tractor, tractor.")  # best, but old
    for n in range(5):
        post("dl.sho", title=f"Stolen vehicle {n}", narrative="A tractor was taken from the field.")
    post("dl.sho", title="Tractor stolen", narrative="A tractor was taken.")
    with sql_run() as queries:
        page = search_alerts(user_named("analyst"), parse_query("tractor"), limit=1)
    assert page.capped
    # The one with the word in its title ranks first; the best of all is not among the newest.
    assert _titles(page) == ["Tractor stolen"]
    if connection.vendor == "postgresql":
        past = any(read in q for q in queries for read in (") AS latest", "ordered AS MATERIALIZED"))
        assert past == (probe == 4)
    # Past the newest matches looked at, the best of all of them.
    for module in (postgres, sqlite):
        monkeypatch.setattr(module, "PROBE_MATCHES", 7)
    assert _titles(search_alerts(user_named("analyst"), parse_query("tractor"), limit=1)) == [
        "Tractor tractor tractor"
    ]


@pytest.mark.parametrize("read", ["newest documents", "periods"])
def test_a_stations_common_word_from_its_newest_matches(
    post: Any,
    user_named: Any,
    small_thresholds: None,
    monkeypatch: pytest.MonkeyPatch,
    read: str,
    sql_run: Any,
) -> None:
    """A station officer's search has a reach (on PostgreSQL): the page of a common word is made
    from its newest visible matches, read from the newest documents when the word is in enough of
    them (`density`), else from the index a period at a time (the last week, month, ..., all)
    until there are enough. The pages are the same either way, and an alert in the station's
    State that it may not read is never one of them."""
    density = 1.0 if read == "newest documents" else None
    monkeypatch.setattr(postgres.PostgresBackend, "density", lambda self, query, scope: density)
    now = timezone.now()

    def ago(days: int) -> str:
        return (now - timedelta(days=days)).isoformat()

    # The best match, but old: past every period but "all".
    post("dl.sho", title="Tractor tractor tractor", narrative="Tractor, tractor.", reported_at=ago(500))
    for n, days in enumerate([60, 20, 3, 2, 1]):
        post("dl.sho", title=f"Tractor {n} stolen", narrative="A tractor was taken.", reported_at=ago(days))
    # The newest match: in Delhi, so in the station's reach, but sent to dl.sho2's station only.
    hidden = user_named("dl.sho2").agency.code
    post("dl.sho2", title="Tractor hidden", narrative="A tractor.", audience={"agencies": [hidden]})
    sho = user_named("dl.sho")
    tractor = parse_query("tractor")
    with sql_run() as queries:
        first = search_alerts(sho, tractor, newest=True, limit=3)
    assert (first.count, first.capped) == (3, True)
    assert _titles(first) == ["Tractor 4 stolen", "Tractor 3 stolen", "Tractor 2 stolen"]
    on_postgres = connection.vendor == "postgresql"

    def reads(marker: str) -> int:
        return sum(marker in q for q in queries)

    # From the newest documents, the count read the page's matches too.
    expected = {"newest documents": (1, 0), "periods": (0, 1)}[read] if on_postgres else (0, 0)
    assert (reads(") AS latest"), reads("ordered AS MATERIALIZED")) == expected  # the last week held it
    with sql_run() as queries:
        second = search_alerts(sho, tractor, newest=True, limit=3, offset=3)
    if on_postgres and read == "periods":  # a week, month, 120 and 400 days, all
        assert reads("ordered AS MATERIALIZED") == 5
    assert _titles(second) == ["Tractor 1 stolen", "Tractor 0 stolen", "Tractor tractor tractor"]
    assert "Tractor hidden" in _titles(search_alerts(user_named("dl.sho2"), tractor, newest=True, limit=3))
    # Ranked: the best of the newest max(PROBE_MATCHES, 5 pages) visible matches.
    for module in (postgres, sqlite):
        monkeypatch.setattr(module, "PROBE_MATCHES", 1)
    assert _titles(search_alerts(sho, tractor, limit=1)) == ["Tractor 4 stolen"]  # of the newest 5
    assert _titles(search_alerts(sho, tractor, limit=2)) == ["Tractor tractor tractor", "Tractor 4 stolen"]


def test_the_first_period_read_is_chosen_from_the_candidates_a_day() -> None:
    """The page of the newest `want` starts at the first period that should hold twice as many
    candidates, and goes on to the longer ones (None: all time)."""
    every = [*postgres.WINDOWS, None]
    assert postgres.periods(None, 20) == every
    assert postgres.periods(100.0, 20) == every  # 700 in the last week
    assert postgres.periods(2.0, 20) == every[1:]  # 14 in a week, 60 in a month
    assert postgres.periods(2.0, 100) == every[2:]
    assert postgres.periods(0.01, 20) == [None]


def test_the_api_says_when_the_count_stopped(post: Any, client_for: Any, small_thresholds: None) -> None:
    for n in range(5):
        post("dl.sho", title=f"Tractor {n} stolen", narrative="A tractor was taken from the field.")
    body = client_for("analyst").get("/api/v1/search", {"q": "tractor", "limit": 2}).json()
    assert (body["count"], body["capped"], len(body["results"])) == (3, True, 2)
    exact = client_for("analyst").get("/api/v1/search", {"q": "tractor 3"}).json()
    assert (exact["count"], exact["capped"]) == (1, False)


def test_a_large_scope_is_measured_once_and_remembered(
    post: Any, user_named: Any, small_thresholds: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counting a station's scope to know it is large costs a pass over its deliveries at national
    scale: the verdict "large" is kept (per scope), so the next searches skip it; "small" is not."""
    from crimac.search.backends.base import Scope

    for n in range(3):
        post("dl.sho", title=f"Girl missing from Seemapuri {n}")
    sizes: list[int] = []
    real = Scope.size

    def counted(scope: Scope, cap: int) -> int:
        sizes.append(cap)
        return real(scope, cap)

    monkeypatch.setattr(Scope, "size", counted)
    user = user_named("dl.sho")
    first = search_alerts(user, parse_query("girl"))
    again = search_alerts(user, parse_query("girl"))
    assert len(sizes) == 1  # the second search took "large" from the cache
    assert [r.alert.pk for r in again.results] == [r.alert.pk for r in first.results]
    assert first.count == again.count == 3
    # Another scope (a filter, another user) is measured on its own.
    search_alerts(user_named("hr.sho"), parse_query("girl"))
    assert len(sizes) == 2
    # A small scope is measured every time: it may grow.
    monkeypatch.setattr(postgres.PostgresBackend, "small", 1000)
    monkeypatch.setattr(sqlite.SqliteBackend, "small", 1000)
    search_alerts(user_named("as.sho"), parse_query("girl"))
    search_alerts(user_named("as.sho"), parse_query("girl"))
    assert len(sizes) == 4


def test_the_probe_is_sized_by_the_words_share() -> None:
    """Enough of the newest alerts for twice the matches wanted, at most PROBE; none when PROBE
    alerts would likely not hold them; PROBE when nothing is known of the word."""
    assert postgres.probe_size(None, 100) == postgres.PROBE
    assert postgres.probe_size(0.01, 100) == 0  # PROBE alerts hold about 30 matches: not 100
    assert postgres.probe_size(0.5, 100) == 400
    assert postgres.probe_size(1.0, 60) == 120
    assert postgres.probe_size(1.0, 10) == 20
    assert postgres.probe_size(0.05, 100) == postgres.PROBE


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend sizes its probe")
@pytest.mark.parametrize("share", [0.0001, 1.0], ids=["rare: no probe", "common: the probe"])
def test_newest_first_whatever_the_probe(
    post: Any,
    user_named: Any,
    small_thresholds: None,
    monkeypatch: pytest.MonkeyPatch,
    share: float,
    sql_run: Any,
) -> None:
    """The statistics only choose where the page is looked for first: with the probe skipped (a
    word they call rare) or taken, the newest page is the same."""
    monkeypatch.setattr(postgres.PostgresBackend, "share", lambda self, query, scope, **how: share)
    for n in range(5):
        post("dl.sho", title=f"Tractor {n} stolen", narrative="A tractor was taken from the field.")
    with sql_run() as queries:
        page = search_alerts(user_named("analyst"), parse_query("tractor"), newest=True, limit=3)
    assert page.capped and _titles(page) == ["Tractor 4 stolen", "Tractor 3 stolen", "Tractor 2 stolen"]
    probed = any("recent AS MATERIALIZED" in q for q in queries)
    assert probed == (share == 1.0)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend chooses how to count")
@pytest.mark.parametrize("share", [0.0001, 0.16, 0.9], ids=["rare", "common", "in most documents"])
@pytest.mark.parametrize("filtered", [False, True], ids=["all", "filtered"])
def test_the_count_is_the_same_however_it_reads(
    post: Any, user_named: Any, monkeypatch: pytest.MonkeyPatch, share: float, filtered: bool, sql_run: Any
) -> None:
    """A word the statistics call common is counted by testing rows (`ts_match_vq`, which no index
    answers) rather than through the GIN index's list; a station's word so common that its newest
    documents should hold twice the count (COUNT_PROBE), from those: the same visible matches
    whichever way."""
    from types import SimpleNamespace

    monkeypatch.setattr(postgres.PostgresBackend, "small", 0)
    # Also the share of the count's candidates, narrowed by the searcher's reach, and (without
    # filters) the share found among the newest documents.
    monkeypatch.setattr(postgres.PostgresBackend, "share", lambda self, query, scope, **how: share)
    monkeypatch.setattr(postgres.PostgresBackend, "density", lambda self, query, scope: share)
    for n in range(3):
        post("dl.sho", title=f"Tractor {n} stolen", category="stolen_vehicle")
    post("dl.sho", title="Tractor burnt", category="general_advisory")
    post("as.sho", title="Tractor stolen in Assam", category="stolen_vehicle")  # not Delhi's
    post("dl.sho", title="Harvester stolen", category="stolen_vehicle")
    filters = None
    if filtered:
        filters = SimpleNamespace(
            category=["stolen_vehicle"], priority=None, status=None, state=None, district=None,
            origin=None, reported_from=None, reported_to=None,
        )  # fmt: skip
    with sql_run() as queries:
        page = search_alerts(user_named("dl.sho"), parse_query("tractor"), filters, newest=True)
    assert page.count == (3 if filtered else 4)
    expected = [f"Tractor {n} stolen" for n in (2, 1, 0)]
    assert _titles(page) == (expected if filtered else ["Tractor burnt", *expected])
    scanned = any("SELECT alert_id FROM search_alertdocument WHERE ts_match_vq" in q for q in queries)
    newest = any(") AS latest" in q for q in queries)
    dense = not filtered and 2 * (service.COUNT_CAP + 1) / share <= postgres.COUNT_PROBE
    assert newest == dense
    assert scanned == (
        not dense and share >= (postgres.SCAN_SHARE_FILTERED if filtered else postgres.SCAN_SHARE)
    )
