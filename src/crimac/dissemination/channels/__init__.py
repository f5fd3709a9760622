"""Sending one outbox message through its endpoint: e-mail, webhook or SMS.

A channel raises `SendError` (or any exception) when the message did not go; the worker records
the error and tries again later. Channels receive the message with its endpoint, never a
transaction: they run outside the database transaction.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from crimac.dissemination.models import OutboxMessage

# httpx logs every request at INFO; the worker records each attempt on its message instead.
logging.getLogger("httpx").setLevel(logging.WARNING)

_client: httpx.Client | None = None
_client_lock = threading.Lock()


def http_client() -> httpx.Client:
    """One HTTP client per process for webhooks and SMS gateways: building one loads the CA
    bundle (a fifth of a second), and a shared one keeps connections to receivers open."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = httpx.Client(follow_redirects=False)
    return _client


class SendError(Exception):
    """The channel refused or failed; the message says why, short enough for `last_error`."""


def send(message: OutboxMessage) -> None:
    from crimac.dissemination.channels import email, sms, webhook
    from crimac.dissemination.choices import ChannelKind

    senders: dict[str, Any] = {
        ChannelKind.EMAIL: email.send,
        ChannelKind.WEBHOOK: webhook.send,
        ChannelKind.SMS: sms.send,
    }
    sender = senders.get(message.endpoint.kind)
    if sender is None:
        raise SendError(f"unknown channel {message.endpoint.kind!r}")
    sender(message)
