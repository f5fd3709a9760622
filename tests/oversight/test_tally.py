"""The counts oversight keeps at publish (`crimac.oversight.tally`): the actions keep them equal to
a recount from the alerts, and the figures drawn from them equal the figures counted from the
alerts themselves, for any period (whole months from the counts, the days around from alerts)."""

from __future__ import annotations

import io
import itertools
import random
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Max
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from crimac.alerts.actions import cancel_alert, create_alert, create_draft, publish_alert, revise_alert
from crimac.alerts.attachments import add_attachment
from crimac.alerts.models import Alert
from crimac.alerts.schemas import AlertIn, AlertRevise
from crimac.audit.models import AuditEvent
from crimac.directory.models import Agency, State
from crimac.oversight import tally
from crimac.oversight.figures import participation
from crimac.oversight.figures.base import posted
from crimac.oversight.figures.rollup import _counts, agency_counts, last_before
from crimac.oversight.models import AgencyMonth, AlertTally, StateMonth
from crimac.oversight.period import Period
from tests.oversight.history import IST, insert_alerts, poster

pytestmark = pytest.mark.django_db


def P(a: str, b: str) -> Period:
    return Period(date.fromisoformat(a), date.fromisoformat(b))


@pytest.mark.parametrize(
    ("period", "months", "edges"),
    [
        (P("2026-03-01", "2026-03-31"), ("2026-03-01", "2026-03-01"), []),
        (P("2026-03-02", "2026-03-31"), None, [P("2026-03-02", "2026-03-31")]),
        (P("2026-03-01", "2026-03-30"), None, [P("2026-03-01", "2026-03-30")]),
        (
            P("2026-02-15", "2026-05-10"),
            ("2026-03-01", "2026-04-01"),
            [P("2026-02-15", "2026-02-28"), P("2026-05-01", "2026-05-10")],
        ),
        (P("2025-12-31", "2026-01-31"), ("2026-01-01", "2026-01-01"), [P("2025-12-31", "2025-12-31")]),
        (P("2028-02-01", "2028-02-29"), ("2028-02-01", "2028-02-01"), []),  # a leap February
        (P("2026-02-01", "2026-02-28"), ("2026-02-01", "2026-02-01"), []),
        (P("2026-03-15", "2026-03-15"), None, [P("2026-03-15", "2026-03-15")]),
    ],
)
def test_split_whole_months_and_days_around(period: Period, months: Any, edges: list[Period]) -> None:
    expected = (date.fromisoformat(months[0]), date.fromisoformat(months[1])) if months else None
    assert tally.split(period) == (expected, edges)


def alert_in(**fields: Any) -> AlertIn:
    data: dict[str, Any] = {
        "category": "general_advisory",
        "title": "Counted alert",
        "narrative": "For the oversight counts.",
    }
    data.update(fields)
    return AlertIn.model_validate(data)


def month_row(agency: Agency) -> AgencyMonth:
    return AgencyMonth.objects.get(agency_id=agency.pk, month=timezone.localdate().replace(day=1))


def assert_agrees() -> None:
    assert tally.differences() == []


def jpeg() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "JPEG")
    return SimpleUploadedFile("face.jpg", out.getvalue(), content_type="image/jpeg")


def test_publishing_revising_and_attaching_keep_the_counts(user_named: Any) -> None:
    officer = user_named("dl.sho")
    agency = officer.agency
    victim = {"role": "victim", "name": "Rani Kumari", "gender": "female", "age_min": 14, "age_max": 16}

    trafficking = create_alert(
        alert_in(category="human_trafficking", title="Girl trafficked", persons=[victim]),
        actor=officer,
        publish=True,
    ).alert
    row = month_row(agency)
    assert (row.alerts, row.trafficking, row.trafficking_uncited) == (1, 1, 1)
    assert row.first_at == row.last_at == trafficking.published_at
    assert_agrees()

    # A revision that cites a trafficking section: no new alert, one fewer uncited.
    revise_alert(trafficking, AlertRevise(summary="cites BNS 143", sections=["BNS 143"]), actor=officer)
    row = month_row(agency)
    assert (row.alerts, row.trafficking, row.trafficking_uncited) == (1, 1, 0)
    assert_agrees()

    missing = create_alert(
        alert_in(category="missing_person", title="Missing boy", persons=[{**victim, "role": "missing"}]),
        actor=officer,
        publish=True,
    ).alert
    heinous = create_alert(
        alert_in(category="heinous_crime", title="Murder"), actor=officer, publish=True
    ).alert
    heinous_at = heinous.published_at
    row = month_row(agency)
    assert (row.alerts, row.missing, row.no_photo, row.heinous, row.no_fir) == (3, 1, 1, 1, 1)
    assert row.last_at == heinous_at

    # A photograph added later: the missing person alert no longer lacks one.
    add_attachment(missing, jpeg(), actor=officer)
    assert month_row(agency).no_photo == 0
    assert_agrees()

    # A draft is not posted; publishing it is; cancelling keeps it posted.
    draft = create_draft(alert_in(title="Not yet"), actor=officer).alert
    assert not AlertTally.objects.filter(alert=draft).exists()
    assert month_row(agency).alerts == 3
    publish_alert(draft, actor=officer)
    cancel_alert(Alert.objects.get(pk=draft.pk), actor=officer, reason="posted in error")
    assert month_row(agency).alerts == 4
    assert_agrees()

    mix = dict(
        StateMonth.objects.filter(state_key=agency.state_id).values_list("category").annotate(n=Count("pk"))
    )
    assert set(mix) == {"human_trafficking", "missing_person", "heinous_crime", "general_advisory"}


