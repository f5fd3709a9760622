"""The writes a search makes: its audit row (who searched for what) and, for a person, phone or
vehicle, a `SearchRecord` kept for the delayed inquiry. Both in one transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from crimac.audit.actions import record
from crimac.audit.models import Outcome
from crimac.search.choices import SearchKind
from crimac.search.models import SearchRecord
from crimac.search.ratelimit import Verdict

AUDIT_QUERY_MAX = 500
PURGE_EVERY = 200  # records: forget old searches now and then, without a timer


def record_hours() -> int:
    return int(getattr(settings, "SEARCH_RECORD_HOURS", 72))


def record_search(
    action: str,
    *,
    actor: Any,
    detail: dict[str, Any],
    kind: str | None = None,
    value: str = "",
    facts: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> SearchRecord | None:
    """Audit one search (`action`: search.alerts, search.vehicles, search.phones, search.persons)
    and, for a person, phone or vehicle (`kind`), keep what was sought for the delayed inquiry."""
    with transaction.atomic():
        record(action, actor=actor, request=request, detail=detail)
        if kind is None or not value:
            return None
        if kind not in SearchKind.values:
            raise ValueError(f"unknown search kind {kind!r}")
        kept = SearchRecord.objects.create(
            user=actor, agency_id=actor.agency_id, kind=kind, value=value[:200], facts=facts or {}
        )
        if kept.pk % PURGE_EVERY == 0:
            purge_old_records()
        return kept


def record_refusal(action: str, *, actor: Any, verdict: Verdict, request: HttpRequest | None = None) -> None:
    """Audit a rate-limited search, once per window (the first refusal), not on every retry."""
    if verdict.first_refusal:
        record(
            action,
            actor=actor,
            request=request,
            outcome=Outcome.DENIED,
            detail={"reason": "rate_limited", "limit": verdict.limit},
        )


def recent_searches(kind: str, since: datetime) -> Any:
    """Person, phone or vehicle searches made since `since` (matching's delayed inquiry reads
    these when an alert is published). At most `SEARCH_RECORD_HOURS` back: older ones are gone."""
    oldest = timezone.now() - timedelta(hours=record_hours())
    return SearchRecord.objects.recent(kind, max(since, oldest)).select_related("user", "agency")


def purge_old_records(*, now: datetime | None = None) -> int:
    """Forget searches older than `SEARCH_RECORD_HOURS` (72): the delayed inquiry looks no further."""
    cutoff = (now or timezone.now()) - timedelta(hours=record_hours())
    deleted, _ = SearchRecord.objects.filter(created_at__lt=cutoff).delete()
    return int(deleted)
