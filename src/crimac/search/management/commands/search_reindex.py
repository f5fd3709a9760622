"""`crimac search_reindex`: rebuild the full-text index from the alerts (after a bulk load, a
restore, or a change to what is indexed), and forget person/phone/vehicle searches older than
72 hours."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from crimac.search import actions, indexing
from crimac.search.backends import backend


class Command(BaseCommand):
    help = "Rebuild the full-text search index of every alert; forget searches older than 72 hours."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch", type=int, default=indexing.BATCH, help="alerts per transaction (default 500)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from crimac.alerts.models import Alert
        from crimac.search.models import AlertDocument

        batch = options["batch"]
        if not 1 <= batch <= 10_000:
            from django.core.management.base import CommandError

            raise CommandError("--batch: must be between 1 and 10000")
        ids = list(Alert.objects.order_by("pk").values_list("pk", flat=True))
        written = 0
        for start in range(0, len(ids), batch):
            with transaction.atomic():
                written += indexing.index_alerts(ids[start : start + batch])
        with transaction.atomic():
            gone, _ = AlertDocument.objects.exclude(alert_id__in=Alert.objects.values("pk")).delete()
            backend().rebuild()
        purged = actions.purge_old_records()
        self.stdout.write(
            f"indexed {written} alerts; removed {gone} stale documents; forgot {purged} old searches"
        )