def test_a_draft_cancelled_before_it_went_out_is_never_counted(user_named: Any) -> None:
    officer = user_named("dl.sho")
    draft = create_draft(alert_in(title="Never sent"), actor=officer).alert
    cancel_alert(draft, actor=officer, reason="not needed")
    assert not AlertTally.objects.exists() and not AgencyMonth.objects.exists()
    assert_agrees()


SERIAL = itertools.count(1)


def random_history(rng: random.Random, n: int) -> None:
    """Alerts from a handful of agencies over fourteen months, at random hours (some just before
    and after midnight IST, where a month's edge lies)."""
    agencies = list(
        Agency.objects.filter(
            code__in=["DL-NEWDELHI-PS-001", "DL-NEWDELHI-PS-002", "AS-KAMRUPMETRO-PS-001", "CBI"]
        )
    )
    user = poster()
    categories = [
        "general_advisory",
        "heinous_crime",
        "missing_person",
        "human_trafficking",
        "rescued_victim",
    ]
    start = date(2025, 6, 1)
    rows = []
    for _ in range(n):
        a = rng.choice(agencies)
        day = start + timedelta(days=rng.randrange(0, 425))
        hour = rng.choice([0, 0, 1, 12, 23, 23])
        when = datetime.combine(day, time(hour, rng.randrange(60)), IST)
        rows.append(
            {
                "reference": f"TL-{next(SERIAL):07d}",
                "origin_agency_id": a.pk,
                "origin_user_id": user.pk,
                "state_id": a.state_id or 1,
                "district_id": a.district_id,
                "published_at": when,
                "category": rng.choice(categories),
                "priority": rng.choice(["flash", "immediate", "priority", "routine"]),
                "fir_number": rng.choice(["", "7/2026"]),
                "status": rng.choice(["published", "published", "cancelled", "draft"]),
            }
        )
    insert_alerts(rows)


def test_figures_from_the_counts_equal_the_figures_from_the_alerts() -> None:
    rng = random.Random(7)
    random_history(rng, 600)
    periods = [P("2025-06-01", "2026-07-31"), P("2025-07-01", "2025-07-31"), P("2026-01-31", "2026-02-01")]
    for _ in range(25):
        a = date(2025, 5, 20) + timedelta(days=rng.randrange(0, 440))
        periods.append(Period(a, a + timedelta(days=rng.randrange(0, 200))))
    delhi = State.objects.get(code="DL")
    checked = 0
    for period in periods:
        raw = {
            r["origin_agency_id"]: r for r in _counts(posted(period).order_by().values("origin_agency_id"))
        }
        kept = agency_counts(period)
        assert {k: {c: v[c] for c in (*tally.COUNTS, "first", "last")} for k, v in kept.items()} == {
            k: {c: v[c] for c in (*tally.COUNTS, "first", "last")} for k, v in raw.items()
        }, period
        for state in (None, delhi):
            by = posted(period) if state is None else posted(period).filter(origin_agency__state=state)
            pairs = by.order_by().values_list("category", "priority").annotate(n=Count("id"))
            assert participation.breakdown(period, state=state) == participation._breakdown(pairs), period
            trend = participation.trend(period, "month", state=state)
            assert sum(p["alerts"] for p in trend) == by.count(), period
        checked += sum(r["alerts"] for r in raw.values())
    assert checked > 1000  # the periods did cover alerts


def test_last_alert_before_a_day_from_the_counts_and_the_days_before_it() -> None:
    random_history(random.Random(11), 300)
    agencies = Agency.objects.filter(code__in=["DL-NEWDELHI-PS-001", "AS-KAMRUPMETRO-PS-001"])
    for day in (date(2025, 9, 1), date(2025, 9, 17), date(2026, 3, 2), date(2026, 8, 1)):
        start, _ = Period(day, day).bounds()
        expected = dict(
            Alert.objects.filter(published_at__lt=start, origin_agency__in=agencies)
            .order_by()
            .values_list("origin_agency_id")
            .annotate(last=Max("published_at"))
        )
        assert last_before(day, agencies) == expected, day


def test_the_national_figures_for_whole_months_read_no_alert_rows() -> None:
    """For whole months every national figure comes from the kept counts: however many alerts
    there are, the report reads none of them."""
    from django.db import connection

    from crimac.oversight.report import participation_report

    random_history(random.Random(3), 200)
    period = P("2025-07-01", "2026-06-30")
    with CaptureQueriesContext(connection) as queries:
        report = participation_report(period, viewer=None)
    assert report["national"]["alerts"] == posted(period).count() > 0
    assert [q["sql"] for q in queries.captured_queries if '"alerts_alert"' in q["sql"]] == []


def test_the_command_checks_and_recounts() -> None:
    random_history(random.Random(5), 120)
    out = io.StringIO()
    call_command("oversight_tally", "--check", stdout=out)
    assert "agree" in out.getvalue()

    row = AgencyMonth.objects.filter(alerts__gt=0).first()
    assert row is not None
    AgencyMonth.objects.filter(pk=row.pk).update(alerts=row.alerts + 5)
    with pytest.raises(CommandError, match="differ"):
        call_command("oversight_tally", "--check", stdout=io.StringIO())
    assert AgencyMonth.objects.get(pk=row.pk).alerts == row.alerts + 5  # --check wrote nothing

    out = io.StringIO()
    call_command("oversight_tally", stdout=out)
    assert "counted" in out.getvalue()
    assert AgencyMonth.objects.get(agency_id=row.agency_id, month=row.month).alerts == row.alerts
    assert AuditEvent.objects.filter(action="oversight.retally").count() == 1
    call_command("oversight_tally", "--check", stdout=io.StringIO())
