"""Inbox, acknowledgement, responses, and the originator's view of who got an alert."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja import Status as HttpStatus
from ninja.errors import HttpError

from crimac import clock
from crimac.alerts.actions import may_change
from crimac.alerts.api import get_visible
from crimac.alerts.choices import CATEGORY_BY_VALUE, Priority, Status
from crimac.api.auth import caller
from crimac.api.pagination import BadCursor, check_limit, decode_cursor, encode_cursor
from crimac.api.problems import invalid
from crimac.audit.actions import record
from crimac.audit.models import Outcome
from crimac.dissemination import actions
from crimac.dissemination.choices import ResponseOutcome
from crimac.dissemination.models import Delivery, DeliveryRead, Escalation, Response
from crimac.dissemination.subscriptions import muted_for_user_q

router = Router(tags=["dissemination"])


class Strict(Schema):
    model_config = {"extra": "forbid"}


CHANGES_MARGIN = timedelta(seconds=5)

INBOX_DESCRIPTION = f"""
The deliveries to the caller's agency. Two ways to poll:

- **new items**: pass the `cursor` of the last item you have as `after=`; items come oldest
  first by delivery.
- **changes** (revisions, cancellations, resolutions, acknowledgements by colleagues,
  escalations, deadlines moved by a new priority): pass `updated_after=` (an ISO 8601 time).
  Items whose delivery changed at or after it come in the order they changed; follow `next`
  for more. Every answer carries `poll_from`: pass it as `updated_after` next time. It lies
  {CHANGES_MARGIN.seconds} seconds before the answer was read, so a change committed while you
  were reading is never missed; an item may come twice, so keep the latest by `reference`.

Muted deliveries are left out unless `muted=true` (which lists only them). `unread` counts what
the caller has not opened (`user`) and what nobody of the agency has opened (`agency`), muted
deliveries not counted; opening an alert or acknowledging it marks it read, as does
`POST /inbox/read`.
"""


class InboxFilters(Strict):
    after: str | None = Field(None, description="the `cursor` of the last item you have; omit to start")
    updated_after: datetime | None = Field(
        None, description="changes mode: deliveries changed at or after this time (use `poll_from`)"
    )
    unacknowledged: bool | None = Field(None, description="only what your agency has not acknowledged")
    acknowledged: bool | None = Field(None, description="true: only acknowledged; false: only not")
    unread: bool | None = Field(None, description="true: only what you have not opened; false: only read")
    muted: bool | None = Field(None, description="true: only muted deliveries (hidden otherwise)")
    priority: list[str] | None = None
    category: list[str] | None = None
    status: list[str] | None = Field(None, description="the alert's status: " + ", ".join(Status.values))
    since: datetime | None = Field(None, description="delivered at or after")
    until: datetime | None = Field(None, description="delivered before")
    limit: int = 100


def _id_cursor(raw: str) -> int:
    if not raw.startswith("d") or not raw[1:].isascii() or not raw[1:].isdigit():
        raise BadCursor("after")
    number = int(raw[1:])
    latest = Delivery.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if number > latest:
        raise HttpError(400, "after: this cursor is from the future; start again without it")
    return number


def _cursor(value: str | None) -> int:
    if not value:
        return 0
    return _id_cursor(decode_cursor(value, field="after"))


def _change_cursor(raw: str) -> tuple[datetime, int]:
    stamp, _, number = raw[1:].rpartition("|")
    if not raw.startswith("u") or not number.isascii() or not number.isdigit():
        raise BadCursor("after")
    try:
        at = datetime.fromisoformat(stamp)
    except ValueError:
        raise BadCursor("after") from None
    if timezone.is_naive(at) or not 1900 <= at.year <= 2100:
        raise BadCursor("after")
    if at > clock.now() + CHANGES_MARGIN:
        raise HttpError(400, "after: this cursor is from the future; start again without it")
    return at, int(number)


def encode(delivery_id: int) -> str:
    return encode_cursor(f"d{delivery_id}")


def encode_change(d: Delivery) -> str:
    return encode_cursor(f"u{d.updated_at.isoformat()}|{d.pk}")


def delivery_out(d: Delivery, *, read: bool | None = None) -> dict[str, Any]:
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
        "muted": d.muted,
        "read": bool(getattr(d, "read", False)) if read is None else read,
        "escalation_level": d.escalation_level,
        "escalate_at": d.escalate_at.isoformat() if d.escalate_at else None,
    }


class Unread(Schema):
    user: int = Field(..., description="not opened by the caller")
    agency: int = Field(..., description="not opened by anyone of the caller's agency")


class InboxPage(Schema):
    unacknowledged: int
    unread: Unread
    poll_from: str = Field(..., description="pass as `updated_after` on your next poll for changes")
    next: str | None
    results: list[dict]


def read_by(user: Any) -> Exists:
    return Exists(DeliveryRead.objects.filter(delivery=OuterRef("pk"), user_id=user.pk))


def unread_counts(user: Any) -> dict[str, Any]:
    """Unacknowledged and unread counts of the user's agency inbox, in one query."""
    mine = Delivery.objects.filter(agency_id=user.agency_id)
    anyone = Exists(DeliveryRead.objects.filter(delivery=OuterRef("pk")))
    counts = mine.aggregate(
        unacknowledged=Count("id", filter=Q(acknowledged_at__isnull=True)),
        user=Count("id", filter=Q(Q(muted=False), ~read_by(user)) & ~muted_for_user_q(user)),
        agency=Count("id", filter=Q(Q(muted=False), ~anyone)),
    )
    return {
        "unacknowledged": counts["unacknowledged"],
        "unread": {"user": counts["user"], "agency": counts["agency"]},
    }


