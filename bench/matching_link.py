"""Speed of person linking: `persons.link` (blocking, top-k) against the plain all-pairs baseline.

    .venv/bin/python bench/matching_link.py [--entities 4000] [--seed 11]

Generates a labelled file in memory (crimac.matching.namegen), then in the same run times
(a) persons.link over all records, the code path the server and `crimac eval-matching` use, and
(b) rapidfuzz ratio over all pairs of the same records' raw names (C code, no blocking, the
    second baseline of eval-matching), and prints records per second, pairs scored and the ratio.
All pairs grows with the square of the records; link grows with the records times the block size.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crimac.settings")
import django

django.setup()

from rapidfuzz import fuzz, process, utils  # noqa: E402

from crimac.matching import evaluate, namegen, persons  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    records = list(namegen.generate(args.entities, args.seed))
    facts = [evaluate.to_facts(r) for r in records]
    n = len(records)

    t0 = time.perf_counter()
    links = persons.link(facts)
    t_link = time.perf_counter() - t0

    names = [utils.default_process(str(r["name"])) for r in records]
    t0 = time.perf_counter()
    found = 0
    for i, name in enumerate(names):
        found += len(process.extract(name, names[i + 1 :], scorer=fuzz.ratio, limit=None, score_cutoff=77))
    t_all = time.perf_counter() - t0

    print(f"records {n}")
    print(f"persons.link        {t_link:8.2f} s  {n / t_link:9.0f} records/s  {len(links)} links")
    pairs = n * (n - 1) // 2
    print(f"all-pairs ratio     {t_all:8.2f} s  {n / t_all:9.0f} records/s  {pairs} pairs, {found} >= 77")
    print(f"ratio link/all-pairs time: {t_link / t_all:.2f}")


if __name__ == "__main__":
    main()
