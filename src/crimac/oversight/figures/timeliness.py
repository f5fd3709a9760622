"""Timeliness: how fast recipients acknowledge what reaches them, and how fast originators confirm
the hits others report. Deliveries count in the period they were made; responses in the period
they were sent."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from crimac.directory.models import District, State
from crimac.dissemination.choices import Confirmation
from crimac.dissemination.models import Delivery, Escalation, Response
from crimac.oversight.figures.base import percentiles, ratio
from crimac.oversight.period import Period


def _deliveries(period: Period) -> Any:
    start, end = period.bounds()
    return Delivery.objects.filter(created_at__gte=start, created_at__lt=end)


def _responses(period: Period) -> Any:
    start, end = period.bounds()
    return Response.objects.filter(created_at__gte=start, created_at__lt=end)


def recipients(
    period: Period, *, level: str = "state", state_ids: set[int] | None = None, district_id: int | None = None
) -> list[dict[str, Any]]:
    """Per recipient State (level "state") or district (level "district"): deliveries, the share
    acknowledged, median and 90th percentile time to acknowledge (seconds), escalations,
    responses and confirmed hits. Four or five queries, whatever the number of rows."""
    key = "agency__state_id" if level == "state" else "agency__district_id"
    deliveries = _deliveries(period).filter(**{f"{key}__isnull": False})
    responses = _responses(period).filter(**{f"{key}__isnull": False})
    if state_ids is not None:
        deliveries = deliveries.filter(agency__state_id__in=state_ids)
        responses = responses.filter(agency__state_id__in=state_ids)
    if district_id is not None:
        deliveries = deliveries.filter(agency__district_id=district_id)
        responses = responses.filter(agency__district_id=district_id)
    escalations_qs = Escalation.objects.filter(delivery__in=deliveries.values("pk"))
    counts = {
        r[key]: r
        for r in deliveries.order_by()
        .values(key)
        .annotate(
            deliveries=Count("id"),
            acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False)),
            escalated=Count("id", filter=Q(escalation_level__gt=0)),
        )
    }
    escalations = dict(escalations_qs.order_by().values_list(f"delivery__{key}").annotate(n=Count("id")))
    answered = {
        r[key]: r
        for r in responses.order_by()
        .values(key)
        .annotate(
            responses=Count("id"),
            hits_claimed=Count("id", filter=Q(claims_hit=True)),
            hits_confirmed=Count("id", filter=Q(confirmation=Confirmation.CONFIRMED)),
        )
    }
    times = percentiles(deliveries, key, "acknowledged_at", "created_at")
    if level == "state":
        places: Any = State.objects.filter(pk__in=set(counts) | set(answered)).order_by("name")
        label = {p.pk: {"code": p.code, "name": p.name} for p in places}
    else:
        places = District.objects.filter(pk__in=set(counts) | set(answered)).select_related("state")
        label = {p.pk: {"code": p.lgd_code, "name": p.name, "state": p.state.code} for p in places}
    rows = []
    for pk, names in label.items():
        c = counts.get(pk, {})
        a = answered.get(pk, {})
        t = times.get(pk)
        rows.append(
            {
                **names,
                "deliveries": c.get("deliveries", 0),
                "acknowledged": c.get("acknowledged", 0),
                "share_acknowledged": ratio(c.get("acknowledged", 0), c.get("deliveries", 0)),
                "ack_median_seconds": round(t[0], 1) if t else None,
                "ack_p90_seconds": round(t[1], 1) if t else None,
                "escalated_deliveries": c.get("escalated", 0),
                "escalations": escalations.get(pk, 0),
                "responses": a.get("responses", 0),
                "hits_claimed": a.get("hits_claimed", 0),
                "hits_confirmed": a.get("hits_confirmed", 0),
            }
        )
    rows.sort(key=lambda r: (r.get("state", ""), r["name"]))
    return rows


def originators(
    period: Period, *, level: str = "state", state_ids: set[int] | None = None, district_id: int | None = None
) -> list[dict[str, Any]]:
    """Per originating State or district: hits others claimed on its alerts, how many it
    confirmed or rejected, how many wait, and the median and p90 time to answer (seconds)."""
    key = "alert__origin_agency__state_id" if level == "state" else "alert__origin_agency__district_id"
    claims = _responses(period).filter(claims_hit=True).filter(**{f"{key}__isnull": False})
    if state_ids is not None:
        claims = claims.filter(alert__origin_agency__state_id__in=state_ids)
    if district_id is not None:
        claims = claims.filter(alert__origin_agency__district_id=district_id)
    counts = {
        r[key]: r
        for r in claims.order_by()
        .values(key)
        .annotate(
            claimed=Count("id"),
            confirmed=Count("id", filter=Q(confirmation=Confirmation.CONFIRMED)),
            rejected=Count("id", filter=Q(confirmation=Confirmation.NOT_CONFIRMED)),
            waiting=Count("id", filter=Q(confirmed_at__isnull=True)),
        )
    }
    times = percentiles(claims, key, "confirmed_at", "created_at")
    if level == "state":
        label: dict[Any, dict[str, Any]] = {
            p.pk: {"code": p.code, "name": p.name} for p in State.objects.filter(pk__in=counts)
        }
    else:
        label = {
            p.pk: {"code": p.lgd_code, "name": p.name, "state": p.state.code}
            for p in District.objects.filter(pk__in=counts).select_related("state")
        }
    rows = []
    for pk, names in label.items():
        c, t = counts[pk], times.get(pk)
        rows.append(
            {
                **names,
                "hits_claimed": c["claimed"],
                "confirmed": c["confirmed"],
                "not_confirmed": c["rejected"],
                "waiting": c["waiting"],
                "answer_median_seconds": round(t[0], 1) if t else None,
                "answer_p90_seconds": round(t[1], 1) if t else None,
            }
        )
    rows.sort(key=lambda r: (r.get("state", ""), r["name"]))
    return rows
