"""The worker: drains the outbox and runs what is due (escalations, reminders, expiries).

`crimac worker` runs `Worker.run()` in its own process; `crimac serve` runs the same loop in a
thread of the server process in the embedded default (WORKER_IN_SERVER). Several workers may run
at once: `outbox.claim` gives each message to one of them.
"""

from __future__ import annotations

import faulthandler
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections

from crimac.dissemination import outbox
from crimac.dissemination.channels import send

log = logging.getLogger("crimac.worker")

# Alerts past their expiry are marked at most this often (it is one UPDATE, but not per second).
EXPIRE_EVERY_SECONDS = 60.0


@dataclass
class Stats:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    lost_lease: int = 0


def deliver_batch(
    batch: int = 50,
    *,
    now: datetime | None = None,
    stats: Stats | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Claim up to `batch` due messages, send each, record each. Returns how many were claimed.
    When `stop` is set midway, the messages not yet sent are handed back at once."""
    stats = stats if stats is not None else Stats()
    claimed = outbox.claim(batch, now=now)
    for index, item in enumerate(claimed):
        if stop is not None and stop.is_set():
            outbox.release(claimed[index:])
            break
        error = outbox.give_up_reason(item)
        if error is None:
            try:
                send(item.message)
            except Exception as exc:  # every failure is recorded on the message and retried
                error = str(exc) or exc.__class__.__name__
        status = outbox.finish(item, error)
        if status == "sent":
            stats.sent += 1
        elif status == "dead":
            stats.dead += 1
        elif status == "pending":
            stats.retried += 1
        else:
            stats.lost_lease += 1
            log.warning("outbox message %s: lease lost before its result was recorded", item.message.key)
        if error:
            log.info("outbox message %s attempt %d failed: %s", item.message.key, item.attempt, error)
    return len(claimed)


def run_due(now: datetime) -> None:
    """Escalations and hit-confirmation reminders that are due."""
    from crimac.dissemination import escalation

    for name, job in (("run_due", escalation.run_due), ("remind_due", escalation.remind_due)):
        try:
            job(now)
        except Exception:
            log.exception("escalation.%s failed", name)


def expire_due(now: datetime) -> None:
    from crimac.alerts.actions import expire_due_alerts

    try:
        expire_due_alerts(now=now)
    except Exception:
        log.exception("expiring alerts failed")


# Jobs other apps give the worker (apps above dissemination register here, so it imports none of
# them): name -> (every how many seconds, job(now)).
_periodic: dict[str, tuple[float, Callable[[datetime], Any]]] = {}


def every(name: str, seconds: float, job: Callable[[datetime], Any]) -> None:
    """Run `job(now)` from every worker round at most once per `seconds` (per worker process).
    A failing job is logged and does not stop the outbox."""
    _periodic[name] = (seconds, job)


def run_periodic(now: datetime, last_run: dict[str, float]) -> None:
    for name, (seconds, job) in list(_periodic.items()):
        if time.monotonic() - last_run.get(name, float("-inf")) < seconds:
            continue
        last_run[name] = time.monotonic()
        try:
            job(now)
        except Exception:
            log.exception("periodic job %s failed", name)


def _now() -> datetime:
    """The shared clock (`crimac.clock`), which tests may stop."""
    from crimac.clock import now

    return now()


class Worker:
    def __init__(self, *, batch: int = 50, poll: float = 1.0) -> None:
        self.batch = max(1, batch)
        self.poll = max(0.01, poll)
        self.stop = threading.Event()
        self.stats = Stats()
        self._expired_at = 0.0
        self._periodic_at: dict[str, float] = {}

    def tick(self) -> int:
        """One round: what is due, then up to one batch of messages."""
        now = _now()
        run_due(now)
        if time.monotonic() - self._expired_at >= EXPIRE_EVERY_SECONDS:
            self._expired_at = time.monotonic()
            expire_due(now)
        run_periodic(now, self._periodic_at)
        return deliver_batch(self.batch, stats=self.stats, stop=self.stop)

    def run(self, *, once: bool = False) -> Stats:
        """Loop until `stop` is set (or once). A full batch goes round again at once; otherwise
        the loop waits `poll` seconds. A database outage is logged and waited out."""
        while not self.stop.is_set():
            claimed = 0
            try:
                self._refresh_connections()
                claimed = self.tick()
            except Exception:
                log.exception("worker round failed; trying again in %s s", self.poll)
                self._close_connections()
            if once:
                break
            if claimed < self.batch:
                self.stop.wait(self.poll)
        self._close_connections()
        return self.stats

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT finish the message in hand, then stop (main thread only). SIGUSR1
        writes every thread's stack to stderr, for a worker that seems stuck."""

        def handler(signum: int, frame: Any) -> None:
            log.info("worker: signal %d, stopping after the current message", signum)
            self.stop.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
        try:  # the process's own stderr: sys.stderr may be a stream without a descriptor
            faulthandler.register(signal.SIGUSR1, file=sys.__stderr__ or sys.stderr, all_threads=True)
        except (OSError, ValueError, AttributeError):
            log.warning("worker: no stack dumps on SIGUSR1 (stderr has no file descriptor)")

    @staticmethod
    def _refresh_connections() -> None:
        """Drop broken or expired connections between rounds (as Django does between requests);
        never one inside a transaction (a caller's, as in tests)."""
        for conn in connections.all(initialized_only=True):
            if not conn.in_atomic_block:
                conn.close_if_unusable_or_obsolete()

    @staticmethod
    def _close_connections() -> None:
        for conn in connections.all(initialized_only=True):
            if not conn.in_atomic_block:
                conn.close()


def start_in_thread(*, batch: int = 50, poll: float = 1.0) -> tuple[Worker, threading.Thread]:
    """Run a worker in a daemon thread of this process (the embedded server). Stop it with
    `worker.stop.set()` and join the thread."""
    worker = Worker(batch=batch, poll=poll)
    thread = threading.Thread(target=worker.run, name="crimac-worker", daemon=True)
    thread.start()
    return worker, thread
