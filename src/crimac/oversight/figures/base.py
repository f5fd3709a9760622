"""What the figure modules share: the alerts a period covers, and percentiles on both databases."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Aggregate, DurationField, ExpressionWrapper, F, FloatField, Func, QuerySet
from django.utils import timezone

from crimac.alerts.models import Alert
from crimac.oversight.period import Period

HEINOUS = "heinous_crime"
MISSING = "missing_person"


def posted(period: Period) -> QuerySet[Alert]:
    """Alerts published in the period (drafts never count; cancelled ones were posted)."""
    start, end = period.bounds()
    return Alert.objects.filter(published_at__gte=start, published_at__lt=end)


def ratio(part: int | float, whole: int | float) -> float | None:
    return round(part / whole, 4) if whole else None


def iso(value: datetime | None) -> str | None:
    """In the centre's time zone, as officers read times."""
    return timezone.localtime(value).isoformat() if value is not None else None


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate percentile_cont(p) WITHIN GROUP (ORDER BY x)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


def _seconds_pg(later: str, earlier: str) -> Func:
    diff = ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())
    return Func(diff, template="EXTRACT(EPOCH FROM %(expressions)s)", output_field=FloatField())


def _interpolate(values: list[float], fraction: float) -> float:
    """percentile_cont's rule: linear interpolation between the two nearest ranks."""
    position = (len(values) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)


def percentiles(
    qs: QuerySet[Any], group: str, later: str, earlier: str, fractions: tuple[float, ...] = (0.5, 0.9)
) -> dict[Hashable, list[float]]:
    """Per value of `group`, the given percentiles of (later - earlier) in seconds, over rows
    where both are set. PostgreSQL computes them in the database; elsewhere only the sorted
    durations are fetched (two numbers per row) and interpolated the same way."""
    qs = qs.filter(**{f"{later}__isnull": False, f"{earlier}__isnull": False})
    if connection.vendor == "postgresql":
        seconds = _seconds_pg(later, earlier)
        named = {f"p{i}": PercentileCont(seconds, f) for i, f in enumerate(fractions)}
        rows = qs.order_by().values(group).annotate(**named)
        return {r[group]: [float(r[f"p{i}"]) for i in range(len(fractions))] for r in rows}
    duration = ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())
    by_group: dict[Hashable, list[float]] = defaultdict(list)
    for key, delta in qs.order_by().annotate(_d=duration).values_list(group, "_d").order_by(group, "_d"):
        by_group[key].append(delta.total_seconds() if isinstance(delta, timedelta) else float(delta) / 1e6)
    return {key: [_interpolate(vals, f) for f in fractions] for key, vals in by_group.items()}
