"""Tune person matching's few constants on a generated file, and only on a generated file.

    .venv/bin/crimac gen-names --out /tmp/tune.jsonl --entities 2000 --seed 1
    .venv/bin/python bench/matching_tune.py /tmp/tune.jsonl

Links once at a low threshold for each setting of the age constants and the missing-part share,
then prints precision, recall and F1 for a range of thresholds, best F1 first. Report the chosen
setting on a different seed and on tests/matching/data/heldout.jsonl, which must never be tuned on.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections import defaultdict

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crimac.settings")
import django

django.setup()

from crimac.matching import evaluate, names, persons  # noqa: E402


def main(path: str) -> None:
    recs = evaluate.read_records(path)
    facts = [evaluate.to_facts(r) for r in recs]
    members: dict[str, list[str]] = defaultdict(list)
    for r in recs:
        members[r["entity"]].append(r["id"])
    true = {
        tuple(sorted((a, b))) for ids in members.values() for i, a in enumerate(ids) for b in ids[i + 1 :]
    }
    results: list[tuple[float, ...]] = []
    grid = itertools.product((0.06, 0.09), (0.02, 0.04), (0.0, 0.02), (0.55,))
    for agree, state, gender, missing in grid:
        persons.AGE_AGREE_BONUS = agree
        persons.SAME_STATE_BONUS = state
        persons.GENDER_AGREE_BONUS = gender
        names.MISSING_PART = missing
        names._names_score.cache_clear()
        links = persons.link(facts, threshold=0.5, top_k=10)
        for t in (0.65, 0.68, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75, 0.78):
            pred = {tuple(sorted((a, b))) for a, b, s in links if s >= t}
            tp = len(pred & true)
            prec, rec = tp / max(1, len(pred)), tp / len(true)
            results.append((2 * prec * rec / (prec + rec), prec, rec, agree, state, gender, missing, t))
    results.sort(reverse=True)
    print("f1      precision recall  age_agree state  gender missing threshold")
    for f1, prec, rec, agree, state, gender, missing, t in results[:15]:
        print(f"{f1:.4f}  {prec:.4f}    {rec:.4f}  {agree:<9} {state:<6} {gender:<6} {missing:<7} {t}")


if __name__ == "__main__":
    main(sys.argv[1])
