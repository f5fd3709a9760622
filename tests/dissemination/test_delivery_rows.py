"""The delivery table is written once per recipient (about 18,800 rows for a national alert), so
it carries no database foreign keys to the alert and the agency and only the indexes its reads
need. These tests pin that shape and show that what the foreign keys did still holds: deleting an
alert removes its deliveries, an agency that received one cannot be deleted, and the escalation
and acknowledgement indexes still serve their queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import ProtectedError

from crimac.alerts.actions import create_alert
from crimac.alerts.models import Alert
from crimac.alerts.schemas import AlertIn
from crimac.directory.models import Agency, User
from crimac.dissemination import actions
from crimac.dissemination.models import Delivery

pytestmark = pytest.mark.django_db

TABLE = Delivery._meta.db_table


def publish(audience: dict[str, Any], priority: str = "flash") -> Alert:
    actor = User.objects.select_related("agency").get(username="hr.sho")
    data = AlertIn.model_validate(
        {
            "category": "wanted_person",
            "title": "Absconder wanted in a robbery case",
            "priority": priority,
            "persons": [{"role": "accused", "name": "Vikram Singh", "gender": "male"}],
            "audience": audience,
        }
    )
    return create_alert(data, actor=actor, publish=True).alert


def indexes() -> dict[str, dict[str, Any]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, TABLE)
    return {name: c for name, c in found.items() if c["index"] or c["unique"]}


def index_sql(name: str) -> str:
    """The statement that made index `name`, to see its WHERE clause."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = %s", [name])
        row = cursor.fetchone()
    assert row is not None, name
    return str(row[0]).lower()


def test_no_single_column_index_repeats_a_composite_one() -> None:
    columns = sorted(tuple(c["columns"]) for c in indexes().values())
    assert ("alert_id",) not in columns
    assert ("agency_id",) not in columns
    # What covers them: the unique (alert, agency) and the inbox's (agency, id).
    assert ("alert_id", "agency_id") in columns
    assert ("agency_id", "id") in columns


@pytest.mark.parametrize(
    ("name", "column"),
    [("delivery_escalate_due", "escalate_at"), ("delivery_acknowledged_by", "acknowledged_by_id")],
)
def test_the_sparse_columns_are_indexed_only_where_set(name: str, column: str) -> None:
    assert indexes()[name]["columns"] == [column]
    assert "where" in index_sql(name) and "not null" in index_sql(name)


def test_no_database_foreign_key_to_the_alert_or_the_agency() -> None:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, TABLE)
    referenced = {c["foreign_key"][0] for c in found.values() if c["foreign_key"]}
    assert Alert._meta.db_table not in referenced
    assert Agency._meta.db_table not in referenced
    assert User._meta.db_table in referenced  # acknowledged_by keeps its foreign key


def test_deleting_an_alert_deletes_its_deliveries() -> None:
    alert = publish({"states": ["DL"]})
    kept = publish({"states": ["DL"]})
    assert Delivery.objects.filter(alert=alert).count() > 1
    alert.delete()
    assert not Delivery.objects.filter(alert_id=alert.pk).exists()
    assert Delivery.objects.filter(alert=kept).count() > 1


def test_an_agency_that_received_an_alert_cannot_be_deleted() -> None:
    alert = publish({"agencies": ["DL-NEWDELHI-PS-002"]})
    agency = Agency.objects.get(code="DL-NEWDELHI-PS-002")
    with pytest.raises(ProtectedError):
        agency.delete()
    assert Delivery.objects.filter(alert=alert, agency=agency).exists()


def test_every_delivery_points_at_the_alert_and_an_active_agency() -> None:
    alert = publish({"states": ["DL"], "bordering_states": True})
    rows = list(Delivery.objects.filter(alert=alert).values_list("alert_id", "agency_id"))
    assert rows
    active = set(Agency.objects.filter(active=True).values_list("pk", flat=True))
    assert all(alert_id == alert.pk and agency_id in active for alert_id, agency_id in rows)


def test_only_flash_and_immediate_deliveries_carry_an_escalation_time() -> None:
    flash = publish({"states": ["DL"]})
    routine = publish({"states": ["DL"]}, priority="routine")
    assert Delivery.objects.filter(alert=flash, escalate_at__isnull=False).count() > 1
    assert not Delivery.objects.filter(alert=routine, escalate_at__isnull=False).exists()
    due = Delivery.objects.filter(escalate_at__isnull=False).values_list("alert_id", flat=True).distinct()
    assert set(due) >= {flash.pk} and routine.pk not in set(due)


def test_acknowledging_sets_the_indexed_user_and_clears_the_escalation() -> None:
    alert = publish({"agencies": ["DL-NEWDELHI-PS-002"]})
    officer = User.objects.select_related("agency").get(username="dl.sho2")
    actions.acknowledge(alert, actor=officer)
    row = Delivery.objects.get(alert=alert, agency=officer.agency)
    assert row.acknowledged_by_id == officer.pk and row.escalate_at is None
    assert list(Delivery.objects.filter(acknowledged_by=officer).values_list("alert_id", flat=True)) == [
        alert.pk
    ]
