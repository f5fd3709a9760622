"""The per-process fan-out: each new event is read once with its exact recipient agencies (two
queries however many events and recipients), encoded once, and written to the local sockets of
those agencies only, in order, never twice; a socket that connects holds live events while it
reads its backlog; a slow client is closed rather than holding the others up."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from crimac.alerts.actions import create_alert
from crimac.alerts.models import Alert
from crimac.alerts.schemas import AlertIn
from crimac.directory.models import Agency, User
from crimac.dissemination import actions, fanout, feed
from crimac.dissemination.models import Delivery, FeedEvent

TARGET = "DL-NEWDELHI-PS-002"  # dl.sho2's station
T = TypeVar("T")


def user(username: str) -> User:
    return User.objects.select_related("agency").get(username=username)


def post(agencies: list[str], *, by: str = "hr.sho", priority: str = "immediate") -> Alert:
    data = AlertIn.model_validate(
        {
            "category": "wanted_person",
            "title": "Absconder wanted in a robbery case",
            "priority": priority,
            "persons": [{"role": "accused", "name": "Vikram Singh", "gender": "male"}],
            "audience": {"agencies": agencies},
        }
    )
    return create_alert(data, actor=user(by), publish=True).alert


def agency(code: str) -> Agency:
    return Agency.objects.get(code=code)


@pytest.mark.django_db
def test_each_event_is_read_once_with_its_exact_recipients(django_assert_num_queries: Any) -> None:
    before = feed.latest_id()
    alert = post([TARGET, "AS-HQ", "DL-HQ"])
    # AS-HQ muted alerts like this one: it has the delivery, but no push.
    Delivery.objects.filter(alert=alert, agency__code="AS-HQ").update(muted=True)
    actions.acknowledge(alert, actor=user("dl.sho2"))
    feed.record_notice(
        alert,
        "escalated",
        {"reference": alert.reference, "message": "climbed", "level": 1},
        to=agency("DL-CR"),
    )
    other = post(["AS-HQ"])

    with django_assert_num_queries(2):
        batch = feed.events_after(before, 100)

    kinds = [json.loads(text)["type"] for _, _, text in batch]
    assert kinds == ["published", "acknowledged", "escalated", "published"]
    assert [cursor for cursor, _, _ in batch] == sorted(cursor for cursor, _, _ in batch)
    recipients = {json.loads(text)["type"] + str(cursor): to for cursor, to, text in batch}
    published, receipt, notice, second = (to for _, to, _ in batch)
    assert published == {agency(TARGET).pk, agency("DL-HQ").pk}  # not the muted AS-HQ, not the outsider
    assert receipt == {alert.origin_agency_id}
    assert notice == {agency("DL-CR").pk}
    assert second == {agency("AS-HQ").pk}
    assert len(recipients) == 4
    # The same rule as a reconnecting client's backlog (events_for), agency by agency.
    for code in [TARGET, "AS-HQ", "DL-HQ", "DL-CR", "HR-HQ", "JH-HQ", alert.origin_agency.code]:
        backlog = set(feed.events_for(agency(code)).filter(id__gt=before).values_list("id", flat=True))
        assert backlog == {cursor for cursor, to, _ in batch if agency(code).pk in to}, code
    # Encoded once, as the typed message.
    assert json.loads(batch[0][2]) == feed.message(FeedEvent.objects.get(pk=batch[0][0]))
    assert json.loads(batch[3][2])["alert"]["reference"] == other.reference


@pytest.mark.django_db
def test_the_read_costs_two_queries_however_many_events(django_assert_num_queries: Any) -> None:
    before = feed.latest_id()
    for _ in range(5):
        post([TARGET, "AS-HQ"])
    with django_assert_num_queries(2):
        assert len(feed.events_after(before, 100)) == 5
    with django_assert_num_queries(2):
        assert len(feed.events_after(before, 3)) == 3


# --- the outlet and the dispatcher, without a server -------------------------------------------


def run(coro: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: Playwright's sync API (the browser tests) keeps an
    event loop running in the main thread for the whole session."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result(timeout=60)


class FakeSocket:
    """An ASGI send that records texts; `hold` makes writes wait, like a client that stopped reading."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.hold: asyncio.Event | None = None
        self.closed: list[int] = []

    async def send(self, message: dict[str, Any]) -> None:
        if self.hold is not None:
            await self.hold.wait()
        self.texts.append(message["text"])

    def outlet(self, agency_id: int, cursor: int = 0) -> fanout.Outlet:
        return fanout.Outlet(agency_id, cursor, self.send, self.closed.append)


