"""What a search backend does. Backends receive the caller's scope (the visible, filtered
alerts, compiled from the ORM) and only ever add the full-text condition to it."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from crimac.search.models import AlertDocument
from crimac.search.text import Query


@dataclass(frozen=True)
class Scope:
    """The alerts a search may return (visible to the caller, filtered), as a queryset that
    backends compile into their SQL: `in_sql` for `id IN (...)`, `correlated` for a per-hit
    `EXISTS (...)` that the database answers by primary key, one hit at a time."""

    queryset: Any
    # The scope's filters that documents copy (`AlertDocument`: category, place, reported time) as
    # lookups on the document, so the full-text matches are narrowed inside the index.
    copied: tuple[tuple[str, Any], ...] = ()
    # Few enough alerts (at most the backend's `small`) to check one by one against the index,
    # rather than reading every match of the words in the whole index and keeping the visible ones
    # (a station officer's view of a word in a quarter of the national alerts).
    small: bool = False
    # States one of which every alert of the scope reaches (`Alert.objects.reach_of`): a backend
    # may narrow the words' matches to documents whose reach names one of them (or is not known)
    # before it checks each against the scope. None: no such bound (a national analyst).
    reach: frozenset[int] | None = None
    # What a backend worked out once for this search and uses twice (the count and the page).
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(
        cls, queryset: Any, copied: dict[str, Any] | None = None, reach: frozenset[int] | None = None
    ) -> Scope:
        return cls(queryset.order_by(), tuple(sorted((copied or {}).items())), reach=reach)

    def size(self, cap: int) -> int:
        """How many alerts the scope holds, counted up to cap + 1."""
        return int(self.queryset.values("id")[: cap + 1].count())

    def document_where(self) -> tuple[str, tuple[Any, ...]]:
        """`AND (...)` for the copied filters, on the table `search_alertdocument` (not aliased),
        or nothing when there are none."""
        if not self.copied:
            return "", ()
        from django.db import connection

        query = AlertDocument.objects.filter(**dict(self.copied)).query
        sql, params = query.where.as_sql(query.get_compiler(connection=connection), connection)
        return f" AND {sql}", tuple(params)

    def in_sql(self) -> tuple[str, tuple[Any, ...]]:
        sql, params = self.queryset.values("id").query.sql_with_params()
        return sql, tuple(params)

    def newest_sql(self, n: int) -> tuple[str, tuple[Any, ...]]:
        """The newest `n` alerts of the scope, as `SELECT id, reported_at ...` newest first."""
        newest = self.queryset.order_by("-reported_at", "-id").values("id", "reported_at")[:n]
        sql, params = newest.query.sql_with_params()
        return sql, tuple(params)

    def correlated(self, outer_id: str) -> tuple[str, tuple[Any, ...]]:
        """`outer_id` is an SQL expression of the outer query naming the alert id (a constant)."""
        from django.db.models.expressions import RawSQL

        outer = RawSQL(outer_id, ())  # noqa: S611 - a column name from our own code, never input
        sql, params = self.queryset.filter(pk=outer).values("id").query.sql_with_params()
        return sql, tuple(params)


@dataclass(frozen=True)
class Hit:
    alert_id: int
    rank: float
    title: str  # with text.MARK_START / MARK_END around matched words
    snippet: str


class Backend(Protocol):
    vendor: str
    small: int  # a scope of at most this many alerts is checked alert by alert (`Scope.small`)
    narrows_by_reach: bool  # whether it uses `Scope.reach` (else the scope is made without it)

    def session(self) -> AbstractContextManager[None]:
        """Around the queries of one search (settings for them only)."""

    def measures(self, scope: Scope) -> bool:
        """Whether to count the scope (up to `small`) to know if it is small."""

    def prepare(self, doc: AlertDocument) -> None:
        """Fill what this backend needs in a document before it is saved."""

    def count(self, query: Query, scope: Scope, *, cap: int | None = None) -> int:
        """Visible matches; with `cap`, counting stops at cap + 1."""

    def page(
        self, query: Query, scope: Scope, *, newest: bool, limit: int, offset: int, common: bool = False
    ) -> list[Hit]:
        """`common`: more visible matches than the count was capped at (the backend may rank only
        the newest of them)."""

    def rebuild(self) -> None:
        """Make the index agree with the documents table (after a bulk load)."""

    def create(self, schema_editor: Any) -> None:
        """Create the index structures (called from the migration, for this database only)."""

    def drop(self, schema_editor: Any) -> None: ...
