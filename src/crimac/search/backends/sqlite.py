"""SQLite: an FTS5 table over `search_alertdocument` (external content, kept in step by triggers).

The tokenizer keeps letters, digits and combining marks of every script together ('L* N* Co M*'),
so Devanagari or Bengali words are not cut at their vowel signs, and stems English words (porter)
as PostgreSQL's 'english' configuration does. Ranking is bm25 with per-column weights.

A sixth column holds the document's facets (its reach, category, State, district and month), which
narrow a search's candidates inside the index (`_matching`).

A later migration that alters `AlertDocument` on SQLite so that Django remakes its table drops
these triggers, and the content view names the table: such a migration must run `DROP` first and
`FACETED` and `rebuild` after.
"""

# SQL here is assembled from constants and the ORM-compiled scope; every value is a parameter.
# ruff: noqa: S608

from __future__ import annotations

import json
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from crimac.search.backends.base import Hit, Scope
from crimac.search.indexing import REACH_PREFIX, reach_words
from crimac.search.models import AlertDocument
from crimac.search.text import MARK_END, MARK_START, Query

# A ranked page of a common word ranks at least this many of its newest matches (or 5 pages' worth).
PROBE_MATCHES = 100
# A scope of at most this many alerts is checked alert by alert against the index (by rowid), not
# through every match of the words (each match then checked against the scope).
SMALL = 1000
COLUMNS = ("title", "names", "identifiers", "places", "body")
WEIGHTS = (10.0, 8.0, 8.0, 3.0, 1.0)
# bm25's arguments: the text columns' weights, and none for the facets.
BM25_WEIGHTS = ", ".join(str(w) for w in (*WEIGHTS, 0.0))
REBUILD = "INSERT INTO search_alert_fts(search_alert_fts) VALUES ('rebuild')"
TOKENIZE = "porter unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
# The documents' reach and the filters' copies as words of a sixth column (`facets`), so that FTS5
# narrows a word's matches to the searcher's States and the filters' categories, State, district
# and months before each is checked against the scope (as PostgreSQL's GIN index does with the
# reach in its tsvector and the copies' B-tree index): 'zzr7 zzr12 zzcmissingperson zzs7 zzd93
# zzm202611'. A NULL reach reads as `zzrany`, which every narrowed search also asks for.
FACETS = "facets"
REACH_UNKNOWN = f"{REACH_PREFIX}any"
# A period of more months than this is not narrowed by its months (the scope still checks it).
MONTHS = 36


def facets_sql(row: str = "") -> str:
    """The facets of a document row as an SQL expression (`row`: "new.", "old." or "")."""
    return (
        f"coalesce({row}reach, '{REACH_UNKNOWN}') || ' zzc' || replace(coalesce({row}category, ''), '_', '')"
        f" || ' zzs' || coalesce({row}state_id, 0) || ' zzd' || coalesce({row}district_id, 0)"
        f" || coalesce(strftime(' zzm%Y%m', {row}reported_at), '')"
    )


def _fts_table(columns: tuple[str, ...], content: str) -> str:
    return f"""CREATE VIRTUAL TABLE search_alert_fts USING fts5({", ".join(columns)}, content='{content}',
        content_rowid='alert_id', tokenize="{TOKENIZE}")"""


def _triggers(columns: tuple[str, ...], new: str, old: str, updated: tuple[str, ...]) -> list[str]:
    cols, watched = ", ".join(columns), ", ".join(updated)
    return [
        f"""CREATE TRIGGER search_alertdocument_ai AFTER INSERT ON search_alertdocument BEGIN
        INSERT INTO search_alert_fts(rowid, {cols}) VALUES (new.alert_id, {new}); END""",
        f"""CREATE TRIGGER search_alertdocument_ad AFTER DELETE ON search_alertdocument BEGIN
        INSERT INTO search_alert_fts(search_alert_fts, rowid, {cols})
        VALUES ('delete', old.alert_id, {old}); END""",
        f"""CREATE TRIGGER search_alertdocument_au AFTER UPDATE OF {watched} ON search_alertdocument BEGIN
        INSERT INTO search_alert_fts(search_alert_fts, rowid, {cols})
        VALUES ('delete', old.alert_id, {old});
        INSERT INTO search_alert_fts(rowid, {cols}) VALUES (new.alert_id, {new}); END""",
    ]


