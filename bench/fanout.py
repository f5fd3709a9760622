"""Fan-out benchmark: how fast a live alert reaches N WebSocket clients of one `crimac serve`.

N clients (each its own agency, with its own API key) connect to /ws/feed of one server process.
The bench then

1. posts national alerts through the API, one a second (`--steady`), then a burst (`--burst`
   in one second), then one alert to one district, and measures post-to-receipt latency
   (from the start of the POST to the message arriving at each client) p50/p99/max over every
   client, and event-to-receipt latency (from the feed event's `created_at`, recorded in the
   publishing transaction after its deliveries: the commit and the fan-out, without the
   resolution and delivery work before it), messages lost (a delivery the client should have
   had and never got), duplicated and out of cursor order, and the server's memory per
   connection (RSS delta / N);
2. drops every client at once, posts `--while-down` national alerts, reconnects every client
   with its last cursor and times how long until all are connected and caught up;
3. measures the floors in the same run, with the same clients and cores: Redis PUBLISH to N
   plain subscribers, and a minimal asyncio WebSocket server (`websockets`) that encodes the
   payload once and writes it to N sockets (`websockets.broadcast`); and prints our p99 divided
   by each floor's.

The server is pinned to one core (`taskset`), this load generator and the floors' clients to the
other; the open-file limit is raised to its hard limit. The directory lives in a scratch
PostgreSQL database (default `crimac_bench_fanout_<stations>`), built once with
`crimac demo --stations S --alerts 0` and reused by later runs (`--fresh` rebuilds it); system
accounts and API keys for the first N agencies are bulk-inserted and their raw keys kept beside it
(`--work-dir`).

    .venv/bin/python bench/fanout.py --clients 200                  # smoke run (~1 min)
    .venv/bin/python bench/fanout.py --clients 1000
    .venv/bin/python bench/fanout.py --clients 1000,5000,16000       # the issue's sizes
    .venv/bin/python bench/fanout.py --clients 1000 --lock-cost      # also: cost of commit-order cursors

Flags: --steady (10) --burst (50) --while-down (3) --server-core (0) --client-core (1)
--database-url (postgres://postgres@127.0.0.1:5432) --redis-url (redis://127.0.0.1:6379/14; the
server's channel layer and the Redis floor; --no-redis-layer serves with the in-memory layer)
--stations (16361 when N > 3000, else 3 per district) --no-compression (clients do not offer
permessage-deflate; browsers do) --db-pool (40: the server's CRIMAC_DB_POOL_MAX) --skip-floors
--fresh --quiet-seconds (3) --before (also measure the feed as it was before the per-process
dispatcher: every socket in the channel-layer group, one query per socket per event).
Targets (issue 4): p99 <= 250 ms at 5,000 clients, <= 1 s at 16,000, within 2x of the Redis
floor; no loss, no duplicates.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchlib import free_port, wait_http

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = "postgres://postgres@127.0.0.1:5432"
POSTER = "DL-HQ"
CONNECT_CONCURRENCY = 200
# loop.time() (monotonic) + WALL_OFFSET = wall-clock time, to compare with the events' created_at.
WALL_OFFSET = time.time() - time.monotonic()


# --- helpers ----------------------------------------------------------------------------------


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def summary(name: str, latencies: list[float]) -> str:
    if not latencies:
        return f"  {name:<28} (no samples)"
    return (
        f"  {name:<28} n={len(latencies):>8}  p50 {ms(pct(latencies, 50))}  "
        f"p99 {ms(pct(latencies, 99))}  max {ms(max(latencies))}"
    )


# --- the directory and the keys (in a Django subprocess) ---------------------------------------


def setup_in_django(clients: int, keys_file: Path) -> None:
    """Runs inside `python bench/fanout.py --setup-keys N`: system accounts and API keys for the
    first N active agencies (bulk inserts), raw keys into `keys_file`, reused when present."""
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.db.models import F

    from crimac.directory.actions import KEY_PREFIX, hash_key
    from crimac.directory.models import Agency, ApiKey, User

    known: dict[str, str] = json.loads(keys_file.read_text()) if keys_file.exists() else {}
    valid = set(ApiKey.objects.filter(revoked_at__isnull=True).values_list("key_hash", flat=True))
    known = {code: raw for code, raw in known.items() if hash_key(raw) in valid}
    # Grouped by district, so the one-district alert has clients among its recipients.
    agencies = list(
        Agency.objects.filter(active=True)
        .order_by(F("district_id").asc(nulls_last=True), "id")
        .values_list("id", "code", "name")
    )
    chosen = agencies[:clients]
    if len(chosen) < clients:
        raise SystemExit(f"the directory has {len(agencies)} active agencies; --clients {clients} needs more")
    wanted = [(i, c, n) for i, c, n in chosen if c not in known]
    if POSTER not in known:
        wanted += [(i, c, n) for i, c, n in agencies if c == POSTER]
    if wanted:
        unusable = make_password(None)
        usernames = {f"system.{code.lower()}": (agency_id, name) for agency_id, code, name in wanted}
        have = dict(User.objects.filter(username__in=usernames).values_list("username", "id"))
        with transaction.atomic():
            User.objects.bulk_create(
                [
                    User(
                        username=u,
                        agency_id=agency_id,
                        role="officer",
                        is_system=True,
                        full_name=f"{name} (system)",
                        password=unusable,
                    )
                    for u, (agency_id, name) in usernames.items()
                    if u not in have
                ],
                batch_size=2000,
            )
            accounts = dict(User.objects.filter(username__in=usernames).values_list("username", "id"))
            rows = []
            for agency_id, code, _ in wanted:
                prefix = os.urandom(4).hex()
                raw = f"{KEY_PREFIX}{prefix}_{os.urandom(32).hex()}"
                known[code] = raw
                rows.append(
                    ApiKey(
                        agency_id=agency_id,
                        account_id=accounts[f"system.{code.lower()}"],
                        name="fanout bench",
                        prefix=prefix,
                        key_hash=hash_key(raw),
                    )
                )
            ApiKey.objects.bulk_create(rows, batch_size=2000)
        keys_file.write_text(json.dumps(known))
    # The one-district alert: the district with the most clients.
    from collections import Counter

    codes = {code for _, code, _ in chosen}
    districts = Counter(
        Agency.objects.filter(code__in=codes, district__isnull=False).values_list(
            "district__lgd_code", flat=True
        )
    )
    district = districts.most_common(1)[0][0] if districts else None
    print(json.dumps({"clients": [code for _, code, _ in chosen], "district": district}))


@dataclass
class Site:
    database_url: str
    env: dict[str, str]
    work: Path
    keys: dict[str, str]
    clients: list[str]
    district: int | None


def crimac(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "crimac.cli", *args], env=env, capture_output=True, text=True, timeout=3600
    )
    if out.returncode != 0:
        raise RuntimeError(f"crimac {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def prepare(args: argparse.Namespace, clients: int) -> Site:
    import psycopg

    stations = args.stations if args.stations is not None else (16361 if clients > 3000 else 0)
    name = f"crimac_bench_fanout_{stations or 'small'}"
    work = Path(args.work_dir) / name
    work.mkdir(parents=True, exist_ok=True)
    url = f"{args.database_url.rstrip('/')}/{name}"
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("CRIMAC_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env.update({"CRIMAC_DATABASE_URL": url, "CRIMAC_DATA_DIR": str(work), "CRIMAC_ENV": "test"})
    env["CRIMAC_LOG_LEVEL"] = "WARNING"
    # A burst of national posts holds many connections at once (the default pool is 10).
    env["CRIMAC_DB_POOL_MAX"] = str(args.db_pool)
    if args.redis_url and not args.no_redis_layer:
        env["CRIMAC_REDIS_URL"] = args.redis_url
    with psycopg.connect(f"{args.database_url.rstrip('/')}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and args.fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            (work / "keys.json").unlink(missing_ok=True)
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    started = time.monotonic()
    crimac(env, "migrate", "--verbosity", "0")
    demo = ["--stations", str(stations)] if stations else ["--per-district", "3"]
    crimac(env, "demo", "--once", "--alerts", "0", *demo)
    print(f"directory ready in {time.monotonic() - started:.1f}s ({name})", flush=True)
    out = subprocess.run(
        [sys.executable, __file__, "--setup-keys", str(clients), "--work-dir", str(work)],
        env={**env, "DJANGO_SETTINGS_MODULE": "crimac.settings"},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if out.returncode != 0:
        raise RuntimeError(f"key set-up failed:\n{out.stdout}\n{out.stderr}")
    chosen = json.loads(out.stdout.strip().splitlines()[-1])
    keys = json.loads((work / "keys.json").read_text())
    return Site(url, env, work, keys, chosen["clients"], chosen["district"])


BEFORE_COMMIT = "1a50a10"
BEFORE_ASGI = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crimac.settings")
from django.core.asgi import get_asgi_application
django_app = get_asgi_application()
from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import path
from before_consumers import FeedConsumer
application = ProtocolTypeRouter({
    "http": django_app,
    "websocket": AuthMiddlewareStack(URLRouter([path("ws/feed", FeedConsumer.as_asgi())])),
})
"""


