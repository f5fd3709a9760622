"""Real processes: several `crimac worker`s without double sends, and kill -9 of a worker or of
the server in the middle of a delivery run, then a restart: every committed message is delivered
at least once; the only repeat is the message in flight, with the same X-Crimac-Id.

The processes share one database (a fresh one, with the demo directory) with a `crimac serve`
whose own worker is off; each test adds its own loopback receiver.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveCrimac, free_port, running_crimac
from tests.dissemination.test_channels_receivers import HttpReceiver, verify

pytestmark = pytest.mark.server

WORKER_ENV = {
    "CRIMAC_WEBHOOK_ALLOW_LOOPBACK": "1",
    "CRIMAC_OUTBOX_LEASE_SECONDS": "3",
    "CRIMAC_OUTBOX_BACKOFF_BASE_SECONDS": "1",
}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCrimac]:
    saved = os.environ.get("CRIMAC_WORKER_IN_SERVER")
    os.environ["CRIMAC_WORKER_IN_SERVER"] = "0"
    try:
        with running_crimac(tmp_path_factory.mktemp("crash"), "--per-district", "1", "--alerts", "0") as live:
            yield live
    finally:
        if saved is None:
            os.environ.pop("CRIMAC_WORKER_IN_SERVER", None)
        else:
            os.environ["CRIMAC_WORKER_IN_SERVER"] = saved


def env_of(live: LiveCrimac, **extra: str) -> dict[str, str]:
    return {**live.env, **WORKER_ENV, **extra}


def shell(live: LiveCrimac, code: str) -> Any:
    """Run Python in a `crimac shell` on the live database; it prints one JSON value."""
    done = subprocess.run(
        [sys.executable, "-m", "crimac.cli", "shell", "-c", code],
        env=env_of(live),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


SETUP = """
import json
from crimac.directory.models import Agency
from crimac.dissemination.channels.endpoints import create_endpoint
station = Agency.objects.filter(kind="police_station", active=True, state__code="DL").order_by("code")[{n}]
new = create_endpoint(station, "webhook", {url!r}, actor=None)
print(json.dumps({{"agency": station.code, "endpoint": new.endpoint.pk, "secret": new.secret}}))
"""

MESSAGES = """
import json, uuid
from django.utils import timezone
from crimac.dissemination.models import Endpoint, OutboxMessage
endpoint = Endpoint.objects.get(pk={endpoint})
now = timezone.now()
rows = []
for i in range({count}):
    key = uuid.uuid4()
    rows.append(OutboxMessage(endpoint=endpoint, event="published", key=key, next_attempt_at=now,
        created_at=now, payload={{"id": str(key), "event": "published", "n": i}}))
OutboxMessage.objects.bulk_create(rows)
print(json.dumps([str(r.key) for r in rows]))
"""

STATE = """
import json
from crimac.dissemination.models import OutboxMessage
rows = OutboxMessage.objects.filter(endpoint_id={endpoint})
print(json.dumps({{str(k): [s, a] for k, s, a in rows.values_list("key", "status", "attempts")}}))
"""


def setup_endpoint(live: LiveCrimac, url: str, n: int) -> dict[str, Any]:
    return shell(live, SETUP.format(url=url, n=n))  # type: ignore[no-any-return]


def start_worker(live: LiveCrimac, log: Path, *args: str, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "crimac.cli", "worker", "--poll", "0.1", *args],
        env=env_of(live, **env),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def start_server(live: LiveCrimac, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A second `crimac serve` on the same database, with the worker in its process."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crimac.cli",
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--worker",
        ],
        env=env_of(live),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as r:
                if r.status == 200:
                    return proc, base
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"crimac serve did not start: {log.read_text()}")
        time.sleep(0.2)


def stop(proc: subprocess.Popen[bytes], log: Path | None = None) -> int:
    """SIGTERM and the exit code. A worker still running 30 s later is asked for its threads'
    stacks (SIGUSR1, which the worker registers), then killed; the failure shows its log's end."""
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        if log is not None:
            proc.send_signal(signal.SIGUSR1)
            time.sleep(2)
        proc.kill()
        proc.wait()
        tail = log.read_text(errors="replace")[-6000:] if log is not None else ""
        raise AssertionError(
            f"pid {proc.pid} did not stop within 30 s of SIGTERM; its log ends:\n{tail}"
        ) from None


