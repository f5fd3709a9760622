"""PostgreSQL: a generated, weighted tsvector on `search_alertdocument` with a GIN index, and
pg_trgm indexes for substring look-ups of names, registrations and phone numbers.

The tsvector is built from the `terms_*` columns, which hold the words `text.tokens` cut, and the
query goes through `plainto_tsquery`, which reads no operators: what the user typed is only ever
words. Headlines are computed for the page's rows only (an outer query over the limited hits).
"""

# SQL here is assembled from constants and the ORM-compiled scope; every value is a parameter.
# ruff: noqa: S608

from __future__ import annotations

from typing import Any

from django.db import connection

from crimac.search.backends.base import Hit, Scope
from crimac.search.models import AlertDocument
from crimac.search.text import MARK_END, MARK_START, Query, tokens

CONFIG = "english"
CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"""ALTER TABLE search_alertdocument ADD COLUMN document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('{CONFIG}'::regconfig, terms_a), 'A')
        || setweight(to_tsvector('{CONFIG}'::regconfig, terms_b), 'B')
        || setweight(to_tsvector('{CONFIG}'::regconfig, terms_c), 'C')) STORED""",
    "CREATE INDEX search_alertdocument_document_gin ON search_alertdocument USING gin (document)",
    "CREATE INDEX search_alertdocument_names_trgm ON search_alertdocument USING gin (names gin_trgm_ops)",
    # Partial registration and phone look-ups ('1234', '98765') scan these, not the tables.
    """CREATE INDEX IF NOT EXISTS search_vehicle_registration_trgm ON alerts_vehicle
        USING gin (registration_normalised gin_trgm_ops)""",
    "CREATE INDEX IF NOT EXISTS search_phone_e164_trgm ON alerts_phone USING gin (e164 gin_trgm_ops)",
]
DROP = [
    "DROP INDEX IF EXISTS search_phone_e164_trgm",
    "DROP INDEX IF EXISTS search_vehicle_registration_trgm",
    "DROP INDEX IF EXISTS search_alertdocument_names_trgm",
    "DROP INDEX IF EXISTS search_alertdocument_document_gin",
    "ALTER TABLE search_alertdocument DROP COLUMN IF EXISTS document",
]


def _tsquery(query: Query) -> tuple[str, list[str]]:
    parts = query.plain()
    sql = " || ".join(f"plainto_tsquery('{CONFIG}', %s)" for _ in parts)
    return f"({sql})", parts


class PostgresBackend:
    vendor = "postgresql"

    def prepare(self, doc: AlertDocument) -> None:
        doc.terms_a = " ".join(tokens(f"{doc.title}\n{doc.names}\n{doc.identifiers}"))
        doc.terms_b = " ".join(tokens(doc.places))
        doc.terms_c = " ".join(tokens(doc.body))

    def count(self, query: Query, scope: Scope) -> int:
        tsquery, params = _tsquery(query)
        scope_sql, scope_params = scope.in_sql()
        sql = (
            f"SELECT count(*) FROM search_alertdocument WHERE document @@ {tsquery} "
            f"AND alert_id IN ({scope_sql})"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, (*params, *scope_params))
            return int(cursor.fetchone()[0])

    def page(self, query: Query, scope: Scope, *, newest: bool, limit: int, offset: int) -> list[Hit]:
        tsquery, params = _tsquery(query)
        scope_sql, scope_params = scope.in_sql()
        order = "hit_alert.reported_at DESC, hit_alert.id DESC"
        if not newest:
            order = f"rank DESC, {order}"
        marks = f"StartSel={MARK_START}, StopSel={MARK_END}"
        sql = f"""
            WITH q AS (SELECT {tsquery} AS query),
            hits AS (
                SELECT d.alert_id, ts_rank(d.document, q.query) AS rank, hit_alert.reported_at
                FROM search_alertdocument d CROSS JOIN q
                JOIN alerts_alert hit_alert ON hit_alert.id = d.alert_id
                WHERE d.document @@ q.query AND d.alert_id IN ({scope_sql})
                ORDER BY {order} LIMIT %s OFFSET %s)
            SELECT hits.alert_id, hits.rank,
                ts_headline('{CONFIG}', d.title, q.query, %s),
                ts_headline('{CONFIG}', concat_ws(' · ', d.title, nullif(d.names, ''),
                    nullif(d.identifiers, ''), nullif(d.places, ''), nullif(d.body, '')), q.query, %s)
            FROM hits JOIN search_alertdocument d ON d.alert_id = hits.alert_id CROSS JOIN q
            ORDER BY {order.replace("hit_alert.", "hits.").replace("hits.id", "hits.alert_id")}"""
        args = (
            *params,
            *scope_params,
            limit,
            offset,
            f"HighlightAll=true, {marks}",
            f'MaxFragments=2, MaxWords=24, MinWords=8, FragmentDelimiter=" … ", {marks}',
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            return [Hit(int(r[0]), float(r[1]), r[2] or "", r[3] or "") for r in cursor.fetchall()]

    def rebuild(self) -> None:
        """Nothing to do: the tsvector is a generated column."""

    def create(self, schema_editor: Any) -> None:
        for statement in CREATE:
            schema_editor.execute(statement)

    def drop(self, schema_editor: Any) -> None:
        for statement in DROP:
            schema_editor.execute(statement)
