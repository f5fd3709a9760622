from __future__ import annotations

import csv
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crimac.matching import evaluate
from crimac.matching.persons import MATCH_THRESHOLD


class Command(BaseCommand):
    help = (
        "Score person matching on a labelled JSONL file (id, entity, name; optionally gender, age, "
        "birth_year, seen_on, phone, state, role): pairwise precision, recall and F1, records per "
        "second, and two baselines in the same run (exact normalised name; rapidfuzz ratio over all "
        "pairs with the threshold tuned on the file). The matcher is crimac.matching.persons.link, "
        "the very function the server runs at publish; it works in memory, so no scratch database "
        "is needed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="labelled JSONL file (crimac gen-names makes one)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--pairs-out", help="also write every linked pair as CSV id_a,id_b,score")
        parser.add_argument("--threshold", type=float, default=MATCH_THRESHOLD)
        parser.add_argument("--top-k", type=int, default=10)
        parser.add_argument("--no-baselines", action="store_true", help="skip the two baselines")
        parser.add_argument(
            "--ratio-sample",
            type=int,
            help="run the rapidfuzz baseline on all pairs of a random sample of this many records "
            "(an estimate, labelled as one) instead of all pairs of the file",
        )
        parser.add_argument(
            "--workers", type=int, help="processes for the all-pairs baseline (default: one per core)"
        )
        parser.add_argument("--errors", type=int, default=0, help="show this many false and missed links")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            records = evaluate.read_records(opts["file"])
        except OSError as exc:
            raise CommandError(f"cannot read {opts['file']}: {exc.strerror}") from exc
        except evaluate.BadRecord as exc:
            raise CommandError(f"{opts['file']}: {exc}") from exc
        if not records:
            raise CommandError(f"{opts['file']}: no records")
        for opt in ("ratio_sample", "workers"):
            if opts[opt] is not None and opts[opt] < 1:
                raise CommandError(f"--{opt.replace('_', '-')} must be at least 1")
        report = evaluate.evaluate(
            records,
            threshold=opts["threshold"],
            top_k=opts["top_k"],
            baselines=not opts["no_baselines"],
            ratio_sample=opts["ratio_sample"],
            workers=opts["workers"],
        )
        if opts["pairs_out"]:
            with open(opts["pairs_out"], "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(["id_a", "id_b", "score"])
                for a, b, s in report.links:
                    w.writerow([a, b, f"{s:.4f}"])
        if opts["json"]:
            self.stdout.write(json.dumps(report.as_json()))
        elif report.baselines:
            self.stdout.write(report.as_text())
        else:
            self.stdout.write(json.dumps(report.as_json(), indent=1))
        if opts["errors"]:
            self.stdout.write("\n".join(evaluate.errors(records, report.links, opts["errors"])))
