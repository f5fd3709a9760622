"""Ingest benchmark: how many alerts per second a running `crimac serve` takes through its API.

For each database (SQLite, and PostgreSQL when postgres://postgres@127.0.0.1:5432 answers) it:

1. makes a fresh database (a file in a temporary directory, or a scratch PostgreSQL database
   `crimac_bench_<random>` that is dropped at the end), migrates it, loads the demo directory with
   no alerts (`crimac demo --alerts 0`) and creates an API key for DL-HQ;
2. starts `crimac serve` on a free 127.0.0.1 port and measures
   (a) single-alert POST /api/v1/alerts from a pool of concurrent clients: requests/s, p50, p99;
   (b) POST /api/v1/alerts/bulk with 500 alerts per request: alerts/s;
3. stops the server and, in a separate process on the same database, measures the baseline:
   (c) the raw insert rate of the same rows through the ORM (bulk_create of Alert, Person, Vehicle
   and Phone rows with precomputed values: no validation, no API), and, for reference, of every
   row the API writes per alert (also citations, audience terms, the first revision and the
   audit row);
4. prints the ratios API / ORM raw, and checks the PostgreSQL targets.

Everything stays on 127.0.0.1; every loop is bounded by a count and by --max-seconds.

    .venv/bin/python bench/ingest.py [--count 1000] [--databases sqlite,postgres]
    .venv/bin/python bench/ingest.py --profile      # where a single request's time goes (cProfile)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from benchlib import POSTGRES, free_port, scratch_database, wait_http

AGENCY = "DL-HQ"
STATION = "DL-NEWDELHI-PS-001"
BULK_SIZE = 500
TARGET_SINGLE = 300.0  # PostgreSQL: single-alert requests per second
TARGET_BULK = 3000.0  # PostgreSQL: alerts per second in bulk
OUTBOX_NOTE = (
    "note: each alert goes to Delhi and its bordering States, so dissemination writes one delivery row "
    "per recipient agency (hundreds per alert) and a feed event in the same transaction; the ORM "
    "baseline (c) 'every row' writes the same."
)

FIRST = ["Ramesh", "Suresh", "Anita", "Pooja", "Imran", "Gurpreet", "Lakshmi", "Bikash", "Sunita", "Arjun"]
LAST = ["Kumar", "Yadav", "Sharma", "Das", "Singh", "Khan", "Boro", "Devi", "Meena", "Nair"]
HINDI = ["रमेश कुमार", "सुनीता देवी", "अर्जुन यादव", "पूजा शर्मा"]
IST = ZoneInfo("Asia/Kolkata")
MAKES = [
    ("Maruti Suzuki", "Swift"),
    ("Hero", "Splendor Plus"),
    ("Mahindra", "Bolero"),
    ("Honda", "Activa 6G"),
]


# --- alert bodies (plain JSON, no Django) -------------------------------------------------------


def alert_body(rng: random.Random, n: int) -> dict[str, Any]:
    """A realistic, valid alert: a person, a vehicle, a phone, sections and an audience."""
    reported = datetime.now(IST) - timedelta(minutes=rng.randint(10, 600))
    occurred = reported - timedelta(hours=rng.uniform(1, 24))
    name = rng.choice(HINDI) if rng.random() < 0.2 else f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    make, model = rng.choice(MAKES)
    mobile = f"{rng.randint(7, 9)}{rng.randint(0, 10**9 - 1):09d}"
    category, sections, role = rng.choice(
        [
            ("heinous_crime", ["BNS 103(1)"], "accused"),
            ("human_trafficking", ["BNS 143", "BNS 144"], "suspect"),
            ("missing_person", ["BNS 137(2)"], "missing"),
            ("wanted_person", ["IPC 302"], "accused"),
        ]
    )
    return {
        "category": category,
        "title": f"Bench alert {n}: {name} sought in New Delhi",
        "narrative": (
            f"{name} was last seen near the bus stand in the area of Kotwali Police Station, New Delhi, "
            f"on a {make} {model}, wearing a blue checked shirt. Believed to be moving towards Haryana or "
            "Uttar Pradesh with two associates. Check bus stands, railway stations, hotels and dhabas on "
            "the highways; share CCTV footage; inform the originator of any sighting or trace at once."
        ),
        "occurred_at": occurred.isoformat(),
        "reported_at": reported.isoformat(),
        "state": "DL",
        "station": STATION,
        "address": f"{rng.randint(1, 400)}, Main Bazar Road, near the bus stand",
        "sections": sections,
        "fir_number": f"{rng.randint(1, 900)}/{occurred.year}",
        "fir_date": occurred.date().isoformat(),
        "audience": {"states": ["DL"], "bordering_states": True},
        "persons": [
            {
                "role": role,
                "name": name,
                "gender": rng.choice(["male", "female"]),
                "age_min": 25,
                "age_max": 30,
                "marks": "mole on the left cheek",
                "languages": ["Hindi"],
            }
        ],
        "vehicles": [
            {
                "registration": f"DL {rng.randint(1, 13)}C {rng.choice('ABCDEFGH')}{rng.choice('JKLMNP')} "
                f"{rng.randint(1, 9999):04d}",
                "vehicle_type": "car",
                "make": make,
                "model": model,
                "colour": rng.choice(["white", "silver", "red"]),
            }
        ],
        "phones": [{"number": f"+91 {mobile[:5]} {mobile[5:]}"}],
    }


# --- a server on its own database ---------------------------------------------------------------


def postgres_answers() -> bool:
    try:
        import psycopg

        with psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except Exception:
        return False


def environment(database_url: str, tmp: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("CRIMAC_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        {
            "CRIMAC_DATABASE_URL": database_url,
            "CRIMAC_DATA_DIR": str(tmp),
            "CRIMAC_ENV": "development",  # the embedded default; DEBUG off
            "CRIMAC_DEBUG": "0",
            "CRIMAC_LOG_LEVEL": "WARNING",
        }
    )
    return env


def crimac(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "crimac.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"crimac {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@contextlib.contextmanager
def serving(env: dict[str, str], tmp: Path) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp / "server.log").open("w")
    command = [sys.executable, "-m", "crimac.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(
        [*command, "--log-level", "warning"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_http(f"{base}/healthz", proc, log=tmp / "server.log")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()


def server_errors(log: Path, lines: int = 40) -> None:
    """Show what the server logged about failed requests (their tracebacks), briefly."""
    text = log.read_text(errors="replace").splitlines()
    kinds = sorted({line for line in text if line and not line.startswith(" ") and "Error" in line})
    print("      server log, distinct error lines:")
    for line in kinds[:10]:
        print(f"        {line[:300]}")
    print("      server log, last lines:")
    for line in text[-lines:]:
        print(f"        {line[:300]}")


# --- the measurements ---------------------------------------------------------------------------


@dataclass
class Single:
    requests: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    client_cpu: float = 0.0  # CPU seconds the benchmark's own client threads used

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def client_ms(self) -> float:
        return self.client_cpu / max(1, len(self.latencies)) * 1000

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def post_singles(
    base: str, key: str, bodies: list[dict[str, Any]], *, clients: int, deadline: float, idempotent: bool
) -> Single:
    """POST each body once, from `clients` threads each with its own keep-alive connection."""
    return hammer(base, key, bodies, clients=clients, deadline=deadline, idempotent=idempotent)


def get_many(base: str, key: str | None, path: str, count: int, *, clients: int, deadline: float) -> Single:
    """GET `path` `count` times the same way: what the server answers when there is no work to do."""
    return hammer(base, key, [None] * count, clients=clients, deadline=deadline, path=path)


def hammer(
    base: str,
    key: str | None,
    bodies: list[dict[str, Any]] | list[None],
    *,
    clients: int,
    deadline: float,
    idempotent: bool = False,
    path: str = "/api/v1/alerts",
) -> Single:
    lock = threading.Lock()
    todo = iter(range(len(bodies)))
    result = Single(len(bodies), 0.0)

    def worker() -> None:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
            while time.monotonic() < deadline:
                with lock:
                    n = next(todo, None)
                if n is None:
                    return
                extra = {"Idempotency-Key": f"bench-{secrets.token_hex(8)}"} if idempotent else {}
                body = bodies[n]
                started = time.perf_counter()
                try:
                    response = http.get(path) if body is None else http.post(path, json=body, headers=extra)
                except httpx.HTTPError as exc:
                    with lock:
                        result.errors.append(repr(exc))
                    continue
                elapsed = time.perf_counter() - started
                with lock:
                    if response.status_code == (200 if body is None else 201):
                        result.latencies.append(elapsed)
                    else:
                        result.errors.append(f"{response.status_code} {response.text[:300]}")

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    started, cpu = time.perf_counter(), time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(1.0, deadline - time.monotonic() + 70))
    result.seconds = time.perf_counter() - started
    result.client_cpu = time.process_time() - cpu
    return result


@dataclass
class Bulk:
    alerts: int
    seconds: float
    request_seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.alerts / self.seconds if self.seconds else 0.0


def post_bulk(base: str, key: str, bodies: list[dict[str, Any]], *, deadline: float) -> Bulk:
    """POST the bodies in requests of BULK_SIZE, one after the other (as a State system would)."""
    result = Bulk(0, 0.0)
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, headers=headers, timeout=300) as http:
        started = time.perf_counter()
        for start in range(0, len(bodies), BULK_SIZE):
            if time.monotonic() > deadline:
                result.errors.append("stopped at --max-seconds")
                break
            t = time.perf_counter()
            response = http.post("/api/v1/alerts/bulk", json={"alerts": bodies[start : start + BULK_SIZE]})
            result.request_seconds.append(time.perf_counter() - t)
            if response.status_code != 200:
                result.errors.append(f"{response.status_code} {response.text[:300]}")
                continue
            data = response.json()
            result.alerts += data["created"]
            if data["failed"]:
                first = next(r for r in data["results"] if r["status"] != 201)
                result.errors.append(f"{data['failed']} refused, e.g. {json.dumps(first)[:300]}")
        result.seconds = time.perf_counter() - started
    return result


def orm_raw_in_subprocess(env: dict[str, str], count: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--orm-raw", "--count", str(count)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"ORM baseline failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- (c) the ORM baseline, run in its own process ------------------------------------------------


def orm_raw(count: int) -> dict[str, float]:
    """Insert `count` alerts with precomputed values through bulk_create, in transactions of
    BULK_SIZE. Returns alerts/s for the four core tables, and for every table the API writes."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crimac.settings")
    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from crimac.alerts.models import (
        Alert,
        AlertRevision,
        AudienceEntry,
        Citation,
        LegalSection,
        Person,
        Phone,
        Vehicle,
    )
    from crimac.audit.models import AuditEvent
    from crimac.directory import actions as directory_actions
    from crimac.directory.models import Agency, State
    from crimac.dissemination.models import Delivery, FeedEvent

    agency = Agency.objects.get(code=AGENCY)
    station = Agency.objects.get(code=STATION)
    user = directory_actions.system_account(agency)
    delhi = State.objects.get(code="DL")
    neighbours = list(State.objects.filter(code__in=["HR", "UP"]))
    # The recipients dissemination resolves for the bench's audience (Delhi and its bordering States).
    recipients = list(
        Agency.objects.filter(active=True, state__in=[delhi, *neighbours]).values_list("id", flat=True)
    )
    section = LegalSection.objects.get(code="BNS", section="143")
    rng = random.Random(7)
    now = timezone.now()
    district = station.district
    # Precomputed values: what a caller that had already validated and normalised would hold.
    prepared = []
    for n in range(count):
        b = alert_body(rng, n)
        p, v, ph = b["persons"][0], b["vehicles"][0], b["phones"][0]
        prepared.append(
            (
                {
                    "origin_agency": agency,
                    "origin_user": user,
                    "category": b["category"],
                    "title": b["title"],
                    "narrative": b["narrative"],
                    "priority": "immediate",
                    "action_requested": "trace_and_inform",
                    "occurred_at": datetime.fromisoformat(b["occurred_at"]),
                    "reported_at": datetime.fromisoformat(b["reported_at"]),
                    "state": delhi,
                    "district": district,
                    "station": station,
                    "address": b["address"],
                    "fir_number": b["fir_number"],
                    "status": "published",
                    "published_at": now,
                },
                {k: p[k] for k in ("role", "name", "gender", "age_min", "age_max", "marks", "languages")},
                {
                    **{k: v[k] for k in ("registration", "vehicle_type", "make", "model", "colour")},
                    "registration_normalised": v["registration"].replace(" ", ""),
                },
                {"number": ph["number"], "e164": "+91" + ph["number"][4:].replace(" ", "")},
                b,  # the alert as a whole stands in for the revision's snapshot (same size)
            )
        )

    def timed(full: bool, run: str, limit: int) -> float:
        started = time.perf_counter()
        for start in range(0, limit, BULK_SIZE):
            chunk = prepared[start : min(limit, start + BULK_SIZE)]
            alerts = [
                Alert(reference=f"Z{run}-{start + i:07d}", **a) for i, (a, _, _, _, _) in enumerate(chunk)
            ]
            with transaction.atomic():
                Alert.objects.bulk_create(alerts)
                Person.objects.bulk_create(
                    Person(alert=a, **c[1]) for a, c in zip(alerts, chunk, strict=True)
                )
                Vehicle.objects.bulk_create(
                    Vehicle(alert=a, **c[2]) for a, c in zip(alerts, chunk, strict=True)
                )
                Phone.objects.bulk_create(Phone(alert=a, **c[3]) for a, c in zip(alerts, chunk, strict=True))
                if not full:
                    continue
                Citation.objects.bulk_create(Citation(alert=a, section=section) for a in alerts)
                audience = [AudienceEntry(alert=a, kind="state", state=delhi) for a in alerts]
                audience += [AudienceEntry(alert=a, kind="bordering_states") for a in alerts]
                audience += [
                    AudienceEntry(alert=a, kind="state", state=s, derived=True)
                    for a in alerts
                    for s in neighbours
                ]
                AudienceEntry.objects.bulk_create(audience)
                AlertRevision.objects.bulk_create(
                    AlertRevision(alert=a, number=1, event="published", snapshot=c[4], by=user)
                    for a, c in zip(alerts, chunk, strict=True)
                )
                AuditEvent.objects.bulk_create(
                    AuditEvent(
                        actor=user,
                        actor_name=user.username,
                        agency=agency,
                        agency_code=agency.code,
                        action="alert.publish",
                        object_type="alerts.alert",
                        object_id=str(a.pk),
                        object_repr=a.title[:200],
                        via="api",
                        detail={"reference": a.reference, "warnings": []},
                    )
                    for a in alerts
                )
                deadline = now + timedelta(hours=1)
                Delivery.objects.bulk_create(
                    (
                        Delivery(
                            alert=a,
                            agency_id=r,
                            reason="State",
                            revision=1,
                            created_at=now,
                            updated_at=now,
                            deadline=deadline,
                            escalate_at=deadline,
                        )
                        for a in alerts
                        for r in recipients
                    ),
                    batch_size=5000,
                )
                FeedEvent.objects.bulk_create(
                    FeedEvent(
                        alert=a, kind="published", audience="recipients", payload={"reference": a.reference}
                    )
                    for a in alerts
                )
        return time.perf_counter() - started

    timed(True, "W", min(count, BULK_SIZE))  # warm-up: connection, caches, code paths
    core = timed(False, "C", count)
    full = timed(True, "F", count)
    return {
        "count": count,
        "core_rate": count / core,
        "full_rate": count / full,
        "recipients": len(recipients),
    }


