"""Correlate what has not been correlated: alerts whose after-commit correlation was lost (a crash,
an error: their `PendingCorrelation` row is still there), or, with --all, every published alert
(for alerts published before matching existed, or after the keys changed). --profiles writes the
person profiles that are missing or were made by other code (after an upgrade), without
correlating again: correlation reads such persons whole until then, which is slower, not wrong."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crimac.alerts.models import Alert
from crimac.matching import correlate
from crimac.matching.models import PendingCorrelation

BATCH = 500


class Command(BaseCommand):
    help = (
        "Correlate queued alerts (after a crash); --all rebuilds keys and correlates every published alert."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="rebuild keys of every published alert first")
        parser.add_argument(
            "--profiles", action="store_true", help="write missing or outdated person profiles first"
        )
        parser.add_argument("--limit", type=int, default=100000, help="correlate at most this many alerts")

    def handle(self, *args: Any, **options: Any) -> None:
        limit = options["limit"]
        if limit < 1:
            raise CommandError("--limit: must be at least 1")
        if options["profiles"]:
            total, alerts, profiles = correlate.refresh_all_profiles()
            self.stdout.write(f"wrote {profiles} person profiles on {alerts} of {total} alerts")
        if options["all"]:
            ids = list(
                Alert.objects.filter(status__in=correlate.CORRELATED_STATUSES)
                .order_by("id")
                .values_list("pk", flat=True)[:limit]
            )
            for start in range(0, len(ids), BATCH):
                correlate.rebuild(ids[start : start + BATCH])
            self.stderr.write(f"rebuilt the keys of {len(ids)} alerts")
        queued = PendingCorrelation.objects.count()
        done = 0
        while done < limit:
            ran = correlate.drain_pending(min(BATCH, limit - done))
            if ran == 0:
                break
            done += ran
        left = PendingCorrelation.objects.count()
        self.stdout.write(f"correlated {done} of {queued} queued alerts; {left} still queued")