def before_app(work: Path) -> Path:
    """The feed as it was before the per-process dispatcher (commit 1a50a10: every socket in the
    channel-layer group, one query per socket per event), served by plain uvicorn."""
    app = work / "before"
    app.mkdir(exist_ok=True)
    source = subprocess.run(
        ["git", "show", f"{BEFORE_COMMIT}:src/crimac/dissemination/consumers.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (app / "before_consumers.py").write_text(source)
    (app / "before_asgi.py").write_text(BEFORE_ASGI)
    return app


@contextlib.contextmanager
def server(site: Site, core: int, before: bool = False) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    log = (site.work / "server.log").open("ab")
    if before:
        command = [sys.executable, "-m", "uvicorn", "before_asgi:application", "--app-dir"]
        command += [str(before_app(site.work)), "--port", str(port), "--lifespan", "off"]
    else:
        command = [sys.executable, "-m", "crimac.cli", "serve", "--port", str(port)]
    proc = subprocess.Popen(
        ["taskset", "-c", str(core), *command, "--log-level", "warning"],
        env=site.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=raise_nofile,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthz", proc)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


# --- the clients ------------------------------------------------------------------------------


@dataclass
class Client:
    code: str
    key: str
    cursor: int = 0
    got: dict[int, tuple[str | None, float]] = field(default_factory=dict)
    duplicates: int = 0
    disorder: int = 0
    connected: bool = False
    ws: Any = None


async def run_client(client: Client, url: str, compression: str | None, ready: asyncio.Event | None) -> None:
    from websockets.asyncio.client import connect

    loop = asyncio.get_running_loop()
    async with connect(
        f"{url}?cursor={client.cursor}",
        additional_headers=[("Authorization", f"Bearer {client.key}")],
        ping_interval=None,
        max_queue=None,
        open_timeout=300,
        compression=compression,
        close_timeout=1,
    ) as ws:
        client.ws = ws
        client.connected = True
        if ready is not None:
            ready.set()
        try:
            async for raw in ws:
                now = loop.time()
                m = json.loads(raw)
                cursor = m.get("cursor")
                if cursor is None:
                    continue
                if cursor in client.got:
                    client.duplicates += 1
                    continue
                if cursor <= client.cursor:
                    client.disorder += 1
                alert = m.get("alert")
                client.got[cursor] = (alert["reference"] if alert else m.get("reference"), now)
                client.cursor = max(client.cursor, cursor)
        finally:
            client.connected = False


async def connect_all(clients: list[Client], url: str, compression: str | None) -> list[asyncio.Task[None]]:
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    tasks = []

    async def one(client: Client) -> None:
        ready = asyncio.Event()
        async with gate:
            task = asyncio.ensure_future(run_client(client, url, compression, ready))
            tasks.append(task)
            done, _ = await asyncio.wait(
                [task, asyncio.ensure_future(ready.wait())], return_when="FIRST_COMPLETED"
            )
            if task in done and task.exception():
                raise task.exception()  # type: ignore[misc]

    await asyncio.gather(*(one(c) for c in clients))
    return tasks


@dataclass
class Posted:
    reference: str
    phase: str
    started: float
    took: float


async def post(http: Any, base: str, key: str, phase: str, audience: dict[str, Any], n: int) -> Posted:
    loop = asyncio.get_running_loop()
    body = {
        "category": "missing_person",
        "title": f"Fan-out bench {phase} {n}",
        "priority": "flash",
        "persons": [
            {"role": "missing", "name": "Asha Yadav", "gender": "female", "age_min": 9, "age_max": 11}
        ],
        "audience": audience,
    }
    started = loop.time()
    r = await http.post(f"{base}/api/v1/alerts", json=body, headers={"Authorization": f"Bearer {key}"})
    if r.status_code != 201:
        raise RuntimeError(f"POST /api/v1/alerts: {r.status_code} {r.text[:500]}")
    return Posted(r.json()["reference"], phase, started, loop.time() - started)


async def quiet(clients: list[Client], seconds: float, limit: float) -> None:
    """Until no client has received anything for `seconds` (or `limit` passes)."""
    deadline = time.monotonic() + limit
    last = -1
    still = time.monotonic()
    while time.monotonic() < deadline:
        total = sum(len(c.got) for c in clients)
        if total != last:
            last, still = total, time.monotonic()
        elif time.monotonic() - still >= seconds:
            return
        await asyncio.sleep(0.2)


def event_times(site: Site, cursors: set[int]) -> dict[int, float]:
    """When each event was recorded (wall clock, in its transaction, after the deliveries)."""
    import psycopg

    with psycopg.connect(site.database_url) as conn:
        rows = conn.execute(
            "SELECT id, extract(epoch FROM created_at) FROM dissemination_feedevent WHERE id = ANY(%s)",
            [sorted(cursors)],
        ).fetchall()
    return {int(i): float(t) for i, t in rows}


def expected_recipients(site: Site, references: list[str]) -> dict[str, set[str]]:
    import psycopg

    with psycopg.connect(site.database_url) as conn:
        rows = conn.execute(
            "SELECT a.reference, g.code FROM dissemination_delivery d"
            " JOIN alerts_alert a ON a.id = d.alert_id JOIN directory_agency g ON g.id = d.agency_id"
            " WHERE a.reference = ANY(%s) AND NOT d.muted",
            [references],
        ).fetchall()
    out: dict[str, set[str]] = {r: set() for r in references}
    for reference, code in rows:
        out[reference].add(code)
    return out


async def ours(args: argparse.Namespace, site: Site, n: int, base: str, proc: Any) -> dict[str, Any]:
    import httpx

    url = base.replace("http://", "ws://") + "/ws/feed"
    compression = None if args.no_compression else "deflate"
    clients = [Client(code, site.keys[code]) for code in site.clients[:n]]
    poster = site.keys[POSTER]
    async with httpx.AsyncClient(timeout=120) as http:
        # A first alert warms the server (imports, caches) and sets the clients' starting point.
        await post(http, base, poster, "warm-up", {"agencies": [POSTER]}, 0)
        await asyncio.sleep(1)
        rss_before = rss_kib(proc.pid)
        started = time.monotonic()
        tasks = await connect_all(clients, url, compression)
        connect_seconds = time.monotonic() - started
        # A socket is open before the server has checked its key and registered it: measure only
        # once every client has had a national alert (the last ones get it from their backlog).
        sync = await post(http, base, poster, "sync", {"national": True}, 0)
        while time.monotonic() - started < 600:
            if all(sync.reference in {ref for ref, _ in c.got.values()} for c in clients):
                break
            await asyncio.sleep(0.2)
        ready_seconds = time.monotonic() - started
        await quiet(clients, args.quiet_seconds, 60)
        rss_after = rss_kib(proc.pid)
        print(
            f"  {n} clients connected in {connect_seconds:.1f}s, all registered in {ready_seconds:.1f}s",
            flush=True,
        )

        posted: list[Posted] = []
        national = {"national": True}
        for i in range(args.steady):
            tick = asyncio.sleep(1)
            posted.append(await post(http, base, poster, "steady", national, i))
            await tick
        burst_started = time.monotonic()
        burst = []
        for i in range(args.burst):
            burst.append(asyncio.ensure_future(post(http, base, poster, "burst", national, i)))
            await asyncio.sleep(1 / args.burst)
        posted += await asyncio.gather(*burst)
        burst_posted = time.monotonic() - burst_started
        if site.district is not None:
            posted.append(await post(http, base, poster, "district", {"districts": [site.district]}, 0))
        await quiet(clients, args.quiet_seconds, 600)

        # Drop everyone at once, post while they are away, come back with the cursor.
        for c in clients:
            if c.ws is not None:
                c.ws.transport.abort()
        await asyncio.gather(*tasks, return_exceptions=True)
        away = [await post(http, base, poster, "while-down", national, i) for i in range(args.while_down)]
        expected_away = expected_recipients(site, [p.reference for p in away])
        want = {c.code: {r for r, who in expected_away.items() if c.code in who} for c in clients}
        started = time.monotonic()
        tasks = [asyncio.ensure_future(run_client(c, url, compression, None)) for c in clients]

        def caught_up() -> bool:
            return all(want[c.code] <= {ref for ref, _ in c.got.values()} for c in clients)

        while not caught_up() and time.monotonic() - started < 600:
            await asyncio.sleep(0.05)
        reconnect_seconds = time.monotonic() - started
        reconnected = sum(c.connected for c in clients)
        await quiet(clients, args.quiet_seconds, 120)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    expected = expected_recipients(site, [p.reference for p in posted])
    by_ref = {p.reference: p for p in posted + away}
    recorded = event_times(site, {cur for c in clients for cur, (ref, _) in c.got.items() if ref in by_ref})
    latencies: dict[str, list[float]] = {"steady": [], "burst": [], "district": []}
    from_event: dict[str, list[float]] = {"steady": [], "burst": [], "district": []}
    lost = 0
    outsiders = 0
    for c in clients:
        refs = {ref: t for ref, t in c.got.values() if ref in by_ref}
        cursor_of = {ref: cur for cur, (ref, _) in c.got.items()}
        for p in posted:
            if c.code in expected[p.reference]:
                if p.reference in refs:
                    latencies[p.phase].append(refs[p.reference] - p.started)
                    at = recorded.get(cursor_of[p.reference])
                    if at is not None:
                        from_event[p.phase].append(refs[p.reference] + WALL_OFFSET - at)
                else:
                    lost += 1
            elif p.reference in refs:
                outsiders += 1
        lost += sum(1 for ref in want[c.code] if ref not in refs)
    every = latencies["steady"] + latencies["burst"] + latencies["district"]
    return {
        "n": n,
        "latency": latencies,
        "from_event": from_event,
        "all": every,
        "lost": lost,
        "duplicates": sum(c.duplicates for c in clients),
        "disorder": sum(c.disorder for c in clients),
        "outsiders": outsiders,
        "rss_per_conn_kib": (rss_after - rss_before) / n,
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
        "reconnect_seconds": reconnect_seconds,
        "reconnected": reconnected,
        "post_seconds": {
            ph: [p.took for p in posted if p.phase == ph] for ph in ("steady", "burst", "district")
        },
        "burst_posted_seconds": burst_posted,
        "district_recipients": len(expected[posted[-1].reference]) if site.district is not None else 0,
        "connect_seconds": connect_seconds,
        "ready_seconds": ready_seconds,
    }


# --- the floors -------------------------------------------------------------------------------


def payload(n: int) -> str:
    alert = {
        "reference": f"DL-2026-{n:06d}",
        "title": "Fan-out bench national alert",
        "category": "missing_person",
        "priority": "flash",
        "status": "published",
        "revision": 1,
        "origin": POSTER,
        "state": "DL",
    }
    return json.dumps({"type": "published", "cursor": n, "alert": alert}, separators=(",", ":"))


async def floor_messages(send: Any, steady: int, burst: int) -> dict[int, tuple[str, float]]:
    """Send `steady` messages 0.2 s apart, then `burst` in one second; their send times."""
    loop = asyncio.get_running_loop()
    sent: dict[int, tuple[str, float]] = {}
    for i in range(1, steady + 1):
        sent[i] = ("steady", loop.time())
        await send(payload(i))
        await asyncio.sleep(0.2)
    for i in range(steady + 1, steady + burst + 1):
        sent[i] = ("burst", loop.time())
        await send(payload(i))
        await asyncio.sleep(1 / burst)
    return sent


def floor_latencies(
    received: list[dict[int, float]], sent: dict[int, tuple[str, float]]
) -> tuple[dict[str, list[float]], int]:
    out: dict[str, list[float]] = {"steady": [], "burst": []}
    lost = 0
    for got in received:
        for cursor, (phase, at) in sent.items():
            if cursor in got:
                out[phase].append(got[cursor] - at)
            else:
                lost += 1
    return out, lost


async def redis_floor(args: argparse.Namespace, n: int) -> dict[str, Any]:
    import redis.asyncio as aioredis

    admin = aioredis.Redis.from_url(args.redis_url)
    maxclients = int((await admin.config_get("maxclients"))["maxclients"])
    subscribers = min(n, maxclients - 200)
    channel = f"bench-fanout-{os.getpid()}"
    loop = asyncio.get_running_loop()
    received: list[dict[int, float]] = [{} for _ in range(subscribers)]
    conns = []
    listeners: list[asyncio.Future[None]] = []
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def subscribe(i: int) -> None:
        async with gate:
            r = aioredis.Redis.from_url(args.redis_url, single_connection_client=True)
            p = r.pubsub()
            await p.subscribe(channel)
            await p.get_message(timeout=5)  # the subscribe confirmation
            conns.append((r, p))

        async def listen() -> None:
            with contextlib.suppress(Exception):
                async for m in p.listen():
                    if m["type"] == "message":
                        now = loop.time()
                        received[i][json.loads(m["data"])["cursor"]] = now

        listeners.append(asyncio.ensure_future(listen()))

    await asyncio.gather(*(subscribe(i) for i in range(subscribers)))

    async def send(text: str) -> None:
        await admin.publish(channel, text)

    sent = await floor_messages(send, args.steady, args.burst)
    await asyncio.sleep(args.quiet_seconds)
    for r, p in conns:
        await p.aclose()
        await r.aclose()
    await admin.aclose()
    latencies, lost = floor_latencies(received, sent)
    return {"subscribers": subscribers, "latency": latencies, "lost": lost}


def ws_floor_server(port: int) -> None:
    """Runs in its own process (`--ws-floor-server PORT`): accepts sockets; a message from the
    one that connects to /control is encoded once and written to every other socket."""
    from websockets.asyncio.server import broadcast, serve

    sockets: set[Any] = set()

    async def handler(ws: Any) -> None:
        if ws.request.path == "/control":
            async for message in ws:
                broadcast(sockets, message)
            return
        sockets.add(ws)
        try:
            await ws.wait_closed()
        finally:
            sockets.discard(ws)

    async def main() -> None:
        async with serve(handler, "127.0.0.1", port, compression=None, ping_interval=None, max_queue=None):
            await asyncio.Future()

    raise_nofile()
    asyncio.run(main())


async def ws_floor(args: argparse.Namespace, n: int) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    port = free_port()
    proc = subprocess.Popen(
        ["taskset", "-c", str(args.server_core), sys.executable, __file__, "--ws-floor-server", str(port)],
        preexec_fn=raise_nofile,
    )
    loop = asyncio.get_running_loop()
    received: list[dict[int, float]] = [{} for _ in range(n)]
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        sockets = []
        listeners: list[asyncio.Future[None]] = []

        async def client(i: int) -> None:
            async with gate:
                ws = await connect(
                    f"ws://127.0.0.1:{port}/feed", ping_interval=None, max_queue=None, compression=None
                )
                sockets.append(ws)

            async def listen() -> None:
                with contextlib.suppress(Exception):
                    async for raw in ws:
                        received[i][json.loads(raw)["cursor"]] = loop.time()

            listeners.append(asyncio.ensure_future(listen()))

        await asyncio.gather(*(client(i) for i in range(n)))
        await asyncio.sleep(1)
        async with connect(f"ws://127.0.0.1:{port}/control", ping_interval=None) as control:
            sent = await floor_messages(control.send, args.steady, args.burst)
            await asyncio.sleep(args.quiet_seconds)
        for ws in sockets:
            ws.transport.abort()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    latencies, lost = floor_latencies(received, sent)
    return {"latency": latencies, "lost": lost}


# --- the cost of commit-order cursors ----------------------------------------------------------


def lock_cost_in_django(threads: int, per_thread: int) -> None:
    """Runs inside `python bench/fanout.py --lock-cost-run`: transactions that each record one
    notice, from several threads at once, with the advisory lock and without it."""
    import threading

    import django

    django.setup()
    from django.db import connection, transaction

    from crimac.alerts.models import Alert
    from crimac.directory.models import Agency
    from crimac.dissemination import feed
    from crimac.dissemination.models import FeedEvent

    alert = Alert.objects.order_by("id").first()
    to = Agency.objects.get(code=POSTER)
    assert alert is not None
    real = feed.serialise_writers
    results = {}
    for label, lock in (("without the lock", False), ("with the lock", True), ("without (again)", False)):
        feed.serialise_writers = real if lock else (lambda: None)  # type: ignore[assignment]
        ids: list[int] = []

        def work(ids: list[int] = ids) -> None:
            try:
                for _ in range(per_thread):
                    with transaction.atomic():
                        e = feed.record_notice(alert, "match", {"reference": "X", "message": "bench"}, to=to)
                        ids.append(e.pk)
            finally:
                connection.close()

        started = time.monotonic()
        pool = [threading.Thread(target=work) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        seconds = time.monotonic() - started
        FeedEvent.objects.filter(pk__in=ids).delete()
        results[label] = threads * per_thread / seconds
        print(f"  {label:<18} {results[label]:8.0f} transactions/s ({threads} threads)", flush=True)
    base = (results["without the lock"] + results["without (again)"]) / 2
    print(f"  ratio with / without: {results['with the lock'] / base:.2f}")


# --- the report -------------------------------------------------------------------------------


def report(result: dict[str, Any], redis: dict[str, Any] | None, wsf: dict[str, Any] | None) -> None:
    n = result["n"]
    print(f"\n== {n} clients ==")
    for phase in ("steady", "burst", "district"):
        print(summary(f"crimac {phase}", result["latency"][phase]))
    print(summary("crimac all", result["all"]))
    for phase in ("steady", "burst", "district"):
        print(summary(f"event->receipt {phase}", result["from_event"][phase]))
    posts = result["post_seconds"]
    print(
        f"  POST /alerts took: steady p50 {ms(pct(posts['steady'], 50))}, "
        f"burst p50 {ms(pct(posts['burst'], 50))}; the burst of {len(posts['burst'])} "
        f"was sent in {result['burst_posted_seconds']:.2f}s"
    )
    print(
        f"  lost {result['lost']}, duplicated {result['duplicates']}, out of order {result['disorder']}, "
        f"to a non-recipient {result['outsiders']}; one-district alert reached "
        f"{result['district_recipients']} agencies"
    )
    print(
        f"  server memory: {result['rss_before_kib'] / 1024:.0f} MiB -> "
        f"{result['rss_after_kib'] / 1024:.0f} MiB, {result['rss_per_conn_kib']:.1f} KiB per connection; "
        f"connecting took {result['connect_seconds']:.1f}s (registered: {result['ready_seconds']:.1f}s)"
    )
    print(
        f"  drop all and resume: {result['reconnected']}/{n} reconnected and caught up in "
        f"{result['reconnect_seconds']:.2f}s"
    )
    ours_p99 = {ph: pct(result["latency"][ph], 99) for ph in ("steady", "burst")}
    fanout_p99 = {ph: pct(result["from_event"][ph], 99) for ph in ("steady", "burst")}
    for name, floor in (("Redis PUBLISH", redis), ("websockets broadcast", wsf)):
        if floor is None:
            continue
        extra = f" ({floor['subscribers']} subscribers)" if "subscribers" in floor else ""
        print(summary(f"floor {name} steady", floor["latency"]["steady"]) + extra)
        print(summary(f"floor {name} burst", floor["latency"]["burst"]))
        for ph in ("steady", "burst"):
            f99 = pct(floor["latency"][ph], 99)
            print(
                f"  p99 ratio crimac / {name} ({ph}): post->receipt {ours_p99[ph] / f99:.1f}x, "
                f"event->receipt {fanout_p99[ph] / f99:.1f}x   (floor lost {floor['lost']})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", default="1000", help="comma-separated sizes, e.g. 1000,5000,16000")
    parser.add_argument("--steady", type=int, default=10, help="national alerts at one a second")
    parser.add_argument("--burst", type=int, default=50, help="national alerts in one second")
    parser.add_argument(
        "--while-down", type=int, default=3, help="national alerts while every client is away"
    )
    parser.add_argument("--server-core", type=int, default=0)
    parser.add_argument("--client-core", type=int, default=1)
    parser.add_argument("--database-url", default=POSTGRES, help="PostgreSQL server (no database name)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument(
        "--no-redis-layer", action="store_true", help="serve with the in-memory channel layer"
    )
    parser.add_argument(
        "--stations", type=int, help="police stations in the directory (default: by --clients)"
    )
    parser.add_argument(
        "--no-compression", action="store_true", help="clients do not offer permessage-deflate"
    )
    parser.add_argument("--skip-floors", action="store_true")
    parser.add_argument("--db-pool", type=int, default=40, help="the server's PostgreSQL pool size")
    parser.add_argument(
        "--before",
        action="store_true",
        help=f"also measure the feed as it was before the dispatcher (commit {BEFORE_COMMIT})",
    )
    parser.add_argument("--lock-cost", action="store_true", help="also measure commit-order cursors' lock")
    parser.add_argument("--fresh", action="store_true", help="rebuild the scratch database")
    parser.add_argument("--quiet-seconds", type=float, default=3.0, help="silence that ends a phase")
    parser.add_argument("--work-dir", default=str(Path(tempfile.gettempdir()) / "crimac-bench-fanout"))
    parser.add_argument("--setup-keys", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ws-floor-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--lock-cost-run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup_keys is not None:
        setup_in_django(args.setup_keys, Path(args.work_dir) / "keys.json")
        return
    if args.ws_floor_server is not None:
        ws_floor_server(args.ws_floor_server)
        return
    if args.lock_cost_run:
        lock_cost_in_django(threads=8, per_thread=100)
        return

    sizes = [int(s) for s in args.clients.split(",") if s.strip()]
    limit = raise_nofile()
    # This process holds one phase's sockets at a time (the clients, then the Redis floor's
    # subscribers, then the websockets floor's clients), each phase's closed before the next.
    if limit < max(sizes) + 1000:
        sys.exit(
            f"open-file limit {limit} is too low for {max(sizes)} clients (need about {max(sizes) + 1000})"
        )
    os.sched_setaffinity(0, {args.client_core})
    print(
        f"fanout bench: clients {sizes}, server on core {args.server_core}, "
        f"clients on core {args.client_core}, "
        f"layer {'in-memory' if args.no_redis_layer else 'Redis pub/sub'}, "
        f"compression {'off' if args.no_compression else 'permessage-deflate'}",
        flush=True,
    )
    for n in sizes:
        site = prepare(args, n)
        before = None
        if args.before:
            with server(site, args.server_core, before=True) as (base, proc):
                before = asyncio.run(ours(args, site, n, base, proc))
        with server(site, args.server_core) as (base, proc):
            result = asyncio.run(ours(args, site, n, base, proc))
        redis = wsf = None
        if not args.skip_floors:
            redis = asyncio.run(redis_floor(args, n))
            wsf = asyncio.run(ws_floor(args, n))
        if before is not None:
            print("\n-- before: every socket in the channel-layer group, a query per socket per event --")
            report(before, None, None)
            print("\n-- after: one dispatcher per process --")
        report(result, redis, wsf)
        if args.lock_cost:
            print("\n== commit-order cursors: transactions recording a feed event ==", flush=True)
            subprocess.run(
                [sys.executable, __file__, "--lock-cost-run"],
                env={**site.env, "DJANGO_SETTINGS_MODULE": "crimac.settings"},
                check=True,
            )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
