"""PostgreSQL: a generated, weighted tsvector on `search_alertdocument` with a GIN index, and
pg_trgm indexes for substring look-ups of names, registrations and phone numbers.

The tsvector is built from the `terms_*` columns, which hold the words `text.tokens` cut, and the
query goes through `plainto_tsquery`, which reads no operators: what the user typed is only ever
words. Headlines are computed for the page's rows only (an outer query over the limited hits).
"""

# SQL here is assembled from constants and the ORM-compiled scope; every value is a parameter.
# ruff: noqa: S608

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from crimac.search.backends.base import Hit, Scope
from crimac.search.indexing import REACH_PREFIX, reach_words
from crimac.search.models import AlertDocument
from crimac.search.text import MARK_END, MARK_START, Query, tokens

CONFIG = "english"
# The reach's words (`AlertDocument.reach`), which no stemming may change; NULL reads as this one,
# which every narrowed search also asks for.
REACH_CONFIG = "simple"
REACH_UNKNOWN = f"{REACH_PREFIX}any"


def document_column(*, reach: bool) -> list[str]:
    """The generated tsvector and its GIN index: the words of each weight class, and (since
    migration 0004, `reach=True`) the reach's words at weight D."""
    words = f"""setweight(to_tsvector('{CONFIG}'::regconfig, terms_a), 'A')
        || setweight(to_tsvector('{CONFIG}'::regconfig, terms_b), 'B')
        || setweight(to_tsvector('{CONFIG}'::regconfig, terms_c), 'C')"""
    if reach:
        words += f"""
        || setweight(to_tsvector('{REACH_CONFIG}'::regconfig, coalesce(reach, '{REACH_UNKNOWN}')), 'D')"""
    return [
        f"ALTER TABLE search_alertdocument ADD COLUMN document tsvector GENERATED ALWAYS AS ({words}) STORED",
        "CREATE INDEX search_alertdocument_document_gin ON search_alertdocument USING gin (document)",
    ]


DROP_DOCUMENT = [
    "DROP INDEX IF EXISTS search_alertdocument_document_gin",
    "ALTER TABLE search_alertdocument DROP COLUMN IF EXISTS document",
]
# What migration 0001 creates (0004 then rewrites the tsvector with the reach).
CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    *document_column(reach=False),
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


# Newest first, the newest alerts of the scope looked at before the GIN index is (see `page`): at
# most this many, fewer for a word the statistics say is common (`probe_size`).
PROBE = 3000
# A ranked page of a common word ranks at least this many of the newest matches (or 5 pages' worth).
PROBE_MATCHES = 100
# A word the statistics (for a station's unfiltered search, the newest documents: `density`) put
# in at least this share of the documents is counted by testing rows in table order, not through
# the GIN index's list of its matches; with filters the documents copy, in the filters' index
# order from this share (below it, that index may list thousands of rows of which few match, and
# a station officer sees few of those).
SCAN_SHARE = 0.15
SCAN_SHARE_FILTERED = 0.5
# A scope of at most this many alerts is checked alert by alert (a primary-key look-up and the
# tsvector's test each), not through every match of the words in the GIN index.
SMALL = 2000
WORK_MEM = "64MB"
# The newest documents read to know what share of the documents a search's words match (`density`).
SAMPLE = 1000
# A station's count is read from its newest documents (and its page from the same read) when at
# most this many should hold twice the matches the count goes to (a word and reach in a sixth).
COUNT_PROBE = 12000
# A station's newest matches are looked for in the newest documents when that many should hold
# twice the matches wanted (a word and reach in a fifth of the documents: 1,000 for the page).
DOCUMENT_PROBE = 5000
# Then the matches of these last periods, before all of them.
WINDOWS = (timedelta(days=7), timedelta(days=30), timedelta(days=120), timedelta(days=400))
_MARKS = f"StartSel={MARK_START}, StopSel={MARK_END}"
TITLE_OPTIONS = f"HighlightAll=true, {_MARKS}"
SNIPPET_OPTIONS = f'MaxFragments=2, MaxWords=24, MinWords=8, FragmentDelimiter=" … ", {_MARKS}'
DOCUMENT_TEXT = """concat_ws(' · ', d.title, nullif(d.names, ''), nullif(d.identifiers, ''),
    nullif(d.places, ''), nullif(d.body, ''))"""


