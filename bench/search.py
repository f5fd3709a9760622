"""Search benchmark: full-text search against a plain LIKE scan over the same rows, in the same run.

On a fresh scratch database (SQLite file, or a scratch PostgreSQL database dropped at the end) with
the demo directory, it publishes N demo alerts through the alert actions (`crimac demo`'s generator:
realistic titles, narratives, names in several scripts, vehicles and phones), so the search index
fills itself through the alert hooks. Then, as the national analyst (who sees every alert), it
times for a sample of words taken from the alerts:

- full text: `crimac.search.service.search_alerts` (count + first page of 20, ranked), and again
  with State, date and category filters, newest first;
- baseline: the same visible alerts filtered with `icontains` on title, narrative, address and
  person names (LIKE '%word%' / ILIKE), counted and the first 20 newest fetched;
- registration look-up: the normalised-registration index against `icontains` on what was written.

It prints p50 and p99 of each and the ratio baseline / full text.

    .venv/bin/python bench/search.py [--count 2000] [--database sqlite|postgres] [--queries 200]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchlib import django_with_demo_directory, scratch_database

PREFIX = "crimac_bench_search"


def setup(url: str, tmp: Path, count: int, seed: int) -> float:
    django_with_demo_directory(url, tmp)
    from crimac.alerts.demo import build_history

    start = time.perf_counter()
    build_history(count, seed=seed)
    return time.perf_counter() - start


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(fn: Callable[[str], Any], inputs: list[str]) -> list[float]:
    out = []
    for value in inputs:
        start = time.perf_counter()
        fn(value)
        out.append(time.perf_counter() - start)
    return out


def sample_words(n: int, rng: random.Random) -> list[str]:
    from crimac.search.models import AlertDocument
    from crimac.search.text import STOP_WORDS, tokens

    words: list[str] = []
    for title, names, places in AlertDocument.objects.order_by("?").values_list("title", "names", "places")[
        :2000
    ]:
        words += [w for w in tokens(f"{title} {names} {places}") if len(w) > 3 and w not in STOP_WORDS]
    if not words:
        raise SystemExit("no words indexed: did the alerts get indexed?")
    return [rng.choice(words) for _ in range(n)]


def run(queries: int, seed: int) -> dict[str, list[float]]:
    from datetime import datetime
    from datetime import time as dtime
    from types import SimpleNamespace

    from django.db.models import Q
    from django.utils import timezone

    from crimac.alerts.models import Alert, Vehicle
    from crimac.directory.models import User
    from crimac.search.service import search_alerts
    from crimac.search.text import parse_query

    rng = random.Random(seed)
    user = User.objects.select_related("agency").get(username="analyst")
    words = sample_words(queries, rng)
    since = timezone.localdate().replace(day=1).replace(month=1)
    filters = SimpleNamespace(
        category=["missing_person", "human_trafficking", "rescued_victim", "wanted_person"],
        priority=None,
        status=None,
        state=None,
        district=None,
        origin=None,
        reported_from=since,
        reported_to=None,
    )
    states = list(Alert.objects.order_by().values_list("state__code", flat=True).distinct())

    def fts(word: str) -> None:
        search_alerts(user, parse_query(word), limit=20)

    def fts_filtered(word: str) -> None:
        filters.state = rng.choice(states)
        search_alerts(user, parse_query(word), filters, newest=True, limit=20)

    def like(word: str) -> None:
        qs = (
            Alert.objects.visible_to(user)
            .filter(
                Q(title__icontains=word)
                | Q(narrative__icontains=word)
                | Q(address__icontains=word)
                | Q(persons__name__icontains=word)
            )
            .distinct()
        )
        qs.count()
        list(qs.order_by("-reported_at", "-id")[:20])

    def like_filtered(word: str) -> None:
        start = datetime.combine(since, dtime.min, timezone.get_current_timezone())
        qs = (
            Alert.objects.visible_to(user)
            .filter(category__in=filters.category, state__code=rng.choice(states), reported_at__gte=start)
            .filter(
                Q(title__icontains=word)
                | Q(narrative__icontains=word)
                | Q(address__icontains=word)
                | Q(persons__name__icontains=word)
            )
            .distinct()
        )
        qs.count()
        list(qs.order_by("-reported_at", "-id")[:20])

    plates = list(
        Vehicle.objects.exclude(registration_normalised="").values_list("registration_normalised", flat=True)[
            :5000
        ]
    )
    sought = [rng.choice(plates) for _ in range(queries)] if plates else []

    def plate_exact(value: str) -> None:
        visible = Alert.objects.visible_to(user).values("id")
        list(Vehicle.objects.filter(registration_normalised=value, alert__in=visible)[:20])

    def plate_like(value: str) -> None:
        visible = Alert.objects.visible_to(user).values("id")
        digits = re.sub(r"\D", "", value)[-4:]
        list(Vehicle.objects.filter(registration__icontains=digits, alert__in=visible)[:20])

    results = {
        "full text": timed(fts, words),
        "LIKE scan": timed(like, words),
        "full text + filters, newest": timed(fts_filtered, words),
        "LIKE scan + filters, newest": timed(like_filtered, words),
    }
    if sought:
        results["registration (normalised index)"] = timed(plate_exact, sought)
        results["registration (LIKE on as written)"] = timed(plate_like, sought)
    return results


def report(kind: str, count: int, load_seconds: float, results: dict[str, list[float]]) -> None:
    print(f"\n== {kind}: {count} alerts (loaded through the actions in {load_seconds:.0f} s)")
    for name, values in results.items():
        print(
            f"  {name:36s} p50 {percentile(values, 50) * 1000:8.2f} ms  "
            f"p99 {percentile(values, 99) * 1000:8.2f} ms  mean {statistics.mean(values) * 1000:8.2f} ms"
        )
    for fast, slow in (
        ("full text", "LIKE scan"),
        ("full text + filters, newest", "LIKE scan + filters, newest"),
        ("registration (normalised index)", "registration (LIKE on as written)"),
    ):
        if fast in results and slow in results:
            ratio = statistics.mean(results[slow]) / statistics.mean(results[fast])
            print(f"  ratio {slow} / {fast}: {ratio:.1f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=2000, help="alerts to publish")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    if args.count < 50 or args.queries < 10:
        parser.error("--count: at least 50; --queries: at least 10")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    with (
        tempfile.TemporaryDirectory(prefix="crimac-bench-search-") as tmp_name,
        scratch_database(args.database, Path(tmp_name), PREFIX) as url,
    ):
        load = setup(url, Path(tmp_name), args.count, args.seed)
        results = run(args.queries, args.seed)
        report(args.database, args.count, load, results)
        from django.db import connections

        connections.close_all()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
