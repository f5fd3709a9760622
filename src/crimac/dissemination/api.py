"""Inbox, acknowledgement, responses, and the originator's view of who got an alert."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from crimac.alerts.actions import may_change
from crimac.alerts.api import get_visible
from crimac.alerts.choices import CATEGORY_BY_VALUE, Priority
from crimac.api.auth import caller
from crimac.api.pagination import BadCursor, check_limit, decode_cursor, encode_cursor
from crimac.api.problems import invalid
from crimac.audit.actions import record
from crimac.audit.models import Outcome
from crimac.dissemination import actions
from crimac.dissemination.choices import ResponseOutcome
from crimac.dissemination.models import Delivery, Response

router = Router(tags=["dissemination"])


class Strict(Schema):
    model_config = {"extra": "forbid"}


class InboxFilters(Strict):
    after: str | None = Field(None, description="the `cursor` of the last item you have; omit to start")
    unacknowledged: bool | None = Field(None, description="only what your agency has not acknowledged")
    priority: list[str] | None = None
    category: list[str] | None = None
    limit: int = 100


def _cursor(value: str | None) -> int:
    if not value:
        return 0
    raw = decode_cursor(value, field="after")
    if not raw.startswith("d") or not raw[1:].isascii() or not raw[1:].isdigit():
        raise BadCursor("after")
    number = int(raw[1:])
    latest = Delivery.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if number > latest:
        raise HttpError(400, "after: this cursor is from the future; start again without it")
    return number


def encode(delivery_id: int) -> str:
    return encode_cursor(f"d{delivery_id}")


def delivery_out(d: Delivery) -> dict[str, Any]:
    a = d.alert
    category = CATEGORY_BY_VALUE.get(a.category)
    return {
        "cursor": encode(d.pk),
        "reference": a.reference,
        "title": a.title,
        "category": a.category,
        "category_label": category.label if category else a.category,
        "priority": a.priority,
        "status": a.status,
        "revision": d.revision,
        "origin": a.origin_agency.code,
        "state": a.state.code,
        "reason": d.reason,
        "delivered_at": d.created_at.isoformat(),
        "updated_at": d.updated_at.isoformat(),
        "deadline": d.deadline.isoformat(),
        "acknowledged_at": d.acknowledged_at.isoformat() if d.acknowledged_at else None,
        "acknowledged_by": d.acknowledged_by.username if d.acknowledged_by else None,
    }


class InboxPage(Schema):
    unacknowledged: int
    next: str | None
    results: list[dict]


@router.get("/inbox", response=InboxPage, summary="Alerts delivered to the caller's agency, oldest first")
def inbox(request: HttpRequest, filters: Query[InboxFilters]) -> dict[str, Any]:
    check_limit(filters.limit)
    user = caller(request)
    mine = Delivery.objects.filter(agency_id=user.agency_id)
    qs = mine.select_related("alert__origin_agency", "alert__state", "acknowledged_by").order_by("id")
    qs = qs.filter(id__gt=_cursor(filters.after))
    if filters.unacknowledged:
        qs = qs.filter(acknowledged_at__isnull=True)
    if filters.priority:
        if bad := [p for p in filters.priority if p not in Priority.values]:
            raise invalid("query", "priority", f"unknown priority {bad[0]!r}")
        qs = qs.filter(alert__priority__in=filters.priority)
    if filters.category:
        if bad := [c for c in filters.category if c not in CATEGORY_BY_VALUE]:
            raise invalid("query", "category", f"unknown category {bad[0]!r}")
        qs = qs.filter(alert__category__in=filters.category)
    rows = list(qs[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    next_url = None
    if more:
        params = request.GET.copy()
        params["after"] = encode(rows[-1].pk)
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return {
        "unacknowledged": mine.filter(acknowledged_at__isnull=True).count(),
        "next": next_url,
        "results": [delivery_out(d) for d in rows],
    }


@router.post("/alerts/{ref}/acknowledge", response=dict, summary="Acknowledge an alert for your agency")
def acknowledge(request: HttpRequest, ref: str) -> dict[str, Any]:
    alert = get_visible(request, ref)
    delivery = actions.acknowledge(alert, actor=caller(request), request=request)
    delivery.alert = alert
    return delivery_out(delivery)


class RespondIn(Strict):
    outcome: str = Field(..., description=", ".join(ResponseOutcome.values))
    message: str = Field("", max_length=2000)


@router.post("/alerts/{ref}/responses", response={201: dict}, summary="Respond to an alert")
def respond(request: HttpRequest, ref: str, payload: RespondIn) -> Any:
    from ninja import Status

    alert = get_visible(request, ref)
    response = actions.respond(
        alert, actor=caller(request), outcome=payload.outcome, message=payload.message, request=request
    )
    return Status(201, response_out(response))


def response_out(r: Response) -> dict[str, Any]:
    return {
        "id": r.pk,
        "agency": r.agency.code,
        "by": r.by.username,
        "outcome": r.outcome,
        "message": r.message,
        "claims_hit": r.claims_hit,
        "at": r.created_at.isoformat(),
    }


@router.get(
    "/alerts/{ref}/deliveries", response=dict, summary="Who got the alert, who acknowledged, how fast"
)
def deliveries(request: HttpRequest, ref: str) -> dict[str, Any]:
    """For the originating agency and its supervisors only."""
    user = caller(request)
    alert = get_visible(request, ref)
    if not may_change(user, alert):
        record("alert.deliveries", actor=user, obj=alert, outcome=Outcome.DENIED, request=request)
        raise Http404
    rows = list(
        Delivery.objects.filter(alert=alert)
        .select_related("agency", "acknowledged_by")
        .order_by("agency__code")
    )
    now = timezone.now()
    acked = [d for d in rows if d.acknowledged_at]
    responses = Response.objects.filter(alert=alert).select_related("agency", "by")
    return {
        "recipients": len(rows),
        "acknowledged": len(acked),
        "overdue": sum(1 for d in rows if d.acknowledged_at is None and d.deadline < now),
        "deliveries": [
            {
                "agency": d.agency.code,
                "reason": d.reason,
                "revision": d.revision,
                "delivered_at": d.created_at.isoformat(),
                "deadline": d.deadline.isoformat(),
                "acknowledged_at": d.acknowledged_at.isoformat() if d.acknowledged_at else None,
                "acknowledged_by": d.acknowledged_by.username if d.acknowledged_by else None,
                "seconds_to_acknowledge": (d.acknowledged_at - d.created_at).total_seconds()
                if d.acknowledged_at
                else None,
            }
            for d in rows
        ],
        "responses": [response_out(r) for r in responses],
    }
