from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from crimac.oversight import actions, digest


class Command(BaseCommand):
    help = (
        "Send the weekly digest (silent police stations, alerts waiting for acknowledgement) to "
        "every State nodal officer and district control room, by e-mail and in the app. "
        "Off unless CRIMAC_DIGEST is on (on in production); --force sends anyway."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list the digests and write nothing")
        parser.add_argument("--force", action="store_true", help="send even when the digest is off")

    def handle(self, *args: Any, **opts: Any) -> None:
        if not (digest.enabled() or opts["force"] or opts["dry_run"]):
            self.stdout.write("the weekly digest is off (CRIMAC_DIGEST); use --force to send it anyway")
            return
        result = actions.send_digests(actor=None, dry_run=opts["dry_run"], via="cli")
        period = result.period
        for d in result.digests:
            who = ", ".join(u.username for u in d.users) or "(no users)"
            self.stdout.write(
                f"{d.agency.code}: {d.silent_count} silent stations, {d.waiting_count} waiting; "
                f"to {who}; mail {', '.join(d.emails) or '-'}"
            )
        verb = "would write" if opts["dry_run"] else "wrote"
        self.stdout.write(
            f"week {period.start} to {period.end}: {len(result.digests)} digests; {verb} "
            f"{result.notices} notices, {result.emails} e-mails"
            + (f"; {result.skipped} already sent" if result.skipped else "")
        )
