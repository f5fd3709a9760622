"""One search interface, one backend per database: SQLite FTS5 in the embedded default,
PostgreSQL tsvector + GIN (and pg_trgm) when on PostgreSQL. The backend is chosen by the
connection's vendor, so the same code and the same migration serve both."""

from __future__ import annotations

from django.db import connection

from crimac.search.backends.base import Backend, Hit, Scope
from crimac.search.backends.postgres import PostgresBackend
from crimac.search.backends.sqlite import SqliteBackend

__all__ = ["Backend", "Hit", "Scope", "backend"]

_BACKENDS: dict[str, Backend] = {"sqlite": SqliteBackend(), "postgresql": PostgresBackend()}


def backend(vendor: str | None = None) -> Backend:
    name = vendor or connection.vendor
    try:
        return _BACKENDS[name]
    except KeyError:
        raise RuntimeError(f"full-text search does not support the {name!r} database") from None