def wait_all_sent(live: LiveCrimac, endpoint: int, keys: set[str], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        state = shell(live, STATE.format(endpoint=endpoint))
        if set(state) >= keys and all(state[k][0] == "sent" for k in keys):
            return state  # type: ignore[no-any-return]
        if time.monotonic() > deadline:
            raise AssertionError(f"not all sent: {[v for v in state.values() if v[0] != 'sent'][:5]}")
        time.sleep(0.5)


def test_sigusr1_makes_a_worker_write_its_stacks_and_go_on(live: LiveCrimac, tmp_path: Path) -> None:
    log = tmp_path / "w.log"
    worker = start_worker(live, log)
    try:
        deadline = time.monotonic() + 20
        while "worker" not in log.read_text(errors="replace") and time.monotonic() < deadline:
            time.sleep(0.2)  # its handlers are installed before it logs that it runs
        worker.send_signal(signal.SIGUSR1)
        # faulthandler writes the dump a frame at a time, innermost first: wait for the frame of
        # the worker command itself, which comes near the end, not merely for the header.
        deadline = time.monotonic() + 10
        text = log.read_text(errors="replace")
        while not ("Current thread" in text and "worker.py" in text) and time.monotonic() < deadline:
            time.sleep(0.2)
            text = log.read_text(errors="replace")
        assert "Current thread" in text and "worker.py" in text
        assert worker.poll() is None  # still running
    finally:
        assert stop(worker, log) == 0


def test_three_workers_send_every_message_exactly_once(live: LiveCrimac, tmp_path: Path) -> None:
    with HttpReceiver() as r:
        ep = setup_endpoint(live, r.url, 0)
        keys = set(shell(live, MESSAGES.format(endpoint=ep["endpoint"], count=300)))
        # A lease longer than any batch takes: a repeat here could only come from a double claim.
        logs = [tmp_path / f"w{i}.log" for i in range(3)]
        workers = [
            start_worker(live, log, "--batch", "10", CRIMAC_OUTBOX_LEASE_SECONDS="120") for log in logs
        ]
        started = time.monotonic()
        try:
            r.wait_for(lambda rec: len(rec.ids()) >= 300, timeout=120)
            print(f"3 workers sent 300 messages in {time.monotonic() - started:.1f} s")
            time.sleep(1.0)  # time for any double send to show
        finally:
            codes = [stop(w, log) for w, log in zip(workers, logs, strict=True)]
        counts = r.ids()
    assert codes == [0, 0, 0]  # SIGTERM: a graceful stop
    assert set(counts) == keys
    assert [k for k, n in counts.items() if n != 1] == []
    assert all(verify(ep["secret"], req) for req in r.requests)
    state = wait_all_sent(live, ep["endpoint"], keys, timeout=10)
    assert {attempts for _, attempts in state.values()} == {1}


def test_kill_9_of_the_worker_mid_run_loses_nothing(live: LiveCrimac, tmp_path: Path) -> None:
    with HttpReceiver(delay=0.25) as r:
        ep = setup_endpoint(live, r.url, 1)
        keys = set(shell(live, MESSAGES.format(endpoint=ep["endpoint"], count=30)))
        first = start_worker(live, tmp_path / "w1.log", "--batch", "5")
        try:
            r.wait_for(lambda rec: len(rec.requests) >= 8, timeout=60)
        finally:
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        before = len(r.requests)
        assert before < 30  # killed in the middle
        second = start_worker(live, tmp_path / "w2.log", "--batch", "5")
        try:
            r.wait_for(lambda rec: set(rec.ids()) >= keys, timeout=90)
            state = wait_all_sent(live, ep["endpoint"], keys)
        finally:
            assert stop(second) == 0
        counts = r.ids()
    assert set(counts) == keys
    repeats = [k for k, n in counts.items() if n > 1]
    assert len(repeats) <= 1, repeats  # only the one in flight when the worker died
    assert all(counts[k] == 2 for k in repeats)
    assert all(verify(ep["secret"], req, max_age=600) for req in r.requests)
    assert all(v[0] == "sent" for v in state.values())


def test_kill_9_of_the_server_after_posting_alerts_loses_nothing(live: LiveCrimac, tmp_path: Path) -> None:
    with HttpReceiver(delay=0.3) as r:
        ep = setup_endpoint(live, r.url, 2)
        poster = shell(
            live,
            "import json; from crimac.directory.models import Agency; "
            "print(json.dumps(Agency.objects.filter(kind='police_station', state__code='HR')"
            ".order_by('code').values_list('code', flat=True).first()))",
        )
        key = live.crimac("apikey", "create", "--agency", poster, "--name", "crash test").stdout.strip()
        server, base = start_server(live, tmp_path / "server1.log")
        references = []
        try:
            for n in range(12):
                body = {
                    "category": "wanted_person",
                    "title": f"Absconder number {n}",
                    "persons": [{"role": "accused", "name": "Vikram Singh", "gender": "male"}],
                    "audience": {"agencies": [ep["agency"]]},
                }
                request = urllib.request.Request(
                    f"{base}/api/v1/alerts",
                    data=json.dumps(body).encode(),
                    headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                    method="POST",
                )
                with urllib.request.urlopen(request, timeout=30) as answer:
                    assert answer.status == 201
                    references.append(json.load(answer)["reference"])
            r.wait_for(lambda rec: len(rec.requests) >= 3, timeout=60)
        finally:
            os.kill(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        assert len(r.requests) < 12  # killed in the middle of the run
        server, base = start_server(live, tmp_path / "server2.log")
        try:
            r.wait_for(lambda rec: len(rec.ids()) >= 12, timeout=90)
            state = shell(live, STATE.format(endpoint=ep["endpoint"]))
        finally:
            # uvicorn shuts down gracefully, then re-raises SIGTERM on itself: -15 is clean.
            assert stop(server) in {0, -signal.SIGTERM}
        counts = r.ids()
    assert len(state) == 12 and set(counts) == set(state)
    got = {req.json()["alert"]["reference"] for req in r.requests}
    assert got == set(references)
    assert len([k for k, n in counts.items() if n > 1]) <= 1
