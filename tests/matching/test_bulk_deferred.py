"""A bulk load is correlated by the worker, not inside the request: the pending rows written with
the alerts are what the worker drains, and the matches then appear as for single alerts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from crimac.alerts.actions import create_alert, create_many
from crimac.alerts.schemas import AlertIn
from crimac.directory.models import User
from crimac.matching import correlate
from crimac.matching.models import Match, PendingCorrelation

pytestmark = pytest.mark.django_db


def body(n: int, phone: str) -> AlertIn:
    return AlertIn.model_validate(
        {
            "category": "wanted_person",
            "title": f"Absconder number {n}",
            "priority": "routine",
            "phones": [{"number": phone}],
        }
    )


def test_a_bulk_over_the_inline_limit_is_matched_by_the_worker(
    django_capture_on_commit_callbacks: Any,
) -> None:
    author = User.objects.select_related("agency").get(username="dl.sho")
    other = User.objects.select_related("agency").get(username="hr.sho")
    with django_capture_on_commit_callbacks(execute=True):
        first = create_alert(body(0, "+919812345678"), actor=other, publish=True).alert
    count = correlate.INLINE_MAX + 1
    items: list[Any] = [body(i, f"+9198123{i:05d}") for i in range(1, count)] + [body(99, "+919812345678")]
    with django_capture_on_commit_callbacks(execute=True):
        results = create_many(items, actor=author, publish=True)
    assert all(r.checked is not None and not r.errors for r in results)
    assert PendingCorrelation.objects.count() == count
    assert (
        not Match.objects.filter(alert_a=first).exists() and not Match.objects.filter(alert_b=first).exists()
    )

    assert correlate.drain_pending(1000, older_than=timedelta(0)) == count
    assert not PendingCorrelation.objects.exists()
    matched = Match.objects.filter(kind="phone")
    assert {m.alert_a_id for m in matched} | {m.alert_b_id for m in matched} >= {first.pk}
