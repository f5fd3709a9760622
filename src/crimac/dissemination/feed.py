"""The live feed's events: typed, recorded in the transaction of what they report, and announced
after commit through the channel layer to every server process once ("feed" group). Each
process's dispatcher (`fanout.py`) reads the new events once, works out their recipient agencies
once, encodes each message once and writes it to its own sockets of those agencies.

A cursor is an event id, and ids are handed out in commit order (`serialise_writers`), so "every
event after cursor N" never loses one that committed late with a lower id.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any, Literal

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from pydantic import BaseModel, ConfigDict

from crimac.alerts.models import Alert
from crimac.dissemination.models import Delivery, FeedEvent

GROUP = "feed"
# pg_advisory_xact_lock key held by every transaction that records feed events ("crimacFE").
WRITERS_LOCK = 0x637269_6D6163_4645
# Alerts in these statuses show their events to their recipients (drafts never reach anyone).
SHOWN_STATUSES = ("published", "cancelled", "resolved", "expired")
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


def serialise_writers() -> None:
    """Make event ids follow commit order: from here to the end of its transaction, no other
    transaction can take a feed event id. Without it, a transaction that took id 7 could commit
    after one that took id 8 had been sent, and a client resuming from 8 would never get 7.

    PostgreSQL: a transaction-level advisory lock, taken just before the insert, so only the tail
    of the writing transactions is serialised. SQLite serialises every writer already
    (BEGIN IMMEDIATE). Precondition: inside `transaction.atomic()`."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WRITERS_LOCK])


def record_alert_events(alerts: list[Alert], kind: str) -> None:
    """One event per alert, in one insert. Precondition: inside the transaction of the change;
    the events are pushed after commit."""
    with transaction.atomic(savepoint=False):  # no extra queries inside the caller's transaction
        serialise_writers()
        events = FeedEvent.objects.bulk_create(
            FeedEvent(alert=alert, kind=kind, audience="recipients", payload=summary(alert))
            for alert in alerts
        )
    for event in events:
        push_after_commit(event.pk)


def record_receipt(alert: Alert, kind: str, agency: Any, payload: dict[str, Any]) -> FeedEvent:
    with transaction.atomic(savepoint=False):  # no extra queries inside the caller's transaction
        serialise_writers()
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
    with transaction.atomic(savepoint=False):  # no extra queries inside the caller's transaction
        serialise_writers()
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
        Q(audience="recipients", alert__status__in=SHOWN_STATUSES) & delivered
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


def encode(event: FeedEvent) -> str:
    """The message as the socket sends it: encoded once, however many sockets get it."""
    return json.dumps(message(event), separators=(",", ":"), ensure_ascii=False)


def events_after(cursor: int, limit: int) -> list[tuple[int, frozenset[int], str]]:
    """Every event after `cursor` (up to `limit`), in order, each with the agencies it goes to
    (the rule of `events_for`, applied once per event instead of once per agency) and its
    encoded message. Two queries, however many events and recipients."""
    events = list(
        FeedEvent.objects.select_related("alert")
        .only("id", "kind", "audience", "agency_id", "payload", "alert__status", "alert__origin_agency")
        .filter(id__gt=cursor)
        .order_by("id")[:limit]
    )
    shown = {e.alert_id for e in events if e.audience == "recipients" and e.alert.status in SHOWN_STATUSES}
    delivered: dict[int, set[int]] = defaultdict(set)
    if shown:
        for alert_id, agency_id in Delivery.objects.filter(alert_id__in=shown, muted=False).values_list(
            "alert_id", "agency_id"
        ):
            delivered[alert_id].add(agency_id)
    out = []
    for event in events:
        if event.audience == "recipients":
            to = frozenset(delivered.get(event.alert_id, ()))
        elif event.audience == "originator":
            to = frozenset([event.alert.origin_agency_id])
        else:
            to = frozenset([event.agency_id]) if event.agency_id is not None else frozenset()
        out.append((event.pk, to, encode(event)))
    return out


def latest_id() -> int:
    return FeedEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
