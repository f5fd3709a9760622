"""On SQLite, the FTS5 table gets a sixth column of facets: the document's reach, category, State,
district and month as words ('zzr7 zzcmissingperson zzs7 zzd93 zzm202611'), read through a view of
the documents. A search then narrows a word's matches to the searcher's States and the filters'
values inside the index, before it checks each against `visible_to`, as PostgreSQL does with the
reach in its tsvector (0004) and the copies' index (0003).

The table is dropped, made again and rebuilt from the documents (minutes at a million).
PostgreSQL: nothing to do.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from crimac.search.backends import sqlite

    for statement in [*sqlite.DROP, *sqlite.FACETED]:
        schema_editor.execute(statement)
    schema_editor.execute("INSERT INTO search_alert_fts(search_alert_fts) VALUES ('rebuild')")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from crimac.search.backends import sqlite

    for statement in [*sqlite.DROP, *sqlite.CREATE]:
        schema_editor.execute(statement)
    schema_editor.execute("INSERT INTO search_alert_fts(search_alert_fts) VALUES ('rebuild')")


class Migration(migrations.Migration):
    dependencies = [("search", "0004_document_reach")]

    operations = [migrations.RunPython(forwards, backwards)]
