"""Pairwise evaluation of person matching on a labelled JSONL file.

The file has one JSON object a line: `id`, `entity` (records of one real person share it), `name`,
and optionally `gender`, `age`, `birth_year`, `seen_on` (ISO date the age refers to), `phone`,
`state`, `role`. The matcher under test is `persons.link`, the function the server runs for
correlation; it works on `PersonFacts` in memory, so no database is involved. A pair of records is
a true pair when they share an entity; precision and recall are over pairs.

Two baselines run on the same records: exact match of `normalise_name`, and plain rapidfuzz
`ratio` over all pairs of the raw names, with the threshold that gives the best F1 on this very
file (an optimistic baseline). All pairs really are all pairs: n(n-1)/2 ratios in rapidfuzz's C
loop, split into blocks of rows over one process per core (200,000 records are 2e10 pairs, about
a quarter of an hour on two cores). `ratio_sample` limits it to a random sample instead, and the
output then says it is an estimate from a sample.
"""

from __future__ import annotations

import datetime
import json
import multiprocessing
import os
import random
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process, utils

from crimac.matching.names import normalise_name
from crimac.matching.persons import MATCH_THRESHOLD, PersonFacts, link

RATIO_FLOOR = 50  # ratios below this are never a useful threshold: not counted
RATIO_BLOCK = 500  # rows of the all-pairs triangle one worker task scores


class BadRecord(ValueError):
    """A line of the file is not a usable record; the message names the line and the field."""


def read_records(path: str | Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BadRecord(f"line {n}: not JSON ({exc.msg})") from exc
            if not isinstance(rec, dict):
                raise BadRecord(f"line {n}: not a JSON object")
            for key in ("id", "entity", "name"):
                if not isinstance(rec.get(key), str | int) or str(rec.get(key)).strip() == "":
                    raise BadRecord(f"line {n}: field '{key}' is required (a non-empty string)")
            rec["id"], rec["entity"] = str(rec["id"]), str(rec["entity"])
            if rec["id"] in seen:
                raise BadRecord(f"line {n}: id '{rec['id']}' appears twice")
            seen.add(rec["id"])
            for key in ("age", "birth_year"):
                if rec.get(key) is not None and not isinstance(rec[key], int):
                    raise BadRecord(f"line {n}: field '{key}' must be an integer")
            records.append(rec)
    return records


def to_facts(rec: dict[str, Any]) -> PersonFacts:
    seen_on = None
    if rec.get("seen_on"):
        seen_on = datetime.date.fromisoformat(str(rec["seen_on"]))
    age = rec.get("age")
    by = rec.get("birth_year")
    return PersonFacts(
        key=rec["id"],
        names=(str(rec["name"]),),
        gender=str(rec.get("gender") or ""),
        age_min=age,
        age_max=age,
        birth_year_min=by,
        birth_year_max=by,
        seen_on=seen_on,
        phones=(str(rec["phone"]),) if rec.get("phone") else (),
        state=str(rec.get("state") or ""),
        role=str(rec.get("role") or ""),
    )


@dataclass
class Figures:
    precision: float
    recall: float
    f1: float
    pairs: int
    true_pairs: int
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "pairs": self.pairs,
            "true_pairs": self.true_pairs,
            **self.extra,
        }


def figures(tp: int, predicted: int, true: int, **extra: Any) -> Figures:
    p = tp / predicted if predicted else (1.0 if true == 0 else 0.0)
    r = tp / true if true else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return Figures(p, r, f1, predicted, true, dict(extra))


