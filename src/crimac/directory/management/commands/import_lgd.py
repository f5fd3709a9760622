from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crimac.directory.lgd import LgdFileError, import_file


class Command(BaseCommand):
    help = (
        "Apply a newer LGD export (States or Districts, CSV). LGD codes are the keys: renamed "
        "districts are renamed in place, new ones added; nothing is written if any line is bad."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--retire-missing", action="store_true", help="retire districts that the file no longer lists"
        )
        parser.add_argument("--dry-run", action="store_true", help="report, write nothing")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            report = import_file(
                opts["file"], actor=None, retire_missing=opts["retire_missing"], dry_run=opts["dry_run"]
            )
        except LgdFileError as exc:
            raise CommandError("\n".join(exc.messages)) from None
        for line in report.lines():
            self.stdout.write(line)
        if opts["dry_run"]:
            self.stdout.write("dry run: nothing written")
