"""`fastinsert.insert_rows`: COPY on PostgreSQL, executemany on SQLite. What goes in comes back
out exactly: text with COPY's special characters, NULLs, booleans, aware times, repeated and
distinct values, JSON (which takes psycopg's own adapters), and more rows than one batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from crimac import fastinsert
from crimac.alerts.actions import create_alert
from crimac.alerts.models import Alert
from crimac.alerts.schemas import AlertIn
from crimac.directory.models import Agency
from crimac.dissemination.models import Delivery, FeedEvent
from crimac.dissemination.subscribers import DELIVERY_COLUMNS

pytestmark = pytest.mark.django_db

# alert, agency, reason, muted, revision, created_at, updated_at, deadline, escalate_at, escalation_level
COLUMNS = DELIVERY_COLUMNS


@pytest.fixture
def alert(user_named: Any) -> Alert:
    """A draft: it has no deliveries of its own."""
    data = AlertIn.model_validate(
        {"category": "wanted_person", "title": "fastinsert", "audience": {"states": ["DL"]}}
    )
    return create_alert(data, actor=user_named("dl.sho"), publish=False).alert


def row(alert: Alert, agency_id: int, reason: str, **fields: Any) -> tuple[Any, ...]:
    at = fields.get("at", datetime(2026, 11, 30, 10, 15, 30, 123456, tzinfo=UTC))
    return (
        alert.pk,
        agency_id,
        reason,
        fields.get("muted", False),
        fields.get("revision", 1),
        at,
        at,
        at + timedelta(minutes=10),
        fields.get("escalate_at"),
        0,
    )


def test_special_characters_nulls_booleans_and_times_round_trip(alert: Alert) -> None:
    agencies = list(Agency.objects.order_by("pk").values_list("pk", flat=True)[:4])
    reasons = ["tab\there", "new\nline", "back\\slash \\N", "carriage\rreturn"]
    escalate = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    rows = [
        row(alert, a, r, muted=i % 2 == 1, revision=i + 1, escalate_at=None if i % 2 else escalate)
        for i, (a, r) in enumerate(zip(agencies, reasons, strict=True))
    ]
    assert fastinsert.insert_rows(Delivery, COLUMNS, rows) == 4
    got = {d.agency_id: d for d in Delivery.objects.filter(alert=alert)}
    for i, (a, r) in enumerate(zip(agencies, reasons, strict=True)):
        d = got[a]
        assert d.reason == r
        assert d.muted is (i % 2 == 1)
        assert d.revision == i + 1
        assert d.created_at == datetime(2026, 11, 30, 10, 15, 30, 123456, tzinfo=UTC)
        assert d.deadline - d.created_at == timedelta(minutes=10)
        assert d.escalate_at == (None if i % 2 else escalate)


def test_more_rows_than_a_batch_all_arrive_once(alert: Alert, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastinsert, "_BATCH_ROWS", 7)
    agencies = list(Agency.objects.order_by("pk").values_list("pk", flat=True)[:30])
    assert len(agencies) == 30
    written = fastinsert.insert_rows(Delivery, COLUMNS, (row(alert, a, "national") for a in agencies))
    assert written == 30
    assert sorted(Delivery.objects.filter(alert=alert).values_list("agency_id", flat=True)) == agencies


def test_json_values_take_the_drivers_adapters(alert: Alert) -> None:
    at = timezone.now()
    payloads = [{"reference": "DL-2026-990001", "tab": "a\tb", "n": 1}, {"list": [1, "x\ny"], "none": None}]
    rows = [(alert.pk, "published", "recipients", None, p, at) for p in payloads]
    written = fastinsert.insert_rows(
        FeedEvent, ("alert", "kind", "audience", "agency", "payload", "created_at"), rows
    )
    assert written == 2
    assert (
        list(FeedEvent.objects.filter(alert=alert).order_by("pk").values_list("payload", flat=True))
        == payloads
    )


def test_nothing_to_write_writes_nothing(alert: Alert) -> None:
    assert fastinsert.insert_rows(Delivery, COLUMNS, []) == 0
    assert not Delivery.objects.filter(alert=alert).exists()


def test_the_column_formatter_matches_copys_text_format() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert fastinsert._column_texts((1, 22, 333)) == ["1", "22", "333"]
    assert fastinsert._column_texts((True, False, True)) == ["t", "f", "t"]
    assert fastinsert._column_texts((None, "a\\b", None)) == ["\\N", "a\\\\b", "\\N"]
    assert fastinsert._column_texts((at, at)) == ["2026-01-02T03:04:05+00:00"] * 2
    with pytest.raises(fastinsert._Unformattable):
        fastinsert._column_texts((1.5,))
