from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from crimac.directory.models import State
from crimac.oversight import briefing
from crimac.oversight.period import make_period
from crimac.oversight.report import participation_report


class Command(BaseCommand):
    help = (
        "Write the participation report for a period: who posted alerts, who stayed silent, "
        "compliance (json, csv, html or pdf)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["participation"], help="which report")
        parser.add_argument("--from", dest="start", help="first day, YYYY-MM-DD (default: 30 days ago)")
        parser.add_argument("--to", dest="end", help="last day, YYYY-MM-DD (default: today)")
        parser.add_argument("--state", help="a State/UT code: that State's districts and stations")
        parser.add_argument("--format", choices=["json", "csv", "html", "pdf"], default="json")
        parser.add_argument("--output", "-o", help="write to this file instead of stdout")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            period = make_period(opts["start"], opts["end"])
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise CommandError(f"--{field}: {messages[0]}") from None
        state = None
        if opts["state"]:
            state = State.objects.filter(code=opts["state"].strip().upper()).first()
            if state is None:
                raise CommandError(f"--state: unknown State/UT code {opts['state']!r}")
        report = participation_report(period, viewer=None, state=state)
        fmt = opts["format"]
        if fmt == "pdf":
            data = briefing.to_pdf(report)
            if opts["output"]:
                with open(opts["output"], "wb") as f:
                    f.write(data)
            else:
                sys.stdout.buffer.write(data)
                sys.stdout.flush()
            return
        text = {"json": briefing.to_json, "csv": briefing.to_csv, "html": briefing.to_html}[fmt](report)
        if opts["output"]:
            with open(opts["output"], "w", encoding="utf-8") as f:
                f.write(text)
        else:
            self.stdout.write(text, ending="" if text.endswith("\n") else "\n")
