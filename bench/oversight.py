"""Oversight benchmark: how long the dashboard's figures take at national scale on PostgreSQL.

It builds a scratch database `crimac_bench_oversight` (dropped first if it exists, and at the end
unless --keep): migrations, the demo directory with 16,361 police stations, and N published alerts
(default 1,000,000) written with COPY, spread over the last year the way the demo history spreads
them (Delhi, Assam and Haryana post the most; nine States/UTs never post; within a State a few
stations post most), with trafficking-section citations on half the trafficking alerts. Then it
times, each as the median of --repeat runs:

- baseline: `SELECT COUNT(*)` over the alerts of the period (what any figure must at least read);
- the national figures (`participation_report` for a national analyst, a year);
- the national dashboard page, rendered (GET /oversight/ through Django's test client);
- the largest State's dashboard page (Uttar Pradesh: its districts and every station);
- the compliance and timeliness figures;

and prints each with its ratio to the baseline and the target (dashboard under a second).

    .venv/bin/python bench/oversight.py                   # 1,000,000 alerts
    .venv/bin/python bench/oversight.py --alerts 100000   # a quicker run
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

POSTGRES = "postgres://postgres@127.0.0.1:5432"
NAME = "crimac_bench_oversight"
TARGET_SECONDS = 1.0


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def setup_django(keep_data: str) -> None:
    os.environ["CRIMAC_DATABASE_URL"] = f"{POSTGRES}/{NAME}"
    os.environ["CRIMAC_DATA_DIR"] = keep_data
    os.environ["CRIMAC_ENV"] = "test"
    os.environ["DJANGO_SETTINGS_MODULE"] = "crimac.settings"
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    import django

    django.setup()


def build(alerts: int, stations: int, seed: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from crimac.alerts.choices import CATEGORIES, TRAFFICKING_CATEGORIES
    from crimac.alerts.demo import CATEGORY_WEIGHTS, STATE_WEIGHTS, allocate
    from crimac.alerts.models import LegalSection
    from crimac.directory import demo
    from crimac.directory.models import Agency, State, User

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    demo.build_directory(stations=stations, seed=seed)
    demo.create_logins()
    print(f"directory: {Agency.objects.filter(kind='police_station').count():,} stations "
          f"({time.monotonic() - started:.0f}s)")  # fmt: skip

    rng = random.Random(seed)
    user_id = User.objects.get(username="admin").pk
    by_state: dict[int, list[tuple[int, int | None]]] = {}
    for pk, state_id, district_id in Agency.objects.filter(kind="police_station").values_list(
        "pk", "state_id", "district_id"
    ):
        by_state.setdefault(state_id, []).append((pk, district_id))
    codes = dict(State.objects.values_list("code", "pk"))
    per_state = allocate(alerts, {c: w for c, w in STATE_WEIGHTS.items() if c in codes})
    categories = [c.value for c in CATEGORIES]
    weights = [CATEGORY_WEIGHTS.get(c, 1.0) for c in categories]
    priorities = ["flash", "immediate", "priority", "routine"]
    now = datetime.now().astimezone()
    columns = (
        "reference, origin_agency_id, origin_user_id, category, title, narrative, priority, "
        "action_requested, reported_at, state_id, district_id, address, fir_number, handling_code, "
        "status, revision, missing_trafficking_sections, created_at, updated_at, published_at, "
        "cancel_reason, outcome, outcome_note"
    )
    started = time.monotonic()
    # Draw every alert first, then write them in the order they were published, as a live
    # centre's table fills (a table in random time order would make every date range a scan).
    drawn: list[tuple[datetime, int, int | None, str, int]] = []
    for code, count in per_state.items():
        stations_here = by_state.get(codes[code], [])
        if not stations_here or not count:
            continue
        # A few stations post most: a Zipf-like choice over a shuffled list.
        rng.shuffle(stations_here)
        ranks = [1 / (i + 1) for i in range(len(stations_here))]
        picks = rng.choices(stations_here, weights=ranks, k=count)
        cats = rng.choices(categories, weights=weights, k=count)
        for (agency_id, in_district), category in zip(picks, cats, strict=True):
            when = now - timedelta(seconds=rng.randint(60, 365 * 86400))
            drawn.append((when, agency_id, in_district, category, codes[code]))
    drawn.sort()
    n = 0
    with connection.cursor() as wrapper:
        raw = wrapper.cursor
        with raw.copy(f"COPY alerts_alert ({columns}) FROM STDIN") as copy:
            for when, agency_id, in_district, category, state_id in drawn:
                n += 1
                fir = f"{n % 900}/2026" if rng.random() < 0.7 else ""
                copy.write_row(
                    (
                        f"BO-{n:09d}", agency_id, user_id, category, "bench alert", "",
                        rng.choice(priorities), "information_only", when, state_id, in_district, "",
                        fir, "H0", "published", 1, False, when, when, when, "", "", "",
                    )
                )  # fmt: skip
        sections = list(LegalSection.objects.filter(trafficking=True).values_list("pk", flat=True))
        raw.execute(
            "INSERT INTO alerts_citation (alert_id, section_id, position) "
            "SELECT id, %s, 0 FROM alerts_alert WHERE category = ANY(%s) AND id %% 2 = 0",
            [sections[0], list(TRAFFICKING_CATEGORIES)],
        )
        raw.execute("ANALYZE")
    print(f"alerts: {n:,} written with COPY ({time.monotonic() - started:.0f}s)")
    retally()


def retally() -> None:
    """Alerts written with COPY bypass the actions that keep oversight's counts: count them as an
    operator would after loading history."""
    from django.core.management import call_command
    from django.db import connection

    call_command("oversight_tally")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE oversight_alerttally, oversight_agencymonth, oversight_statemonth")


def timed(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm: connections, plans, template compilation
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def measure(repeat: int) -> None:
    from django.test import Client

    from crimac.directory.models import User
    from crimac.oversight.access import viewer_of
    from crimac.oversight.figures.base import posted
    from crimac.oversight.period import make_period
    from crimac.oversight.report import compliance_report, participation_report, timeliness_report

    analyst = User.objects.select_related("agency").get(username="analyst")
    viewer = viewer_of(analyst)
    period = make_period(None, None)
    period = make_period(period.end - timedelta(days=364), period.end)
    client = Client()
    client.force_login(analyst)
    query = f"?from={period.start}&to={period.end}"

    def page(path: str) -> None:
        response = client.get(path + query)
        assert response.status_code == 200, response.status_code

    baseline = timed(lambda: posted(period).count(), repeat)
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("national figures (participation_report)", lambda: participation_report(period, viewer=viewer)),
        ("national dashboard page GET /oversight/", lambda: page("/oversight/")),
        ("State dashboard page GET /oversight/state/UP/", lambda: page("/oversight/state/UP/")),
        ("compliance figures", lambda: compliance_report(period, viewer=viewer)),
        ("timeliness figures (no deliveries in this data)", lambda: timeliness_report(period, viewer=viewer)),
    ]
    # A period that starts and ends inside a month: its first and last days are counted from the
    # alerts, the whole months between from the kept counts.
    ragged = make_period(period.start + timedelta(days=14), period.end - timedelta(days=10))
    ragged_query = f"?from={ragged.start}&to={ragged.end}"

    def ragged_page() -> None:
        response = client.get("/oversight/" + ragged_query)
        assert response.status_code == 200, response.status_code

    cases.insert(2, (f"  the same, {ragged.start} to {ragged.end}", ragged_page))
    rows = [(label, timed(fn, repeat)) for label, fn in cases]
    total = posted(period).count()
    print(f"\nperiod {period.start} to {period.end}: {total:,} alerts; median of {repeat} runs")
    print(f"{'baseline: COUNT(*) of the period':<52} {baseline * 1000:9.1f} ms")
    for label, seconds in rows:
        print(f"{label:<52} {seconds * 1000:9.1f} ms   {seconds / baseline:6.1f}x baseline")
    dashboard = rows[1][1]
    verdict = "meets" if dashboard < TARGET_SECONDS else "MISSES"
    print(f"\nnational dashboard: {dashboard:.3f}s, {verdict} the target of {TARGET_SECONDS:.0f}s")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--stations", type=int, default=16_361)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--keep", action="store_true", help="keep the database (and reuse it with --reuse)")
    parser.add_argument("--reuse", action="store_true", help="measure an existing crimac_bench_oversight")
    args = parser.parse_args()
    if not args.reuse:
        _admin(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
        _admin(f'CREATE DATABASE "{NAME}"')
    try:
        with tempfile.TemporaryDirectory() as data:
            setup_django(data)
            if not args.reuse:
                build(args.alerts, args.stations, args.seed)
            else:
                from django.core.management import call_command

                started = time.monotonic()
                call_command("migrate", verbosity=0)  # a migration may count the history itself
                print(f"migrate: {time.monotonic() - started:.0f}s")
            measure(args.repeat)
            from django.db import connections

            connections.close_all()
    finally:
        if not args.keep:
            _admin(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
