"""On SQLite, the FTS5 table gets a sixth column of facets: the document's reach, category, State,
district and month as words ('zzr7 zzcmissingperson zzs7 zzd93 zzm202611'), read through a view of
the documents. A search then narrows a word's matches to the searcher's States and the filters'
values inside the index, before it checks each against `visible_to`, as PostgreSQL does with the
reach in its tsvector (0004) and the copies' index (0003).

The table is dropped, made again and rebuilt from the documents (minutes at a million).
PostgreSQL: nothing to do.
"""

from django.db import migrations


def _remake(schema_editor, made):
    """Drop the FTS5 table (and its triggers and view), make it as `made` says, and fill it."""
    if schema_editor.connection.vendor != "sqlite":
        return
    from crimac.search.backends import sqlite

    for statement in [*sqlite.DROP, *made(sqlite)]:
        schema_editor.execute(statement)
    schema_editor.execute(sqlite.REBUILD)


def forwards(apps, schema_editor):
    _remake(schema_editor, lambda sqlite: sqlite.FACETED)


def backwards(apps, schema_editor):
    _remake(schema_editor, lambda sqlite: sqlite.CREATE)


class Migration(migrations.Migration):
    dependencies = [("search", "0004_document_reach")]

    operations = [migrations.RunPython(forwards, backwards)]
