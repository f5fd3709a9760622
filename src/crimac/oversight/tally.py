"""The figures kept up to date at publish (see the tables in `models.py`).

Every published alert contributes one to the alerts of its agency's month and to its State's
month under its category and priority, and one to each compliance check it fails. `count` runs
inside the transaction that publishes, revises, cancels, resolves or adds a photograph to alerts:
it works out what each alert contributes now, compares it with what it contributed when last
counted (`AlertTally`), and adds the difference to the month rows with `x = x + delta`, which
concurrent transactions may do in any order. `rebuild` recomputes all three tables from the
alerts in three INSERT ... SELECT statements; `differences` compares the kept rows with a fresh
computation without writing.

What an alert contributes is written once, as query expressions (`contributions`), and used both
by `count` and by `rebuild`, so the two cannot disagree about a rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from crimac.alerts.choices import TRAFFICKING_CATEGORIES, AttachmentKind
from crimac.oversight.figures.base import HEINOUS, MISSING
from crimac.oversight.period import Period

FLAGS = ("trafficking", "trafficking_uncited", "heinous", "no_fir", "missing", "no_photo")
COUNTS = ("alerts", *FLAGS)
CHUNK = 500


def _models(apps: Any = None) -> tuple[Any, ...]:
    """Alert, Attachment, Citation, AgencyMonth, AlertTally, StateMonth: from the app registry,
    or (in a migration) from its historical `apps`."""
    if apps is None:
        from django.apps import apps as registry

        apps = registry
    return tuple(
        apps.get_model(label, name)
        for label, name in (
            ("alerts", "Alert"),
            ("alerts", "Attachment"),
            ("alerts", "Citation"),
            ("oversight", "AgencyMonth"),
            ("oversight", "AlertTally"),
            ("oversight", "StateMonth"),
        )
    )


def contributions(alerts: QuerySet[Any], apps: Any = None, *, published: bool = False) -> QuerySet[Any]:
    """Per published alert of `alerts`: the AlertTally fields, as values in this order (and, with
    `published`, its publication time last, as `t_published`)."""
    _, Attachment, Citation, *_ = _models(apps)
    tz = timezone.get_current_timezone()
    cited = Citation.objects.filter(alert_id=OuterRef("pk"), section__trafficking=True)
    photo = Attachment.objects.filter(alert_id=OuterRef("pk"), kind=AttachmentKind.IMAGE)

    def flag(condition: Any) -> ExpressionWrapper:
        return ExpressionWrapper(condition, output_field=BooleanField())

    trafficking = Q(category__in=sorted(TRAFFICKING_CATEGORIES))
    annotations = {
        "t_alert": F("pk"),
        "t_agency": F("origin_agency_id"),
        "t_state": Coalesce(F("origin_agency__state_id"), Value(0)),
        # The month in the centre's time zone, as a date (DateField output: on PostgreSQL the
        # truncation is already local, so nothing may convert it a second time).
        "t_month": TruncMonth("published_at", tzinfo=tz, output_field=DateField()),
        "t_category": F("category"),
        "t_priority": F("priority"),
        "t_trafficking": flag(trafficking),
        "t_trafficking_uncited": flag(trafficking & ~Exists(cited)),
        "t_heinous": flag(Q(category=HEINOUS)),
        "t_no_fir": flag(Q(category=HEINOUS, fir_number="")),
        "t_missing": flag(Q(category=MISSING)),
        "t_no_photo": flag(Q(category=MISSING) & ~Exists(photo)),
    }
    if published:
        annotations["t_published"] = F("published_at")
    return alerts.filter(published_at__isnull=False).order_by().annotate(**annotations).values(*annotations)


TALLY_COLUMNS = ("alert_id", "agency_id", "state_key", "month", "category", "priority", *FLAGS)


def _key(row: dict[str, Any]) -> dict[str, Any]:
    """A contributions() row as AlertTally fields."""
    return {column: row[f"t_{column.removesuffix('_id').removesuffix('_key')}"] for column in TALLY_COLUMNS}


# --- keeping the tables up to date ---------------------------------------------------------------


def count(alert_ids: Iterable[int]) -> None:
    """Bring the figures up to date with these alerts. Inside the caller's transaction."""
    ids = sorted(set(alert_ids))
    for start in range(0, len(ids), CHUNK):
        _count(ids[start : start + CHUNK])