def _filtered(user: Any, filters: InboxFilters) -> QuerySet[Delivery]:
    qs = Delivery.objects.filter(agency_id=user.agency_id)
    # Muted: by the agency (Delivery.muted) or by this officer (their own mute rules).
    user_muted = muted_for_user_q(user)
    qs = (
        qs.filter(Q(muted=True) | user_muted) if filters.muted else qs.filter(muted=False).exclude(user_muted)
    )
    if filters.unacknowledged:
        qs = qs.filter(acknowledged_at__isnull=True)
    if filters.acknowledged is not None:
        qs = qs.filter(acknowledged_at__isnull=not filters.acknowledged)
    if filters.unread is not None:
        qs = qs.filter(~read_by(user) if filters.unread else read_by(user))
    if filters.priority:
        if bad := [p for p in filters.priority if p not in Priority.values]:
            raise invalid("query", "priority", f"unknown priority {bad[0]!r}")
        qs = qs.filter(alert__priority__in=filters.priority)
    if filters.category:
        if bad := [c for c in filters.category if c not in CATEGORY_BY_VALUE]:
            raise invalid("query", "category", f"unknown category {bad[0]!r}")
        qs = qs.filter(alert__category__in=filters.category)
    if filters.status:
        if bad := [c for c in filters.status if c not in Status.values]:
            raise invalid("query", "status", f"unknown status {bad[0]!r}")
        qs = qs.filter(alert__status__in=filters.status)
    for name in ("since", "until", "updated_after"):
        value = getattr(filters, name)
        if value is not None and timezone.is_naive(value):
            raise invalid("query", name, "give a time zone (for example +05:30 or Z)")
        if value is not None and not 1900 <= value.year <= 2100:
            raise invalid("query", name, "the year must lie between 1900 and 2100")
    if filters.since is not None:
        qs = qs.filter(created_at__gte=filters.since)
    if filters.until is not None:
        qs = qs.filter(created_at__lt=filters.until)
    if filters.since is not None and filters.until is not None and filters.until <= filters.since:
        raise invalid("query", "until", "must be later than since")
    return qs


