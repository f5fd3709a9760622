"""Documents keep the States their alert reaches (`AlertDocument.reach`), and on PostgreSQL the
tsvector holds them too, so that a search narrows a word's matches to the searcher's States in
the GIN index before it checks each against `visible_to`.

The column is nullable (adding it rewrites no table) and NULL means "not known": a match for every
search, so existing documents are found exactly as before until they are filled here. On
PostgreSQL the generated tsvector is then dropped and added again with the reach in it, which
rewrites the table and rebuilds its GIN index (minutes at a million documents).
"""

from django.db import migrations, models


# The States of each alert's incident, originating agency and recipients, as `Alert.objects.reach`
# gives them with dissemination's rule (deliveries), in SQL: no model of today's code.
STATES = """
    SELECT a.id AS alert_id, coalesce(a.state_id, 0) AS s FROM alerts_alert a
    UNION SELECT a.id, coalesce(o.state_id, 0) FROM alerts_alert a
        JOIN directory_agency o ON o.id = a.origin_agency_id
    UNION SELECT dl.alert_id, coalesce(ag.state_id, 0) FROM dissemination_delivery dl
        JOIN directory_agency ag ON ag.id = dl.agency_id"""
FILL = {
    "postgresql": f"""UPDATE search_alertdocument d SET reach = r.words FROM (
        SELECT alert_id, string_agg('zzr' || s::text, ' ' ORDER BY s) AS words FROM ({STATES}) x
        GROUP BY alert_id) r WHERE r.alert_id = d.alert_id""",
    "sqlite": f"""UPDATE search_alertdocument SET reach = (
        SELECT replace(group_concat(DISTINCT 'zzr' || s), ',', ' ') FROM ({STATES}) x
        WHERE x.alert_id = search_alertdocument.alert_id)""",
}


def forwards(apps, schema_editor):
    """Drop the tsvector (PostgreSQL), fill the reach, add the tsvector back with it: filling first
    would maintain the old tsvector and its GIN index for every row, only to drop them."""
    vendor = schema_editor.connection.vendor
    from crimac.search.backends import postgres

    if vendor == "postgresql":
        for statement in postgres.DROP_DOCUMENT:
            schema_editor.execute(statement)
    schema_editor.execute(FILL[vendor])
    if vendor == "postgresql":
        for statement in postgres.document_column(reach=True):
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from crimac.search.backends import postgres

    for statement in [*postgres.DROP_DOCUMENT, *postgres.document_column(reach=False)]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_initial"),
        ("dissemination", "0004_delivery_lean_writes"),
        ("search", "0003_document_filters"),
    ]

    operations = [
        migrations.AddField(
            model_name="alertdocument",
            name="reach",
            field=models.TextField(blank=True, null=True),
        ),
        migrations.RunPython(forwards, backwards),
    ]
