"""SMS through a pluggable gateway.

`SMS_GATEWAY` (CRIMAC_SMS_GATEWAY) is the dotted path of a class with `send(to, text, key)`;
the default, `HttpJsonGateway`, posts `{"to": "+91...", "text": "..."}` with a bearer token to
`SMS_GATEWAY_URL`, which is how most Indian bulk-SMS providers and self-hosted gateways take it.
Another provider is one small class away.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

import httpx
from django.utils.module_loading import import_string

from crimac.dissemination.channels import SendError, http_client, text
from crimac.dissemination.channels.conf import send_timeout, setting

if TYPE_CHECKING:
    from crimac.dissemination.models import OutboxMessage

DEFAULT_GATEWAY = "crimac.dissemination.channels.sms.HttpJsonGateway"


class Gateway(Protocol):
    def send(self, to: str, text: str, key: str) -> None: ...


class HttpJsonGateway:
    """POST {to, text} as JSON to SMS_GATEWAY_URL with `Authorization: Bearer SMS_GATEWAY_TOKEN`.
    The message key goes as `Idempotency-Key` for gateways that drop repeats."""

    def __init__(self) -> None:
        self.url = str(setting("SMS_GATEWAY_URL", ""))
        self.token = str(setting("SMS_GATEWAY_TOKEN", ""))

    def send(self, to: str, text: str, key: str) -> None:
        if not self.url:
            raise SendError("no SMS gateway: set CRIMAC_SMS_GATEWAY_URL")
        headers = {"Idempotency-Key": key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = http_client().post(
                self.url, json={"to": to, "text": text}, headers=headers, timeout=send_timeout()
            )
        except httpx.TimeoutException:
            raise SendError(f"SMS gateway: no answer within {send_timeout():g} s") from None
        except httpx.HTTPError as exc:
            raise SendError(f"SMS gateway: {exc}"[:500]) from None
        if not 200 <= response.status_code < 300:
            raise SendError(f"SMS gateway: HTTP {response.status_code}: {response.text[:200]}")


@cache
def _gateway_class(path: str) -> Any:
    return import_string(path)


def gateway() -> Gateway:
    path = str(setting("SMS_GATEWAY", DEFAULT_GATEWAY))
    try:
        cls = _gateway_class(path)
    except ImportError as exc:
        raise SendError(f"CRIMAC_SMS_GATEWAY {path!r} cannot be imported: {exc}") from None
    return cls()


def send(message: OutboxMessage) -> None:
    gateway().send(message.endpoint.target, text.sms_text(message.payload), str(message.key))