# --- the in-process profile ---------------------------------------------------------------------


def profile(kind: str, count: int) -> None:
    """Where the time of a single-alert POST (and of a bulk POST) goes, in process: Django's test
    client, no network, on a fresh scratch database of `kind`."""
    import cProfile
    import pstats

    with (
        tempfile.TemporaryDirectory(prefix="crimac-profile-") as tmp_name,
        scratch_database(kind, Path(tmp_name)) as url,
    ):
        os.environ.update(environment(url, Path(tmp_name)))
        os.environ["DJANGO_SETTINGS_MODULE"] = "crimac.settings"
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from crimac.directory import actions as directory_actions
        from crimac.directory.models import Agency

        call_command("migrate", verbosity=0)
        call_command("demo", "--alerts", "0", "--per-district", "1", stdout=StringIO())
        key = directory_actions.create_api_key(Agency.objects.get(code=AGENCY), "profile", actor=None).raw
        client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
        rng = random.Random(3)
        bodies = [alert_body(rng, n) for n in range(count + 21)]
        for b in bodies[:20]:
            response = client.post("/api/v1/alerts", b, content_type="application/json")
            assert response.status_code == 201, response.content
        with CaptureQueriesContext(connection) as single_queries:
            client.post("/api/v1/alerts", bodies[20], content_type="application/json")
        print(f"queries for one single-alert POST: {len(single_queries.captured_queries)}")
        for q in single_queries.captured_queries:
            print("   ", q["sql"][:160])
        bulk = {"alerts": [alert_body(rng, n) for n in range(BULK_SIZE)]}
        with CaptureQueriesContext(connection) as bulk_queries:
            started = time.perf_counter()
            response = client.post("/api/v1/alerts/bulk", bulk, content_type="application/json")
            took = time.perf_counter() - started
        print(
            f"queries for one bulk POST of {BULK_SIZE}: {len(bulk_queries.captured_queries)} "
            f"({took:.2f}s, {response.json()['created']} created; Django keeps the last 9,000)"
        )
        # Statements that run once per alert (or more) are the ones to batch: group by shape.
        shapes = Counter(re.sub(r"\d+", "N", q["sql"][:100]) for q in bulk_queries.captured_queries)
        print("  most frequent statements of the bulk POST (digits shown as N):")
        for shape, times in shapes.most_common(15):
            print(f"  {times:6d}  {shape}")
        started = time.perf_counter()
        for b in bodies[21 : 21 + count]:
            client.post("/api/v1/alerts", b, content_type="application/json")
        took = time.perf_counter() - started
        print(f"\n{count} single POSTs in process, no profiler: {took / count * 1000:.2f} ms each")
        stages(count, rng)
        phases(client, [alert_body(rng, n) for n in range(count)])
        profiler = cProfile.Profile()
        profiler.enable()
        for b in [alert_body(rng, n) for n in range(count)]:
            client.post("/api/v1/alerts", b, content_type="application/json")
        profiler.disable()
        print(f"{count} single POSTs under cProfile, by cumulative time:")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
        profiler = cProfile.Profile()
        bulk = {"alerts": [alert_body(rng, n) for n in range(BULK_SIZE)]}
        profiler.enable()
        client.post("/api/v1/alerts/bulk", bulk, content_type="application/json")
        profiler.disable()
        print(f"\none bulk POST of {BULK_SIZE} under cProfile, by cumulative time:")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)


