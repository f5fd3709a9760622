"""Escalation of unacknowledged urgent deliveries, and reminders for unconfirmed hits.

The worker calls `run_due(now)` and `remind_due(now)` on every loop. Both are idempotent and
safe with several workers: due rows are read with `SELECT ... FOR UPDATE SKIP LOCKED` where the
database has it (PostgreSQL), and every row is claimed with a guarded UPDATE (`WHERE escalate_at
= <the value read>`) so a row another worker already moved is left alone (SQLite, which
serialises writers anyway).

The climb. A flash or immediate delivery not acknowledged by its `escalate_at` goes to the next
control room above the recipient: for a station, its district's control room, then the State's
(the nearest control room among the children of each ancestor, nearest ancestor first; a level
without one is skipped). Each step records an `Escalation`, gives the control room a delivery
of its own (if it had none) with a fresh deadline, and moves `escalate_at` one acknowledgement
deadline on (None at the top). The climb stops as soon as anyone on it acknowledges: the
recipient, a control room it has already reached, or the agency whose own climb brought the
alert to this control room. Two climbs reaching the same control room tell it once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, QuerySet

from crimac.alerts import hooks
from crimac.alerts.choices import Priority, Status, ack_deadline
from crimac.alerts.models import Alert
from crimac.audit.actions import record
from crimac.directory.choices import CONTROL_ROOM_KINDS
from crimac.directory.models import Agency
from crimac.dissemination import feed, outbox
from crimac.dissemination.models import Delivery, Escalation, Response

# Deliveries of these climb the hierarchy when nobody acknowledges them in time.
ESCALATING = frozenset({Priority.FLASH, Priority.IMMEDIATE})
REASON = "escalation"
BATCH = 200


def _skip_locked(qs: QuerySet[Any]) -> QuerySet[Any]:
    if connection.features.has_select_for_update_skip_locked:
        return qs.select_for_update(skip_locked=True)
    return qs


# --- the hierarchy ------------------------------------------------------------------------------


def control_rooms_above(agency: Agency) -> list[Agency]:
    """The control rooms an unacknowledged delivery to `agency` climbs to, nearest first."""
    ancestors = list(reversed(agency.ancestor_ids()))  # nearest first
    if not ancestors:
        return []
    rooms = (
        Agency.objects.filter(kind__in=CONTROL_ROOM_KINDS, active=True, parent_id__in=ancestors)
        .exclude(pk=agency.pk)
        .order_by("code")
    )
    by_parent: dict[int, Agency] = {}
    for room in rooms:
        assert room.parent_id is not None
        by_parent.setdefault(room.parent_id, room)
    chain: list[Agency] = []
    for ancestor in ancestors:
        found = by_parent.get(ancestor)
        if found is not None and found.pk not in {r.pk for r in chain}:
            chain.append(found)
    return chain


# --- escalation ---------------------------------------------------------------------------------


def run_due(now: datetime) -> int:
    """Escalate every delivery whose `escalate_at` has come; return how many escalations were
    recorded. One transaction per alert, holding the alert's row (FOR NO KEY UPDATE, so
    acknowledgements and feed events are not blocked) while its due deliveries are read with
    SKIP LOCKED: two workers never escalate one alert at once, so a control room reached by
    two climbs is told once, and a delivery being acknowledged right now is left alone."""
    recorded = 0
    seen: set[int] = set()
    while True:
        due = Delivery.objects.filter(escalate_at__lte=now, acknowledged_at__isnull=True)
        alert_ids = list(
            due.exclude(alert_id__in=seen)
            .order_by("alert_id")
            .values_list("alert_id", flat=True)
            .distinct()[:BATCH]
        )
        if not alert_ids:
            return recorded
        for alert_id in alert_ids:
            seen.add(alert_id)
            with transaction.atomic():
                alert = Alert.objects.select_for_update(no_key=True).filter(pk=alert_id).first()
                if alert is None:
                    continue
                rows = list(_skip_locked(due.filter(alert_id=alert_id).order_by("escalate_at", "id")))
                for delivery in rows:
                    recorded += _escalate(delivery, alert, now)


def _claim(delivery: Delivery, now: datetime, **changes: Any) -> bool:
    """Move the delivery on, unless another worker (or an acknowledgement) already did."""
    return (
        Delivery.objects.filter(
            pk=delivery.pk,
            escalate_at=delivery.escalate_at,
            escalation_level=delivery.escalation_level,
            acknowledged_at__isnull=True,
        ).update(updated_at=now, **changes)
        == 1
    )


def _escalate(delivery: Delivery, alert: Alert, now: datetime) -> int:
    """Precondition: inside a transaction holding the alert's row; `delivery` read as due."""
    agency = Agency.objects.get(pk=delivery.agency_id)
    if alert.status != Status.PUBLISHED or alert.priority not in ESCALATING or delivery.muted:
        _claim(delivery, now, escalate_at=None)
        return 0
    chain = control_rooms_above(agency)
    level = delivery.escalation_level
    if level >= len(chain) or _someone_acknowledged(alert, delivery, chain[:level]):
        _claim(delivery, now, escalate_at=None)
        return 0
    step = ack_deadline(alert.priority)
    target = chain[level]
    next_at = now + step if level + 1 < len(chain) else None
    if not _claim(delivery, now, escalation_level=level + 1, escalate_at=next_at):
        return 0
    if Escalation.objects.filter(alert=alert, to_agency=target).exists():
        return 0  # another climb has already brought the alert to this control room
    source = chain[level - 1] if level else agency
    Escalation.objects.create(
        delivery=delivery,
        alert=alert,
        from_agency=source,
        to_agency=target,
        level=level + 1,
        created_at=now,
    )
    room_delivery = _deliver_to_room(alert, target, now, step)
    payload = {
        "reference": alert.reference,
        "message": (
            f"{agency.code} has not acknowledged {alert.get_priority_display().lower()} alert "
            f"{alert.reference} in time: escalated to {target.code}"
        ),
        "agency": agency.code,
        "level": level + 1,
        "deadline": room_delivery.deadline.isoformat(),
    }
    feed.record_notice(alert, "escalated", payload, to=target)
    feed.record_notice(alert, "escalated", payload, to=None)
    record(
        "alert.escalate",
        actor=None,
        obj=alert,
        agency=target,
        via="worker",
        detail={
            "delivery": delivery.pk,
            "from": source.code,
            "to": target.code,
            "recipient": agency.code,
            "level": level + 1,
        },
    )
    return 1