def test_a_connecting_socket_holds_live_events_until_its_backlog_is_sent() -> None:
    async def scenario() -> list[str]:
        socket = FakeSocket()
        outlet = socket.outlet(7, cursor=10)
        outlet.deliver(13, "13")  # live while the backlog is read
        outlet.deliver(12, "12")  # also in the backlog: sent once
        assert socket.texts == []
        for cursor in (11, 12):  # the backlog
            outlet.write(cursor, str(cursor))
        assert outlet.go_live()
        outlet.deliver(14, "14")
        outlet.deliver(13, "13")  # never twice
        return socket.texts

    assert run(scenario()) == ["11", "12", "13", "14"]


def test_a_buffer_that_overflows_makes_the_socket_read_the_backlog_again() -> None:
    socket = FakeSocket()
    outlet = socket.outlet(7)
    for cursor in range(1, fanout.BUFFER_MAX + 2):
        outlet.deliver(cursor, str(cursor))
    assert not outlet.go_live()  # read the database again
    assert outlet.buffer == [] and not outlet.live
    assert outlet.go_live()


def test_a_slow_client_keeps_its_order_and_does_not_hold_up_the_others() -> None:
    async def scenario() -> tuple[list[str], list[str], list[int]]:
        slow, fast = FakeSocket(), FakeSocket()
        slow.hold = asyncio.Event()
        dispatcher = fanout.Dispatcher()
        dispatcher.ready.set()
        a, b = slow.outlet(1), fast.outlet(2)
        for outlet in (a, b):
            await dispatcher.register(outlet)
            outlet.go_live()
        for cursor in range(1, 4):
            dispatcher.dispatch(cursor, frozenset({1, 2}), str(cursor))
        dispatcher.dispatch(4, frozenset({2, 99}), "4")  # not for agency 1
        assert fast.texts == ["1", "2", "3", "4"]  # written at once, while the slow one waits
        assert slow.texts == [] and len(a.queue) == 2
        slow.hold.set()
        assert a.writer is not None
        await a.writer
        dispatcher.unregister(b)
        dispatcher.dispatch(5, frozenset({1, 2}), "5")
        return slow.texts, fast.texts, slow.closed

    slow_texts, fast_texts, closed = run(scenario())
    assert slow_texts == ["1", "2", "3", "5"]
    assert fast_texts == ["1", "2", "3", "4"]  # gone after unregistering
    assert closed == []


def test_a_client_that_stops_reading_is_closed_so_it_reconnects_and_resumes() -> None:
    async def scenario() -> list[int]:
        socket = FakeSocket()
        socket.hold = asyncio.Event()
        outlet = socket.outlet(1)
        outlet.go_live()
        for cursor in range(1, fanout.QUEUE_MAX + 3):
            outlet.deliver(cursor, str(cursor))
        return socket.closed

    assert run(scenario()) == [fanout.TRY_AGAIN_LATER]


def test_start_runs_a_coroutine_to_its_first_wait_and_finishes_it_later() -> None:
    async def scenario() -> list[str]:
        seen: list[str] = []
        gate = asyncio.Event()

        async def quick() -> None:
            seen.append("quick")

        async def waits() -> None:
            seen.append("before")
            await gate.wait()
            await asyncio.sleep(0)
            seen.append("after")

        assert fanout.start(quick()) is None
        assert seen == ["quick"]  # ran at once, no task
        task = fanout.start(waits())
        assert task is not None and seen == ["quick", "before"]
        gate.set()
        await task
        return seen

    assert run(scenario()) == ["quick", "before", "after"]
