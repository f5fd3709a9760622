"""`crimac escalate`: escalate overdue urgent deliveries and remind originators of unconfirmed
hits. The worker does this on every loop; this command is for a timer, by hand, or to check
what a given moment would do (`--at`)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from crimac import clock
from crimac.dissemination import escalation


class Command(BaseCommand):
    help = "Escalate overdue flash/immediate deliveries and send hit-confirmation reminders."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run once and exit")
        parser.add_argument(
            "--interval", type=float, default=15.0, help="seconds between runs without --once (default 15)"
        )
        parser.add_argument(
            "--at",
            default="",
            help="with --once: act as at this ISO 8601 time with a zone (tests, catching up)",
        )

    def handle(
        self, *args: Any, once: bool = False, interval: float = 15.0, at: str = "", **options: Any
    ) -> None:
        if interval <= 0:
            raise CommandError("--interval: must be more than 0 seconds")
        when = None
        if at:
            if not once:
                raise CommandError("--at: only with --once")
            try:
                when = datetime.fromisoformat(at)
            except ValueError:
                raise CommandError(
                    "--at: not an ISO 8601 time (for example 2026-01-31T10:00:00+05:30)"
                ) from None
            if timezone.is_naive(when):
                raise CommandError("--at: give a time zone (for example +05:30 or Z)")
        while True:
            now = when or clock.now()
            escalated = escalation.run_due(now)
            reminded = escalation.remind_due(now)
            self.stdout.write(f"{escalated} escalation(s), {reminded} reminder(s) at {now.isoformat()}")
            if once:
                return
            time.sleep(interval)