def _count(ids: list[int]) -> None:
    Alert, _, _, _, AlertTally, _ = _models()
    # Lock what these alerts contributed before reading what they contribute now: a concurrent
    # revision of the same alert waits here, then reads the other's committed rows.
    before = {
        t.alert_id: t for t in AlertTally.objects.select_for_update().filter(alert_id__in=ids).order_by("pk")
    }
    now = {r["t_alert"]: r for r in contributions(Alert.objects.filter(pk__in=ids), published=True)}
    months: dict[tuple[int, date], dict[str, Any]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    mixes: dict[tuple[int, date, str, str], int] = defaultdict(int)
    created, changed = [], []
    for alert_id, row in now.items():
        after = _key(row)
        old = before.get(alert_id)
        if old is not None:
            if all(getattr(old, c) == after[c] for c in TALLY_COLUMNS):
                continue
            _add(months, mixes, {c: getattr(old, c) for c in TALLY_COLUMNS}, -1)
            for column, value in after.items():
                setattr(old, column, value)
            changed.append(old)
        else:
            created.append(AlertTally(**after))
            month = months[(after["agency_id"], after["month"])]
            when = row["t_published"]
            month["first"] = min(month.get("first") or when, when)
            month["last"] = max(month.get("last") or when, when)
        _add(months, mixes, after, +1)
    AlertTally.objects.bulk_create(created)
    AlertTally.objects.bulk_update(changed, [c for c in TALLY_COLUMNS if c != "alert_id"])
    _apply(months, mixes)


def _add(
    months: dict[tuple[int, date], dict[str, Any]],
    mixes: dict[tuple[int, date, str, str], int],
    t: dict[str, Any],
    sign: int,
) -> None:
    month = months[(t["agency_id"], t["month"])]
    month["alerts"] += sign
    for f in FLAGS:
        month[f] += sign * int(bool(t[f]))
    mixes[(t["state_key"], t["month"], t["category"], t["priority"])] += sign


def _apply(
    months: dict[tuple[int, date], dict[str, Any]], mixes: dict[tuple[int, date, str, str], int]
) -> None:
    """Add the deltas with INSERT ... ON CONFLICT DO UPDATE SET x = x + excluded.x (PostgreSQL
    and SQLite share the syntax), in key order so that two transactions never wait on each other
    crosswise."""
    ops = connection.ops
    day = ops.adapt_datefield_value
    moment = ops.adapt_datetimefield_value
    agency_table, state_table = "oversight_agencymonth", "oversight_statemonth"
    counts = ", ".join(COUNTS)
    sums = ", ".join(f"{c} = {agency_table}.{c} + excluded.{c}" for c in COUNTS)
    kept_first, kept_last = f"{agency_table}.first_at", f"{agency_table}.last_at"
    earliest = (
        f"first_at = CASE WHEN {kept_first} IS NULL OR excluded.first_at < {kept_first} "
        f"THEN excluded.first_at ELSE {kept_first} END"
    )
    latest = (
        f"last_at = CASE WHEN {kept_last} IS NULL OR excluded.last_at > {kept_last} "
        f"THEN excluded.last_at ELSE {kept_last} END"
    )
    marks = ", ".join(["%s"] * (len(COUNTS) + 4))
    month_sql = (
        f"INSERT INTO {agency_table} (agency_id, month, {counts}, first_at, last_at) VALUES ({marks}) "  # noqa: S608
        f"ON CONFLICT (agency_id, month) DO UPDATE SET {sums}, {earliest}, {latest}"
    )
    mix_sql = (
        f"INSERT INTO {state_table} (state_key, month, category, priority, alerts) "  # noqa: S608
        f"VALUES (%s, %s, %s, %s, %s) "
        "ON CONFLICT (state_key, month, category, priority) "
        f"DO UPDATE SET alerts = {state_table}.alerts + excluded.alerts"
    )
    month_rows = [
        (agency, day(month), *(d[c] for c in COUNTS), moment(d.get("first")), moment(d.get("last")))
        for (agency, month), d in sorted(months.items())
        if any(d[c] for c in COUNTS) or d.get("first")
    ]
    mix_rows = [(s, day(m), c, p, n) for (s, m, c, p), n in sorted(mixes.items()) if n]
    with connection.cursor() as cursor:
        if month_rows:
            cursor.executemany(month_sql, month_rows)
        if mix_rows:
            cursor.executemany(mix_sql, mix_rows)


# --- rebuilding from the alerts ------------------------------------------------------------------


def _insert_select(table: str, columns: Iterable[str], qs: QuerySet[Any]) -> None:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) {sql}", params)