def _someone_acknowledged(alert: Alert, delivery: Delivery, reached: list[Agency]) -> bool:
    agencies = {delivery.agency_id} | {room.pk for room in reached}
    if delivery.reason == REASON:
        # The climbs that brought the alert here: their recipients and steps count too.
        for source_agency, from_agency in Escalation.objects.filter(
            alert=alert, to_agency_id=delivery.agency_id
        ).values_list("delivery__agency_id", "from_agency_id"):
            agencies |= {source_agency, from_agency}
    return Delivery.objects.filter(
        alert=alert, agency_id__in=agencies, acknowledged_at__isnull=False
    ).exists()


def _deliver_to_room(alert: Alert, room: Agency, now: datetime, step: timedelta) -> Delivery:
    """The control room's own delivery: new (it can climb again), or its existing one, unmuted.
    A new or unmuted one also goes out on the room's e-mail, SMS and webhook endpoints."""
    before = Delivery.objects.filter(alert=alert, agency=room).values_list("muted", flat=True).first()
    Delivery.objects.bulk_create(
        [
            Delivery(
                alert=alert,
                agency=room,
                reason=REASON,
                revision=alert.revision,
                created_at=now,
                updated_at=now,
                deadline=now + step,
                escalate_at=now + step,
            )
        ],
        ignore_conflicts=True,
    )
    Delivery.objects.filter(alert=alert, agency=room, muted=True).update(muted=False, updated_at=now)
    delivery = Delivery.objects.get(alert=alert, agency=room)
    if before is None:
        hooks.readers_added([alert.pk])
    if before is None or before:
        outbox.enqueue_deliveries("escalated", [delivery.pk])
    return delivery


# --- hit confirmation reminders -----------------------------------------------------------------