# What migration 0001 creates: the text columns only, read from the documents table (0005 then
# makes the faceted table below).
CREATE = [
    _fts_table(COLUMNS, "search_alertdocument"),
    *_triggers(
        COLUMNS,
        ", ".join(f"new.{c}" for c in COLUMNS),
        ", ".join(f"old.{c}" for c in COLUMNS),
        COLUMNS,
    ),
]
# Since migration 0005: the text and the facets, read from a view of the documents (FTS5 reads an
# external content table's columns by name: highlights and snippets).
CONTENT_VIEW = "search_alert_fts_content"
TRIGGERS = _triggers(
    (*COLUMNS, FACETS),
    ", ".join([*(f"new.{c}" for c in COLUMNS), facets_sql("new.")]),
    ", ".join([*(f"old.{c}" for c in COLUMNS), facets_sql("old.")]),
    (*COLUMNS, "reach", "category", "state_id", "district_id", "reported_at"),
)
FACETED = [
    f"""CREATE VIEW {CONTENT_VIEW} AS SELECT alert_id, {", ".join(COLUMNS)}, {facets_sql()} AS {FACETS}
        FROM search_alertdocument""",
    _fts_table((*COLUMNS, FACETS), CONTENT_VIEW),
    *TRIGGERS,
]
DROP = [
    "DROP TRIGGER IF EXISTS search_alertdocument_ai",
    "DROP TRIGGER IF EXISTS search_alertdocument_ad",
    "DROP TRIGGER IF EXISTS search_alertdocument_au",
    "DROP TABLE IF EXISTS search_alert_fts",
    f"DROP VIEW IF EXISTS {CONTENT_VIEW}",
]


TEXT = "{" + " ".join(COLUMNS) + "}"


def _text(query: Query) -> str:
    """The query as an FTS5 expression on the text columns only (a typed 'zzr7' is not a reach)."""
    return f"{TEXT}: ({query.fts5()})"


def _months(since: datetime | None, until: datetime | None) -> list[str]:
    """The facets' months (UTC, as documents store their time) from `since` to `until` (or the
    latest a document may be reported at); none when not both known or more than MONTHS."""
    if since is None:
        return []
    end = until or timezone.now() + timedelta(days=2)  # past any clock skew a report is let through
    first, last = since.astimezone(UTC), end.astimezone(UTC)
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"zzm{year:04d}{month:02d}")
        if len(months) > MONTHS:
            return []
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _matching(query: Query, scope: Scope) -> str:
    """The MATCH expression that finds the scope's candidate matches: the query's words, and the
    facets the scope bounds (one of its States' reach words or the unknown reach's; the filters'
    categories, State, district and months). Only a narrowing: every candidate is still checked
    against the scope."""
    copied = dict(scope.copied)
    groups: list[list[str]] = []
    if scope.reach is not None:
        groups.append([REACH_UNKNOWN, *reach_words(scope.reach).split()])
    if copied.get("category__in"):
        groups.append([f"zzc{c.replace('_', '')}" for c in copied["category__in"]])
    for lookup, prefix in (("state", "zzs"), ("district", "zzd")):
        if copied.get(lookup) is not None:
            groups.append([f"{prefix}{int(getattr(copied[lookup], 'pk', copied[lookup]))}"])
    months = _months(copied.get("reported_at__gte"), copied.get("reported_at__lte"))
    if months:
        groups.append(months)
    facets = [f"{FACETS}: (" + " OR ".join(f'"{w}"' for w in words) + ")" for words in groups]
    return " AND ".join([_text(query), *facets])


