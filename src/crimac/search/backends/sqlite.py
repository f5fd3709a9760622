"""SQLite: an FTS5 table over `search_alertdocument` (external content, kept in step by triggers).

The tokenizer keeps letters, digits and combining marks of every script together ('L* N* Co M*'),
so Devanagari or Bengali words are not cut at their vowel signs, and stems English words (porter)
as PostgreSQL's 'english' configuration does. Ranking is bm25 with per-column weights.

A later migration that alters `AlertDocument` on SQLite rebuilds its table and drops these
triggers: such a migration must call `create` again.
"""

# SQL here is assembled from constants and the ORM-compiled scope; every value is a parameter.
# ruff: noqa: S608

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

from django.db import connection

from crimac.search.backends.base import Hit, Scope
from crimac.search.models import AlertDocument
from crimac.search.text import MARK_END, MARK_START, Query

# Newest first, the newest alerts of the scope looked at before the whole index is (see `page`).
# Each is looked up in the index by rowid (tens of microseconds each): fewer than on PostgreSQL.
PROBE = 500
# A scope of at most this many alerts is checked alert by alert against the index (by rowid), not
# through every match of the words (each match then checked against the scope).
SMALL = 1000
COLUMNS = ("title", "names", "identifiers", "places", "body")
WEIGHTS = (10.0, 8.0, 8.0, 3.0, 1.0)
TOKENIZE = "porter unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
_cols = ", ".join(COLUMNS)
_new = ", ".join(f"new.{c}" for c in COLUMNS)
_old = ", ".join(f"old.{c}" for c in COLUMNS)

CREATE = [
    f"""CREATE VIRTUAL TABLE search_alert_fts USING fts5({_cols}, content='search_alertdocument',
        content_rowid='alert_id', tokenize="{TOKENIZE}")""",
    f"""CREATE TRIGGER search_alertdocument_ai AFTER INSERT ON search_alertdocument BEGIN
        INSERT INTO search_alert_fts(rowid, {_cols}) VALUES (new.alert_id, {_new}); END""",
    f"""CREATE TRIGGER search_alertdocument_ad AFTER DELETE ON search_alertdocument BEGIN
        INSERT INTO search_alert_fts(search_alert_fts, rowid, {_cols})
        VALUES ('delete', old.alert_id, {_old}); END""",
    f"""CREATE TRIGGER search_alertdocument_au AFTER UPDATE OF {_cols} ON search_alertdocument BEGIN
        INSERT INTO search_alert_fts(search_alert_fts, rowid, {_cols})
        VALUES ('delete', old.alert_id, {_old});
        INSERT INTO search_alert_fts(rowid, {_cols}) VALUES (new.alert_id, {_new}); END""",
]
DROP = [
    "DROP TRIGGER IF EXISTS search_alertdocument_ai",
    "DROP TRIGGER IF EXISTS search_alertdocument_ad",
    "DROP TRIGGER IF EXISTS search_alertdocument_au",
    "DROP TABLE IF EXISTS search_alert_fts",
]


