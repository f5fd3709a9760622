"""Compliance: trafficking alerts that cite none of the trafficking sections, and alerts missing
the fields NCIC-style reminders ask for (no FIR number on a heinous crime, no photograph on a
missing person). One aggregate query per level."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from crimac.alerts.choices import TRAFFICKING_CATEGORIES, AttachmentKind
from crimac.alerts.models import Alert, Attachment, Citation
from crimac.directory.models import District, State
from crimac.oversight.figures.base import HEINOUS, MISSING, ratio
from crimac.oversight.figures.rollup import Rollup, rollup
from crimac.oversight.period import Period

# The figures, each a filter over alerts; `alerts_behind` uses the same filters for the links.
CHECKS = ("trafficking_uncited", "no_fir", "no_photo")


def check_filter(check: str) -> Q:
    """The alerts a compliance figure counts (as a Q over Alert).

    "Cites none" is written as NOT IN (one uncorrelated subquery, hashed once) rather than NOT
    EXISTS: PostgreSQL estimates the correlated form per row, and at a million alerts that
    estimate alone switches on JIT compilation, which costs seconds."""
    if check == "trafficking_uncited":
        cited = Citation.objects.filter(section__trafficking=True).values("alert_id")
        return Q(category__in=TRAFFICKING_CATEGORIES) & ~Q(pk__in=cited)
    if check == "no_fir":
        return Q(category=HEINOUS, fir_number="")
    if check == "no_photo":
        photographed = Attachment.objects.filter(kind=AttachmentKind.IMAGE).values("alert_id")
        return Q(category=MISSING) & ~Q(pk__in=photographed)
    raise ValueError(check)


def _shape(names: dict[str, Any], c: dict[str, int] | None) -> dict[str, Any]:
    c = c or {}
    return {
        **names,
        "trafficking_alerts": c.get("trafficking", 0),
        "trafficking_uncited": c.get("trafficking_uncited", 0),
        "share_trafficking_uncited": ratio(c.get("trafficking_uncited", 0), c.get("trafficking", 0)),
        "heinous_alerts": c.get("heinous", 0),
        "heinous_without_fir": c.get("no_fir", 0),
        "missing_person_alerts": c.get("missing", 0),
        "missing_without_photo": c.get("no_photo", 0),
    }


def compliance(
    period: Period,
    *,
    level: str = "state",
    state_ids: set[int] | None = None,
    district_id: int | None = None,
    data: Rollup | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rows per originating State or district (only where there is something to check) and the
    totals over those rows."""
    data = data or rollup(period)
    rows = []
    if level == "state":
        tallies = data.by_state()
        states = State.objects.filter(pk__in=[k for k in tallies if k is not None]).order_by("name")
        if state_ids is not None:
            states = states.filter(pk__in=state_ids)
        for s in states:
            rows.append(_shape({"code": s.code, "name": s.name}, tallies[s.pk].counts))
    else:
        tallies = data.by_district()
        districts = District.objects.filter(pk__in=[k for k in tallies if k is not None])
        if state_ids is not None:
            districts = districts.filter(state_id__in=state_ids)
        if district_id is not None:
            districts = districts.filter(pk=district_id)
        for d in districts.select_related("state").order_by("state__name", "name"):
            rows.append(
                _shape({"state": d.state.code, "code": d.lgd_code, "name": d.name}, tallies[d.pk].counts)
            )
    rows = [r for r in rows if r["trafficking_alerts"] or r["heinous_alerts"] or r["missing_person_alerts"]]
    total_keys = [k for k in _shape({}, None) if not k.startswith("share")]
    totals: dict[str, Any] = {k: sum(r[k] for r in rows) for k in total_keys}
    totals["share_trafficking_uncited"] = ratio(totals["trafficking_uncited"], totals["trafficking_alerts"])
    return rows, totals


def alerts_failing(check: str) -> Any:
    return Alert.objects.filter(check_filter(check))
