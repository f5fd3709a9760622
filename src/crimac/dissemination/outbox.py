"""The outbox: messages for e-mail, SMS and webhook endpoints, written with the event they tell of.

A message is a row before it is a message: `enqueue` writes it in the alert's transaction, so a
committed event always has its messages, and the worker sends them later:

1. `claim` reserves due messages: it counts the attempt and moves `next_attempt_at` forward by a
   lease (locking with SKIP LOCKED on PostgreSQL; SQLite's BEGIN IMMEDIATE makes one writer at a
   time), then commits. A worker that dies mid-send leaves its messages due again once the lease
   runs out, so every committed message is sent at least once.
2. The worker sends outside any transaction.
3. `finish` records the outcome, but only if the message is still the worker's (same attempt
   number), so a worker that outlived its lease cannot overwrite a newer attempt.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from crimac.audit.actions import record
from crimac.audit.models import Outcome
from crimac.directory.actions import deny
from crimac.directory.permissions import may_act_on
from crimac.dissemination.channels import conf
from crimac.dissemination.channels.endpoints import PERM
from crimac.dissemination.choices import OutboxStatus
from crimac.dissemination.models import Delivery, Endpoint, OutboxMessage

if TYPE_CHECKING:
    from django.http import HttpRequest

    from crimac.alerts.models import Alert

EVENTS = frozenset({"published", "revised", "cancelled", "resolved"})
SUMMARY_CHARS = 500


def alert_summary(alert: Alert) -> dict[str, Any]:
    info = alert.category_info
    return {
        "reference": alert.reference,
        "title": alert.title,
        "category": alert.category,
        "category_label": info.label if info else alert.category,
        "priority": alert.priority,
        "status": alert.status,
        "revision": alert.revision,
        "action_requested": alert.action_requested,
        "origin": alert.origin_agency.code,
        "origin_name": alert.origin_agency.name,
        "state": alert.state.code,
        "published_at": alert.published_at.isoformat() if alert.published_at else None,
        "summary": alert.narrative[:SUMMARY_CHARS],
        "path": reverse("alerts:detail", args=[alert.reference]),
    }


def enqueue(event: str, alert_ids: list[int]) -> None:
    """Write one outbox message per active endpoint of each recipient agency of the alerts
    (muted deliveries get none). Precondition: inside the transaction of the change."""
    if event not in EVENTS or not alert_ids:
        return
    _enqueue(event, Delivery.objects.filter(alert_id__in=alert_ids))


def enqueue_deliveries(event: str, delivery_ids: list[int]) -> None:
    """The same for some deliveries only (for example "escalated": the control room an alert
    climbed to). Precondition: inside the transaction that wrote them."""
    if delivery_ids:
        _enqueue(event, Delivery.objects.filter(pk__in=delivery_ids))


def _enqueue(event: str, deliveries_qs: Any) -> None:
    from crimac.alerts.models import Alert

    deliveries = list(
        deliveries_qs.filter(muted=False, agency__endpoints__active=True)
        .values_list("pk", "alert_id", "agency_id", "agency__code", "reason", "deadline")
        .distinct()
    )
    if not deliveries:
        return
    alert_ids = list({d[1] for d in deliveries})
    endpoints: dict[int, list[Endpoint]] = defaultdict(list)
    for endpoint in Endpoint.objects.filter(active=True, agency_id__in={d[2] for d in deliveries}):
        endpoints[endpoint.agency_id].append(endpoint)
    alerts = {
        a.pk: alert_summary(a)
        for a in Alert.objects.select_related("origin_agency", "state").filter(pk__in=alert_ids)
    }
    now = timezone.now()
    rows = []
    for delivery_id, alert_id, agency_id, agency_code, reason, deadline in deliveries:
        for endpoint in endpoints[agency_id]:
            key = uuid.uuid4()
            payload = {
                "id": str(key),
                "event": event,
                "delivery": delivery_id,
                "agency": agency_code,
                "reason": reason,
                "alert": {**alerts[alert_id], "acknowledge_by": deadline.isoformat()},
                "created_at": now.isoformat(),
            }
            rows.append(
                OutboxMessage(
                    endpoint=endpoint,
                    delivery_id=delivery_id,
                    alert_id=alert_id,
                    event=event,
                    key=key,
                    payload=payload,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    OutboxMessage.objects.bulk_create(rows, batch_size=2000)


# --- retries ----------------------------------------------------------------------------------


def backoff(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """How long to wait after the `attempts`-th failure: exponential from the base up to the cap,
    with "equal jitter" (between half and all of it), so failing receivers are not hit by every
    worker at the same instant, and never sooner than half the nominal delay."""
    base, cap = conf.backoff_base(), conf.backoff_cap()
    nominal = min(cap, base * 2 ** max(attempts - 1, 0))
    pick = (rng or random).uniform(0.5, 1.0)
    return timedelta(seconds=nominal * pick)


# --- the worker's side ------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    message: OutboxMessage
    attempt: int


def claim(batch: int, *, now: datetime | None = None) -> list[Claimed]:
    """Reserve up to `batch` due messages for this worker (see the module docstring)."""
    now = now or timezone.now()
    lease_until = now + timedelta(seconds=conf.lease_seconds(batch))
    due = OutboxMessage.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
    # A plain read first: an idle worker must not take SQLite's write lock every poll.
    if not due.exists():
        return []
    with transaction.atomic():
        ids = list(
            due.select_for_update(skip_locked=True)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return []
        OutboxMessage.objects.filter(pk__in=ids).update(
            attempts=F("attempts") + 1, next_attempt_at=lease_until
        )
    messages = OutboxMessage.objects.select_related("endpoint__agency").filter(pk__in=ids).order_by("id")
    return [Claimed(m, m.attempts) for m in messages]


def give_up_reason(claimed: Claimed) -> str | None:
    """Why a claimed message must not be sent at all, if it must not."""
    if not claimed.message.endpoint.active:
        return "the endpoint was deactivated"
    if claimed.attempt > conf.max_attempts():
        return f"{claimed.attempt - 1} attempts without an answer (the worker stopped during them)"
    return None


def finish(claimed: Claimed, error: str | None, *, now: datetime | None = None) -> str:
    """Record the attempt: sent, to be retried after a backoff, or dead after the last try.
    Returns the new status ("" when the message was no longer this worker's)."""
    now = now or timezone.now()
    message, attempt = claimed.message, claimed.attempt
    mine = OutboxMessage.objects.filter(pk=message.pk, attempts=attempt, status=OutboxStatus.PENDING)
    if error is None:
        done = mine.update(status=OutboxStatus.SENT, delivered_at=now)
        return OutboxStatus.SENT if done else ""
    error = error[:1000]
    if attempt >= conf.max_attempts() or not message.endpoint.active:
        with transaction.atomic():
            done = mine.update(status=OutboxStatus.DEAD, last_error=error)
            if done:
                record(
                    "outbox.dead",
                    obj=message,
                    agency=message.endpoint.agency,
                    via="worker",
                    outcome=Outcome.FAILED,
                    detail={"attempts": attempt, "error": error, "endpoint": message.endpoint_id},
                )
        return OutboxStatus.DEAD if done else ""
    done = mine.update(last_error=error, next_attempt_at=now + backoff(attempt))
    return OutboxStatus.PENDING if done else ""


def release(claimed: list[Claimed]) -> None:
    """Hand claimed messages back unsent (a worker stopping): due now, the attempt not counted."""
    now = timezone.now()
    for item in claimed:
        OutboxMessage.objects.filter(
            pk=item.message.pk, attempts=item.attempt, status=OutboxStatus.PENDING
        ).update(attempts=F("attempts") - 1, next_attempt_at=now)


# --- dead letters -----------------------------------------------------------------------------


def retry(
    message: OutboxMessage, *, actor: Any, request: HttpRequest | None = None, via: str = ""
) -> OutboxMessage:
    """Send a dead-lettered message again, with a fresh run of attempts."""
    endpoint = message.endpoint
    if actor is not None and not may_act_on(actor, PERM, endpoint.agency):
        raise deny("outbox.retry", actor=actor, request=request, obj=message)
    if message.status != OutboxStatus.DEAD:
        raise ValidationError(
            {"status": [f"only a dead-lettered message is retried; this one is {message.status}"]}
        )
    if not endpoint.active:
        raise ValidationError({"endpoint": ["the endpoint is deactivated; add it again to send to it"]})
    with transaction.atomic():
        updated = OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.DEAD).update(
            status=OutboxStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        if not updated:
            raise ValidationError({"status": ["the message changed meanwhile; reload it"]})
        record(
            "outbox.retry",
            actor=actor,
            obj=message,
            agency=endpoint.agency,
            request=request,
            via=via,
            detail={"attempts_before": message.attempts, "last_error": message.last_error},
        )
    message.refresh_from_db()
    return message