def probe_size(share: float | None, want: int) -> int:
    """How many of the scope's newest alerts to look at for its newest `want` matches, when the
    words match about `share` of the documents: enough for twice that many, at most PROBE. 0 when
    even PROBE alerts would likely not hold them (they are read from the index instead); PROBE when
    nothing is known."""
    if share is None:
        return PROBE
    if share * PROBE < want:
        return 0
    return max(want, min(PROBE, math.ceil(2 * want / share)))


def periods(daily: float | None, want: int) -> list[timedelta | None]:
    """The periods a page of the newest `want` matches reads in turn (None: all time), from the
    first that should hold twice `want` at `daily` candidates a day (all of `WINDOWS` if unknown)."""
    windows: list[timedelta | None] = [*WINDOWS, None]
    if daily is None:
        return windows
    first = next((n for n, w in enumerate(WINDOWS) if w.days * daily >= 2 * want), len(WINDOWS))
    return windows[first:]


def _ranking(tsquery: str, params: list[str], newest: bool) -> tuple[str, str, list[str]]:
    """(ORDER BY on `hit_alert`, the rank expression on the document `d`, its parameters) of a page:
    ranked, or newest first (every rank 0)."""
    order = "hit_alert.reported_at DESC, hit_alert.id DESC"
    if newest:
        return order, "0.0", []
    return f"rank DESC, {order}", f"ts_rank(d.document, {tsquery})", params


def _tsquery(query: Query) -> tuple[str, list[str]]:
    """The query as SQL with its words as parameters. Written out where it is used (not read from a
    CTE), so that the planner sees the words and estimates from the column's statistics."""
    parts = query.plain()
    sql = " || ".join(f"plainto_tsquery('{CONFIG}', %s)" for _ in parts)
    return f"({sql})", parts


def _matching(query: Query, scope: Scope) -> tuple[str, list[str]]:
    """The tsquery that finds the scope's candidate matches: the query's words, and, when the scope
    has a reach, one of its States' reach words or the word of an unknown reach. Only a narrowing:
    every candidate is still checked against the scope. (Ranks and headlines use `_tsquery`.)"""
    tsquery, params = _tsquery(query)
    if scope.reach is None:
        return tsquery, params
    words = " | ".join([REACH_UNKNOWN, *reach_words(scope.reach).split()])
    return f"({tsquery} && to_tsquery('{REACH_CONFIG}', %s))", [*params, words]


