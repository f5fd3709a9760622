"""Webhooks: a signed JSON POST per message.

Headers: `X-Crimac-Id` (the message key: the same on every retry, so a receiver drops
duplicates), `X-Crimac-Timestamp` (Unix seconds when sent) and `X-Crimac-Signature:
sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the endpoint's secret>`. A receiver
checks the signature and refuses stale timestamps, so a captured request cannot be replayed later.
Anything but a 2xx answer is a failure and is retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from crimac import __version__
from crimac.dissemination.channels import SendError, http_client
from crimac.dissemination.channels.conf import send_timeout

if TYPE_CHECKING:
    from crimac.dissemination.models import OutboxMessage


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def body_of(message: OutboxMessage) -> bytes:
    return json.dumps(message.payload, separators=(",", ":"), sort_keys=True).encode()


def check_destination(url: str) -> None:
    """Refuse to send where a webhook may not go, judged on the addresses the host resolves to
    now (a name may have been pointed at loopback or a metadata service after it was added)."""
    from crimac.dissemination.channels.endpoints import forbidden_address, literal_address

    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError):
        raise SendError(f"cannot resolve {host!r}") from None
    for info in infos:
        address = literal_address(str(info[4][0]))
        if address is not None and (why := forbidden_address(address)):
            raise SendError(f"refused: {host} resolves to {why}")


def send(message: OutboxMessage) -> None:
    check_destination(message.endpoint.target)
    body = body_of(message)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"crimac/{__version__}",
        "X-Crimac-Id": str(message.key),
        "X-Crimac-Event": message.event,
        "X-Crimac-Timestamp": timestamp,
        "X-Crimac-Signature": signature(message.endpoint.secret, timestamp, body),
    }
    try:
        response = http_client().post(
            message.endpoint.target,
            content=body,
            headers=headers,
            timeout=send_timeout(),
        )
    except httpx.TimeoutException:
        raise SendError(f"no answer within {send_timeout():g} s") from None
    except httpx.HTTPError as exc:
        raise SendError(f"could not connect: {exc}"[:500]) from None
    if not 200 <= response.status_code < 300:
        # Not the body: what an internal service answers is not for the endpoint's manager to read.
        raise SendError(f"HTTP {response.status_code}")
