"""Every write oversight makes: the weekly digest's notices (and, after commit, its e-mails)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

from crimac.audit.actions import record
from crimac.oversight.digest import Digest, last_week, plan_digests
from crimac.oversight.models import Notice
from crimac.oversight.period import Period

log = logging.getLogger("crimac.oversight")


@dataclass
class DigestResult:
    period: Period
    digests: list[Digest]
    notices: int
    emails: int
    skipped: int


def send_digests(
    *, actor: Any = None, today: date | None = None, dry_run: bool = False, via: str = ""
) -> DigestResult:
    """Write one notice per recipient user and digest, and e-mail every digest after commit.

    A digest already written for the same user, agency and week is not written (or mailed)
    again, so running this twice in a week sends nothing twice. `dry_run` only plans."""
    period = last_week(today)
    digests = plan_digests(period)
    if dry_run:
        notices = sum(1 if d.to_agency else len(d.users) for d in digests)
        return DigestResult(period, digests, notices, sum(1 for d in digests if d.emails), 0)
    mails: list[tuple[list[str], str, str]] = []
    made = skipped = 0
    with transaction.atomic():
        already = set(
            Notice.objects.filter(period_end=period.end).values_list("user_id", "agency_id", "kind")
        )
        rows = []
        for d in digests:
            body = d.body(period)
            targets: list[Any] = [None] if d.to_agency else list(d.users)
            fresh = [u for u in targets if (u.pk if u else None, d.agency.pk, d.kind) not in already]
            skipped += len(targets) - len(fresh)
            rows += [
                Notice(
                    user=u,
                    agency=d.agency,
                    kind=d.kind,
                    title=d.title[:200],
                    body=body,
                    data=d.data(),
                    period_start=period.start,
                    period_end=period.end,
                )
                for u in fresh
            ]
            if d.emails and fresh:
                mails.append((d.emails, d.title, body))
        Notice.objects.bulk_create(rows)
        made = len(rows)
        record(
            "oversight.digest",
            actor=actor,
            object_type="oversight.digest",
            object_id=period.end.isoformat(),
            object_repr=f"weekly digest {period.start} to {period.end}",
            via=via,
            detail={"digests": len(digests), "notices": made, "emails": len(mails), "skipped": skipped},
        )
        transaction.on_commit(lambda: _mail(mails))
    return DigestResult(period, digests, made, len(mails), skipped)


def _mail(mails: list[tuple[list[str], str, str]]) -> None:
    """Send after commit. A mail server that is down loses no notice: they are in the app."""
    if not mails:
        return
    messages = [
        EmailMessage(subject=title, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=to)
        for to, title, body in mails
    ]
    try:
        get_connection(fail_silently=False).send_messages(messages)
    except OSError as exc:
        log.warning("weekly digest: the mail server refused or is down: %s", exc)
