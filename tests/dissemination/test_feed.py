"""The live feed /ws/feed against a real server, with a real WebSocket client: who gets what,
resuming from a cursor without loss or duplicates, refusals, and (with Redis) an alert posted on
one server process reaching a socket connected to another."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.conftest import LiveCrimac, free_port

pytestmark = pytest.mark.server


def ws_url(live: LiveCrimac, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return live.base_url.replace("http://", "ws://") + "/ws/feed" + (f"?{query}" if query else "")


def key(live: LiveCrimac, agency: str) -> str:
    return live.crimac("apikey", "create", "--agency", agency, "--name", "feed test").stdout.strip()


@pytest.fixture(scope="module")
def keys(live_crimac: LiveCrimac) -> dict[str, str]:
    return {code: key(live_crimac, code) for code in ["HR-HQ", "DL-NEWDELHI-PS-002", "AS-HQ"]}


def post_alert(live: LiveCrimac, bearer: str, title: str, agencies: list[str]) -> str:
    body = {
        "category": "missing_person",
        "title": title,
        "priority": "flash",
        "persons": [{"role": "missing", "name": "Asha", "gender": "female", "age_min": 9, "age_max": 11}],
        "audience": {"agencies": agencies},
    }
    r = httpx.post(f"{live.base_url}/api/v1/alerts", json=body, headers={"Authorization": f"Bearer {bearer}"})
    assert r.status_code == 201, r.text
    return str(r.json()["reference"])


def receive(ws: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    return dict(json.loads(ws.recv(timeout=timeout)))


def drain(ws: ClientConnection) -> int:
    """Read the backlog (other tests share the server) until the feed goes quiet; the last cursor."""
    cursor = 0
    while True:
        try:
            cursor = receive(ws, timeout=0.7).get("cursor", cursor)
        except TimeoutError:
            return cursor


def open_feed(live: LiveCrimac, bearer: str, **params: str) -> ClientConnection:
    return connect(
        ws_url(live, **params), additional_headers={"Authorization": f"Bearer {bearer}"}, open_timeout=5
    )


def closed_with(ws: ClientConnection) -> tuple[dict[str, Any], int]:
    first = receive(ws)
    with pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=5)
    assert closed.value.rcvd is not None
    return first, closed.value.rcvd.code


def test_without_credentials_the_socket_is_closed_as_a_policy_violation(live_crimac: LiveCrimac) -> None:
    with connect(ws_url(live_crimac), open_timeout=5) as ws:
        message, code = closed_with(ws)
    assert code == 1008
    assert message == {"type": "error", "field": "credentials", "message": "sign in, or send an API key"}


@pytest.mark.parametrize("bad", ["cmk_nothing", "cmk_0123abcd_" + "x" * 40])
def test_a_bad_key_is_closed_as_a_policy_violation(live_crimac: LiveCrimac, bad: str) -> None:
    with open_feed(live_crimac, bad) as ws:
        message, code = closed_with(ws)
    assert code == 1008
    assert message["field"] == "credentials"


def test_a_revoked_key_is_closed(live_crimac: LiveCrimac) -> None:
    raw = key(live_crimac, "AS-CR")
    key_id = next(
        line.split()[0]
        for line in live_crimac.crimac("apikey", "list", "--agency", "AS-CR").stdout.splitlines()
        if line.split() and line.split()[0].isdigit()
    )
    live_crimac.crimac("apikey", "revoke", key_id)
    with open_feed(live_crimac, raw) as ws:
        message, code = closed_with(ws)
    assert code == 1008
    assert "revoked" in message["message"]


@pytest.mark.parametrize("cursor", ["abc", "-1", "1e3", "99999999999"])
def test_a_garbage_or_future_cursor_is_a_clear_error(
    live_crimac: LiveCrimac, keys: dict[str, str], cursor: str
) -> None:
    with open_feed(live_crimac, keys["DL-NEWDELHI-PS-002"], cursor=cursor) as ws:
        message, code = closed_with(ws)
    assert code == 1008
    assert message["type"] == "error" and message["field"] == "cursor"


def test_recipients_get_alerts_live_and_others_do_not(live_crimac: LiveCrimac, keys: dict[str, str]) -> None:
    with (
        open_feed(live_crimac, keys["DL-NEWDELHI-PS-002"]) as station,
        open_feed(live_crimac, keys["AS-HQ"]) as other,
    ):
        drain(station)
        drain(other)
        for_station = post_alert(
            live_crimac, keys["HR-HQ"], "Girl missing from Gurugram", ["DL-NEWDELHI-PS-002"]
        )
        event = receive(station)
        assert event["type"] == "published"
        assert event["alert"]["reference"] == for_station
        assert event["alert"]["priority"] == "flash"
        assert set(event) == {"type", "cursor", "alert"}
        # Assam got nothing: the next thing it receives is the alert addressed to it.
        for_assam = post_alert(live_crimac, keys["HR-HQ"], "Boy missing from Gurugram", ["AS-HQ"])
        assert receive(other)["alert"]["reference"] == for_assam


def test_reconnecting_with_the_cursor_gets_what_was_missed_in_order_once(
    live_crimac: LiveCrimac, keys: dict[str, str]
) -> None:
    station = keys["DL-NEWDELHI-PS-002"]
    with open_feed(live_crimac, station) as ws:
        first = post_alert(live_crimac, keys["HR-HQ"], "Before the drop", ["DL-NEWDELHI-PS-002"])
        event = receive(ws)
        while event["alert"]["reference"] != first:
            event = receive(ws)
        cursor = event["cursor"]
    missed = [
        post_alert(live_crimac, keys["HR-HQ"], f"While away {n}", ["DL-NEWDELHI-PS-002"]) for n in range(3)
    ]
    with open_feed(live_crimac, station, cursor=str(cursor)) as ws:
        got = [receive(ws) for _ in missed]
        assert [e["alert"]["reference"] for e in got] == missed
        assert [e["cursor"] for e in got] == sorted(e["cursor"] for e in got)
        assert all(e["cursor"] > cursor for e in got)
        live = post_alert(live_crimac, keys["HR-HQ"], "After the return", ["DL-NEWDELHI-PS-002"])
        after = receive(ws)
        assert after["alert"]["reference"] == live  # nothing repeated before it
        with pytest.raises(TimeoutError):
            ws.recv(timeout=1)


def test_the_originator_sees_the_acknowledgement_arrive(
    live_crimac: LiveCrimac, keys: dict[str, str]
) -> None:
    with open_feed(live_crimac, keys["HR-HQ"]) as originator:
        reference = post_alert(live_crimac, keys["HR-HQ"], "Acknowledge me", ["DL-NEWDELHI-PS-002"])
        r = httpx.post(
            f"{live_crimac.base_url}/api/v1/alerts/{reference}/acknowledge",
            headers={"Authorization": f"Bearer {keys['DL-NEWDELHI-PS-002']}"},
        )
        assert r.status_code == 200, r.text
        event = receive(originator)
        # Other notices about the alert (a possible match with an earlier one) may come first.
        while (event.get("reference"), event["type"]) != (reference, "acknowledged"):
            event = receive(originator)
        assert event["agency"] == "DL-NEWDELHI-PS-002"
        assert event["seconds_to_acknowledge"] >= 0


@pytest.fixture
def second_process(live_crimac: LiveCrimac) -> Iterator[LiveCrimac]:
    """Another `crimac serve` process on the same database and the same Redis. It does not poll
    the database for new events (its poll is an hour), so only the Redis announcement can bring
    it an event posted on the first process in time."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crimac.cli", "serve", "--port", str(port), "--log-level", "warning"],
        env={**live_crimac.env, "CRIMAC_FEED_POLL_SECONDS": "3600"},
    )
    other = LiveCrimac(f"http://127.0.0.1:{port}", live_crimac.env, live_crimac.database_url)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{other.base_url}/healthz", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        yield other
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.redis
@pytest.mark.skipif(
    not os.environ.get("CRIMAC_REDIS_URL"), reason="needs CRIMAC_REDIS_URL (PostgreSQL suite)"
)
def test_an_alert_posted_on_one_process_reaches_a_socket_on_another(
    live_crimac: LiveCrimac, second_process: LiveCrimac, keys: dict[str, str]
) -> None:
    assert live_crimac.env.get("CRIMAC_REDIS_URL")
    with open_feed(second_process, keys["DL-NEWDELHI-PS-002"]) as ws:
        time.sleep(0.3)  # let the subscription reach Redis
        reference = post_alert(live_crimac, keys["HR-HQ"], "Across processes", ["DL-NEWDELHI-PS-002"])
        event = receive(ws)
        while event.get("alert", {}).get("reference") != reference:
            event = receive(ws)
        assert event["type"] == "published"
