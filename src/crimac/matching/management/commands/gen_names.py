from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crimac.matching.namegen import generate


class Command(BaseCommand):
    help = (
        "Write a labelled JSONL file of realistic Indian name variants for eval-matching: invented "
        "people from the project's name lists (North, East, North-East, South Indian, Muslim, Sikh, "
        "Christian), each written one to five times with other scripts, spellings, honorifics, "
        "initials, reordering, typos and age noise."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="the JSONL file to write")
        parser.add_argument("--entities", type=int, default=1000, help="how many people (default 1000)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["entities"] < 1:
            raise CommandError("--entities must be at least 1")
        n = 0
        with open(opts["out"], "w", encoding="utf-8") as f:
            for rec in generate(opts["entities"], opts["seed"]):
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                n += 1
        self.stdout.write(f"wrote {n} records of {opts['entities']} people to {opts['out']}")
