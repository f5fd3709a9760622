"""The period a figure covers: whole days in the centre's time zone, both ends included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

DEFAULT_DAYS = 30
MAX_DAYS = 366 * 20


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00, day after end 00:00) in the current time zone: a half-open range, so an
        alert at 23:59:59.9 on the last day counts and one at midnight after it does not."""
        tz = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tz),
        )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def as_dict(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}

    def query(self) -> str:
        return f"from={self.start.isoformat()}&to={self.end.isoformat()}"


def today() -> date:
    return timezone.localdate()


def parse_day(value: str | date | None, field: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationError({field: [f"give a date as YYYY-MM-DD, not {str(value)[:40]!r}"]}) from None
    if not 1900 <= day.year <= 2100:
        raise ValidationError({field: ["the year must lie between 1900 and 2100"]})
    return day


def make_period(start: str | date | None, end: str | date | None) -> Period:
    """A period from two optional days. Missing `to` is today; missing `from` is 30 days before
    `to`. Raises ValidationError naming the field (`from` or `to`)."""
    last = parse_day(end, "to") or today()
    first = parse_day(start, "from") or last - timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise ValidationError({"to": ["the period ends before it starts"]})
    if (last - first).days > MAX_DAYS:
        raise ValidationError({"from": ["a period may cover at most 20 years"]})
    return Period(first, last)
