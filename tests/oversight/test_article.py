"""The article that started the project, reproduced: 36 States/UTs, 16,361 police stations,
35,145 alerts; West Bengal, Andhra Pradesh, Bihar, Chhattisgarh, Mizoram, Manipur, Nagaland,
Sikkim and Dadra and Nagar Haveli and Daman and Diu silent; Delhi, Assam and Haryana on top.
The JSON and the HTML report must state exactly those facts.

The session directory has two stations per district; the rest of the 16,361 are added here with
one bulk insert, and the alerts are minimal rows written with bulk_create.
"""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from crimac.directory.choices import AgencyKind
from crimac.directory.models import Agency, State, User
from tests.oversight.history import insert_alerts, post

pytestmark = pytest.mark.django_db

STATIONS = 16_361
ALERTS = 35_145
SILENT = ["WB", "AP", "BR", "CG", "MZ", "MN", "NL", "SK", "DD"]
TOP = {"DL": 6_000, "AS": 5_000, "HR": 4_000}
IST = ZoneInfo("Asia/Kolkata")
START = datetime(2020, 1, 1, 10, tzinfo=IST)


def _add_stations() -> None:
    """Bring the police stations up to 16,361. Written straight to the table: these stations only
    need to be counted (their `path`, which visibility reads, is left empty: nobody logs in there)."""
    existing = Agency.objects.filter(kind=AgencyKind.POLICE_STATION).count()
    offices = list(
        Agency.objects.filter(kind=AgencyKind.DISTRICT_OFFICE, district__isnull=False).order_by("code")
    )
    new = []
    for i in range(STATIONS - existing):
        dpo = offices[i % len(offices)]
        new.append(
            Agency(
                code=f"{dpo.code[:-4]}-PS-X{i:05d}",
                name=f"Article Police Station {i}",
                kind=AgencyKind.POLICE_STATION,
                parent_id=dpo.pk,
                state_id=dpo.state_id,
                district_id=dpo.district_id,
            )
        )
    Agency.objects.bulk_create(new, batch_size=2000)


def _allocation() -> dict[str, int]:
    others = sorted(set(State.objects.values_list("code", flat=True)) - set(SILENT) - set(TOP))
    rest = ALERTS - sum(TOP.values())
    share, extra = divmod(rest, len(others))
    counts = dict(TOP)
    for i, code in enumerate(others):
        counts[code] = share + (1 if i < extra else 0)
    return counts


def _history() -> None:
    user = User.objects.get(username="admin")
    stations: dict[int, list[Agency]] = {}
    for a in Agency.objects.filter(kind=AgencyKind.POLICE_STATION).only("pk", "state_id", "district_id"):
        stations.setdefault(a.state_id or 0, []).append(a)
    ids = dict(State.objects.values_list("code", "pk"))
    rows = []
    n = 0
    for code, count in _allocation().items():
        posters = stations[ids[code]][:40]  # a few stations post everything, as in life
        for i in range(count):
            n += 1
            a = posters[i % len(posters)]
            rows.append(
                {
                    "reference": f"AR-{n:08d}",
                    "origin_agency_id": a.pk,
                    "origin_user_id": user.pk,
                    "state_id": a.state_id,
                    "district_id": a.district_id,
                    "published_at": START + timedelta(minutes=(n * 14_983) % (366 * 24 * 60 - 11 * 60)),
                }
            )
    insert_alerts(rows)
    # Noise that must not count: a draft from a silent State, and an alert just after the period.
    wb = stations[ids["WB"]][0]
    post(wb.code, START, 1, status="draft")
    post(wb.code, datetime(2021, 1, 1, 0, 0, tzinfo=IST), 1)


def test_the_article_in_json_and_html() -> None:
    _add_stations()
    _history()
    period = ["participation", "--from", "2020-01-01", "--to", "2020-12-31"]
    out = io.StringIO()
    call_command("report", *period, "--format", "json", stdout=out)
    report = json.loads(out.getvalue())
    national = report["national"]
    assert national["states"] == 36
    assert national["stations"] == STATIONS
    assert national["alerts"] == ALERTS
    assert national["silent_states"] == 9 and national["states_posted"] == 27
    assert national["alerts_per_station"] == round(ALERTS / STATIONS, 4)
    assert sorted(s["code"] for s in report["silent_states"]) == sorted(SILENT)
    assert report["top_states"] == ["DL", "AS", "HR"]
    assert [r["code"] for r in report["states"] if r["rank"] in (1, 2, 3)] == ["AS", "DL", "HR"]  # by name
    assert sum(r["alerts"] for r in report["states"]) == ALERTS
    assert sum(r["stations"] for r in report["states"]) == STATIONS

    out = io.StringIO()
    call_command("report", *period, "--format", "html", stdout=out)
    html = out.getvalue()
    names = dict(State.objects.values_list("code", "name"))
    silent_names = sorted(names[c] for c in SILENT)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "35,145 alerts were posted against 16,361 police stations (2.15 per station)." in text
    assert "27 of 36 States/UTs posted at least one alert" in text
    assert f"9 States/UTs posted none: {', '.join(silent_names[:-1])} and {silent_names[-1]}." in text
    assert "Delhi, Assam and Haryana posted the most." in text
    assert "Period: 2020-01-01 to 2020-12-31" in text
    table = html.split('id="silent-states"')[1].split("</table>")[0]
    assert sorted(re.findall(r"<tr><td>([^<]+)</td>", table)) == silent_names