class PostgresBackend:
    vendor = "postgresql"
    small = SMALL
    narrows_by_reach = True

    @contextmanager
    def session(self) -> Iterator[None]:
        """The queries of one search, with WORK_MEM: a common word's GIN bitmap (a quarter of the
        alerts) outgrows the default 4MB and turns lossy, and a lossy bitmap ANDed with a filter
        makes PostgreSQL re-test every row of every page it names, reading each row's tsvector
        from TOAST (2.5x the time at a million alerts). And with no parallel workers: a count stops
        after 1,001 rows, and starting two workers for it cost more than they saved (as the
        analyst at a million alerts, a search's p50 41 ms without them, 46-51 ms with)."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('work_mem', %s, true), "
                "set_config('max_parallel_workers_per_gather', '0', true)",
                [WORK_MEM],
            )
            yield

    def measures(self, scope: Scope) -> bool:
        """Not when the filters narrow the matches in the index: counting a filtered scope costs
        more (it reads the alerts) than the narrowed matches do."""
        return not scope.copied

    def prepare(self, doc: AlertDocument) -> None:
        doc.terms_a = " ".join(tokens(f"{doc.title}\n{doc.names}\n{doc.identifiers}"))
        doc.terms_b = " ".join(tokens(doc.places))
        doc.terms_c = " ".join(tokens(doc.body))

    def count(self, query: Query, scope: Scope, *, cap: int | None = None) -> int:
        """Visible matches, counted up to `cap` + 1 (past it the caller says "more than cap")."""
        tsquery, params = _tsquery(query)
        narrow, narrow_params = scope.document_where()
        if scope.small:  # alert by alert (LATERAL: the planner cannot turn it into a GIN scan)
            scope_sql, scope_params = scope.in_sql()
            sql = f"""
                WITH s AS MATERIALIZED ({scope_sql})
                SELECT count(*) FROM (SELECT 1 FROM s CROSS JOIN LATERAL (
                    SELECT 1 FROM search_alertdocument d WHERE d.alert_id = s.id
                    AND d.document @@ {tsquery} LIMIT 1) AS hit LIMIT %s) AS matches"""
            with connection.cursor() as cursor:
                cursor.execute(sql, (*scope_params, *params, (cap if cap is not None else SMALL) + 1))
                return int(cursor.fetchone()[0])
        # Each match is checked against the scope by the alert's primary key, in the order the
        # matches come (OFFSET 0 keeps PostgreSQL from turning the check into a join): a join may
        # hash the whole scope first (a State's 20,000 alerts of the last 90 days, 150 ms at a
        # million alerts) when the count stops after 1,001 matches.
        visible_sql, visible_params = scope.correlated("search_alertdocument.alert_id")
        tsquery, params = _matching(query, scope)
        # A word in a large share of the documents is tested row by row (the function, which no
        # index answers), in table order or through the filters' index: the first 1,001 visible
        # matches come after a few thousand rows, where the GIN index would first list every
        # match (700,000 for 'check': 100 ms at a million alerts).
        # The share of the candidates, narrowed by the reach: a word in a sixth of the documents is
        # in a thirtieth of those that reach a station's State, which the GIN index lists quickly
        # ('found'); but 'delhi' is in most of those that reach Delhi. So with a reach and without
        # filters, the share among the newest documents, read (`density`); else the planner's
        # (with no reach it is as good; with filters, reading the newest documents they keep
        # means sorting all of them: 40-55 ms as dl.sho).
        sampled = scope.reach is not None and not narrow
        share = self.density(query, scope) if sampled else self.share(query, scope, narrowed=True)
        if sampled and cap is not None and share and math.ceil(2 * (cap + 1) / share) <= COUNT_PROBE:
            # So common that the newest documents hold the count's matches: read there, newest
            # first, they are also the page's (`page`), and those pages are every search's.
            n = math.ceil(2 * (cap + 1) / share)
            ids, whole = self._newest_documents(query, scope, cap + 1, n)
            if len(ids) > cap:
                scope.memo[("newest", query)] = ids
                return len(ids)
            if whole:  # every document was read: these are all the visible matches
                scope.memo[("visible", query)] = ids
                return len(ids)
        common = share is not None and share >= (SCAN_SHARE_FILTERED if narrow else SCAN_SHARE)
        match = f"ts_match_vq(document, {tsquery})" if common else f"document @@ {tsquery}"
        inner = (
            f"SELECT alert_id FROM search_alertdocument WHERE {match}{narrow} "
            f"AND EXISTS ({visible_sql} OFFSET 0)"
        )
        args: tuple[Any, ...] = (*params, *narrow_params, *visible_params)
        if cap is None:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM ({inner}) AS matches", args)
                return int(cursor.fetchone()[0])
        # The ids, not a count: when they are all of the visible matches (no more than `cap`), the
        # page ranks them (`_among`) instead of reading every match of the words again.
        with connection.cursor() as cursor:
            cursor.execute(f"{inner} LIMIT %s", (*args, cap + 1))
            found = [int(row[0]) for row in cursor.fetchall()]
        if len(found) <= cap:
            scope.memo[("visible", query)] = found  # every visible match: the page ranks them
        return len(found)

    def page(
        self, query: Query, scope: Scope, *, newest: bool, limit: int, offset: int, common: bool = False
    ) -> list[Hit]:
        """When the count read every visible match (no more than it counts to), the page is made
        from those. A small scope is read whole, alert by alert.

        A `common` query (more visible matches than the count goes to) is paged from its newest
        `want` visible matches: newest first, the page's own; ranked, the best of the newest
        max(PROBE_MATCHES, 5 pages), since ranking every match of a word half the alerts carry
        costs seconds. They come from the newest alerts of the scope (`_probe`, a bounded walk of
        the date order) when they are likely to hold them, except for an unfiltered scope with a
        reach (a station's, which sees a few of its State's alerts, so that walk would check every
        other one); else from the newest documents or the GIN index (`_newest_matches`).

        Otherwise, all the matches from the GIN index in a MATERIALIZED CTE (`fenced_sql`): the
        planner cannot then walk the alerts' date index hoping to meet rare matches early (for a
        rare word and a State filter that walk reads every alert of the State: seconds at a
        million)."""
        if scope.small:  # the whole scope, alert by alert
            hits = self._probe(query, scope, ranked=not newest, limit=limit, offset=offset, n=SMALL + 1)
            return hits or []
        visible = scope.memo.get(("visible", query))
        if visible is not None:  # the count read every visible match: rank those
            return self._among(query, scope, visible, newest=newest, limit=limit, offset=offset)
        if common:
            want = offset + limit if newest else max(PROBE_MATCHES, 5 * (offset + limit))
            counted = scope.memo.get(("newest", query), [])
            if len(counted) >= want:  # the count read the newest matches: the page's are among them
                return self._among(query, scope, counted[:want], newest=newest, limit=limit, offset=offset)
            # Filtered, the newest alerts of a station's scope are its State's, of the categories
            # and period asked for: walking them costs less than reading the newest documents
            # the filters keep (the filters' index lists them all, to be sorted).
            by_reach = scope.reach is not None and not scope.copied
            n = 0 if by_reach else probe_size(self.share(query, scope), want)
            if n:  # else the newest alerts are unlikely to hold them
                ranked = not newest
                probed = self._probe(query, scope, ranked=ranked, limit=limit, offset=offset, n=n, want=want)
                if probed is not None:
                    return probed
            ids = self._newest_matches(query, scope, want)
            return self._among(query, scope, ids, newest=newest, limit=limit, offset=offset)
        return self._fetch(*self.fenced_sql(query, scope, newest=newest, limit=limit, offset=offset))

    def share(self, query: Query, scope: Scope, *, narrowed: bool = False) -> float | None:
        """The share of documents the planner expects the words to match, from the column's
        statistics (an EXPLAIN: no row is read); None before any ANALYZE. The filters are left
        out: it stands for the share of the scope's (or of its newest alerts') documents that
        match. It chooses where to look first, never what is found. Once a search (`Scope.memo`).
        `narrowed`: the share of the count's candidates, the words ANDed with the scope's reach
        (`_matching`); the same as the words' own share for a scope without one."""
        narrowed = narrowed and scope.reach is not None
        key = ("share", query, narrowed)
        if key not in scope.memo:
            scope.memo[key] = self._share(query, scope if narrowed else None)
        found: float | None = scope.memo[key]
        return found

    def density(self, query: Query, scope: Scope) -> float | None:
        """The share of the newest SAMPLE documents that are candidates (the words and, if the
        scope has one, its reach), read (a few milliseconds); None when there are none. The
        planner's estimate of a word ANDed with a reach takes the two for independent, and 'delhi'
        is not independent of reaching Delhi: 3 % estimated, 16 % found. The copied filters are
        left out (used only for scopes without them). Once a search."""
        key = ("density", query)
        if key not in scope.memo:
            matching, params = _matching(query, scope)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""SELECT count(*) FILTER (WHERE ts_match_vq(document, {matching})), count(*) FROM (
                        SELECT document FROM search_alertdocument WHERE reported_at IS NOT NULL
                        ORDER BY reported_at DESC LIMIT %s) AS recent""",
                    (*params, SAMPLE),
                )
                hits, read = cursor.fetchone()
            scope.memo[key] = hits / read if read else None
        found: float | None = scope.memo[key]
        return found

    @staticmethod
    def _share(query: Query, scope: Scope | None = None) -> float | None:
        """The planner's share for the query's words, or for the candidates of `scope` if given."""
        tsquery, params = _tsquery(query) if scope is None else _matching(query, scope)
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'search_alertdocument'::regclass")
            total = float(cursor.fetchone()[0])
            if total <= 0:
                return None
            cursor.execute(
                f"EXPLAIN (FORMAT JSON) SELECT 1 FROM search_alertdocument WHERE document @@ {tsquery}",
                params,
            )
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return min(1.0, float(plan[0]["Plan"]["Plan Rows"]) / total)

    def fenced_sql(
        self,
        query: Query,
        scope: Scope,
        *,
        newest: bool,
        limit: int,
        offset: int,
    ) -> tuple[str, tuple[Any, ...]]:
        """The page from the GIN index's matches, fenced (tests/search/test_plan.py pins the plan)."""
        tsquery, params = _tsquery(query)
        matching, matching_params = _matching(query, scope)
        scope_sql, scope_params = scope.in_sql()
        narrow, narrow_params = scope.document_where()
        order, rank, rank_params = _ranking(tsquery, params, newest)
        ranked_join = "" if newest else "JOIN search_alertdocument d ON d.alert_id = m.alert_id"
        sql = f"""
            WITH matched AS MATERIALIZED (
                SELECT alert_id FROM search_alertdocument WHERE document @@ {matching}{narrow}),
            hits AS (
                SELECT m.alert_id, {rank} AS rank, hit_alert.reported_at
                FROM matched m JOIN alerts_alert hit_alert ON hit_alert.id = m.alert_id {ranked_join}
                WHERE m.alert_id IN ({scope_sql})
                ORDER BY {order} LIMIT %s OFFSET %s)
            {self._outer(tsquery, newest, order)}"""
        args = (
            *matching_params,
            *narrow_params,
            *rank_params,
            *scope_params,
            limit,
            offset,
            *self._outer_params(params, newest),
        )
        return sql, args

    def _newest_matches(self, query: Query, scope: Scope, want: int) -> list[int]:
        """The scope's newest `want` matches (all of them if fewer), newest first. Walking the
        scope's newest alerts (`_probe`) would check on the way every alert the searcher may not
        read (most of its State's, for a station: 45-60 ms at a million alerts); instead:

        - when the words and the reach are in a large enough share of the documents that the
          newest few thousand documents should hold twice `want` candidates, those documents
          (`_newest_documents`): a GIN index's list of a word in a fifth of them costs more;
        - else the candidates of the last week, month, ... (`WINDOWS`), then of all time
          (`newest_matches_sql`, each period a read of the GIN index), from the first period
          that the candidates a day should fill twice over (`periods`).

        With filters, the planner's share stands for the sample's (`density` reads no filter)
        and only the periods are read."""
        if scope.copied:
            share = self.share(query, scope, narrowed=True)
        else:
            share = self.density(query, scope)
            n = math.ceil(2 * want / share) if share else DOCUMENT_PROBE + 1
            if n <= DOCUMENT_PROBE:
                ids, whole = self._newest_documents(query, scope, want, n)
                if len(ids) >= want or whole:  # enough, or every document was read
                    return ids
        now = timezone.now()
        ids = []
        total, days = self._extent()
        daily = share * total / days if share and total else None
        matches = max(share or 0.0, self.share(query, scope, narrowed=True) or 0.0)
        for window in periods(daily, want):
            since = None if window is None else now - window
            # The period's documents from their date index too, unless they outnumber the words'
            # matches fifteenfold: reading a match costs about that much more than an entry of
            # that index (4.3 against 0.23 us as dl.sho at a million), and the bitmap of 120 days
            # is 440,000 rows. The matches: the larger of the sample's and the planner's shares.
            indexed = window is not None and window.days < 15 * matches * days
            sql, args = self.newest_matches_sql(query, scope, want, since=since, indexed=indexed)
            with connection.cursor() as cursor:
                cursor.execute(sql, args)
                ids = [int(row[0]) for row in cursor.fetchall()]
            if len(ids) >= want:
                break
        return ids

    def _newest_documents(self, query: Query, scope: Scope, want: int, n: int) -> tuple[list[int], bool]:
        """The newest `want` matches among the newest `n` documents, newest first, and whether
        those were every document (for a scope without copied filters)."""
        with connection.cursor() as cursor:
            cursor.execute(*self.newest_documents_sql(query, scope, want, n))
            ids = [int(row[0]) for row in cursor.fetchall()]
            if len(ids) >= want:
                return ids, False
            cursor.execute(
                "SELECT count(*) FROM (SELECT 1 FROM search_alertdocument WHERE reported_at IS NOT NULL "
                "LIMIT %s) AS latest",
                (n,),
            )
            return ids, int(cursor.fetchone()[0]) < n

    def newest_documents_sql(
        self, query: Query, scope: Scope, want: int, n: int
    ) -> tuple[str, tuple[Any, ...]]:
        """The documents read in date order (at most `n`) until `want` matches are found: each is
        tested for the words and the reach first, and only the candidates are checked against the
        scope (tests/search/test_plan.py pins that the read stops)."""
        matching, params = _matching(query, scope)
        visible_sql, visible_params = scope.correlated("latest.alert_id")
        sql = f"""
            SELECT alert_id FROM (
                SELECT alert_id, reported_at, document FROM search_alertdocument
                WHERE reported_at IS NOT NULL ORDER BY reported_at DESC, alert_id DESC LIMIT %s) AS latest
            WHERE ts_match_vq(document, {matching}) AND EXISTS ({visible_sql} OFFSET 0)
            ORDER BY reported_at DESC, alert_id DESC LIMIT %s"""
        return sql, (n, *params, *visible_params, want)

    @staticmethod
    def _extent() -> tuple[float, float]:
        """(about how many documents, how many days from the oldest to now: at least 1), to spread
        a share over days (an estimate for choosing what to read first, never what is found)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples, (SELECT min(reported_at) FROM search_alertdocument) "
                "FROM pg_class WHERE oid = 'search_alertdocument'::regclass"
            )
            total, oldest = cursor.fetchone()
        days = (timezone.now() - oldest).total_seconds() / 86400 if oldest else 0.0
        return max(0.0, float(total)), max(1.0, days)

    def newest_matches_sql(
        self, query: Query, scope: Scope, want: int, *, since: datetime | None, indexed: bool = True
    ) -> tuple[str, tuple[Any, ...]]:
        """The newest `want` matches in the scope reported `since`: the GIN index's matches of the
        words and the reach, narrowed by the copied filters and (`indexed`: ANDed in the index,
        else once read) the reported time, fenced (tests/search/test_plan.py pins the plan),
        sorted newest first, then checked against the scope one by one until `want`."""
        matching, params = _matching(query, scope)
        narrow, narrow_params = scope.document_where()
        after = ""  # the reported time, tested on the matches once read (not `indexed`)
        after_params: tuple[Any, ...] = ()
        if since is not None and indexed:
            narrow, narrow_params = f"{narrow} AND reported_at >= %s", (*narrow_params, since)
        elif since is not None:
            after, after_params = "WHERE reported_at >= %s ", (since,)
        visible_sql, visible_params = scope.correlated("ordered.alert_id")
        sql = f"""
            WITH matched AS MATERIALIZED (
                SELECT alert_id, reported_at FROM search_alertdocument WHERE document @@ {matching}{narrow}),
            ordered AS MATERIALIZED (
                SELECT alert_id FROM matched {after}ORDER BY reported_at DESC NULLS LAST, alert_id DESC)
            SELECT alert_id FROM ordered WHERE EXISTS ({visible_sql} OFFSET 0) LIMIT %s"""
        return sql, (*params, *narrow_params, *after_params, *visible_params, want)

    def _among(
        self, query: Query, scope: Scope, ids: list[int], *, newest: bool, limit: int, offset: int
    ) -> list[Hit]:
        """The page from these matches (the count's, at most COUNT_CAP): ranked, or newest first,
        each checked against the scope again (it may have changed since the count)."""
        tsquery, params = _tsquery(query)
        visible_sql, visible_params = scope.correlated("ranked.alert_id")
        order, rank, rank_params = _ranking(tsquery, params, newest)
        documents = "" if newest else "JOIN search_alertdocument d ON d.alert_id = hit_alert.id"
        ranked_order = order.replace("hit_alert.id", "ranked.alert_id").replace("hit_alert.", "ranked.")
        sql = f"""
            WITH ranked AS MATERIALIZED (
                SELECT hit_alert.id AS alert_id, {rank} AS rank, hit_alert.reported_at
                FROM alerts_alert hit_alert {documents} WHERE hit_alert.id = ANY(%s)),
            hits AS (
                SELECT ranked.alert_id, ranked.rank, ranked.reported_at FROM ranked
                WHERE EXISTS ({visible_sql})
                ORDER BY {ranked_order} LIMIT %s OFFSET %s)
            {self._outer(tsquery, newest, order)}"""
        args = (
            *rank_params,
            ids,
            *visible_params,
            limit,
            offset,
            *self._outer_params(params, newest),
        )
        return self._fetch(sql, args)

    def _probe(
        self,
        query: Query,
        scope: Scope,
        *,
        ranked: bool,
        limit: int,
        offset: int,
        n: int = 0,
        want: int | None = None,
    ) -> list[Hit] | None:
        """The page of the newest `want` matches (all, if None) among the newest `n` (PROBE) alerts
        of the scope; None if these alerts hold fewer and are not every alert of the scope."""
        n = n or PROBE
        tsquery, params = _tsquery(query)
        recent_sql, recent_params = scope.newest_sql(n)
        order = "hits.reported_at DESC, hits.alert_id DESC"
        if ranked:
            order = f"hits.rank DESC, {order}"
        sql = f"""
            WITH recent AS MATERIALIZED ({recent_sql}),
            matched AS MATERIALIZED (
                SELECT d.alert_id, {"ts_rank(d.document, " + tsquery + ")" if ranked else "0.0"} AS rank,
                    recent.reported_at
                FROM recent JOIN search_alertdocument d ON d.alert_id = recent.id
                WHERE d.document @@ {tsquery}
                ORDER BY recent.reported_at DESC, recent.id DESC LIMIT %s),
            hits AS (SELECT * FROM matched AS hits ORDER BY {order} LIMIT %s OFFSET %s)
            SELECT hits.alert_id, ts_rank(d.document, {tsquery}),
                ts_headline('{CONFIG}', d.title, {tsquery}, %s),
                ts_headline('{CONFIG}', {DOCUMENT_TEXT}, {tsquery}, %s),
                (SELECT count(*) FROM recent), (SELECT count(*) FROM matched)
            FROM hits JOIN search_alertdocument d ON d.alert_id = hits.alert_id
            ORDER BY {order}"""
        args = (
            *recent_params,
            *(params if ranked else []),
            *params,
            want,
            limit,
            offset,
            *params,
            *params,
            TITLE_OPTIONS,
            *params,
            SNIPPET_OPTIONS,
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            rows = cursor.fetchall()
        # Every alert of the scope was read, or the newest `want` matches were among them.
        if rows and (rows[0][4] < n or (want is not None and rows[0][5] >= want)):
            return [Hit(int(r[0]), float(r[1]), r[2] or "", r[3] or "") for r in rows]
        return None

    @staticmethod
    def _outer(tsquery: str, newest: bool, order: str) -> str:
        """Ranks (newest first: of the page's rows only) and headlines of the page's rows."""
        rank = f"ts_rank(d.document, {tsquery})" if newest else "hits.rank"
        outer_order = order.replace("hit_alert.", "hits.").replace("hits.id", "hits.alert_id")
        return f"""
            SELECT hits.alert_id, {rank},
                ts_headline('{CONFIG}', d.title, {tsquery}, %s),
                ts_headline('{CONFIG}', {DOCUMENT_TEXT}, {tsquery}, %s)
            FROM hits JOIN search_alertdocument d ON d.alert_id = hits.alert_id
            ORDER BY {outer_order}"""

    @staticmethod
    def _outer_params(params: list[str], newest: bool) -> tuple[Any, ...]:
        return (*(params if newest else []), *params, TITLE_OPTIONS, *params, SNIPPET_OPTIONS)

    @staticmethod
    def _fetch(sql: str, args: tuple[Any, ...]) -> list[Hit]:
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
