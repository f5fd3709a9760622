"""Acknowledging, responding to and reading a delivered alert; confirming a claimed hit."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from ninja.errors import HttpError

from crimac import clock
from crimac.alerts.actions import may_change
from crimac.alerts.choices import ack_deadline
from crimac.alerts.models import Alert
from crimac.audit.actions import record
from crimac.audit.models import Outcome
from crimac.directory.permissions import Perm, has_perm
from crimac.dissemination import feed
from crimac.dissemination.choices import HIT_OUTCOMES, Confirmation, ResponseOutcome
from crimac.dissemination.models import Delivery, DeliveryRead, Response

if TYPE_CHECKING:
    from django.http import HttpRequest


def access_delivery(alert: Alert, *, actor: Any, action: str, request: HttpRequest | None) -> Delivery:
    """The delivery of `alert` to the actor's agency, if the actor may act on it."""
    if not has_perm(actor, Perm.ACKNOWLEDGE):
        record(action, actor=actor, obj=alert, outcome=Outcome.DENIED, request=request)
        raise PermissionDenied("your role may not acknowledge or respond to alerts")
    delivery = Delivery.objects.filter(alert=alert, agency_id=actor.agency_id).first()
    if delivery is None:
        record(
            action,
            actor=actor,
            obj=alert,
            outcome=Outcome.DENIED,
            request=request,
            detail={"reason": "not a recipient"},
        )
        raise Http404
    return delivery


def _receipt(alert: Alert, actor: Any, delivery: Delivery) -> dict[str, Any]:
    assert delivery.acknowledged_at is not None
    return {
        "reference": alert.reference,
        "agency": actor.agency.code,
        "by": actor.username,
        "seconds_to_acknowledge": (delivery.acknowledged_at - delivery.created_at).total_seconds(),
    }


def acknowledge(alert: Alert, *, actor: Any, request: HttpRequest | None = None, via: str = "") -> Delivery:
    """Acknowledge receipt for the actor's agency (and mark it read for the actor). A second
    acknowledgement changes nothing."""
    delivery = access_delivery(alert, actor=actor, action="alert.acknowledge", request=request)
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.acknowledged_at is None:
            acknowledged_at = _acknowledged(delivery, actor)
            feed.record_receipt(alert, "acknowledged", actor.agency, _receipt(alert, actor, delivery))
            record(
                "alert.acknowledge",
                actor=actor,
                obj=alert,
                request=request,
                via=via,
                detail={"seconds": (acknowledged_at - delivery.created_at).total_seconds()},
            )
        do_mark_read([delivery.pk], actor)
    return delivery


def _acknowledged(delivery: Delivery, actor: Any) -> datetime:
    """Precondition: the delivery row is locked. Acknowledging stops its escalation."""
    now = clock.now()
    delivery.acknowledged_at = delivery.updated_at = now
    delivery.acknowledged_by = actor
    delivery.escalate_at = None
    delivery.save(update_fields=["acknowledged_at", "acknowledged_by", "escalate_at", "updated_at"])
    return now


def respond(
    alert: Alert,
    *,
    actor: Any,
    outcome: str,
    message: str = "",
    request: HttpRequest | None = None,
    via: str = "",
) -> Response:
    """Report back to the originator. Responding also acknowledges."""
    delivery = access_delivery(alert, actor=actor, action="alert.respond", request=request)
    if outcome not in ResponseOutcome.values:
        raise ValidationError({"outcome": [f"must be one of: {', '.join(ResponseOutcome.values)}"]})
    if len(message) > 2000:
        raise ValidationError({"message": ["at most 2,000 characters"]})
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.acknowledged_at is None:
            _acknowledged(delivery, actor)
        response = Response.objects.create(
            alert=alert,
            delivery=delivery,
            agency_id=actor.agency_id,
            by=actor,
            outcome=outcome,
            message=message,
            claims_hit=outcome in HIT_OUTCOMES,
        )
        if response.claims_hit:
            _ask_confirmation(alert, response, actor)
        extra = {"outcome": outcome, "message": message, "claims_hit": response.claims_hit}
        feed.record_receipt(alert, "responded", actor.agency, _receipt(alert, actor, delivery) | extra)
        record(
            "alert.respond",
            actor=actor,
            obj=alert,
            request=request,
            via=via,
            detail={"outcome": outcome, "response": response.pk},
        )
        do_mark_read([delivery.pk], actor)
    return response


