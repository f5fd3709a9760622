"""Acknowledging and responding to a delivered alert."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from crimac.alerts.models import Alert
from crimac.audit.actions import record
from crimac.audit.models import Outcome
from crimac.directory.permissions import Perm, has_perm
from crimac.dissemination import feed
from crimac.dissemination.choices import HIT_OUTCOMES, ResponseOutcome
from crimac.dissemination.models import Delivery, Response

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
    """Acknowledge receipt for the actor's agency. A second acknowledgement changes nothing."""
    delivery = access_delivery(alert, actor=actor, action="alert.acknowledge", request=request)
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.acknowledged_at is None:
            delivery.acknowledged_at = timezone.now()
            delivery.acknowledged_by = actor
            delivery.save(update_fields=["acknowledged_at", "acknowledged_by"])
            feed.record_receipt(alert, "acknowledged", actor.agency, _receipt(alert, actor, delivery))
            record(
                "alert.acknowledge",
                actor=actor,
                obj=alert,
                request=request,
                via=via,
                detail={"seconds": (delivery.acknowledged_at - delivery.created_at).total_seconds()},
            )
    return delivery


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
            delivery.acknowledged_at = timezone.now()
            delivery.acknowledged_by = actor
            delivery.save(update_fields=["acknowledged_at", "acknowledged_by"])
        response = Response.objects.create(
            alert=alert,
            delivery=delivery,
            agency_id=actor.agency_id,
            by=actor,
            outcome=outcome,
            message=message,
            claims_hit=outcome in HIT_OUTCOMES,
        )
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
    return response
