"""Oversight pages: the national dashboard, a State's dashboard, the alerts behind a figure and
the user's notices. Figures come from `report.py`; who sees what from `access.py`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from crimac.alerts.choices import CATEGORY_BY_VALUE, Priority
from crimac.alerts.models import Alert
from crimac.directory.actions import deny
from crimac.directory.models import Agency, District, State
from crimac.oversight import svg
from crimac.oversight.access import OUTSIDE_DETAIL, Viewer, viewer_of
from crimac.oversight.figures.base import posted
from crimac.oversight.figures.compliance import CHECKS, check_filter
from crimac.oversight.links import behind, state_page
from crimac.oversight.models import Notice
from crimac.oversight.period import Period, make_period
from crimac.oversight.report import participation_report

FIGURES = {
    "alerts": ("Alerts posted", "count"),
    "alerts_per_station": ("Alerts per police station", "ratio"),
    "share_stations_posted": ("Share of stations that posted", "share"),
    "silent_stations": ("Silent police stations", "count"),
}


def _period(request: HttpRequest) -> tuple[Period, str | None]:
    try:
        return make_period(request.GET.get("from"), request.GET.get("to")), None
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        return make_period(None, None), f"{field}: {messages[0]}"


def _figure(request: HttpRequest) -> str:
    figure = request.GET.get("figure", "alerts")
    return figure if figure in FIGURES else "alerts"


def _viewer(request: HttpRequest) -> Viewer:
    return viewer_of(request.user)


def _headline(figures: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ("Alerts posted", svg.fmt(figures["alerts"])),
        ("Police stations", svg.fmt(figures["stations"])),
        ("Alerts per station", svg.fmt(figures["alerts_per_station"], "ratio")),
        ("Stations that posted", svg.fmt(figures["share_stations_posted"], "share")),
        ("Silent stations", svg.fmt(figures["silent_stations"])),
    ]


def _trend(report: dict[str, Any], period: Period, **filters: Any) -> Any:
    unit = report["trend"]["unit"]
    points = []
    for p in report["trend"]["points"]:
        label = p["start"][:7] if unit == "month" else p["start"][5:]
        points.append((label, p["alerts"], behind(period, **filters) if p["alerts"] else None))
    return svg.trend_chart(points, title=f"Alerts posted per {unit}")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    period, error = _period(request)
    figure = _figure(request)
    label, kind = FIGURES[figure]
    report = participation_report(period, viewer=viewer)

    ids = dict(State.objects.values_list("code", "pk"))
    rows = report["states"]
    context = {
        "period": period,
        "error": error,
        "figure": figure,
        "figures": FIGURES,
        "report": report,
        "headline": _headline(report["national"]),
        "map": svg.tile_map(
            rows,
            figure,
            kind=kind,
            href=lambda r: (
                state_page(period, r["code"], figure)
                if viewer.may_see_state(ids[r["code"]])
                else behind(period, state=r["code"])
            ),
            title=f"{label} by State/UT",
        ),
        "ranking": svg.bar_chart(
            [(r["name"], r["alerts"], behind(period, state=r["code"])) for r in _ranked(rows)[:12]],
            title="Most active States/UTs",
        ),
        "trend": _trend(report, period),
        "silent": report["silent_states"],
        "own_state": State.objects.filter(pk=viewer.state_id).first() if viewer.state_id else None,
        "national_view": viewer.national,
        "links": {r["code"]: behind(period, state=r["code"]) for r in rows},
        "state_links": {
            r["code"]: state_page(period, r["code"]) for r in rows if viewer.may_see_state(ids[r["code"]])
        },
        "compliance_links": _compliance_links(period, report["compliance"]["states"], "state"),
        "categories": [
            (CATEGORY_BY_VALUE[c].label, n, behind(period, category=c))
            for c, n in report["national"]["by_category"].items()
        ],
        "national_links": {
            "alerts": behind(period),
            "uncited": behind(period, check="trafficking_uncited"),
            "no_fir": behind(period, check="no_fir"),
            "no_photo": behind(period, check="no_photo"),
        },
    }
    return render(request, "oversight/dashboard.html", context, status=400 if error else 200)


def _ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted((r for r in rows if r["alerts"]), key=lambda r: (-r["alerts"], r["name"]))


def _compliance_links(period: Period, rows: list[dict[str, Any]], level: str) -> dict[Any, dict[str, str]]:
    out = {}
    for r in rows:
        place = {"state": r["code"]} if level == "state" else {"district": r["code"]}
        out[r["code"]] = {check: behind(period, check=check, **place) for check in CHECKS}
    return out


@login_required
def state_dashboard(request: HttpRequest, code: str) -> HttpResponse:
    viewer = _viewer(request)
    state = State.objects.filter(code=code.upper()).first()
    if state is None:
        raise Http404
    if not viewer.may_see_state(state):
        deny("oversight.view", actor=request.user, request=request, state=state.code)
        raise PermissionDenied(OUTSIDE_DETAIL)
    period, error = _period(request)
    figure = _figure(request)
    district = None
    if (own_district := viewer.detail_district_id()) is not None:
        district = District.objects.filter(pk=own_district).first()
    report = participation_report(period, viewer=viewer, state=state, district=district)
    districts = sorted(report["districts"], key=lambda d: (-d["alerts"], d["name"]))
    stations = sorted(report["stations"], key=lambda s: (-s["alerts"], s["code"]))
    silent = sorted(report["silent_stations"], key=lambda s: (s["silent_since"] or "", s["code"]))
    context = {
        "period": period,
        "error": error,
        "figure": figure,
        "figures": FIGURES,
        "state": state,
        "district": district,
        "report": report,
        "headline": _headline(report["state"]),
        "national_url": f"/oversight/?{period.query()}",
        "map": svg.tile_map(
            report["states"],
            figure,
            kind=FIGURES[figure][1],
            href=lambda r: (
                state_page(period, r["code"], figure)
                if r["code"] == state.code or viewer.national
                else behind(period, state=r["code"])
            ),
            title=f"{FIGURES[figure][0]} by State/UT",
        ),
        "district_chart": svg.bar_chart(
            [(d["name"], d["alerts"], behind(period, district=d["code"])) for d in districts if d["alerts"]][
                :15
            ],
            title=f"Most active districts of {state.name}",
        ),
        "station_chart": svg.bar_chart(
            [(s["code"], s["alerts"], behind(period, station=s["code"])) for s in stations if s["alerts"]][
                :15
            ],
            title=f"Most active police stations of {state.name}",
        ),
        "trend": _trend(report, period, state=state.code),
        "districts": districts,
        "district_links": {d["code"]: behind(period, district=d["code"]) for d in districts},
        "silent": silent[:500],
        "silent_count": len(silent),
        "state_link": behind(period, state=state.code),
        "compliance_links": _compliance_links(period, report["compliance"]["districts"], "district"),
        "categories": [
            (CATEGORY_BY_VALUE[c].label, n, behind(period, state=state.code, category=c))
            for c, n in report["state"]["by_category"].items()
        ],
    }
    return render(request, "oversight/state.html", context, status=400 if error else 200)


@login_required
def alerts_behind(request: HttpRequest) -> HttpResponse:
    """The alerts a figure counts, as far as the user may see them: the same filters the figure
    used, applied to `Alert.objects.visible_to(user)`."""
    _viewer(request)
    get = request.GET
    period, error = _period(request)
    qs = posted(period) & Alert.objects.visible_to(request.user)
    described = [f"published {period.start} to {period.end}"]
    q = Q()
    if code := get.get("state", "").strip().upper():
        state = State.objects.filter(code=code).first()
        q &= Q(origin_agency__state=state) if state else Q(pk__in=[])
        described.append(f"posted in {state.name if state else code}")
    if (district := get.get("district", "").strip()).isdecimal() and len(district) < 10:
        d = District.objects.filter(lgd_code=int(district)).first()
        q &= Q(origin_agency__district=d) if d else Q(pk__in=[])
        described.append(f"posted in {d.name if d else district} district")
    if station := get.get("station", "").strip().upper():
        agency = Agency.objects.filter(code=station).first()
        q &= Q(origin_agency=agency) if agency else Q(pk__in=[])
        described.append(f"posted by {station}")
    if (category := get.get("category", "")) in CATEGORY_BY_VALUE:
        q &= Q(category=category)
        described.append(CATEGORY_BY_VALUE[category].label.lower())
    if (priority := get.get("priority", "")) in Priority.values:
        q &= Q(priority=priority)
        described.append(f"priority {priority}")
    if (check := get.get("check", "")) in CHECKS:
        q &= check_filter(check)
        described.append(CHECK_LABELS[check])
    qs = qs.filter(q).select_related("origin_agency", "state", "district").order_by("-published_at", "-id")
    page = Paginator(qs, 50).get_page(get.get("page"))
    keep = get.copy()
    keep.pop("page", None)
    return render(
        request,
        "oversight/alerts.html",
        {"page": page, "described": ", ".join(described), "query": keep.urlencode(), "error": error},
        status=400 if error else 200,
    )


CHECK_LABELS = {
    "trafficking_uncited": "trafficking alerts citing no trafficking section",
    "no_fir": "heinous crimes without an FIR number",
    "no_photo": "missing persons without a photograph",
}


@login_required
def notices(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    mine = Q(user=user) | Q(user__isnull=True, agency_id=user.agency_id)
    qs = Notice.objects.filter(mine).select_related("agency").order_by("-created_at", "-id")
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(request, "oversight/notices.html", {"page": page})