def remind_due(now: datetime) -> int:
    """Remind the originator of every hit still unconfirmed at its `next_reminder_at`; return
    how many reminders were sent. A worker that was down sends one reminder, not the backlog."""
    sent = 0
    seen: set[int] = set()
    while True:
        with transaction.atomic():
            due = Response.objects.filter(next_reminder_at__lte=now, confirmation="", claims_hit=True)
            rows = list(_skip_locked(due.exclude(pk__in=seen).order_by("next_reminder_at", "id"))[:BATCH])
            if not rows:
                return sent
            for response in rows:
                seen.add(response.pk)
                sent += _remind(response, now)


def _remind(response: Response, now: datetime) -> int:
    alert = Alert.objects.select_related("origin_agency").get(pk=response.alert_id)
    guard = Response.objects.filter(
        pk=response.pk, next_reminder_at=response.next_reminder_at, confirmation=""
    )
    if alert.status != Status.PUBLISHED:
        guard.update(next_reminder_at=None)
        return 0
    assert response.next_reminder_at is not None
    step = ack_deadline(alert.priority)
    following = response.next_reminder_at + step
    while following <= now:
        following += step
    if guard.update(reminders_sent=F("reminders_sent") + 1, next_reminder_at=following) != 1:
        return 0
    responder = Agency.objects.get(pk=response.agency_id)
    number = response.reminders_sent + 1
    feed.record_notice(
        alert,
        "hit_reminder",
        {
            "reference": alert.reference,
            "message": (
                f"{responder.code} reported a hit ({response.outcome}) on {alert.reference}: "
                f"confirm or refuse it (reminder {number})"
            ),
            "agency": responder.code,
            "deadline": response.confirm_by.isoformat() if response.confirm_by else None,
            "related": str(response.pk),
        },
        to=None,
    )
    record(
        "alert.hit_reminder",
        actor=None,
        obj=alert,
        agency=alert.origin_agency,
        via="worker",
        detail={"response": response.pk, "reminder": number},
    )
    return 1


# --- keeping deadlines right --------------------------------------------------------------------


def recompute_deadlines(alert_ids: Iterable[int]) -> int:
    """After a revision: unacknowledged deliveries get `deadline = created_at + the (new)
    priority's deadline` and their `escalate_at` to match. Returns the deliveries changed.
    Precondition: inside the revision's transaction, after the deliveries were written."""
    changed = 0
    for alert in Alert.objects.filter(pk__in=list(alert_ids)):
        step = ack_deadline(alert.priority)
        target = ExpressionWrapper(F("created_at") + step, output_field=DateTimeField())
        open_ = Delivery.objects.filter(alert=alert, acknowledged_at__isnull=True)
        stale = open_.annotate(due=target).exclude(deadline=F("due"))
        if not stale.exists():
            continue
        changed += open_.update(deadline=target)
        if alert.priority not in ESCALATING:
            open_.update(escalate_at=None)
            continue
        open_.filter(escalation_level=0, muted=False).update(escalate_at=target)
        for delivery in open_.filter(escalation_level__gt=0, muted=False).select_related("agency"):
            last = Escalation.objects.filter(delivery=delivery).order_by("-created_at", "-id").first()
            climbs_on = len(control_rooms_above(delivery.agency)) > delivery.escalation_level
            at = last.created_at + step if last is not None and climbs_on else None
            Delivery.objects.filter(pk=delivery.pk).update(escalate_at=at)
    return changed


def on_revised(event: hooks.AlertEvent) -> None:
    recompute_deadlines(event.alert_ids)


def on_closed(event: hooks.AlertEvent) -> None:
    """A cancelled or resolved alert climbs no further and asks for no more confirmations."""
    Delivery.objects.filter(alert_id__in=event.alert_ids, escalate_at__isnull=False).update(escalate_at=None)
    Response.objects.filter(alert_id__in=event.alert_ids, next_reminder_at__isnull=False).update(
        next_reminder_at=None
    )


def connect() -> None:
    """Register the in-transaction hooks. Call after `subscribers.connect()` registered
    `deliver`, so revised deliveries exist before their deadlines are recomputed."""
    hooks.subscribe("revised", on_revised, in_transaction=True)
    hooks.subscribe("cancelled", on_closed, in_transaction=True)
    hooks.subscribe("resolved", on_closed, in_transaction=True)