class SqliteBackend:
    vendor = "sqlite"
    small = SMALL
    narrows_by_reach = True

    def session(self) -> AbstractContextManager[None]:
        return nullcontext()

    def measures(self, scope: Scope) -> bool:
        return True  # a small scope is worth knowing: it is read whole, alert by alert

    def prepare(self, doc: AlertDocument) -> None:
        doc.terms_a = doc.terms_b = doc.terms_c = ""

    # The scope is checked per hit (EXISTS on the alert's primary key): `rowid IN (scope)` would
    # build the list of every visible alert first, which is every alert for a national analyst.

    def count(self, query: Query, scope: Scope, *, cap: int | None = None) -> int:
        """Visible matches, counted up to `cap` + 1. The candidates come narrowed by the facets
        (`_matching`); when they hold no more than `cap` visible matches, the page ranks those."""
        if scope.small:
            matches = len(self._small_matches(query, scope))
            return min(matches, cap + 1) if cap is not None else matches
        scope_sql, scope_params = scope.correlated("search_alert_fts.rowid")
        sql = f"SELECT rowid FROM search_alert_fts WHERE search_alert_fts MATCH %s AND EXISTS ({scope_sql})"
        args: tuple[Any, ...] = (_matching(query, scope), *scope_params)
        with connection.cursor() as cursor:
            if cap is None:
                cursor.execute(f"SELECT count(*) FROM ({sql})", args)
                return int(cursor.fetchone()[0])
            cursor.execute(f"{sql} LIMIT %s", (*args, cap + 1))
            found = [int(r[0]) for r in cursor.fetchall()]
        if len(found) <= cap:
            scope.memo[("visible", query)] = found
        return len(found)

    def page(
        self, query: Query, scope: Scope, *, newest: bool, limit: int, offset: int, common: bool = False
    ) -> list[Hit]:
        """When the count read every visible match (no more than it counts to), the page is made
        from those; a small scope is read whole (`_small_matches`).

        A `common` query (more visible matches than the count goes to) is paged from its newest
        `want` visible matches (newest first, the page's own; ranked, the best of the newest
        max(PROBE_MATCHES, 5 pages), as on PostgreSQL): FTS5 reads the candidates backwards by
        rowid, which is the alert's id, so newest here means last published (then sorted by the
        reported time). Otherwise every candidate is sorted (by date, or by bm25).

        Ids and ranks are sorted first, and highlights made for the page's rows only (a sorter
        keeps every column of every row: snippets of every match would cost more than the search).
        bm25 is only ever asked of one index cursor per query (`_ranks`): each cursor it is asked
        of first reads the whole list of documents holding each word (its statistics), so bm25
        beside a per-alert look-up costs that much per alert (seconds for a common word)."""
        if scope.small:
            return self._page_of(query, self._small_matches(query, scope), newest, limit, offset)
        visible = scope.memo.get(("visible", query))
        if visible is not None:  # the count read every visible match: rank those
            return self._page_of(query, self._newest_first(visible), newest, limit, offset)
        scope_sql, scope_params = scope.correlated("search_alert_fts.rowid")
        matching = _matching(query, scope)
        if common:
            want = offset + limit if newest else max(PROBE_MATCHES, 5 * (offset + limit))
            sql = f"""SELECT rowid FROM search_alert_fts WHERE search_alert_fts MATCH %s
                AND EXISTS ({scope_sql}) ORDER BY rowid DESC LIMIT %s"""
            with connection.cursor() as cursor:
                cursor.execute(sql, (matching, *scope_params, want))
                newest_ids = [int(r[0]) for r in cursor.fetchall()]
            return self._page_of(query, self._newest_first(newest_ids), newest, limit, offset)
        order = "hit_alert.reported_at DESC, hit_alert.id DESC"
        if not newest:
            order = f"rank DESC, {order}"
        sql = f"""
            SELECT search_alert_fts.rowid, -bm25(search_alert_fts, {BM25_WEIGHTS}) AS rank
            FROM search_alert_fts JOIN alerts_alert AS hit_alert ON hit_alert.id = search_alert_fts.rowid
            WHERE search_alert_fts MATCH %s AND EXISTS ({scope_sql})
            ORDER BY {order} LIMIT %s OFFSET %s"""
        with connection.cursor() as cursor:
            cursor.execute(sql, (matching, *scope_params, limit, offset))
            rows = cursor.fetchall()
        return self._highlighted(query, [int(r[0]) for r in rows], {int(r[0]): float(r[1]) for r in rows})

    @staticmethod
    def _newest_first(ids: list[int]) -> list[int]:
        """These alerts newest first (reported time, then id)."""
        if not ids:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT id FROM alerts_alert WHERE id IN (SELECT value FROM json_each(%s))
                ORDER BY reported_at DESC, id DESC""",
                (json.dumps(ids),),
            )
            return [int(r[0]) for r in cursor.fetchall()]

    def _page_of(self, query: Query, ids: list[int], newest: bool, limit: int, offset: int) -> list[Hit]:
        """The page of these matches (newest first): as they are, or best first (newest first
        among equals), ranked and highlighted."""
        ranks = self._ranks(query, ids if not newest else ids[offset : offset + limit])
        if not newest:
            position = {alert_id: n for n, alert_id in enumerate(ids)}
            ids = sorted(ranks, key=lambda i: (-ranks[i], position[i]))
        return self._highlighted(query, ids[offset : offset + limit], ranks)

    def _small_matches(self, query: Query, scope: Scope) -> list[int]:
        """The matches in a small scope, newest first: the scope listed, then the index read once
        over the span of its ids (one cursor: a look-up per alert costs a seek per alert, and a
        common word's list is long)."""
        key = ("small matches", query.fts5())
        if key in scope.memo:
            return list(scope.memo[key])
        newest_sql, params = scope.newest_sql(SMALL + 1)
        with connection.cursor() as cursor:
            cursor.execute(newest_sql, params)
            ids = [int(r[0]) for r in cursor.fetchall()]
            if not ids:
                scope.memo[key] = []
                return []
            cursor.execute(
                """SELECT rowid FROM search_alert_fts WHERE search_alert_fts MATCH %s
                AND rowid >= %s AND rowid <= %s""",
                (_text(query), min(ids), max(ids)),
            )
            hit = {int(r[0]) for r in cursor.fetchall()}
        scope.memo[key] = [i for i in ids if i in hit]
        return list(scope.memo[key])

    @staticmethod
    def _ranks(query: Query, ids: list[int]) -> dict[int, float]:
        """bm25 of these matches, from one cursor over the span of their ids (the ids in between
        are read and dropped: a few for the newest alerts, which are close together). The words
        only: bm25 first reads the whole list of every phrase asked for, and a reach's is a
        State's share of all documents (100 ms for 'police' as dl.sho at a million)."""
        if not ids:
            return {}
        sql = f"""SELECT rowid, -bm25(search_alert_fts, {BM25_WEIGHTS}) FROM search_alert_fts
            WHERE search_alert_fts MATCH %s AND rowid >= %s AND rowid <= %s"""
        wanted = set(ids)
        with connection.cursor() as cursor:
            cursor.execute(sql, (_text(query), min(ids), max(ids)))
            return {int(r[0]): float(r[1]) for r in cursor.fetchall() if int(r[0]) in wanted}

    def _highlighted(self, query: Query, ids: list[int], ranks: dict[int, float]) -> list[Hit]:
        """These hits, in this order, with their rank, highlighted title and snippet (no bm25
        here: see `page`)."""
        if not ids:
            return []
        marks = ", ".join(["%s"] * len(ids))
        sql = f"""
            SELECT rowid, highlight(search_alert_fts, 0, %s, %s),
                   snippet(search_alert_fts, -1, %s, %s, '…', 24)
            FROM search_alert_fts WHERE search_alert_fts MATCH %s AND rowid IN ({marks})"""
        with connection.cursor() as cursor:
            cursor.execute(sql, (MARK_START, MARK_END, MARK_START, MARK_END, _text(query), *ids))
            found = {
                int(r[0]): Hit(int(r[0]), ranks.get(int(r[0]), 0.0), r[1] or "", r[2] or "")
                for r in cursor.fetchall()
            }
        return [found[i] for i in ids if i in found]

    def rebuild(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(REBUILD)

    def create(self, schema_editor: Any) -> None:
        for statement in CREATE:  # migration 0001's; 0005 makes the faceted table
            schema_editor.execute(statement)

    def drop(self, schema_editor: Any) -> None:
        for statement in DROP:
            schema_editor.execute(statement)