def stages(count: int, rng: random.Random) -> None:
    """Time the stages of one single-alert write without a profiler (its overhead distorts ORM
    code): parsing, checking with a fresh or a shared Lookup, and the whole write."""
    from crimac.alerts import actions
    from crimac.alerts.models import Alert
    from crimac.alerts.schemas import AlertIn
    from crimac.alerts.serialise import alert_out, prefetch
    from crimac.directory import actions as directory_actions
    from crimac.directory.models import Agency

    actor = directory_actions.system_account(Agency.objects.get(code=AGENCY))
    raw = [alert_body(rng, n) for n in range(count)]

    def per_alert(work: Any) -> float:
        started = time.perf_counter()
        for item in raw:
            work(item)
        return (time.perf_counter() - started) / count * 1000

    parsed = [AlertIn.model_validate(b) for b in raw]
    shared = actions.Lookup()
    for item in parsed[:2]:
        actions.check_alert(item, actor=actor, lookup=shared)
    parse_ms = per_alert(lambda b: AlertIn.model_validate(b))
    it = iter(parsed)
    fresh_ms = per_alert(lambda _: actions.check_alert(next(it), actor=actor))
    it = iter(parsed)
    shared_ms = per_alert(lambda _: actions.check_alert(next(it), actor=actor, lookup=shared))
    it = iter(parsed)
    written: list[Any] = []
    write_ms = per_alert(lambda _: written.append(actions.create_alert(next(it), actor=actor, publish=True)))
    done = iter(written)
    answer_ms = per_alert(lambda _: next(done).snapshot())
    ids = iter(Alert.objects.order_by("-pk").values_list("pk", flat=True)[:count])
    reread_ms = per_alert(lambda _: alert_out(prefetch(Alert.objects).get(pk=next(ids))))
    print(
        "stages of a single-alert write, per alert, in process, no profiler:\n"
        f"  parse the body (AlertIn)                      {parse_ms:6.2f} ms\n"
        f"  check_alert with a fresh Lookup (per request) {fresh_ms:6.2f} ms\n"
        f"  check_alert with a Lookup kept across alerts  {shared_ms:6.2f} ms\n"
        f"  create_alert (check + insert + commit)        {write_ms:6.2f} ms\n"
        f"  the answer from the written objects (snapshot) {answer_ms:5.2f} ms\n"
        f"  (for comparison) re-read it and serialise it  {reread_ms:6.2f} ms"
    )


