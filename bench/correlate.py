"""Correlation benchmark: what matching adds to publishing an alert, and how the stored matches grow.

On a fresh scratch database (SQLite file, or a scratch PostgreSQL database dropped at the end) with
the demo directory, it publishes 2N alerts through `crimac.alerts.actions.create_alert`, one per
transaction like an officer does, alternating:

- baseline: correlation disconnected (`correlate.disconnect()`): the alert, its deliveries, its
  feed event and audit row, nothing of matching;
- correlated: keys written in the transaction, correlation after commit (what the server does).

Both kinds see the same database size at the same moment, so the difference is matching's cost.
Each alert carries one person drawn from `crimac gen-names`'s generator (realistic Indian names
with variants across scripts and spellings; 1 to 5 records per real person) and, when the record
has one, a phone. It prints the time per alert for both (mean, p50, p99), the ratio, and at four
checkpoints the number of match rows against the number of correlated alerts, with how many of
them link records of the same real person, to show growth with real links, not with N^2.

    .venv/bin/python bench/correlate.py [--count 400] [--database sqlite|postgres] [--seed 7]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import django_with_demo_directory, scratch_database

PREFIX = "crimac_bench_correlate"
ROLES = {
    "wanted": "suspect",
    "accused": "accused",
    "victim": "victim",
    "missing": "missing",
    "witness": "witness",
}


def alert_body(record: dict[str, Any], n: int) -> Any:
    from crimac.alerts.schemas import AlertIn

    person: dict[str, Any] = {
        "role": ROLES.get(str(record.get("role")), "suspect"),
        "name": record["name"],
        "gender": record.get("gender") or "unknown",
    }
    if isinstance(record.get("age"), int):
        person["age_min"] = person["age_max"] = record["age"]
    body: dict[str, Any] = {
        "category": "missing_person" if person["role"] == "missing" else "wanted_person",
        "title": f"Bench alert {n}",
        "persons": [person],
        "audience": {"states": ["DL"]},
    }
    if record.get("phone"):
        body["phones"] = [{"number": record["phone"]}]
    return AlertIn.model_validate(body)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(count: int, seed: int) -> dict[str, Any]:
    from crimac.alerts.actions import create_alert
    from crimac.directory.models import User
    from crimac.matching import correlate, namegen
    from crimac.matching.models import Match, PendingCorrelation

    user = User.objects.select_related("agency").get(username="dl.sho")
    spent = {"keys": 0.0, "correlation": 0.0}

    def timed(name: str, fn: Any) -> Any:
        def run(event: Any) -> None:
            start = time.perf_counter()
            try:
                fn(event)
            finally:
                spent[name] += time.perf_counter() - start

        return run

    correlate.disconnect()
    # connect() subscribes whatever the module's names hold: time both phases.
    correlate.write_keys = timed("keys", correlate.write_keys)
    correlate.correlate_event = timed("correlation", correlate.correlate_event)
    # Enough people for 2N records (about 2.3 records each), in the generator's shuffled order.
    records = list(itertools.islice(namegen.generate(count, seed), 2 * count))
    if len(records) < 2 * count:
        raise SystemExit("the generator gave too few records")
    entity_of: dict[int, str] = {}
    times: dict[str, list[float]] = {"baseline": [], "correlated": []}
    checkpoints = []
    for i in range(2 * count):
        mode = "correlated" if i % 2 else "baseline"
        body = alert_body(records[i], i)
        if mode == "baseline":
            correlate.disconnect()
        else:
            correlate.connect()
        start = time.perf_counter()
        checked = create_alert(body, actor=user, publish=True, via="bench")  # correlation runs at commit
        times[mode].append(time.perf_counter() - start)
        if mode == "correlated":
            entity_of[checked.alert.pk] = str(records[i]["entity"])
            done = len(times["correlated"])
            if done in {count // 4, count // 2, 3 * count // 4, count}:
                pairs = list(Match.objects.values_list("alert_a_id", "alert_b_id"))
                distinct = set(pairs)
                real = sum(1 for a, b in distinct if entity_of[a] == entity_of[b])
                ids = list(entity_of.items())
                possible = sum(
                    1 for (a, ea), (b, eb) in itertools.combinations(ids, 2) if a != b and ea == eb
                )
                checkpoints.append(
                    {
                        "alerts": done,
                        "matches": len(pairs),
                        "pairs": len(distinct),
                        "real": real,
                        "true_links": possible,
                    }
                )
    correlate.connect()
    assert not PendingCorrelation.objects.exists(), "a correlation was left queued"
    return {"times": times, "checkpoints": checkpoints, "spent": spent}


def report(kind: str, result: dict[str, Any]) -> None:
    times = result["times"]
    base, corr = times["baseline"], times["correlated"]
    print(f"\n== {kind}: {len(corr)} correlated alerts, {len(base)} baseline alerts, interleaved")
    for name, values in (("baseline (no matching)", base), ("with correlation", corr)):
        print(
            f"  {name:24s} mean {statistics.mean(values) * 1000:7.1f} ms  "
            f"p50 {percentile(values, 50) * 1000:7.1f} ms  p99 {percentile(values, 99) * 1000:7.1f} ms"
        )
    extra = statistics.mean(corr) - statistics.mean(base)
    print(
        f"  correlation cost per alert: {extra * 1000:.1f} ms "
        f"(ratio correlated / baseline: {statistics.mean(corr) / statistics.mean(base):.2f}x)"
    )
    n = len(corr)
    print(
        f"  of which: keys in the publishing transaction {result['spent']['keys'] / n * 1000:.1f} ms, "
        f"correlation after commit {result['spent']['correlation'] / n * 1000:.1f} ms"
    )
    print("  alerts  match rows  rows/alert  alert pairs  same real person  true same-person pairs")
    for c in result["checkpoints"]:
        print(
            f"  {c['alerts']:6d}  {c['matches']:10d}  {c['matches'] / c['alerts']:10.2f}  {c['pairs']:11d}  "
            f"{c['real']:16d}  {c['true_links']:22d}"
        )
    last = result["checkpoints"][-1]
    real, true = last["real"], last["true_links"]
    print(
        f"  stored pairs follow the real links: {real} of {last['pairs']} link the same person "
        f"(precision {real / max(1, last['pairs']):.3f}), {real} of {true} same-person pairs found "
        f"(recall {real / max(1, true):.3f}); all pairs would be {last['alerts'] * (last['alerts'] - 1) // 2}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=400, help="correlated alerts (as many baseline ones)")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.count < 8:
        parser.error("--count: at least 8")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    with (
        tempfile.TemporaryDirectory(prefix="crimac-bench-correlate-") as tmp_name,
        scratch_database(args.database, Path(tmp_name), PREFIX) as url,
    ):
        django_with_demo_directory(url, Path(tmp_name))
        try:
            result = run(args.count, args.seed)
        finally:
            from django.db import connections

            connections.close_all()
        report(args.database, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