@router.get(
    "/inbox",
    response=InboxPage,
    summary="Alerts delivered to the caller's agency, oldest first",
    description=INBOX_DESCRIPTION,
)
def inbox(request: HttpRequest, filters: Query[InboxFilters]) -> dict[str, Any]:
    check_limit(filters.limit)
    user = caller(request)
    poll_from = clock.now() - CHANGES_MARGIN
    qs = (
        _filtered(user, filters)
        .select_related("alert__origin_agency", "alert__state", "acknowledged_by")
        .annotate(read=read_by(user))
    )
    raw = decode_cursor(filters.after, field="after") if filters.after else None
    if filters.updated_after is not None:
        qs = qs.filter(updated_at__gte=filters.updated_after).order_by("updated_at", "id")
        if raw is not None:
            at, number = _change_cursor(raw)
            qs = qs.filter(Q(updated_at__gt=at) | Q(updated_at=at, id__gt=number))
    else:
        if raw is not None and raw.startswith("u"):
            raise invalid("query", "after", "a changes cursor needs updated_after")
        qs = qs.order_by("id").filter(id__gt=_id_cursor(raw) if raw is not None else 0)
    rows = list(qs[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    next_url = None
    if more:
        params = request.GET.copy()
        params["after"] = (
            encode_change(rows[-1]) if filters.updated_after is not None else encode(rows[-1].pk)
        )
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return unread_counts(user) | {
        "poll_from": poll_from.isoformat(),
        "next": next_url,
        "results": [delivery_out(d) for d in rows],
    }


class MarkReadIn(Strict):
    references: list[Annotated[str, Field(max_length=40)]] | None = Field(
        None, max_length=500, description="the alerts to mark read"
    )
    up_to: str | None = Field(None, max_length=100, description="or: everything up to this inbox `cursor`")


class MarkReadOut(Schema):
    marked: int
    unread: Unread


@router.post("/inbox/read", response=MarkReadOut, summary="Mark inbox items read for the caller")
def mark_read(request: HttpRequest, payload: MarkReadIn) -> dict[str, Any]:
    user = caller(request)
    if (payload.references is None) == (payload.up_to is None):
        raise DjangoValidationError({"references": ["give either references or up_to"]})
    up_to = None
    if payload.up_to is not None:
        try:
            up_to = _id_cursor(decode_cursor(payload.up_to, field="up_to"))
        except HttpError:
            raise DjangoValidationError({"up_to": ["not an inbox cursor this server gave out"]}) from None
    if payload.references is not None:
        wanted = {r.upper() for r in payload.references}
        found = set(
            Delivery.objects.filter(agency_id=user.agency_id, alert__reference__in=wanted).values_list(
                "alert__reference", flat=True
            )
        )
        errors = {
            f"references.{i}": ["not in your inbox"]
            for i, r in enumerate(payload.references)
            if r.upper() not in found
        }
        if errors:
            raise DjangoValidationError(errors)
    marked = actions.mark_inbox_read(payload.references, actor=user, up_to=up_to, request=request)
    return {"marked": marked, "unread": unread_counts(user)["unread"]}


@router.post("/alerts/{ref}/acknowledge", response=dict, summary="Acknowledge an alert for your agency")
def acknowledge(request: HttpRequest, ref: str) -> dict[str, Any]:
    alert = get_visible(request, ref)
    delivery = actions.acknowledge(alert, actor=caller(request), request=request)
    delivery.alert = alert
    return delivery_out(delivery, read=True)  # acknowledging marks it read


class RespondIn(Strict):
    outcome: str = Field(..., description=", ".join(ResponseOutcome.values))
    message: str = Field("", max_length=2000)


@router.post("/alerts/{ref}/responses", response={201: dict}, summary="Respond to an alert")
def respond(request: HttpRequest, ref: str, payload: RespondIn) -> Any:
    alert = get_visible(request, ref)
    response = actions.respond(
        alert, actor=caller(request), outcome=payload.outcome, message=payload.message, request=request
    )
    return HttpStatus(201, response_out(response))


def response_out(r: Response) -> dict[str, Any]:
    return {
        "id": r.pk,
        "agency": r.agency.code,
        "by": r.by.username,
        "outcome": r.outcome,
        "message": r.message,
        "claims_hit": r.claims_hit,
        "at": r.created_at.isoformat(),
        "confirm_by": r.confirm_by.isoformat() if r.confirm_by else None,
        "confirmation": r.confirmation or None,
        "confirmed_at": r.confirmed_at.isoformat() if r.confirmed_at else None,
        "confirmed_by": r.confirmed_by.username if r.confirmed_by else None,
        "confirmation_note": r.confirmation_note,
        "reminders_sent": r.reminders_sent,
    }


class ConfirmIn(Strict):
    confirmed: bool = Field(..., description="true: the hit is confirmed; false: refused")
    note: str = Field("", max_length=2000)


@router.post(
    "/alerts/{ref}/responses/{response_id}/confirm",
    response=dict,
    summary="Confirm or refuse a hit a recipient reported (the originator only)",
    description="Once per response: a second answer is a 409; a response that claims no hit is a 422.",
)
def confirm(request: HttpRequest, ref: str, response_id: int, payload: ConfirmIn) -> dict[str, Any]:
    alert = get_visible(request, ref)
    response = actions.confirm_hit(
        alert,
        response_id,
        actor=caller(request),
        confirmed=payload.confirmed,
        note=payload.note,
        request=request,
    )
    response = Response.objects.select_related("agency", "by", "confirmed_by").get(pk=response.pk)
    return response_out(response)


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
    return receipts(alert)


def receipts(alert: Any) -> dict[str, Any]:
    """Who got the alert, acknowledgements, escalations and responses (for the originator)."""
    rows = list(
        Delivery.objects.filter(alert=alert)
        .select_related("agency", "acknowledged_by")
        .order_by("agency__code")
    )
    now = clock.now()
    acked = [d for d in rows if d.acknowledged_at]
    responses = Response.objects.filter(alert=alert).select_related("agency", "by", "confirmed_by")
    escalations = Escalation.objects.filter(alert=alert).select_related(
        "from_agency", "to_agency", "delivery__agency"
    )
    return {
        "recipients": len(rows),
        "acknowledged": len(acked),
        "overdue": sum(1 for d in rows if d.acknowledged_at is None and d.deadline < now),
        "escalated": sum(1 for d in rows if d.escalation_level),
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
                "escalation_level": d.escalation_level,
                "escalate_at": d.escalate_at.isoformat() if d.escalate_at else None,
            }
            for d in rows
        ],
        "escalations": [
            {
                "from": e.from_agency.code,
                "to": e.to_agency.code,
                "recipient": e.delivery.agency.code,
                "level": e.level,
                "at": e.created_at.isoformat(),
            }
            for e in escalations
        ],
        "responses": [response_out(r) for r in responses],
    }
