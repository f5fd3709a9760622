"""Building alert histories for oversight tests quickly: minimal Alert rows with bulk_create
(no validation, no deliveries), since the figures only read what is stored. Rows written this way
bypass the actions that keep oversight's counts, so each helper recounts (`retally`), as an
operator does with `crimac oversight-tally` after loading history with SQL."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from crimac.alerts.models import Alert
from crimac.directory.models import Agency, User

IST = ZoneInfo("Asia/Kolkata")
_serial = itertools.count(1)


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=IST)


def poster() -> User:
    return User.objects.get(username="admin")


def alert_row(
    agency: Agency,
    when: datetime,
    *,
    user: User,
    category: str = "general_advisory",
    priority: str = "routine",
    fir_number: str = "",
    status: str = "published",
) -> Alert:
    n = next(_serial)
    return Alert(
        reference=f"OV-{n:09d}",
        origin_agency=agency,
        origin_user=user,
        category=category,
        title=f"oversight test {n}",
        priority=priority,
        action_requested="information_only",
        reported_at=when,
        state_id=agency.state_id or 1,
        district_id=agency.district_id,
        fir_number=fir_number,
        status=status,
        published_at=when if status != "draft" else None,
    )


def retally() -> None:
    from crimac.oversight.tally import rebuild

    rebuild()


def post(code: str, when: datetime, count: int = 1, **fields: Any) -> list[Alert]:
    agency = Agency.objects.get(code=code)
    user = poster()
    made = Alert.objects.bulk_create([alert_row(agency, when, user=user, **fields) for _ in range(count)])
    retally()
    return made


ALERT_COLUMNS = (
    "reference", "origin_agency_id", "origin_user_id", "category", "title", "narrative", "priority",
    "action_requested", "reported_at", "state_id", "district_id", "address", "fir_number", "handling_code",
    "status", "revision", "missing_trafficking_sections", "created_at", "updated_at", "published_at",
    "cancel_reason", "outcome", "outcome_note",
)  # fmt: skip


def insert_alerts(rows: list[dict[str, Any]]) -> None:
    """Insert many minimal published alerts with one executemany: about ten times faster than
    bulk_create for tens of thousands of rows. Each row needs reference, origin_agency_id,
    origin_user_id, state_id, district_id and published_at; the rest gets plain defaults."""
    from django.db import connection

    adapt = connection.ops.adapt_datetimefield_value
    values = []
    for r in rows:
        when = adapt(r["published_at"])
        values.append(
            (
                r["reference"],
                r["origin_agency_id"],
                r["origin_user_id"],
                r.get("category", "general_advisory"),
                r.get("title", "oversight test"),
                "",
                r.get("priority", "routine"),
                "information_only",
                when,
                r["state_id"],
                r["district_id"],
                "",
                r.get("fir_number", ""),
                "H0",
                r.get("status", "published"),
                1,
                False,
                when,
                when,
                when,
                "",
                "",
                "",
            )
        )
    columns = ", ".join(ALERT_COLUMNS)
    marks = ", ".join(["%s"] * len(ALERT_COLUMNS))
    with connection.cursor() as cursor:
        sql = f"INSERT INTO alerts_alert ({columns}) VALUES ({marks})"  # noqa: S608 - constant names
        cursor.executemany(sql, values)
    retally()
