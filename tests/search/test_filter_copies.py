"""Documents copy the alert's category, State, district and reported time, so a filtered full-text
search narrows its matches inside the index (`AlertDocument`, `Scope.document_where`); and newest
first (or ranked, for a common word) the PostgreSQL backend looks at the last week's, month's, ...
matches before all of them (`postgres.WINDOWS`). Both must give the answer the plain query gives.
"""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from crimac.alerts.actions import revise_alert
from crimac.alerts.models import Alert
from crimac.alerts.schemas import AlertRevise
from crimac.search import service
from crimac.search.backends import Scope, postgres, sqlite
from crimac.search.models import AlertDocument
from crimac.search.service import search_alerts
from crimac.search.text import parse_query

pytestmark = pytest.mark.django_db

COPIED = ("category", "state_id", "district_id", "reported_at")


def _filters(**given: Any) -> SimpleNamespace:
    fields = dict.fromkeys(
        ("category", "priority", "status", "state", "district", "origin", "reported_from", "reported_to")
    )
    return SimpleNamespace(**{**fields, **given})


def _copies(alert_id: int) -> tuple[Any, ...]:
    doc = AlertDocument.objects.get(alert_id=alert_id)
    return tuple(getattr(doc, c) for c in COPIED)


def _columns(alert: Alert) -> tuple[Any, ...]:
    alert.refresh_from_db()
    return tuple(getattr(alert, c) for c in COPIED)


def test_documents_copy_the_filter_columns_and_follow_a_revision(
    post: Any, user_named: Any, django_capture_on_commit_callbacks: Any
) -> None:
    alert = post("dl.sho", title="Tractor stolen from a farm", category="stolen_vehicle")
    assert _copies(alert.pk) == _columns(alert)
    assert _copies(alert.pk)[0] == "stolen_vehicle"
    with django_capture_on_commit_callbacks(execute=True):
        revise_alert(
            alert,
            AlertRevise(summary="the farm is across the border", state="HR"),
            actor=user_named("dl.sho"),
        )
    assert _copies(alert.pk) == _columns(alert)
    assert AlertDocument.objects.get(alert_id=alert.pk).state.code == "HR"


def test_a_draft_indexed_at_search_time_carries_its_copies(post: Any, user_named: Any) -> None:
    draft = post("dl.sho", publish=False, title="Draft about a tractor")
    search_alerts(user_named("dl.sho"), parse_query("tractor"))
    assert _copies(draft.pk) == _columns(draft)


def test_the_migration_fills_the_copies_of_existing_documents(post: Any, user_named: Any) -> None:
    from importlib import import_module

    fill = import_module("crimac.search.migrations.0003_document_filters").fill
    alerts = [post("dl.sho", title=f"Tractor {n} stolen") for n in range(3)]
    AlertDocument.objects.update(category=None, state=None, district=None, reported_at=None)
    with connection.cursor() as cursor:
        editor = SimpleNamespace(connection=connection, execute=cursor.execute)
        fill(None, editor)
    for alert in alerts:
        assert _copies(alert.pk) == _columns(alert)
    # Filling the copies rewrote no searchable text (on SQLite the FTS update trigger watches only
    # the text columns): the search still finds every alert by its words.
    page = search_alerts(user_named("analyst"), parse_query("tractor"), limit=50)
    assert {r.alert.title for r in page.results} == {a.title for a in alerts}


def big_scope(monkeypatch: pytest.MonkeyPatch) -> None:
    """Take the paths of a large scope (through the index's matches), whatever the scope's size."""
    monkeypatch.setattr(postgres.PostgresBackend, "small", 0)
    monkeypatch.setattr(sqlite.SqliteBackend, "small", 0)


