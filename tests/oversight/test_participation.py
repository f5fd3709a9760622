"""Participation figures on small hand-built histories."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from crimac.directory.models import Agency, District, State
from crimac.oversight.figures import participation
from crimac.oversight.period import Period
from tests.oversight.history import at, post

pytestmark = pytest.mark.django_db

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


def _row(rows: list[dict], code: str) -> dict:
    return next(r for r in rows if r["code"] == code)


def test_state_rows_count_alerts_stations_and_silence() -> None:
    post("DL-NEWDELHI-PS-001", at("2026-03-02"), 3)
    post("DL-NEWDELHI-PS-002", at("2026-03-20"), 1)
    post("AS-KAMRUPMETRO-PS-001", at("2026-03-05"), 2)
    post("DL-NEWDELHI-PS-001", at("2026-02-28"), 5)  # before the period
    post("DL-NEWDELHI-PS-001", at("2026-04-01", 0), 5)  # just after it
    post("DL-NEWDELHI-PS-002", at("2026-03-10"), 1, status="draft")  # drafts never count
    post("CBI", at("2026-03-03"), 2)  # a central agency: national total only

    rows, national = participation.state_rows(MARCH)

    dl, assam = _row(rows, "DL"), _row(rows, "AS")
    dl_stations = Agency.objects.filter(state__code="DL", kind="police_station", active=True).count()
    assert dl["alerts"] == 4
    assert dl["stations"] == dl_stations
    assert dl["stations_posted"] == 2
    assert dl["silent_stations"] == dl_stations - 2
    assert dl["first_alert_at"].startswith("2026-03-02T12:00")
    assert dl["last_alert_at"].startswith("2026-03-20T12:00")
    assert dl["agencies"] == Agency.objects.filter(state__code="DL", active=True).count()
    assert (dl["rank"], assam["rank"]) == (1, 2)
    assert assam["alerts"] == 2 and assam["stations_posted"] == 1
    assert _row(rows, "WB")["alerts"] == 0 and _row(rows, "WB")["rank"] is None
    assert national["alerts"] == 8
    assert national["alerts_by_central_agencies"] == 2
    assert national["states"] == 36
    assert national["states_posted"] == 2 and national["silent_states"] == 34
    stations = Agency.objects.filter(kind="police_station", active=True).count()
    assert national["stations"] == stations
    assert national["stations_posted"] == 3
    assert national["alerts_per_station"] == round(8 / stations, 4)
    assert national["share_stations_posted"] == round(3 / stations, 4)


def test_silent_states_say_since_when() -> None:
    post("WB-KOLKATA-PS-001", at("2026-01-10"), 1)
    post("DL-NEWDELHI-PS-001", at("2026-03-02"), 1)
    rows, _ = participation.state_rows(MARCH)
    silent = {s["code"]: s for s in participation.silent_states(MARCH, rows)}
    assert "DL" not in silent
    assert silent["WB"]["last_alert_at"].startswith("2026-01-10")
    assert silent["WB"]["silent_days"] == 80  # 10 January noon to 1 April midnight: 80.5 days
    assert silent["BR"]["last_alert_at"] is None and silent["BR"]["silent_days"] is None


def test_district_and_station_rows() -> None:
    dl = State.objects.get(code="DL")
    post("DL-NEWDELHI-PS-001", at("2026-03-02"), 2)
    post("DL-NEWDELHI-PS-002", at("2026-01-02"), 1)  # silent in March, last posted 2 January
    post("DL-NEWDELHI-DPO", at("2026-03-04"), 1)  # not a station: counts as an alert, not a station
    districts = participation.district_rows(MARCH, state_ids={dl.pk})
    assert {d["state"] for d in districts} == {"DL"}
    newdelhi = next(d for d in districts if d["name"] == District.objects.get(state=dl, slug="NEWDELHI").name)
    assert newdelhi["alerts"] == 3 and newdelhi["stations"] == 2
    assert newdelhi["stations_posted"] == 1 and newdelhi["silent_stations"] == 1
    stations = {s["code"]: s for s in participation.station_rows(MARCH, state=dl)}
    assert stations["DL-NEWDELHI-PS-001"]["alerts"] == 2 and not stations["DL-NEWDELHI-PS-001"]["silent"]
    quiet = stations["DL-NEWDELHI-PS-002"]
    assert quiet["silent"] and quiet["silent_since"].startswith("2026-01-02") and quiet["ever_posted"]
    never = next(s for c, s in stations.items() if c not in {"DL-NEWDELHI-PS-001", "DL-NEWDELHI-PS-002"})
    assert never["silent"] and not never["ever_posted"] and never["silent_since"] is not None


def test_breakdown_by_category_and_priority() -> None:
    post("HR-GURUGRAM-PS-001", at("2026-03-02"), 2, category="missing_person", priority="immediate")
    post("HR-GURUGRAM-PS-001", at("2026-03-03"), 1, category="heinous_crime", priority="flash")
    figures = participation.breakdown(MARCH, state=State.objects.get(code="HR"))
    assert figures["by_category"]["missing_person"] == 2
    assert figures["by_category"]["heinous_crime"] == 1
    assert figures["by_category"]["terror_incident"] == 0
    assert figures["by_priority"] == {"flash": 1, "immediate": 2, "priority": 0, "routine": 0}


def test_trend_by_week_and_month_fills_gaps() -> None:
    post("DL-NEWDELHI-PS-001", at("2026-01-05"), 2)
    post("DL-NEWDELHI-PS-001", at("2026-03-31", 23), 1)  # late on the last day, IST
    quarter = Period(date(2026, 1, 1), date(2026, 3, 31))
    months = participation.trend(quarter, "month")
    assert months == [
        {"start": "2026-01-01", "alerts": 2},
        {"start": "2026-02-01", "alerts": 0},
        {"start": "2026-03-01", "alerts": 1},
    ]
    weeks = participation.trend(quarter, "week")
    assert weeks[0]["start"] == "2025-12-29"
    assert {"start": "2026-01-05", "alerts": 2} in weeks
    assert {"start": "2026-03-30", "alerts": 1} in weeks
    assert sum(w["alerts"] for w in weeks) == 3


def test_state_rows_take_a_fixed_number_of_queries(django_assert_num_queries: Any) -> None:
    post("DL-NEWDELHI-PS-001", at("2026-03-02"), 3)
    with django_assert_num_queries(3):
        participation.state_rows(MARCH)
