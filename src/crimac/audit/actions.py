"""Writing audit rows. Call `record` inside the transaction of the change it describes."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.db import models

from crimac.audit.models import AuditEvent, Outcome

if TYPE_CHECKING:
    from django.http import HttpRequest


def client_address(request: HttpRequest | None) -> str | None:
    """The peer address. Behind a reverse proxy the operator terminates X-Forwarded-For there."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    actor: Any = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
    outcome: str = Outcome.SUCCESS,
    request: HttpRequest | None = None,
    via: str = "",
    detail: dict[str, Any] | None = None,
    agency: Any = None,
) -> AuditEvent:
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if agency is None and actor is not None:
        agency = getattr(actor, "agency", None)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    # A NUL cannot be stored in PostgreSQL text; the audit row must be written regardless.
    object_repr = object_repr.replace("\x00", "")
    if detail:
        detail = json.loads(json.dumps(detail, default=str).replace("\\u0000", ""))
    if not via and request is not None:
        via = "api" if request.path.startswith("/api/") else "page"
    return AuditEvent.objects.create(
        actor=actor,
        actor_name=(actor.get_username() if actor is not None else "")[:150],
        agency=agency,
        agency_code=(agency.code if agency is not None else "")[:64],
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr[:200],
        outcome=outcome,
        client_address=client_address(request),
        via=via,
        detail=detail or {},
    )