class SqliteBackend:
    vendor = "sqlite"
    small = SMALL
    # The FTS5 table holds the text columns only: a search is not narrowed by the documents' reach.
    narrows_by_reach = False

    def session(self) -> AbstractContextManager[None]:
        return nullcontext()

    def measures(self, scope: Scope) -> bool:
        return True  # FTS5 cannot narrow its matches by the filters: a small scope is worth knowing

    def prepare(self, doc: AlertDocument) -> None:
        doc.terms_a = doc.terms_b = doc.terms_c = ""

    # The scope is checked per hit (EXISTS on the alert's primary key): `rowid IN (scope)` would
    # build the list of every visible alert first, which is every alert for a national analyst.

    def count(self, query: Query, scope: Scope, *, cap: int | None = None) -> int:
        if scope.small:
            found = len(self._small_matches(query, scope))
            return min(found, cap + 1) if cap is not None else found
        scope_sql, scope_params = scope.correlated("search_alert_fts.rowid")
        sql = f"SELECT 1 FROM search_alert_fts WHERE search_alert_fts MATCH %s AND EXISTS ({scope_sql})"
        args: tuple[Any, ...] = (query.fts5(), *scope_params)
        if cap is not None:
            sql, args = f"{sql} LIMIT %s", (*args, cap + 1)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM ({sql})", args)
            return int(cursor.fetchone()[0])

    def page(
        self, query: Query, scope: Scope, *, newest: bool, limit: int, offset: int, common: bool = False
    ) -> list[Hit]:
        """Ids and ranks are sorted first, and highlights made for the page's rows only (a sorter
        keeps every column of every row: snippets of every match would cost more than the search).
        Newest first, and ranked for a `common` query, the newest `PROBE` alerts of the scope are
        checked first, each against the index by rowid; only if they do not hold the page are all
        the matches sorted (by date, or by bm25 for every match: seconds for a common word). A
        small scope is read whole (`_small_matches`).

        bm25 is only ever asked of one index cursor per query (`_ranks`): each cursor it is asked
        of first reads the whole list of documents holding each word (its statistics), so bm25
        beside a per-alert look-up costs that much per alert (seconds for a common word)."""
        weights = ", ".join(str(w) for w in WEIGHTS)
        if scope.small:
            return self._page_of(query, self._small_matches(query, scope), newest, limit, offset)
        if newest or common:
            recent_sql, recent_params = scope.newest_sql(PROBE)
            sql = f"""
                WITH recent AS ({recent_sql})
                SELECT recent.id, (SELECT count(*) FROM recent) FROM recent
                WHERE EXISTS (SELECT 1 FROM search_alert_fts
                    WHERE search_alert_fts MATCH %s AND search_alert_fts.rowid = recent.id)
                ORDER BY recent.reported_at DESC, recent.id DESC"""
            with connection.cursor() as cursor:
                cursor.execute(sql, (*recent_params, query.fts5()))
                rows = cursor.fetchall()
            ids = [int(r[0]) for r in rows]  # newest first
            whole_scope = bool(rows) and rows[0][1] < PROBE  # the window held every alert of the scope
            if len(ids) >= offset + limit or whole_scope:  # ranked: the best of the window's matches
                return self._page_of(query, ids, newest, limit, offset)
        scope_sql, scope_params = scope.correlated("search_alert_fts.rowid")
        order = "hit_alert.reported_at DESC, hit_alert.id DESC"
        if not newest:
            order = f"rank DESC, {order}"
        sql = f"""
            SELECT search_alert_fts.rowid, -bm25(search_alert_fts, {weights}) AS rank
            FROM search_alert_fts JOIN alerts_alert AS hit_alert ON hit_alert.id = search_alert_fts.rowid
            WHERE search_alert_fts MATCH %s AND EXISTS ({scope_sql})
            ORDER BY {order} LIMIT %s OFFSET %s"""
        with connection.cursor() as cursor:
            cursor.execute(sql, (query.fts5(), *scope_params, limit, offset))
            rows = cursor.fetchall()
        return self._highlighted(query, [int(r[0]) for r in rows], {int(r[0]): float(r[1]) for r in rows})

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
                (query.fts5(), min(ids), max(ids)),
            )
            hit = {int(r[0]) for r in cursor.fetchall()}
        scope.memo[key] = [i for i in ids if i in hit]
        return list(scope.memo[key])

    def _ranks(self, query: Query, ids: list[int]) -> dict[int, float]:
        """bm25 of these matches, from one cursor over the span of their ids (the ids in between
        are read and dropped: a few for the newest alerts, which are close together)."""
        if not ids:
            return {}
        weights = ", ".join(str(w) for w in WEIGHTS)
        sql = f"""SELECT rowid, -bm25(search_alert_fts, {weights}) FROM search_alert_fts
            WHERE search_alert_fts MATCH %s AND rowid >= %s AND rowid <= %s"""
        wanted = set(ids)
        with connection.cursor() as cursor:
            cursor.execute(sql, (query.fts5(), min(ids), max(ids)))
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
            cursor.execute(sql, (MARK_START, MARK_END, MARK_START, MARK_END, query.fts5(), *ids))
            found = {
                int(r[0]): Hit(int(r[0]), ranks.get(int(r[0]), 0.0), r[1] or "", r[2] or "")
                for r in cursor.fetchall()
            }
        return [found[i] for i in ids if i in found]

    def rebuild(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_alert_fts(search_alert_fts) VALUES ('rebuild')")

    def create(self, schema_editor: Any) -> None:
        for statement in CREATE:
            schema_editor.execute(statement)

    def drop(self, schema_editor: Any) -> None:
        for statement in DROP:
            schema_editor.execute(statement)
