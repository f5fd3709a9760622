"""The live feed's events: typed, recorded in the transaction of what they report, pushed after
commit through the channel layer to every server process once ("feed" group); each process sends
them to its own connections whose agency the event concerns."""

from __future__ import annotations

from typing import Any, Literal

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from pydantic import BaseModel, ConfigDict

from crimac.alerts.models import Alert
from crimac.dissemination.models import Delivery, FeedEvent

GROUP = "feed"
AlertKind = Literal["published", "revised", "cancelled", "resolved"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AlertSummary(Strict):
    reference: str
    title: str
    category: str
    priority: str
    status: str
    revision: int
    origin: str
    state: str


class AlertEventOut(Strict):
    """Sent to every agency the alert was delivered to."""

    type: AlertKind
    cursor: int
    alert: AlertSummary


class ReceiptEventOut(Strict):
    """Sent to the originating agency: a recipient acknowledged or responded."""

    type: Literal["acknowledged", "responded"]
    cursor: int
    reference: str
    agency: str
    by: str
    outcome: str | None = None
    message: str | None = None
    claims_hit: bool | None = None
    seconds_to_acknowledge: float | None = None


NoticeKind = Literal["escalated", "hit_claimed", "hit_reminder", "hit_confirmed", "match", "delayed_inquiry"]


class NoticeEventOut(Strict):
    """Something that needs one agency's attention: an escalation reaching its control room (or
    told to the originator), a hit to confirm, a reminder, a match with another alert."""

    type: NoticeKind
    cursor: int
    reference: str
    message: str
    agency: str | None = None
    level: int | None = None
    deadline: str | None = None
    related: str | None = None
    related_origin: str | None = None
    score: float | None = None
    reasons: list[str] | None = None


NOTICE_KINDS = frozenset(NoticeKind.__args__)  # type: ignore[attr-defined]


class ErrorOut(Strict):
    type: Literal["error"]
    field: str
    message: str


def summary(alert: Alert) -> dict[str, Any]:
    return AlertSummary(
        reference=alert.reference,
        title=alert.title,
        category=alert.category,
        priority=alert.priority,
        status=alert.status,
        revision=alert.revision,
        origin=alert.origin_agency.code,
        state=alert.state.code,
    ).model_dump()


def record_alert_events(alerts: list[Alert], kind: str) -> None:
    """One event per alert, in one insert. Precondition: inside the transaction of the change;
    the events are pushed after commit."""
    events = FeedEvent.objects.bulk_create(
        FeedEvent(alert=alert, kind=kind, audience="recipients", payload=summary(alert)) for alert in alerts
    )
    for event in events:
        push_after_commit(event.pk)


def record_receipt(alert: Alert, kind: str, agency: Any, payload: dict[str, Any]) -> FeedEvent:
    event = FeedEvent.objects.create(
        alert=alert, kind=kind, audience="originator", agency=agency, payload=payload
    )
    push_after_commit(event.pk)
    return event


def record_notice(alert: Alert, kind: str, payload: dict[str, Any], *, to: Any = None) -> FeedEvent:
    """A notice for agency `to`, or for the alert's originator when `to` is None. `payload` holds
    NoticeEventOut's fields other than type and cursor (validated here, so a typo fails early).
    Precondition: inside the transaction of the change; pushed after commit."""
    NoticeEventOut(type=kind, cursor=0, **payload)  # type: ignore[arg-type]
    event = FeedEvent.objects.create(
        alert=alert,
        kind=kind,
        audience="originator" if to is None else "agency",
        agency=to,
        payload=payload,
    )
    push_after_commit(event.pk)
    return event


def push_after_commit(event_id: int) -> None:
    def push() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(GROUP, {"type": "feed.event", "id": event_id})

    transaction.on_commit(push)


def events_for(agency: Any) -> QuerySet[FeedEvent]:
    """The events an agency's feed carries: alerts delivered to it, receipts of its own alerts."""
    delivered = Exists(Delivery.objects.filter(alert=OuterRef("alert"), agency=agency, muted=False))
    return FeedEvent.objects.filter(
        Q(audience="recipients", alert__status__in=["published", "cancelled", "resolved", "expired"])
        & delivered
        | Q(audience="originator", alert__origin_agency=agency)
        | Q(audience="agency", agency=agency)
    ).order_by("id")


def message(event: FeedEvent) -> dict[str, Any]:
    """The typed message for an event (validated: unknown fields are refused)."""
    if event.audience == "recipients":
        return AlertEventOut(type=event.kind, cursor=event.pk, alert=event.payload).model_dump()  # type: ignore[arg-type]
    if event.kind in NOTICE_KINDS:
        return NoticeEventOut(type=event.kind, cursor=event.pk, **event.payload).model_dump(exclude_none=True)  # type: ignore[arg-type]
    return ReceiptEventOut(type=event.kind, cursor=event.pk, **event.payload).model_dump(exclude_none=True)  # type: ignore[arg-type]
