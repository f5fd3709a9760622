"""Writes a user makes on matches: confirming or rejecting one. (Matches themselves are written by
correlation, `crimac.matching.correlate`.)"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from crimac.alerts.actions import may_change
from crimac.audit.actions import record
from crimac.audit.models import Outcome
from crimac.matching.choices import MatchStatus
from crimac.matching.models import Match

MAX_NOTE = 1000


def may_decide(actor: Any, match: Match) -> bool:
    """Whoever may change either alert (its originating agency, and supervisors above it) may
    confirm or reject the match between them."""
    return may_change(actor, match.alert_a) or may_change(actor, match.alert_b)


def check_decision(status: str, note: str) -> str:
    if status not in (MatchStatus.CONFIRMED, MatchStatus.REJECTED):
        raise ValidationError({"status": ["must be 'confirmed' or 'rejected'"]})
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": [f"at most {MAX_NOTE} characters"]})
    return note


def decide_match(
    match: Match,
    status: str,
    *,
    actor: Any,
    note: str = "",
    request: HttpRequest | None = None,
    via: str = "",
) -> Match:
    """Confirm or reject a match (again, to change one's mind: the audit keeps every decision).
    Precondition: the caller found `match` through `Match.objects.visible_to(actor)`."""
    action = "match.confirm" if status == MatchStatus.CONFIRMED else "match.reject"
    if not may_decide(actor, match):
        record(action, actor=actor, obj=match, outcome=Outcome.DENIED, request=request, via=via)
        raise PermissionDenied(
            "only the originating agencies of the two alerts (and their supervisors) may decide"
        )
    note = check_decision(status, note)
    with transaction.atomic():
        locked = Match.objects.select_for_update().get(pk=match.pk)
        before = locked.status
        locked.status = status
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
        record(
            action,
            actor=actor,
            obj=locked,
            request=request,
            via=via,
            detail={
                "changes": {"status": [before, status]},
                "note": note,
                "alerts": [match.alert_a.reference, match.alert_b.reference],
            },
        )
    match.status, match.decided_by, match.decided_at = locked.status, actor, locked.decided_at
    match.decision_note = note
    return match


def confirm_match(
    match: Match, *, actor: Any, note: str = "", request: HttpRequest | None = None, via: str = ""
) -> Match:
    return decide_match(match, MatchStatus.CONFIRMED, actor=actor, note=note, request=request, via=via)


def reject_match(
    match: Match, *, actor: Any, note: str = "", request: HttpRequest | None = None, via: str = ""
) -> Match:
    return decide_match(match, MatchStatus.REJECTED, actor=actor, note=note, request=request, via=via)