class Phases:
    """Wall time per phase of the single-alert POSTs made while `timing()` is on: each phase's
    function is wrapped where its caller finds it, and a phase's time excludes the phases
    nested in it (the alert's insert excludes the hooks it emits, for example)."""

    def __init__(self) -> None:
        self.totals: Counter[str] = Counter()
        self.stack: list[list[float]] = []  # [started, time of nested phases]

    def wrap(self, name: str, fn: Any) -> Any:
        import functools

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.stack.append([time.perf_counter(), 0.0])
            try:
                return fn(*args, **kwargs)
            finally:
                started, nested = self.stack.pop()
                took = time.perf_counter() - started
                self.totals[name] += took - nested
                if self.stack:
                    self.stack[-1][1] += took

        return timed


@contextlib.contextmanager
def timing() -> Iterator[Phases]:
    """Wrap the phases of the POST path (see `phases`) and unwrap them afterwards."""
    from django.db.backends.base.base import BaseDatabaseWrapper

    from crimac.alerts import actions, hooks
    from crimac.api import auth
    from crimac.dissemination import feed, outbox, subscribers

    found = Phases()
    patched: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, attr: str, name: str) -> None:
        original = getattr(owner, attr)
        patched.append((owner, attr, original))
        setattr(owner, attr, found.wrap(name, original))

    patch(auth, "authenticate_api_key", "authenticate the API key")
    patch(actions, "check_alert", "validate (check_alert)")
    patch(actions, "_insert", "insert alert, subjects, revision, audit")
    patch(subscribers, "directory_index", "audience: directory index and rules")
    patch(subscribers, "active_rules", "audience: directory index and rules")
    patch(subscribers, "recipients_for", "audience: resolve recipients")
    patch(subscribers, "insert_rows", "deliveries (COPY)")
    patch(outbox, "_enqueue", "outbox")
    patch(subscribers.feed, "record_alert_events", "feed event (advisory lock + insert)")
    patch(BaseDatabaseWrapper, "commit", "commit")
    registries = [hooks._in_transaction, hooks._registry]
    names = {
        "deliver": "dissemination: deliver (rest)",
        "on_alert_event": "search document",
        "write_keys": "matching keys (+ pending row)",
        "correlate_event": "correlation (after commit)",
        "on_revised": "escalation",
    }
    saved = [{event: list(cbs) for event, cbs in registry.items()} for registry in registries]
    for registry in registries:
        for event, callbacks in registry.items():
            registry[event] = [
                found.wrap(names.get(cb.__name__, f"hook {cb.__module__}.{cb.__name__}"), cb)
                for cb in callbacks
            ]
    original_push = feed.push_after_commit

    def push_timed(event_id: int) -> None:
        from asgiref.sync import async_to_sync
        from channels.layers import get_channel_layer
        from django.db import transaction

        def push() -> None:
            layer = get_channel_layer()
            if layer is not None:
                async_to_sync(layer.group_send)(feed.GROUP, {"type": "feed.event", "id": event_id})

        transaction.on_commit(found.wrap("feed publish (after commit)", push))

    feed.push_after_commit = push_timed
    try:
        yield found
    finally:
        feed.push_after_commit = original_push
        for owner, attr, original in reversed(patched):
            setattr(owner, attr, original)
        for registry, before in zip(registries, saved, strict=True):
            registry.clear()
            registry.update(before)