@pytest.mark.parametrize("small", [True, False], ids=["alert by alert", "through the matches"])
def test_filtered_search_is_the_plain_filtered_query(
    post: Any, user_named: Any, monkeypatch: pytest.MonkeyPatch, small: bool
) -> None:
    """The copies narrow the matches; the answer is the scope's own (category, State, district,
    period), on both databases, checked against the ORM; the same whether the scope is checked
    alert by alert (small) or through the index's matches."""
    if not small:
        big_scope(monkeypatch)
    now = timezone.now()
    made = []
    for n, (state, category, days) in enumerate(
        [
            ("DL", "missing_person", 1),
            ("DL", "missing_person", 40),
            ("DL", "stolen_vehicle", 2),
            ("UP", "missing_person", 3),
            ("HR", "wanted_person", 5),
            ("DL", "wanted_person", 200),
        ]
    ):
        made.append(
            post(
                "dl.sho",
                title=f"Tractor case {n}",
                category=category,
                state=state,
                audience={"states": ["DL", "UP", "HR"]},
                reported_at=(now - timedelta(days=days)).isoformat(),
            )
        )
    analyst = user_named("analyst")
    cases = [
        _filters(state="DL"),
        _filters(category=["missing_person", "wanted_person"]),
        _filters(state="DL", reported_from=date.today() - timedelta(days=30)),
        _filters(state="dl", category=["missing_person"], reported_to=date.today() - timedelta(days=10)),
        _filters(state="UP", category=["stolen_vehicle"]),
    ]
    import crimac.api  # noqa: F401 - loads alerts.api in the order its imports need
    from crimac.alerts.api import filter_alerts

    for filters in cases:
        for newest in (True, False):
            page = search_alerts(analyst, parse_query("tractor"), filters, newest=newest, limit=50)
            expected = set(
                filter_alerts(Alert.objects.visible_to(analyst), filters)
                .filter(pk__in=[a.pk for a in made])
                .values_list("title", flat=True)
            )
            assert {r.alert.title for r in page.results} == expected, filters
            assert page.count == len(expected)
            if newest:
                times = [r.alert.reported_at for r in page.results]
                assert times == sorted(times, reverse=True)


def test_scope_without_copied_filters_adds_no_condition() -> None:
    assert Scope.of(Alert.objects.all()).document_where() == ("", ())
    sql, params = Scope.of(Alert.objects.all(), {"category__in": ["missing_person"]}).document_where()
    assert sql.startswith(" AND ") and "category" in sql and list(params) == ["missing_person"]


