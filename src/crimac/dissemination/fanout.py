"""Live fan-out: one dispatcher per server process writes each feed event to that process's sockets.

Why not a channel-layer group of sockets: channels-redis's group_send writes a message once per
member, and each consumer would then query the database for it; with 16,000 sockets that is
16,000 Redis writes and 16,000 queries per alert. Here each process subscribes once (one channel
in the "feed" group; with Redis, one pub/sub subscription), and when told that events committed it

1. reads every event after the last one it dispatched, in id order (ids are commit order, see
   `feed.serialise_writers`), with their recipient agencies: two queries per batch, not per socket;
2. encodes each message once;
3. writes it to its own sockets of those agencies, through one ordered writer (`Outlet`) per socket
   that never lets a slow client hold the others up.

The announcement is only a wake-up: the database says what to send. A lost announcement (Redis
reconnecting, a full in-memory channel, an event written by a process with no layer, such as
`crimac worker`) only delays events until the next announcement or the next poll (`POLL_SECONDS`).
A socket that connects reads its backlog from the database (`feed.events_for`) while the events
dispatched meanwhile wait in its buffer; then it goes live. It never gets an event twice
(`last_sent`) nor out of order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from channels.db import DatabaseSyncToAsync
from channels.layers import get_channel_layer
from django.conf import settings

from crimac.dissemination import feed

log = logging.getLogger(__name__)

# How long an event can wait when its announcement was lost. CRIMAC_FEED_POLL_SECONDS; a test
# sets it high to prove that announcements (Redis) carry events between processes.
POLL_SECONDS = float(settings.FEED_POLL_SECONDS)
BATCH = 500
# Events a connecting socket holds while it reads its backlog; more, and it reads the database again.
BUFFER_MAX = 1_000
# Messages a socket may have waiting behind a slow client before it is closed (the client
# reconnects and resumes from its cursor, so closing loses nothing).
QUEUE_MAX = 5_000
TRY_AGAIN_LATER = 1013
REJOIN_SECONDS = 600.0

Send = Callable[[dict[str, Any]], Awaitable[None]]
T = TypeVar("T")

# The feed's database reads run in threads of their own: in the thread that runs Django's
# views (asgiref's thread-sensitive one) they would wait behind every request, so a burst of
# posts would hold up the very alerts it posts. One thread for the dispatcher, a few for sockets
# reading their backlog.
_dispatcher_thread = ThreadPoolExecutor(1, thread_name_prefix="feed-dispatch")
_backlog_threads = ThreadPoolExecutor(4, thread_name_prefix="feed-backlog")


async def dispatcher_read(fn: Callable[..., T], *args: Any) -> T:
    return await DatabaseSyncToAsync(fn, thread_sensitive=False, executor=_dispatcher_thread)(*args)


async def backlog_read(fn: Callable[..., T], *args: Any) -> T:
    return await DatabaseSyncToAsync(fn, thread_sensitive=False, executor=_backlog_threads)(*args)


def start(coro: Coroutine[Any, Any, None]) -> asyncio.Future[None] | None:
    """Run `coro` now, up to its first wait; None if it finished without waiting, else a task
    that finishes it. A socket write almost never waits, so this spares a task and a trip
    through the event loop per socket per message (what 3.12's eager tasks do)."""
    try:
        awaited = coro.send(None)
    except StopIteration:
        return None
    return asyncio.ensure_future(_resume(coro, awaited))


async def _resume(coro: Coroutine[Any, Any, None], awaited: Any) -> None:
    while True:
        try:
            if awaited is None:
                await asyncio.sleep(0)  # a bare yield
            else:
                # The coroutine's own await marked the future as waited on; a task does the
                # waiting now (asyncio's Future refuses a second mark).
                awaited._asyncio_future_blocking = False
                await awaited
        except asyncio.CancelledError:
            coro.throw(asyncio.CancelledError())
            raise
        try:
            awaited = coro.send(None)
        except StopIteration:
            return


class Outlet:
    """One socket, as the dispatcher sees it: its agency, the last cursor it was sent, and an
    ordered queue of encoded messages written by at most one writer at a time."""

    __slots__ = ("agency_id", "buffer", "close", "last_sent", "live", "overflowed", "queue", "send", "writer")

    def __init__(self, agency_id: int, cursor: int, send: Send, close: Callable[[int], None]) -> None:
        self.agency_id = agency_id
        self.send = send
        self.close = close
        self.last_sent = cursor
        self.live = False
        self.buffer: list[tuple[int, str]] = []
        self.overflowed = False
        self.queue: deque[str] = deque()
        self.writer: asyncio.Future[None] | None = None

    def deliver(self, cursor: int, text: str) -> None:
        """From the dispatcher: write it when live, else hold it until the backlog is read."""
        if self.live:
            self.write(cursor, text)
        elif len(self.buffer) < BUFFER_MAX:
            self.buffer.append((cursor, text))
        else:
            # Everything held was committed, so the next backlog read finds it.
            self.buffer.clear()
            self.overflowed = True

    def go_live(self) -> bool:
        """After the backlog: write what was held and go live, unless the buffer overflowed
        (then read the backlog again; returns False)."""
        if self.overflowed:
            self.overflowed = False
            return False
        self.live = True
        held, self.buffer = self.buffer, []
        for cursor, text in held:
            self.write(cursor, text)
        return True

    def write(self, cursor: int, text: str) -> None:
        if cursor <= self.last_sent:
            return
        self.last_sent = cursor
        self.write_text(text)

    def write_text(self, text: str) -> None:
        if len(self.queue) >= QUEUE_MAX:
            self.queue.clear()
            self.close(TRY_AGAIN_LATER)
            return
        self.queue.append(text)
        if self.writer is None:
            self.writer = start(self._drain())

    async def _drain(self) -> None:
        try:
            while self.queue:
                await self.send({"type": "websocket.send", "text": self.queue.popleft()})
        except Exception:  # the client went away; the consumer's disconnect unregisters it
            self.queue.clear()
        finally:
            self.writer = None


class Dispatcher:
    """The one per process (`dispatcher()`): the local sockets by agency, and the id of the last
    event dispatched to them."""

    def __init__(self) -> None:
        self.by_agency: dict[int, set[Outlet]] = {}
        self.count = 0
        self.high_water = 0
        self.wake = asyncio.Event()
        self.ready = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    def ensure_started(self) -> None:
        if not self.tasks:
            self.tasks = [asyncio.ensure_future(self._run()), asyncio.ensure_future(self._listen())]

    async def register(self, outlet: Outlet) -> None:
        self.ensure_started()
        await self.ready.wait()
        self.by_agency.setdefault(outlet.agency_id, set()).add(outlet)
        self.count += 1

    def unregister(self, outlet: Outlet) -> None:
        outlets = self.by_agency.get(outlet.agency_id)
        if outlets is not None and outlet in outlets:
            outlets.discard(outlet)
            self.count -= 1
            if not outlets:
                del self.by_agency[outlet.agency_id]

    async def _listen(self) -> None:
        """One channel in the feed group for the whole process; every announcement wakes `_run`."""
        layer = get_channel_layer()
        if layer is None:
            return
        delay = 1.0
        while True:
            try:
                channel = await layer.new_channel()
                await layer.group_add(feed.GROUP, channel)
                joined = time.monotonic()
                delay = 1.0
                while True:
                    message = await layer.receive(channel)
                    if message.get("id", 0) > self.high_water:
                        self.wake.set()
                    if time.monotonic() - joined > REJOIN_SECONDS:
                        # The in-memory layer forgets group members after a day.
                        await layer.group_add(feed.GROUP, channel)
                        joined = time.monotonic()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("feed: channel layer failed; polling every %ss until it is back", POLL_SECONDS)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def _run(self) -> None:
        while True:
            try:
                self.high_water = await dispatcher_read(feed.latest_id)
                break
            except Exception:
                log.exception("feed: cannot read the latest event; retrying")
                await asyncio.sleep(POLL_SECONDS)
        self.ready.set()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=POLL_SECONDS)
            self.wake.clear()
            try:
                batch = await dispatcher_read(feed.events_after, self.high_water, BATCH)
            except Exception:
                log.exception("feed: reading new events failed; retrying")
                await asyncio.sleep(POLL_SECONDS)
                self.wake.set()
                continue
            for cursor, agencies, text in batch:
                self.dispatch(cursor, agencies, text)
                self.high_water = cursor
            if len(batch) == BATCH:
                self.wake.set()

    def dispatch(self, cursor: int, agencies: frozenset[int], text: str) -> None:
        """Write one encoded message to every local socket of `agencies` (no await: the loop
        over sockets is one step, so events reach each socket in dispatch order)."""
        by_agency = self.by_agency
        if len(agencies) <= len(by_agency):
            for agency_id in agencies:
                outlets = by_agency.get(agency_id)
                if outlets:
                    for outlet in outlets:
                        outlet.deliver(cursor, text)
        else:
            for agency_id, outlets in by_agency.items():
                if agency_id in agencies:
                    for outlet in outlets:
                        outlet.deliver(cursor, text)


_dispatchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Dispatcher] = weakref.WeakKeyDictionary()


def dispatcher() -> Dispatcher:
    """The dispatcher of the running event loop: one per server process (uvicorn runs one loop)."""
    loop = asyncio.get_running_loop()
    found = _dispatchers.get(loop)
    if found is None:
        found = _dispatchers[loop] = Dispatcher()
    return found
