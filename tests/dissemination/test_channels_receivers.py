"""Real receivers on 127.0.0.1 for the channel tests: a webhook receiver that checks signatures
and counts by X-Crimac-Id, an SMS gateway, and an SMTP server (aiosmtpd). Other test modules
import them; the tests here check the receivers themselves."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """An HTTP server in a thread. `statuses` answers the first requests in turn (then 200);
    `delay` seconds are slept before answering (after the request is recorded)."""

    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> HttpReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"try later")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def ids(self) -> Counter[str]:
        with self.lock:
            return Counter(r.headers.get("X-Crimac-Id", "") for r in self.requests)

    def wait_for(self, predicate: Callable[[HttpReceiver], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver: condition not met in {timeout} s; got {len(self.requests)}")
            time.sleep(0.05)


def verify(secret: str, request: Received, *, max_age: float = 300) -> bool:
    """What a receiver does: recompute the HMAC over "<timestamp>.<body>" and refuse old ones."""
    timestamp = request.headers.get("X-Crimac-Timestamp", "")
    given = request.headers.get("X-Crimac-Signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > max_age:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given, f"sha256={expected}")


class SmtpServer:
    """aiosmtpd on a free loopback port, keeping what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    def __enter__(self) -> SmtpServer:
        from aiosmtpd.controller import Controller

        server = self

        class Handler:
            async def handle_DATA(self, srv: Any, session: Any, envelope: Any) -> str:
                server.messages.append(
                    (
                        envelope.mail_from,
                        list(envelope.rcpt_tos),
                        message_from_bytes(envelope.content, policy=policy.default),
                    )
                )
                return "250 Message accepted for delivery"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.controller.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_receiver_answers_statuses_in_turn_and_counts_ids() -> None:
    with HttpReceiver(statuses=[503]) as r:
        first = httpx.post(r.url, content=b"{}", headers={"X-Crimac-Id": "a"})
        second = httpx.post(r.url, content=b"{}", headers={"X-Crimac-Id": "a"})
    assert (first.status_code, second.status_code) == (503, 200)
    assert r.ids() == Counter({"a": 2})


def test_verify_refuses_a_wrong_secret_a_changed_body_and_an_old_timestamp() -> None:
    now = str(int(time.time()))
    body = b'{"x":1}'
    mac = hmac.new(b"s3cret", now.encode() + b"." + body, hashlib.sha256).hexdigest()
    good = Received("/", {"X-Crimac-Timestamp": now, "X-Crimac-Signature": f"sha256={mac}"}, body)
    assert verify("s3cret", good)
    assert not verify("other", good)
    assert not verify("s3cret", Received("/", good.headers, b'{"x":2}'))
    old = str(int(time.time()) - 3600)
    mac_old = hmac.new(b"s3cret", old.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert not verify(
        "s3cret", Received("/", {"X-Crimac-Timestamp": old, "X-Crimac-Signature": f"sha256={mac_old}"}, body)
    )


# --- alerts and endpoints for the channel tests -----------------------------------------------

TARGET = "DL-NEWDELHI-PS-002"  # dl.sho2's station


def post_alert(audience: dict[str, Any] | None = None, *, by: str = "hr.sho", **fields: Any) -> Any:
    """Publish an alert from a Gurugram station, by default to TARGET only."""
    from crimac.alerts.actions import create_alert
    from crimac.alerts.schemas import AlertIn
    from crimac.directory.models import User

    data: dict[str, Any] = {
        "category": "wanted_person",
        "title": "Absconder wanted in a robbery case",
        "persons": [{"role": "accused", "name": "Vikram Singh", "gender": "male"}],
        "audience": audience or {"agencies": [TARGET]},
    }
    data.update(fields)
    actor = User.objects.select_related("agency").get(username=by)
    return create_alert(AlertIn.model_validate(data), actor=actor, publish=True).alert


def add_endpoint(kind: str, target: str, code: str = TARGET) -> Any:
    """An endpoint added by a trusted caller; returns (endpoint, secret)."""
    from crimac.directory.models import Agency
    from crimac.dissemination.channels.endpoints import create_endpoint

    new = create_endpoint(Agency.objects.get(code=code), kind, target, actor=None)
    return new.endpoint, new.secret
