from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crimac.dissemination.worker import Worker


class Command(BaseCommand):
    help = (
        "Send e-mail, SMS and webhooks from the outbox, and run due escalations and reminders. "
        "Several workers may run at once; SIGTERM or SIGINT stops one after the message in hand."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one round, then exit")
        parser.add_argument("--batch", type=int, default=50, help="messages claimed per round (1-1000)")
        parser.add_argument("--poll", type=float, default=1.0, help="seconds to wait when idle (0.05-3600)")

    def handle(self, *args: Any, **opts: Any) -> None:
        if not 1 <= opts["batch"] <= 1000:
            raise CommandError("--batch: give a number from 1 to 1000")
        if not 0.05 <= opts["poll"] <= 3600:
            raise CommandError("--poll: give a number of seconds from 0.05 to 3600")
        logging.getLogger("crimac.worker").setLevel(
            logging.INFO if opts["verbosity"] > 1 else logging.WARNING
        )
        worker = Worker(batch=opts["batch"], poll=opts["poll"])
        worker.install_signal_handlers()
        if not opts["once"]:
            self.stderr.write(f"crimac worker: batch {worker.batch}, polling every {worker.poll:g} s")
        stats = worker.run(once=opts["once"])
        self.stdout.write(
            f"sent {stats.sent}, to retry {stats.retried}, dead-lettered {stats.dead}"
            + (f", lease lost {stats.lost_lease}" if stats.lost_lease else "")
        )
