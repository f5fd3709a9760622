from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from crimac.audit.actions import record
from crimac.oversight import tally


class Command(BaseCommand):
    help = (
        "Recount oversight's figures (alerts per agency and month, per State, category and priority) "
        "from the alerts. Publishing keeps them up to date; run this after loading alerts with SQL "
        "or after moving agencies between States. --check compares and writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="report rows that differ; exit 1 if any")

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.monotonic()
        if opts["check"]:
            differences = tally.differences()
            for line in differences:
                self.stdout.write(line)
            if differences:
                raise CommandError(f"oversight counts differ from the alerts ({len(differences)} rows shown)")
            self.stdout.write(f"oversight counts agree with the alerts ({time.monotonic() - started:.1f}s)")
            return
        with transaction.atomic():
            sizes = tally.rebuild()
            record("oversight.retally", via="cli", object_type="oversight", detail=sizes)
        self.stdout.write(
            f"counted {sizes['alerts']:,} published alerts into {sizes['agency_months']:,} agency-months "
            f"and {sizes['state_months']:,} State-month rows ({time.monotonic() - started:.1f}s)"
        )
