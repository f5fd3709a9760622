"""Insert many plain rows quickly: COPY on PostgreSQL, one executemany on SQLite.

`QuerySet.bulk_create` builds a model instance per row and prepares every value of every row
through its field; for the rows a published alert writes (one delivery per recipient agency,
hundreds for a State, thousands nationally) that preparation costs more than the database's own
work. Here the caller passes tuples of Python values the fields accept, each distinct value is
prepared once, and no instances, signals or ids come back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import connections, router
from django.db.models import Model


def insert_rows(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert `rows` (tuples in the order of `columns`, field names) into `model`'s table.

    Every NOT NULL column without a database default must be listed: Python-side defaults of the
    model are not applied. Returns the number of rows written. Precondition: inside the caller's
    transaction when the rows must commit with something else.
    """
    connection = connections[router.db_for_write(model)]
    fields = [model._meta.get_field(name) for name in columns]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)  # type: ignore[union-attr,arg-type]
    prepared: dict[tuple[int, Any], Any] = {}

    def prepared_row(row: Sequence[Any]) -> tuple[Any, ...]:
        """The row as the driver takes it: each value through its field (a JSONField's becomes
        psycopg's Jsonb), each distinct hashable value once."""
        out = []
        for i, value in enumerate(row):
            try:
                done = prepared[(i, value)]
            except KeyError:
                done = prepared[(i, value)] = fields[i].get_db_prep_save(value, connection)  # type: ignore[union-attr]
            except TypeError:  # unhashable (JSON): prepare every time
                done = fields[i].get_db_prep_save(value, connection)  # type: ignore[union-attr]
            out.append(done)
        return tuple(out)

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # What the COPY text formatter does not know (JSON, decimals) takes `prepared_row`.
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                return _copy_text(copy, rows, prepared_row)
        batch = [prepared_row(row) for row in rows]
        if batch:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", batch)  # noqa: S608
        return len(batch)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_BATCH_ROWS = 10_000


def _copy_value(value: Any) -> str | None:
    """`value` in COPY's text format, or None for a type left to psycopg."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return str.translate(value, _COPY_ESCAPES)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return None


class _Unformattable(Exception):
    pass


class _Texts(dict[Any, str]):
    """One column's values in COPY's text format, each distinct value formatted once. A column
    holds one type (its field's), so the value alone is the key."""

    def __missing__(self, value: Any) -> str:
        text = _copy_value(value)
        if text is None:
            raise _Unformattable
        self[value] = text
        return text


def _column_texts(column: tuple[Any, ...]) -> list[str]:
    """A column's values as COPY text: ids (all distinct) straight through `int.__repr__`,
    anything else through a cache of its distinct values."""
    if set(map(type, column)) == {int}:
        return list(map(int.__repr__, column))
    return list(map(_Texts().__getitem__, column))


def _copy_text(
    copy: Any, rows: Iterable[Sequence[Any]], prepare: Callable[[Sequence[Any]], tuple[Any, ...]]
) -> int:
    """Write `rows` to an open text COPY, a batch at a time, column by column.

    A delivery row repeats its alert, reason and times across thousands of rows (a national
    alert): formatting each distinct value of a column once and joining at C speed takes a
    fifth of the time of psycopg's adapters per value (`write_row`). A batch holding any other
    type (JSON, decimals, ...) is written row by row, each `prepare`d for `write_row`.
    """
    rows = rows if isinstance(rows, list) else list(rows)
    for start in range(0, len(rows), _BATCH_ROWS):
        batch = rows[start : start + _BATCH_ROWS]
        try:
            texts = [_column_texts(column) for column in zip(*batch, strict=True)]
        except (_Unformattable, TypeError):  # TypeError: an unhashable value (JSON)
            for row in batch:
                copy.write_row(prepare(row))
        else:
            copy.write("\n".join(map("\t".join, zip(*texts, strict=True))) + "\n")
    return len(rows)
