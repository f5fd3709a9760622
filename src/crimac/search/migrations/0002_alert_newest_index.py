"""An index on the alerts' newest-first order (reported_at, id), which the alert table does not
have on its own (only per State, district, agency or category): newest-first search looks at the
newest alerts of the caller's scope first (`backends.postgres.PostgresBackend.page`), and the
national analyst's scope is every alert."""

from django.db import migrations

CREATE = "CREATE INDEX IF NOT EXISTS search_alert_newest ON alerts_alert (reported_at DESC, id DESC)"
DROP = "DROP INDEX IF EXISTS search_alert_newest"


class Migration(migrations.Migration):
    dependencies = [("search", "0001_documents_records_and_fts")]

    operations = [migrations.RunSQL(CREATE, DROP)]