def _sum_flag(flag: str) -> Any:
    from django.db.models import Case, Sum, When

    return Sum(Case(When(**{flag: True}, then=1), default=0))


def rebuild(apps: Any = None) -> dict[str, int]:
    """Recompute all three tables from the alerts. Call inside a transaction (the command does);
    on PostgreSQL it takes the tables' locks so that no publish counts in between."""
    from django.db.models import Count, Max, Min

    Alert, _, _, AgencyMonth, AlertTally, StateMonth = _models(apps)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "LOCK TABLE oversight_alerttally, oversight_agencymonth, oversight_statemonth "
                "IN SHARE ROW EXCLUSIVE MODE"
            )
    for model in (AgencyMonth, StateMonth, AlertTally):
        model.objects.all().delete()
    _insert_select("oversight_alerttally", TALLY_COLUMNS, contributions(Alert.objects.all(), apps))
    per_month = (
        AlertTally.objects.order_by()
        .values("agency_id", "month")
        .annotate(
            n_alerts=Count("pk"),
            **{f"n_{f}": _sum_flag(f) for f in FLAGS},
            n_first=Min("alert__published_at"),
            n_last=Max("alert__published_at"),
        )
        .values("agency_id", "month", *(f"n_{c}" for c in COUNTS), "n_first", "n_last")
    )
    _insert_select("oversight_agencymonth", ("agency_id", "month", *COUNTS, "first_at", "last_at"), per_month)
    mix = (
        AlertTally.objects.order_by()
        .values("state_key", "month", "category", "priority")
        .annotate(n=Count("pk"))
        .values("state_key", "month", "category", "priority", "n")
    )
    _insert_select("oversight_statemonth", ("state_key", "month", "category", "priority", "alerts"), mix)
    return {
        "alerts": AlertTally.objects.count(),
        "agency_months": AgencyMonth.objects.count(),
        "state_months": StateMonth.objects.count(),
    }


def _kept() -> tuple[dict[Any, tuple[Any, ...]], dict[Any, int]]:
    from crimac.oversight.models import AgencyMonth, StateMonth

    months = {
        (r[0], r[1]): tuple(r[2:])
        for r in AgencyMonth.objects.values_list("agency_id", "month", *COUNTS, "first_at", "last_at")
        if any(r[2 : 2 + len(COUNTS)])
    }
    mixes = {
        tuple(r[:4]): r[4]
        for r in StateMonth.objects.values_list("state_key", "month", "category", "priority", "alerts")
        if r[4]
    }
    return months, mixes


def differences(limit: int = 20) -> list[str]:
    """What the kept tables say that a rebuild would not (rows that differ), without writing:
    the rebuild runs in a transaction that is rolled back."""
    from django.db import transaction

    with transaction.atomic():
        kept = _kept()
        rebuild()
        fresh = _kept()
        transaction.set_rollback(True)
    out = []
    for name, a, b in (("agency month", kept[0], fresh[0]), ("State month", kept[1], fresh[1])):
        for key in sorted(set(a) | set(b), key=str):
            if a.get(key) != b.get(key):
                out.append(f"{name} {key}: kept {a.get(key)}, counted {b.get(key)}")
    return out[:limit] if limit else out


# --- reading -------------------------------------------------------------------------------------


def split(period: Period) -> tuple[tuple[date, date] | None, list[Period]]:
    """The whole calendar months inside `period` (first and last month's first day, or None),
    and the days before and after them, which the figures count from the alerts themselves."""
    first = period.start if period.start.day == 1 else _next_month(period.start)
    after_last = _next_month(period.end)  # the first day after the period's last month
    end = (
        period.end
        if period.end + timedelta(days=1) == after_last
        else period.end.replace(day=1) - timedelta(1)
    )
    if first > end:
        return None, [period]
    edges = []
    if period.start < first:
        edges.append(Period(period.start, first - timedelta(days=1)))
    if end < period.end:
        edges.append(Period(end + timedelta(days=1), period.end))
    return (first, end.replace(day=1)), edges


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def merge_max(into: dict[Any, datetime], more: Iterable[tuple[Any, datetime | None]]) -> None:
    for key, when in more:
        if when is not None and (into.get(key) is None or when > into[key]):
            into[key] = when