def test_the_copies_narrow_inside_the_index(
    post: Any, user_named: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A filtered search takes its candidates from the index narrowed by the documents' copies
    (PostgreSQL: their B-tree index ANDed with the GIN index; SQLite: the words of its facets
    column): a document whose copies say otherwise is not a candidate, though its alert matches.
    (The copies follow every write of the alert: this only shows that they are what is read.)"""
    big_scope(monkeypatch)
    from crimac.directory.models import District

    district = District.objects.filter(state__code="DL").order_by("lgd_code").first()
    assert district is not None
    alert = post(
        "dl.sho", title="Tractor stolen", category="missing_person", state="DL", district=district.lgd_code
    )
    analyst = user_named("analyst")

    def found(**filters: Any) -> bool:
        page = search_alerts(analyst, parse_query("tractor"), _filters(**filters), limit=5)
        return [r.alert.pk for r in page.results] == [alert.pk] and page.count == 1

    month_ago = date.today() - timedelta(days=30)
    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"category": ["missing_person", "wanted_person"]}, {"category": "stolen_vehicle"}),
        ({"state": "DL"}, {"state_id": district.state_id + 1}),
        ({"district": district.lgd_code}, {"district_id": None}),
        ({"reported_from": month_ago}, {"reported_at": timezone.now() - timedelta(days=400)}),
        ({"reported_from": month_ago, "reported_to": date.today()}, {"reported_at": None}),
    ]
    for filters, copies in cases:
        assert found(**filters), filters
        kept = _copies(alert.pk)
        AlertDocument.objects.filter(alert_id=alert.pk).update(**copies)
        assert not found(**filters), (filters, copies)
        AlertDocument.objects.filter(alert_id=alert.pk).update(**dict(zip(COPIED, kept, strict=True)))
        assert found(**filters), filters


def test_sqlite_facets_months() -> None:
    """The months a period's facets name (UTC, as the documents store their time), and none for a
    period that is open at its start or longer than MONTHS."""
    utc = timezone.get_current_timezone()
    at = timezone.datetime(2025, 11, 20, 12, tzinfo=utc)
    assert sqlite._months(at, at + timedelta(days=75)) == ["zzm202511", "zzm202512", "zzm202601", "zzm202602"]
    assert sqlite._months(at, at) == ["zzm202511"]
    assert sqlite._months(None, at) == []
    assert sqlite._months(at, at + timedelta(days=31 * sqlite.MONTHS + 31)) == []
    # Open at its end: up to the latest a document may be reported at (now, and a clock's skew).
    recent = timezone.now() - timedelta(days=40)
    assert len(sqlite._months(recent, None)) in (2, 3)


# --- PostgreSQL: newest first through the periods -------------------------------------------------


@pytest.fixture
def spread(post: Any, monkeypatch: pytest.MonkeyPatch) -> list[Alert]:
    """A 'tractor' alert every 11 days over 440 days (a 'harvester' one beside every fourth); the
    probe of the newest alerts made too small to hold a page, so the periods (or the whole index)
    must."""
    monkeypatch.setattr(postgres, "PROBE", 2)
    big_scope(monkeypatch)
    now = timezone.now()
    made = []
    for n in range(40):
        at = now - timedelta(days=11 * n, hours=1)
        made.append(post("dl.sho", title=f"Tractor {n} stolen", reported_at=at.isoformat()))
        if n % 4 == 0:
            post("dl.sho", title=f"Harvester {n}", reported_at=(at + timedelta(minutes=5)).isoformat())
    return made


# (20, 20): the last 400 days hold tractors 0-36, not the page's 20-39: the whole index does.
@pytest.mark.parametrize("limit,offset", [(3, 0), (5, 2), (20, 20)])
def test_newest_first_through_the_periods_is_the_newest_page(
    spread: list[Alert], user_named: Any, limit: int, offset: int
) -> None:
    analyst = user_named("analyst")
    page = search_alerts(analyst, parse_query("tractor"), newest=True, limit=limit, offset=offset)
    expected = [a.title for a in spread[offset : offset + limit]]
    assert [r.alert.title for r in page.results] == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the periods are PostgreSQL's backend")
@pytest.mark.parametrize("daily", ["unknown", "0.09"])
def test_a_common_word_ranked_comes_from_its_newest_matches_period_by_period(
    spread: list[Alert], user_named: Any, monkeypatch: pytest.MonkeyPatch, daily: str, sql_run: Any
) -> None:
    """Past the newest alerts, the newest matches are read a period at a time, from the last week
    when nothing is known, else from the first period that the candidates a day (`density` over
    the documents' days) should fill twice: the same page, in fewer reads."""
    monkeypatch.setattr(service, "COUNT_CAP", 10)
    monkeypatch.setattr(postgres, "PROBE_MATCHES", 1)  # 2 after 1: the best of the newest 5 x 3
    monkeypatch.setattr(postgres, "DOCUMENT_PROBE", 0)  # not from the newest documents
    if daily == "unknown":
        monkeypatch.setattr(postgres.PostgresBackend, "density", lambda self, query, scope: None)
    else:  # 0.8 of 50 documents over 440 days: 0.09 a day, so 30 (twice 15) call for 400 days
        monkeypatch.setattr(postgres.PostgresBackend, "density", lambda self, query, scope: 0.8)
        monkeypatch.setattr(postgres.PostgresBackend, "_extent", staticmethod(lambda: (50.0, 440.0)))
    with sql_run() as queries:
        page = search_alerts(user_named("analyst"), parse_query("tractor"), limit=2, offset=1)
    assert page.capped
    # Equal ranks: newest first, of the newest fifteen (not a ranking of all forty).
    assert [r.alert.title for r in page.results] == ["Tractor 1 stolen", "Tractor 2 stolen"]
    windowed = [q for q in queries if "reported_at >=" in q and "ordered AS MATERIALIZED" in q]
    # Unknown: the week (1 tractor), month (3), 120 days (11), 400 days (37); else 400 days only.
    assert len(windowed) == (4 if daily == "unknown" else 1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend keeps the count's ids")
@pytest.mark.parametrize("newest", [False, True], ids=["ranked", "newest"])
def test_the_page_is_made_from_the_matches_the_count_read(
    post: Any, user_named: Any, monkeypatch: pytest.MonkeyPatch, newest: bool, sql_run: Any
) -> None:
    """A word with no more visible matches than the count goes to: the count read them all, so the
    page ranks those (`_among`) and reads the index's matches no second time; an alert the
    officer may not see is in neither."""
    big_scope(monkeypatch)
    now = timezone.now()

    def at(days: int) -> str:
        return (now - timedelta(days=days)).isoformat()

    best = post("dl.sho", title="Tractor tractor stolen", narrative="Tractor.", reported_at=at(30))
    older = post("dl.sho", title="Stolen", narrative="A tractor was taken.", reported_at=at(60))
    newer = post("dl.sho", title="Stolen", narrative="A red tractor was taken.", reported_at=at(2))
    post("as.sho", title="Tractor tractor tractor", narrative="Tractor.", reported_at=at(1))  # not Delhi's
    officer = user_named("dl.sho")
    with sql_run() as queries:
        page = search_alerts(officer, parse_query("tractor"), newest=newest, limit=2)
    expected = [newer, best, older] if newest else [best, newer, older]
    assert (page.count, page.capped) == (3, False)
    assert [r.alert.pk for r in page.results] == [a.pk for a in expected[:2]]
    assert all("\ue000" in r.snippet for r in page.results)
    # (Not the sample of the newest documents that tells the count how common the word is.)
    searched = [q for q in queries if "plainto_tsquery" in q and "FILTER (WHERE ts_match_vq" not in q]
    assert len(searched) == 2 and "= ANY(" in searched[1] and "matched AS" not in searched[1]
    rest = search_alerts(officer, parse_query("tractor"), newest=newest, limit=2, offset=2)
    assert [r.alert.pk for r in rest.results] == [expected[2].pk]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5's bm25")
@pytest.mark.parametrize("small", [True, False], ids=["small scope", "large scope"])
@pytest.mark.parametrize("newest", [True, False], ids=["newest", "ranked"])
def test_sqlite_asks_bm25_of_one_cursor_only(
    spread: list[Alert],
    user_named: Any,
    monkeypatch: pytest.MonkeyPatch,
    small: bool,
    newest: bool,
    sql_run: Any,
) -> None:
    """bm25 reads a word's whole document list the first time each index cursor asks for it: in a
    query that looks alerts up one by one (rowid = / rowid IN), that is once per alert (seconds
    for a common word at scale). Every query that ranks must be a single scan."""
    if small:
        monkeypatch.setattr(sqlite.SqliteBackend, "small", 1000)
    monkeypatch.setattr(service, "COUNT_CAP", 10)
    with sql_run() as queries:
        page = search_alerts(user_named("analyst"), parse_query("tractor"), newest=newest, limit=5)
    assert len(page.results) == 5 and all(r.rank > 0 for r in page.results)
    ranking = [" ".join(q.split()) for q in queries if "bm25(" in q]
    assert ranking
    for sql in ranking:
        assert "rowid IN" not in sql and "= recent.id" not in sql, sql


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's work_mem and bitmaps")
def test_postgres_searches_with_its_own_work_mem_and_skips_counting_a_filtered_scope(
    post: Any, user_named: Any
) -> None:
    post("dl.sho", title="Tractor stolen", category="stolen_vehicle")
    queries: list[str] = []

    def watch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(" ".join(sql.split()))
        if "FROM search_alertdocument" in sql and "@@" in sql:
            with connection.cursor() as cursor:
                cursor.execute("SHOW work_mem")
                queries.append(f"work_mem={cursor.fetchone()[0]}")
        return execute(sql, params, many, context)

    analyst = user_named("analyst")
    with connection.execute_wrapper(watch):
        page = search_alerts(analyst, parse_query("tractor"), _filters(state="DL"), newest=True)
    assert [r.alert.title for r in page.results] == ["Tractor stolen"]
    assert f"work_mem={postgres.WORK_MEM}" in queries
    # Filtered: the index narrows the matches; the scope is not counted first.
    assert not [q for q in queries if q.startswith("SELECT COUNT(*) FROM (SELECT")], queries


def test_a_published_alerts_document_is_written_from_the_alert_in_hand(post: Any) -> None:
    """Publishing hands the search hook the alert as written (`AlertEvent.loaded`): the document
    is the same as a reindex makes from the database, and the alert is not read back for it."""
    from django.test.utils import CaptureQueriesContext

    from crimac.search.indexing import index_alerts

    fields = {
        "state": "DL",
        "station": "DL-NEWDELHI-PS-001",
        "vehicles": [{"registration": "DL 3C AB 1234", "make": "Maruti", "colour": "white"}],
        "phones": [{"number": "+91 98100 12345"}],
    }
    with CaptureQueriesContext(connection) as queries:
        alert = post("dl.sho", **fields)
    sql = [q["sql"] for q in queries.captured_queries]
    written = [s for s in sql if "search_alertdocument" in s and s.lstrip().upper().startswith("INSERT")]
    assert len(written) == 1
    before = written and sql.index(written[0])
    # Between the alert's own writes and the document: no SELECT of the alert or its subjects.
    reads = [
        s for s in sql[:before] if s.lstrip().upper().startswith("SELECT") and 'FROM "alerts_person"' in s
    ]
    assert reads == []
    doc = AlertDocument.objects.get(alert_id=alert.pk)
    made = {f: getattr(doc, f) for f in ("title", "names", "identifiers", "places", "body", *COPIED)}
    index_alerts([alert.pk])  # from the database
    doc.refresh_from_db()
    assert made == {f: getattr(doc, f) for f in made}
    assert "DL03CAB1234" in doc.identifiers
    assert alert.station.name in doc.places and "Delhi" in doc.places