def true_pair_count(records: list[dict[str, Any]]) -> int:
    return sum(n * (n - 1) // 2 for n in Counter(r["entity"] for r in records).values())


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def exact_name_baseline(records: list[dict[str, Any]]) -> Figures:
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for r in records:
        key = normalise_name(str(r["name"]))
        if key:
            groups[key][r["entity"]] += 1
    predicted = sum(sum(c.values()) * (sum(c.values()) - 1) // 2 for c in groups.values())
    tp = sum(n * (n - 1) // 2 for c in groups.values() for n in c.values())
    return figures(tp, predicted, true_pair_count(records))


_NAMES: list[str] = []
_ENTS: list[str] = []


def _ratio_block(start: int) -> tuple[list[int], list[int]]:
    """Histograms (all pairs, same-entity pairs) of the ratios of rows start..start+RATIO_BLOCK
    against every later row. Reads the module globals a forked worker inherits."""
    hist_all = [0] * 101
    hist_true = [0] * 101
    names, ents = _NAMES, _ENTS
    stop = min(start + RATIO_BLOCK, len(names))
    rest = names[start:]  # one copy per block, not per row
    for i in range(start, stop):
        off = i - start
        found = process.extract(
            names[i], rest, scorer=fuzz.ratio, limit=None, score_cutoff=RATIO_FLOOR, processor=None
        )
        for _, s, j in found:
            if j <= off:
                continue
            b = int(s)
            hist_all[b] += 1
            if ents[i] == ents[start + j]:
                hist_true[b] += 1
    return hist_all, hist_true


def ratio_histograms(
    records: list[dict[str, Any]], *, workers: int | None = None
) -> tuple[list[int], list[int], float, int]:
    """(ratio histogram of all pairs, of same-entity pairs, seconds, processes used): rapidfuzz
    ratio of every pair of raw names (lower-cased, punctuation stripped), ratios below
    `RATIO_FLOOR` not counted. Blocks of rows go to forked processes, one per core by default."""
    global _NAMES, _ENTS
    _NAMES = [utils.default_process(str(r["name"])) for r in records]
    _ENTS = [str(r["entity"]) for r in records]
    n = len(records)
    t0 = time.perf_counter()
    starts = range(0, n, RATIO_BLOCK)
    workers = workers or os.cpu_count() or 1
    if n <= 2 * RATIO_BLOCK:
        workers = 1
    hist_all = [0] * 101
    hist_true = [0] * 101

    def add(ha: list[int], ht: list[int]) -> None:
        for b in range(101):
            hist_all[b] += ha[b]
            hist_true[b] += ht[b]

    try:
        if workers > 1:
            ctx = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
                for ha, ht in pool.map(_ratio_block, starts):
                    add(ha, ht)
        else:
            for start in starts:
                add(*_ratio_block(start))
    finally:
        _NAMES, _ENTS = [], []
    return hist_all, hist_true, time.perf_counter() - t0, workers


def ratio_baseline(
    records: list[dict[str, Any]], *, sample: int | None = None, workers: int | None = None, seed: int = 0
) -> Figures:
    """rapidfuzz.fuzz.ratio over all pairs with the best-F1 threshold on this file. `sample` scores
    all pairs of a random sample of that many records instead (an estimate, reported as such)."""
    chosen = records
    if sample is not None and len(records) > sample:
        chosen = random.Random(seed).sample(records, sample)
    n = len(chosen)
    hist_all, hist_true, seconds, workers = ratio_histograms(chosen, workers=workers)
    true = true_pair_count(chosen)
    best = figures(0, 0, true, threshold=100)
    for t in range(100, RATIO_FLOOR - 1, -1):
        predicted = sum(hist_all[t:])
        tp = sum(hist_true[t:])
        f = figures(tp, predicted, true, threshold=t)
        if f.f1 > best.f1:
            best = f
    best.extra["sample"] = n
    best.extra["pairs_scored"] = n * (n - 1) // 2
    best.extra["seconds"] = round(seconds, 1)
    best.extra["workers"] = workers
    return best


@dataclass
class Report:
    matcher: Figures
    records: int
    entities: int
    seconds: float
    baselines: dict[str, Figures]
    links: list[tuple[str, str, float]]
    threshold: float
    top_k: int

    def as_json(self) -> dict[str, Any]:
        m = self.matcher
        return {
            "precision": round(m.precision, 4),
            "recall": round(m.recall, 4),
            "f1": round(m.f1, 4),
            "records": self.records,
            "seconds": round(self.seconds, 3),
            "records_per_second": round(self.records / self.seconds, 1) if self.seconds else None,
            "entities": self.entities,
            "pairs": m.pairs,
            "true_pairs": m.true_pairs,
            "threshold": self.threshold,
            "top_k": self.top_k,
            "baselines": {k: v.as_dict() for k, v in self.baselines.items()},
        }

    def as_text(self) -> str:
        rate = self.records / self.seconds if self.seconds else float("inf")
        lines = [
            f"records {self.records}, entities {self.entities}, true pairs {self.matcher.true_pairs}",
            f"{'matcher':<44} {'precision':>9} {'recall':>7} {'f1':>7} {'pairs':>9}",
        ]

        def row(label: str, f: Figures) -> str:
            return f"{label:<44} {f.precision:>9.4f} {f.recall:>7.4f} {f.f1:>7.4f} {f.pairs:>9}"

        lines.append(row(f"crimac persons.link (>= {self.threshold}, top {self.top_k})", self.matcher))
        ex = self.baselines["exact_name"]
        lines.append(row("baseline: exact normalised name", ex))
        rf = self.baselines["rapidfuzz_ratio"]
        label = f"baseline: rapidfuzz ratio >= {rf.extra['threshold']} (tuned)"
        lines.append(row(label, rf))
        if rf.extra["sample"] < self.records:
            lines.append(
                f"  (ESTIMATE: ratio baseline over all pairs of a random sample of {rf.extra['sample']}"
                " records, not of the whole file)"
            )
        lines.append(
            f"  (ratio baseline: {rf.extra['pairs_scored']} pairs scored in {rf.extra['seconds']} s"
            f" on {rf.extra['workers']} processes)"
        )
        lines.append(f"crimac persons.link: seconds {self.seconds:.2f}, records/s {rate:.0f}")
        return "\n".join(lines)


def evaluate(
    records: list[dict[str, Any]],
    *,
    threshold: float = MATCH_THRESHOLD,
    top_k: int = 10,
    baselines: bool = True,
    ratio_sample: int | None = None,
    workers: int | None = None,
) -> Report:
    t0 = time.perf_counter()
    facts = [to_facts(r) for r in records]
    links = link(facts, threshold=threshold, top_k=top_k)
    seconds = time.perf_counter() - t0
    entity = {r["id"]: r["entity"] for r in records}
    predicted = {_pair(a, b) for a, b, _ in links}
    tp = sum(1 for a, b in predicted if entity[a] == entity[b])
    matcher = figures(tp, len(predicted), true_pair_count(records))
    base: dict[str, Figures] = {}
    if baselines:
        base["exact_name"] = exact_name_baseline(records)
        base["rapidfuzz_ratio"] = ratio_baseline(records, sample=ratio_sample, workers=workers)
    return Report(
        matcher=matcher,
        records=len(records),
        entities=len({r["entity"] for r in records}),
        seconds=seconds,
        baselines=base,
        links=links,
        threshold=threshold,
        top_k=top_k,
    )


def errors(
    records: list[dict[str, Any]], links: Iterable[tuple[str, str, float]], limit: int = 20
) -> list[str]:
    """Examples of false links and missed pairs, for looking at, not for scoring."""
    by_id = {r["id"]: r for r in records}
    linked = {_pair(a, b): s for a, b, s in links}
    out = ["false links:"]
    for (a, b), s in sorted(linked.items(), key=lambda kv: -kv[1]):
        if by_id[a]["entity"] != by_id[b]["entity"]:
            out.append(f"  {s:.3f} {_show(by_id[a])}  ~  {_show(by_id[b])}")
            if len(out) > limit:
                break
    out.append("missed pairs:")
    members: dict[str, list[str]] = defaultdict(list)
    for r in records:
        members[r["entity"]].append(r["id"])
    n = 0
    for ids in members.values():
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                if _pair(a, b) not in linked and n < limit:
                    out.append(f"  {_show(by_id[a])}  ~  {_show(by_id[b])}")
                    n += 1
    return out


def _show(r: dict[str, Any]) -> str:
    bits = [str(r["name"])]
    for k in ("gender", "age", "birth_year", "state"):
        if r.get(k) is not None:
            bits.append(f"{k[0]}={r[k]}")
    return "[" + " ".join(bits) + "]"
