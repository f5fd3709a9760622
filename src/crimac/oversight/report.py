"""The participation report: what the API returns, the dashboards show and `crimac report`
writes, built once from the figure modules for one viewer, one period and one level."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from crimac.directory.models import District, State
from crimac.oversight.access import Viewer
from crimac.oversight.figures import compliance, participation, timeliness
from crimac.oversight.figures.rollup import rollup
from crimac.oversight.period import Period

ROW_FIELDS = (
    "code",
    "name",
    "kind",
    "agencies",
    "stations",
    "alerts",
    "stations_posted",
    "silent_stations",
    "share_stations_posted",
    "alerts_per_station",
    "first_alert_at",
    "last_alert_at",
    "rank",
)


def trend_unit(period: Period) -> str:
    return "week" if period.days <= 120 else "month"


def participation_report(
    period: Period, *, viewer: Viewer | None, state: State | None = None, district: District | None = None
) -> dict[str, Any]:
    """The figures `viewer` may see (None: a trusted caller such as the CLI sees everything).

    Call `viewer.check_state(state)` first: this function trusts the level it is given.
    """
    data = rollup(period)
    states, national = participation.state_rows(period, data)
    silent = participation.silent_states(period, states)
    top = participation.top(states)
    if state is not None:
        state_ids: set[int] | None = {state.pk}
    else:
        state_ids = viewer.detail_state_ids() if viewer is not None else None
    district_id = district.pk if district is not None else (viewer.detail_district_id() if viewer else None)
    districts = participation.district_rows(period, state_ids=state_ids, district_id=district_id, data=data)
    unit = trend_unit(period)
    report: dict[str, Any] = {
        "title": "Participation in the Crime Multi-Agency Centre",
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "period": period.as_dict(),
        "level": "district" if district else ("state" if state else "national"),
        "national": {**national, **participation.breakdown(period)},
        "states": [{k: r[k] for k in ROW_FIELDS} for r in states],
        "top_states": [r["code"] for r in top],
        "silent_states": silent,
        "districts": districts,
        "trend": {"unit": unit, "points": participation.trend(period, unit, state=state, district=district)},
    }
    comp_rows, comp_totals = compliance.compliance(period, level="state", data=data)
    report["compliance"] = {"states": comp_rows, "totals": comp_totals}
    if state is not None:
        row = next(r for r in states if r["code"] == state.code)
        report["state"] = {
            **{k: row[k] for k in ROW_FIELDS},
            **participation.breakdown(period, state=state, district=district),
        }
        stations = participation.station_rows(period, state=state, district=district)
        report["stations"] = stations
        report["silent_stations"] = [s for s in stations if s["silent"]]
        d_rows, d_totals = compliance.compliance(
            period,
            level="district",
            state_ids={state.pk},
            district_id=district.pk if district else None,
            data=data,
        )
        report["compliance"]["districts"] = d_rows
        report["compliance"]["state_totals"] = d_totals
    if district is not None:
        report["district"] = next((d for d in districts if d["code"] == district.lgd_code), None)
    return report


def timeliness_report(period: Period, *, viewer: Viewer | None, state: State | None = None) -> dict[str, Any]:
    state_ids = {state.pk} if state is not None else (viewer.detail_state_ids() if viewer else None)
    district_id = viewer.detail_district_id() if viewer else None
    return {
        "period": period.as_dict(),
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "recipients": {
            "states": timeliness.recipients(period, level="state"),
            "districts": timeliness.recipients(
                period, level="district", state_ids=state_ids, district_id=district_id
            ),
        },
        "originators": {
            "states": timeliness.originators(period, level="state"),
            "districts": timeliness.originators(
                period, level="district", state_ids=state_ids, district_id=district_id
            ),
        },
    }


def compliance_report(period: Period, *, viewer: Viewer | None, state: State | None = None) -> dict[str, Any]:
    state_ids = {state.pk} if state is not None else (viewer.detail_state_ids() if viewer else None)
    district_id = viewer.detail_district_id() if viewer else None
    data = rollup(period)
    states, totals = compliance.compliance(period, level="state", data=data)
    districts, _ = compliance.compliance(
        period, level="district", state_ids=state_ids, district_id=district_id, data=data
    )
    return {
        "period": period.as_dict(),
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "states": states,
        "districts": districts,
        "totals": totals,
    }
