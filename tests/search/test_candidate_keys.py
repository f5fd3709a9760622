"""Correlation's candidate rows, read key by key (bounded index ranges) since the national-scale
benchmark: the same rows as the single `key IN (...)` query they replace, on both databases.
(Here, beside the search benchmark's other query changes; the scoring is matching's own.)"""

from __future__ import annotations

import pytest

from crimac.matching import correlate
from crimac.matching.keys import Subject
from crimac.matching.models import SubjectKey

pytestmark = pytest.mark.django_db


def _reference(keys: list[str], alert_id: int) -> list[tuple[int, str, int, str]]:
    """What `_candidate_keys` returned before: one query, then one per key past the total."""
    base = SubjectKey.objects.exclude(alert_id=alert_id).values_list("alert_id", "kind", "position", "key")
    rows = list(base.filter(key__in=keys).order_by("-alert_id")[: correlate.CANDIDATES_TOTAL + 1])
    if len(rows) <= correlate.CANDIDATES_TOTAL:
        return rows
    rows = []
    for key in keys:
        rows += list(base.filter(key=key).order_by("-alert_id")[: correlate.CANDIDATES_PER_KEY])
    return rows


@pytest.mark.parametrize(("per_key", "total"), [(3, 10), (3, 100), (100, 5), (2, 4)])
def test_same_rows_as_the_single_query(
    post: object, monkeypatch: pytest.MonkeyPatch, per_key: int, total: int
) -> None:
    monkeypatch.setattr(correlate, "CANDIDATES_PER_KEY", per_key)
    monkeypatch.setattr(correlate, "CANDIDATES_TOTAL", total)
    alerts = [post("dl.sho", title=f"Alert {n}") for n in range(12)]  # type: ignore[operator]
    rows = [  # key zz:k<n> is on the alerts after the n-th: shared by 11 alerts down to 1
        SubjectKey(alert_id=alert.pk, kind="person", position=0, key=f"zz:k{n}")
        for i, alert in enumerate(alerts)
        for n in range(i)
    ]
    SubjectKey.objects.bulk_create(rows)
    mine = alerts[5].pk
    for keys in (
        ["zz:k0"],
        ["zz:k0", "zz:k5"],
        ["zz:k9", "zz:k10", "zz:none"],
        [f"zz:k{k}" for k in range(12)],
    ):
        subject = Subject(alert_id=mine, kind="person", position=0, label="", lookup=set(keys))
        found = correlate._candidate_keys([subject], mine)
        assert found, keys
        assert sorted(found) == sorted(_reference(sorted(keys), mine)), keys
