from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from crimac.alerts.demo import build_history
from crimac.directory import demo


class Command(BaseCommand):
    help = "Load a realistic demo directory and demo log-ins (refused when CRIMAC_ENV=production)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--stations",
            type=int,
            help="police stations in all (e.g. 16361); default a few per district",
        )
        parser.add_argument(
            "--per-district",
            type=int,
            default=3,
            help="stations per district when --stations is not given",
        )
        parser.add_argument("--once", action="store_true", help="do nothing if demo data is already loaded")
        parser.add_argument("--seed", type=int, default=2020)
        parser.add_argument(
            "--alerts",
            type=int,
            default=300,
            help="published alerts of demo history over the last year (0 for none); "
            "only when the directory is built",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if not settings.DEMO_ALLOWED:
            raise CommandError("demo data and its known passwords are refused when CRIMAC_ENV=production")
        if opts["stations"] is not None and opts["stations"] < 0:
            raise CommandError("--stations must be 0 or more")
        if opts["alerts"] < 0:
            raise CommandError("--alerts must be 0 or more")
        started = time.monotonic()
        built = False
        if demo.already_loaded():
            if not opts["once"]:
                raise CommandError("demo data is already loaded (use a fresh database, or --once to skip)")
            self.stdout.write("demo data already loaded")
        else:
            counts = demo.build_directory(
                stations=opts["stations"], per_district=opts["per_district"], seed=opts["seed"]
            )
            built = True
            total = sum(counts.values())
            self.stdout.write(
                f"demo directory: {total} agencies, {counts.get('police_station', 0)} police stations "
                f"({time.monotonic() - started:.1f}s)"
            )
        logins = demo.create_logins()
        if built and opts["alerts"]:
            # Alerts are posted by the demo log-ins' stations among others, so they come after them.
            started = time.monotonic()
            made = build_history(opts["alerts"], seed=opts["seed"])
            self.stdout.write(
                f"demo alerts: {made} published over the last 365 days ({time.monotonic() - started:.1f}s)"
            )
        self.stdout.write("")
        self.stdout.write(f"demo log-ins (password for all: {demo.DEMO_PASSWORD})")
        for login in logins:
            self.stdout.write(f"  {login.username:<12} {login.role:<14} {login.agency}")
