"""The oversight part of the HTTP API: participation, timeliness and compliance figures.

Who sees what is decided in `access.py`; these handlers parse the query, check the level asked
for against the caller, and return the report.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from crimac.api.auth import caller
from crimac.api.problems import invalid
from crimac.directory.actions import deny
from crimac.directory.api import state_filter
from crimac.directory.models import State
from crimac.oversight.access import OUTSIDE_DETAIL, Viewer, viewer_of
from crimac.oversight.period import Period, make_period
from crimac.oversight.report import compliance_report, participation_report, timeliness_report

router = Router(tags=["oversight"])


class OversightFilters(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    period_from: str | None = Field(None, alias="from", max_length=40, description="first day, YYYY-MM-DD")
    period_to: str | None = Field(None, alias="to", max_length=40, description="last day, YYYY-MM-DD")
    state: str | None = Field(
        None, max_length=8, description="State/UT code: that State's districts and stations"
    )


def _parse(request: HttpRequest, filters: OversightFilters) -> tuple[Viewer, Period, State | None]:
    viewer = viewer_of(caller(request))
    try:
        period = make_period(filters.period_from, filters.period_to)
    except DjangoValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise invalid("query", field, messages[0]) from None
    state = state_filter(filters.state) if filters.state else None
    if state is not None and not viewer.may_see_state(state):
        deny("oversight.view", actor=viewer.user, request=request, state=state.code)
        raise PermissionDenied(OUTSIDE_DETAIL)
    return viewer, period, state


@router.get(
    "/oversight/participation",
    response=dict[str, Any],
    summary="Who posts alerts and who stays silent: per State/UT, per district, national totals",
    description=(
        "Alerts published in the period (both days included, in the centre's time zone), per "
        "State/UT and per district of the posting agency: agencies, police stations, alerts, "
        "silent stations, first and last alert; the national totals and the silent States/UTs. "
        "With `state`, that State's districts and stations. A State nodal officer sees their "
        "own State in full and other States by State only."
    ),
)
def participation(request: HttpRequest, filters: Query[OversightFilters]) -> dict[str, Any]:
    viewer, period, state = _parse(request, filters)
    report = participation_report(period, viewer=viewer, state=state)
    report.pop("title", None)
    return report


@router.get("/oversight/timeliness", response=dict[str, Any], summary="How fast recipients acknowledge")
def timeliness(request: HttpRequest, filters: Query[OversightFilters]) -> dict[str, Any]:
    viewer, period, state = _parse(request, filters)
    return timeliness_report(period, viewer=viewer, state=state)


@router.get(
    "/oversight/compliance",
    response=dict[str, Any],
    summary="Trafficking alerts without trafficking sections; alerts missing key fields",
)
def compliance(request: HttpRequest, filters: Query[OversightFilters]) -> dict[str, Any]:
    viewer, period, state = _parse(request, filters)
    return compliance_report(period, viewer=viewer, state=state)