def phases(client: Any, bodies: list[dict[str, Any]]) -> None:
    """Where a single-alert POST's wall time goes, phase by phase (no profiler), in process."""
    started = time.perf_counter()
    with timing() as found:
        for body in bodies:
            response = client.post("/api/v1/alerts", body, content_type="application/json")
            assert response.status_code == 201, response.content[:300]
    total = (time.perf_counter() - started) / len(bodies) * 1000
    print(f"\nphases of {len(bodies)} single POSTs, in process, no profiler (ms per request, wall):")
    accounted = 0.0
    for name, seconds in sorted(found.totals.items(), key=lambda kv: -kv[1]):
        ms = seconds / len(bodies) * 1000
        accounted += ms
        print(f"  {ms:7.2f}  {ms / total * 100:5.1f}%  {name}")
    rest = total - accounted
    print(f"  {rest:7.2f}  {rest / total * 100:5.1f}%  the rest (request, ninja, parsing, answer)")
    print(f"  {total:7.2f}  100.0%  total")


# --- the run ------------------------------------------------------------------------------------


def source_fingerprint() -> str:
    """A short hash of the application's Python source, to tie numbers to the code measured."""
    import hashlib

    digest = hashlib.sha256()
    src = Path(__file__).resolve().parent.parent / "src" / "crimac"
    for path in sorted(src.rglob("*.py")):
        digest.update(str(path.relative_to(src)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def load() -> str:
    """The 1-minute load average: the benchmark shares the machine with whatever else runs."""
    return f"{os.getloadavg()[0]:.1f}"


def fmt(rate: float) -> str:
    return f"{rate:,.0f}"


def bench_database(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"crimac-bench-{kind}-") as tmp_name:
        tmp = Path(tmp_name)
        with scratch_database(kind, tmp) as url:
            env = environment(url, tmp)
            started = time.monotonic()
            crimac(env, "migrate", "--verbosity", "0")
            crimac(env, "demo", "--alerts", "0", "--per-district", "1")
            key = (
                crimac(env, "apikey", "create", "--agency", AGENCY, "--name", "bench")
                .strip()
                .splitlines()[-1]
            )
            print(
                f"  setup: migrate, demo --alerts 0, API key for {AGENCY} ({time.monotonic() - started:.0f}s)"
            )
            rng = random.Random(2026)
            singles = [alert_body(rng, n) for n in range(args.count)]
            bulks = [alert_body(rng, n) for n in range(args.bulk_requests * BULK_SIZE)]
            warm = [alert_body(rng, n) for n in range(40)]
            deadline = time.monotonic() + args.max_seconds
            with serving(env, tmp) as base:
                post_singles(base, key, warm, clients=args.clients, deadline=deadline, idempotent=False)
                single = post_singles(
                    base,
                    key,
                    singles,
                    clients=args.clients,
                    deadline=deadline,
                    idempotent=args.idempotency_key,
                )
                print(
                    f"  (a) single POST /api/v1/alerts, {args.clients} clients, "
                    f"{len(single.latencies)} created "
                    f"in {single.seconds:.1f}s: {single.rate:,.1f} requests/s, "
                    f"p50 {single.percentile(50) * 1000:.1f} ms, p99 {single.percentile(99) * 1000:.1f} ms"
                    + (f", {len(single.errors)} errors (first: {single.errors[0]})" if single.errors else "")
                    + f"; the client itself used {single.client_ms:.1f} ms CPU per request"
                )
                if single.errors:
                    server_errors(tmp / "server.log")
                ceiling = get_many(
                    base, None, "/healthz", args.count, clients=args.clients, deadline=deadline
                )
                catalogue = get_many(
                    base,
                    key,
                    "/api/v1/alerts/categories",
                    args.count,
                    clients=args.clients,
                    deadline=deadline,
                )
                print(
                    "      for scale, the same clients on the same server: "
                    f"GET /healthz {ceiling.rate:,.0f}/s; "
                    f"GET /api/v1/alerts/categories with the key {catalogue.rate:,.0f}/s "
                    f"(p50 {catalogue.percentile(50) * 1000:.1f} ms); "
                    f"client {ceiling.client_ms:.1f} ms CPU per request"
                )
                bulk = post_bulk(base, key, bulks, deadline=deadline)
                per_request = (
                    statistics.median(bulk.request_seconds) if bulk.request_seconds else float("nan")
                )
                print(
                    f"  (b) bulk POST /api/v1/alerts/bulk, {BULK_SIZE} per request, "
                    f"{len(bulk.request_seconds)} requests, {bulk.alerts} created in {bulk.seconds:.1f}s: "
                    f"{fmt(bulk.rate)} alerts/s (median {per_request:.2f}s per request)"
                    + (f", errors: {bulk.errors[0]}" if bulk.errors else "")
                )
            raw = orm_raw_in_subprocess(env, args.orm_count)
            print(
                f"  (c) ORM raw bulk_create in batches of {BULK_SIZE}, separate process, "
                f"{args.orm_count} alerts: "
                f"{fmt(raw['core_rate'])} alerts/s (alert + person + vehicle + phone); "
                f"{fmt(raw['full_rate'])} alerts/s with every row the API writes "
                f"(+ citation, 4 audience terms, revision, audit, {raw['recipients']} deliveries, feed event)"
            )
            print(f"  load average {load()} after the run")
            ratio_single = single.rate / raw["full_rate"]
            ratio_bulk = bulk.rate / raw["full_rate"]
            print(
                "  ratios against the ORM writing every row: "
                f"API single / ORM = {ratio_single:.3f}; API bulk / ORM = {ratio_bulk:.3f}"
            )
            return {
                "database": kind,
                "single_rate": single.rate,
                "p50_ms": single.percentile(50) * 1000,
                "p99_ms": single.percentile(99) * 1000,
                "single_errors": len(single.errors),
                "healthz_rate": ceiling.rate,
                "categories_rate": catalogue.rate,
                "bulk_rate": bulk.rate,
                "bulk_errors": len(bulk.errors),
                "orm_core_rate": raw["core_rate"],
                "orm_full_rate": raw["full_rate"],
                "recipients_per_alert": raw["recipients"],
                "ratio_single": ratio_single,
                "ratio_bulk": ratio_bulk,
            }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=1000, help="single-alert requests (default 1000)")
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients for (a) (default 8)")
    parser.add_argument(
        "--bulk-requests", type=int, default=10, help=f"bulk requests of {BULK_SIZE} (default 10)"
    )
    parser.add_argument(
        "--orm-count", type=int, default=5000, help="alerts for the ORM baseline (default 5000)"
    )
    parser.add_argument("--max-seconds", type=float, default=900, help="stop measuring after this long")
    parser.add_argument(
        "--idempotency-key", action="store_true", help="send an Idempotency-Key with each (a)"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--profile", action="store_true", help="profile the in-process path instead")
    parser.add_argument("--orm-raw", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    for name in ("count", "clients", "bulk_requests", "orm_count"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.orm_raw:
        print(json.dumps(orm_raw(args.count)))
        return 0
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    unknown = set(kinds) - {"sqlite", "postgres"}
    if unknown or not kinds:
        parser.error(f"--databases: unknown {', '.join(sorted(unknown))} (sqlite, postgres)")
    if args.profile:
        profile(kinds[0], min(args.count, 300))
        return 0
    print(
        f"crimac ingest benchmark: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"load average {load()} at the start, source {source_fingerprint()}"
    )
    print(OUTBOX_NOTE)
    results = []
    for kind in kinds:
        print(f"\n== {kind}")
        if kind == "postgres" and not postgres_answers():
            print(f"  skipped: PostgreSQL does not answer at {POSTGRES}")
            continue
        results.append(bench_database(kind, args))
    for r in results:
        if r["database"] != "postgres":
            continue
        print("\ntargets (PostgreSQL):")
        for label, value, target, unit in [
            ("single-alert requests", r["single_rate"], TARGET_SINGLE, "requests/s"),
            ("bulk", r["bulk_rate"], TARGET_BULK, "alerts/s"),
        ]:
            verdict = "met" if value >= target else "MISSED"
            print(f"  {label}: {value:,.0f} {unit} against >= {target:,.0f}: {verdict}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    failed = any(r["single_errors"] or r["bulk_errors"] for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
