"""The plan of a full-text search with filters, newest first, LIMIT: PostgreSQL must take the GIN
index's matches, not walk the alerts' date index hoping to meet them early.

The trap, made real here: a word in a tenth of all documents (so the planner thinks any 20 alerts
will do) that no alert of the filtered State carries. Unfenced, the planner walks that State's
alerts newest first through (state_id, reported_at) and reads every one of them (at a million
alerts: seconds); the MATERIALIZED CTE of `PostgresBackend.fenced_sql` makes it read the GIN
index's matches instead. The control test proves the data makes the planner's choice real: the
same SQL without the fence does walk the date index.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection

from crimac.search.backends import Scope
from crimac.search.backends.postgres import PostgresBackend
from crimac.search.service import scope_of
from crimac.search.text import parse_query

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL's planner; SQLite's FTS5 query always starts from the full-text index",
    ),
]

ROWS = 20_000
GIN = "search_alertdocument_document_gin"


def _load_rows(state_filtered: int, state_other: int, agency_id: int, user_id: int) -> None:
    """ROWS published alerts, alternately in the filtered State and in another, one a minute; one
    document in ten says 'rampur', all of them in the other State."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO alerts_alert (reference, origin_agency_id, origin_user_id, category, title,
                narrative, priority, action_requested, reported_at, state_id, address, fir_number,
                handling_code, status, revision, missing_trafficking_sections, created_at, updated_at,
                published_at, cancel_reason, outcome, outcome_note)
            SELECT 'PLAN-' || i, %s, %s, 'missing_person', 'plan ' || i, '', 'routine',
                'information_only', now() - i * interval '1 minute',
                CASE WHEN i %% 2 = 0 THEN %s ELSE %s END, '', '', 'H0', 'published', 1, false,
                now(), now(), now() - i * interval '1 minute', '', '', ''
            FROM generate_series(1, %s) AS i""",
            [agency_id, user_id, state_filtered, state_other, ROWS],
        )
        cursor.execute(
            """
            INSERT INTO search_alertdocument (alert_id, title, names, identifiers, places, body,
                terms_a, terms_b, terms_c, revision, indexed_at, category, state_id, reported_at)
            SELECT id, title, '', '', '', '', title,
                CASE WHEN state_id <> %s AND id %% 5 = 0 THEN 'rampur' ELSE 'sitapur' END,
                'missing girl', 1, now(), category, state_id, reported_at
            FROM alerts_alert WHERE reference LIKE 'PLAN-%%'""",
            [state_filtered],
        )
        cursor.execute("ANALYZE alerts_alert")
        cursor.execute("ANALYZE search_alertdocument")


def _scope_and_query(user_named: Any) -> tuple[Scope, Any]:
    analyst = user_named("analyst")
    filters = SimpleNamespace(
        category=["missing_person", "human_trafficking"],
        priority=None,
        status=None,
        state="DL",
        district=None,
        origin=None,
        reported_from=None,
        reported_to=None,
    )
    return scope_of(analyst, filters), parse_query("rampur")


def _plan(sql: str, args: tuple[Any, ...]) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", args)
        raw = cursor.fetchone()[0]
    import json

    plan = raw if isinstance(raw, list) else json.loads(raw)
    return dict(plan[0]["Plan"])


def _nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    out = [node]
    for child in node.get("Plans", []):
        out += _nodes(child)
    return out


def _walks_date_index(nodes: list[dict[str, Any]]) -> bool:
    """An index scan of alerts_alert in date order (what LIMIT stops early, if it ever can)."""
    return any(
        n.get("Relation Name") == "alerts_alert"
        and n.get("Node Type") in ("Index Scan", "Index Only Scan")
        and "reported_at"
        in " ".join(str(n.get(k, "")) for k in ("Index Name", "Index Cond"))
        + _index_columns(str(n.get("Index Name", "")))
        for n in nodes
    )


def _index_columns(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        row = cursor.fetchone()
    return row[0] if row else ""


@pytest.fixture
def loaded(user_named: Any) -> tuple[Scope, Any]:
    from crimac.directory.models import State

    analyst = user_named("analyst")
    states = dict(State.objects.filter(code__in=["DL", "UP"]).values_list("code", "pk"))
    _load_rows(states["DL"], states["UP"], analyst.agency_id, analyst.pk)
    return _scope_and_query(user_named)


def _assert_reads_the_fenced_matches(sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
    """The plan reads the documents by their tsvector inside the fence (the CTE `matched`),
    narrowed there by the filters the documents copy, and walks no alerts in date order."""
    nodes = _nodes(_plan(sql, args))
    fence = [n for n in nodes if n.get("Subplan Name") == "CTE matched"]
    assert fence, "the full-text matches must be a materialized CTE (the fence)"
    inside = _nodes(fence[0])
    assert any(_full_text_scan(n) for n in inside), "the fence must read the documents by their tsvector"
    assert not _walks_date_index(nodes), "the alerts must not be walked in date order"
    # The filters the documents copy narrow the matches inside the fence, not after it.
    conditions = " ".join(str(n.get(k, "")) for n in inside for k in ("Index Cond", "Recheck Cond", "Filter"))
    assert "state_id" in conditions and "category" in conditions, conditions
    return nodes


def test_filtered_newest_first_search_reads_the_full_text_matches(loaded: tuple[Scope, Any]) -> None:
    scope, query = loaded
    sql, args = PostgresBackend().fenced_sql(query, scope, newest=True, limit=20, offset=0)
    _assert_reads_the_fenced_matches(sql, args)


def _full_text_scan(node: dict[str, Any]) -> bool:
    """A scan of the documents by the full-text condition: the GIN index, or (for a word in a large
    share of a small table) the table itself filtered by it."""
    if node.get("Index Name") == GIN:
        return True
    return node.get("Relation Name") == "search_alertdocument" and "@@" in str(node.get("Filter", ""))


def test_a_stations_newest_matches_read_the_full_text_matches(loaded: tuple[Scope, Any]) -> None:
    """The page of a common word for a scope with a reach (a station's: `newest_matches_sql`) reads
    the GIN index's matches of the words and the reach, narrowed by the filters, inside the fence;
    nothing walks a date index hoping to meet the matches early."""
    from crimac.directory.models import State

    scope, query = loaded
    reach = frozenset({int(State.objects.get(code="DL").pk)})
    sql, args = PostgresBackend().newest_matches_sql(query, replace(scope, reach=reach), 20, since=None)
    nodes = _assert_reads_the_fenced_matches(sql, args)
    assert not any(n.get("Index Name") == "search_doc_reported" for n in nodes), "nor the documents"


def test_without_the_fence_the_planner_would_walk_the_date_index(loaded: tuple[Scope, Any]) -> None:
    """The control: the data above is enough for the planner's choice to be real."""
    scope, query = loaded
    sql, args = PostgresBackend().fenced_sql(query, scope, newest=True, limit=20, offset=0)
    assert "AS MATERIALIZED" in sql
    nodes = _nodes(_plan(sql.replace("AS MATERIALIZED", "AS"), args))
    assert _walks_date_index(nodes), "without the fence the planner walks the date index"


def test_the_search_itself_answers_from_the_fenced_plan(loaded: tuple[Scope, Any]) -> None:
    scope, query = loaded
    backend = PostgresBackend()
    assert backend.page(query, scope, newest=True, limit=20, offset=0) == []
    assert backend.count(query, scope, cap=1000) == 0


def test_connections_run_without_jit() -> None:
    """settings: JIT compiling a long planned query (a person search's union of per-key look-ups)
    took 7.7 of its 8 seconds; crimac's connections turn it off."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_a_words_share_comes_from_the_statistics(loaded: tuple[Scope, Any]) -> None:
    """`share` (where a page looks first) is the planner's estimate from the column's statistics:
    'rampur' is in a tenth of the documents, 'sitapur' in nine tenths, 'girl' in all of them."""
    from crimac.alerts.models import Alert

    backend, everything = PostgresBackend(), Scope.of(Alert.objects.all())
    rampur = backend.share(parse_query("rampur"), everything)
    sitapur = backend.share(parse_query("sitapur"), everything)
    girl = backend.share(parse_query("girl"), everything)
    unseen = backend.share(parse_query("zanzibar"), everything)
    assert rampur is not None and sitapur is not None and girl is not None and unseen is not None
    assert 0.05 < rampur < 0.2 and 0.7 < sitapur <= 1 and girl > 0.9 and unseen < 0.01


def test_a_words_density_is_read_from_the_newest_documents(loaded: tuple[Scope, Any]) -> None:
    """`density` (how the count and a station's page choose how to read) is the share of the newest
    SAMPLE documents the words match, read, not estimated: the planner takes a word and a reach
    for independent, and they are not (a State's name in the documents that reach that State)."""
    from crimac.alerts.models import Alert

    backend, everything = PostgresBackend(), Scope.of(Alert.objects.all())
    # One document in ten says 'rampur' (every fifth of the other State's); all say 'sitapur' or it.
    assert backend.density(parse_query("rampur"), everything) == pytest.approx(0.1, abs=0.01)
    assert backend.density(parse_query("girl"), everything) == 1.0
    assert backend.density(parse_query("zanzibar"), everything) == 0.0


def test_the_newest_documents_are_read_until_enough_match(loaded: tuple[Scope, Any]) -> None:
    """A station's common word is counted and paged from the newest documents
    (`newest_documents_sql`): read in date order through their index, and no further than the
    matches wanted, though `n` allows 10,000 ('girl' is in every document, 'rampur' in a tenth;
    the sort of equal times by id reads ahead at least 32 rows)."""
    from crimac.alerts.models import Alert

    backend, everything = PostgresBackend(), Scope.of(Alert.objects.all())
    for word, most in (("girl", 40), ("rampur", 150)):
        sql, args = backend.newest_documents_sql(parse_query(word), everything, 5, 10_000)
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", args)
            plan = cursor.fetchone()[0]
            cursor.execute(sql, args)
            found = [r[0] for r in cursor.fetchall()]
        scans = [n for n in _nodes(plan[0]["Plan"]) if n["Node Type"] == "Index Scan"]
        assert [n["Index Name"] for n in scans if n["Relation Name"] == "search_alertdocument"] == [
            "search_doc_reported"
        ]
        read = next(n for n in scans if n["Relation Name"] == "search_alertdocument")["Actual Rows"]
        assert 5 <= read <= most, (word, read)
        assert len(found) == 5
        newest = Alert.objects.filter(pk__in=found).order_by("-reported_at").values_list("pk", flat=True)
        assert found == list(newest)
