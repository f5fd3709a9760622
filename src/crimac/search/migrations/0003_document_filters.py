"""Documents copy the alert's category, State, district and reported time, so that a filtered
full-text search narrows the index's matches before it reads a row (see `AlertDocument`).

The columns are nullable, so adding them rewrites no table; the copies are then filled from the
alerts in one UPDATE. On SQLite the FTS5 table's update trigger is first narrowed to the text
columns (`backends.sqlite.CREATE`), so that filling the copies does not re-index every document.
"""

import django.db.models.deletion
from django.db import migrations, models

COPIES = ("category", "state_id", "district_id", "reported_at")


def fill(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        from crimac.search.backends import sqlite

        schema_editor.execute("DROP TRIGGER IF EXISTS search_alertdocument_au")
        schema_editor.execute(next(s for s in sqlite.CREATE if "search_alertdocument_au" in s))
    if vendor == "postgresql":
        sets = ", ".join(f"{c} = a.{c}" for c in COPIES)
        schema_editor.execute(
            f"UPDATE search_alertdocument d SET {sets} FROM alerts_alert a WHERE a.id = d.alert_id"  # noqa: S608
        )
    else:
        sets = ", ".join(f"{c} = (SELECT a.{c} FROM alerts_alert a WHERE a.id = alert_id)" for c in COPIES)
        schema_editor.execute(f"UPDATE search_alertdocument SET {sets}")  # noqa: S608


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0002_geography"),
        ("search", "0002_alert_newest_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="alertdocument",
            name="category",
            field=models.CharField(blank=True, max_length=32, null=True),
        ),
        migrations.AddField(
            model_name="alertdocument",
            name="district",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="directory.district",
            ),
        ),
        migrations.AddField(
            model_name="alertdocument",
            name="reported_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="alertdocument",
            name="state",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="directory.state",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="alertdocument",
            index=models.Index(fields=["state", "category", "reported_at"], name="search_doc_state_category"),
        ),
        migrations.AddIndex(
            model_name="alertdocument",
            index=models.Index(fields=["reported_at"], name="search_doc_reported"),
        ),
    ]