def _ask_confirmation(alert: Alert, response: Response, actor: Any) -> None:
    """NCIC's hit confirmation: the originator has the priority's deadline to confirm, and is
    reminded (by `escalation.remind_due`) at every deadline after that until it does."""
    response.confirm_by = response.next_reminder_at = clock.now() + ack_deadline(alert.priority)
    response.save(update_fields=["confirm_by", "next_reminder_at"])
    feed.record_notice(
        alert,
        "hit_claimed",
        {
            "reference": alert.reference,
            "message": (
                f"{actor.agency.code} reports a hit ({response.outcome}) on {alert.reference}: "
                "confirm or refuse it"
            ),
            "agency": actor.agency.code,
            "deadline": response.confirm_by.isoformat(),
            "related": str(response.pk),
        },
        to=None,
    )


def confirm_hit(
    alert: Alert,
    response_id: int,
    *,
    actor: Any,
    confirmed: bool,
    note: str = "",
    request: HttpRequest | None = None,
    via: str = "",
) -> Response:
    """The originator confirms (or refuses) a hit a recipient claimed. Only the originating
    agency and its supervisors may; once only (409 after that); only for a hit (422)."""
    if not may_change(actor, alert):  # first: a refused caller learns nothing of the responses
        record(
            "alert.confirm_hit",
            actor=actor,
            obj=alert,
            outcome=Outcome.DENIED,
            request=request,
            via=via,
            detail={"response": response_id},
        )
        raise PermissionDenied("only the originating agency and its supervisors may confirm a hit")
    response = Response.objects.filter(alert=alert, pk=response_id).first()
    if response is None:
        raise Http404
    if len(note) > 2000:
        raise ValidationError({"note": ["at most 2,000 characters"]})
    if not response.claims_hit:
        raise ValidationError({"confirmed": [f"response {response_id} does not claim a hit"]})
    with transaction.atomic():
        response = Response.objects.select_for_update().select_related("agency").get(pk=response.pk)
        if response.confirmation:
            raise HttpError(409, f"response {response_id} was already answered: {response.confirmation}")
        response.confirmation = Confirmation.CONFIRMED if confirmed else Confirmation.NOT_CONFIRMED
        response.confirmed_at = clock.now()
        response.confirmed_by = actor
        response.confirmation_note = note
        response.next_reminder_at = None
        response.save(
            update_fields=[
                "confirmation",
                "confirmed_at",
                "confirmed_by",
                "confirmation_note",
                "next_reminder_at",
            ]
        )
        verdict = "confirmed" if confirmed else "refused"
        feed.record_notice(
            alert,
            "hit_confirmed",
            {
                "reference": alert.reference,
                "message": f"{alert.origin_agency.code} {verdict} your hit on {alert.reference}"
                + (f": {note}" if note else ""),
                "agency": alert.origin_agency.code,
                "related": str(response.pk),
            },
            to=response.agency,
        )
        record(
            "alert.confirm_hit",
            actor=actor,
            obj=alert,
            request=request,
            via=via,
            detail={"response": response.pk, "confirmation": response.confirmation, "note": note},
        )
    return response


def do_mark_read(delivery_ids: list[int], user: Any) -> int:
    """Record that `user` has read these deliveries (trusts its input); returns how many were
    newly read. Reads are not audited one by one: opening an alert writes `alert.read`."""
    if not delivery_ids:
        return 0
    already = set(
        DeliveryRead.objects.filter(delivery_id__in=delivery_ids, user=user).values_list(
            "delivery_id", flat=True
        )
    )
    now = clock.now()
    fresh = [DeliveryRead(delivery_id=pk, user=user, read_at=now) for pk in delivery_ids if pk not in already]
    DeliveryRead.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


def mark_read(alert: Alert, user: Any) -> bool:
    """Opening an alert marks its delivery to the user's agency read for that user. For the
    alert detail page and API; a no-op for anyone the alert was not delivered to."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "agency_id", None):
        return False
    ids = list(Delivery.objects.filter(alert=alert, agency_id=user.agency_id).values_list("id", flat=True))
    with transaction.atomic():
        return do_mark_read(ids, user) > 0


def mark_inbox_read(
    references: list[str] | None,
    *,
    actor: Any,
    up_to: int | None = None,
    request: HttpRequest | None = None,
    via: str = "",
) -> int:
    """Mark inbox items read for the actor: the alerts named, or everything delivered to the
    actor's agency up to delivery `up_to` (inclusive). Returns how many became read."""
    qs = Delivery.objects.filter(agency_id=actor.agency_id)
    if references is not None:
        qs = qs.filter(alert__reference__in=[r.upper() for r in references])
    if up_to is not None:
        qs = qs.filter(id__lte=up_to)
    with transaction.atomic():
        count = do_mark_read(list(qs.values_list("id", flat=True)), actor)
        record(
            "inbox.read",
            actor=actor,
            request=request,
            via=via,
            object_type="dissemination.delivery",
            detail={"marked": count, "references": references, "up_to": up_to},
        )
    return count
