"""SMS through the generic HTTP JSON gateway (a gateway server on loopback) and through a gateway
class of one's own; numbers normalised to E.164; texts short and useful."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from crimac.dissemination.channels import SendError, text
from crimac.dissemination.channels.endpoints import check_target
from crimac.dissemination.choices import OutboxStatus
from crimac.dissemination.models import OutboxMessage
from crimac.dissemination.worker import deliver_batch
from tests.dissemination.test_channels_receivers import HttpReceiver, add_endpoint, post_alert

pytestmark = pytest.mark.django_db

SENT: list[tuple[str, str, str]] = []


class RecordingGateway:
    """A gateway of one's own (CRIMAC_SMS_GATEWAY names it)."""

    def send(self, to: str, text: str, key: str) -> None:
        if to.endswith("0000"):
            raise SendError("number barred")
        SENT.append((to, text, key))


def test_the_generic_gateway_gets_to_and_text_with_the_bearer_token(settings: Any) -> None:
    with HttpReceiver() as gw:
        settings.SMS_GATEWAY_URL = gw.url
        settings.SMS_GATEWAY_TOKEN = "gw-token-123"
        settings.PUBLIC_URL = "https://cmc.example.in"
        add_endpoint("sms", "098765 43210")
        alert = post_alert(priority="flash", title=("Armed robbers fled in a white SUV " * 5).strip())
        assert deliver_batch(10) == 1
    assert len(gw.requests) == 1
    got = gw.requests[0]
    assert got.headers["Authorization"] == "Bearer gw-token-123"
    body = got.json()
    assert body["to"] == "+919876543210"
    sms = body["text"]
    assert len(sms) <= 160
    assert sms.startswith(f"FLASH {alert.reference} new alert: Armed robbers")
    assert sms.endswith(f" https://cmc.example.in/alerts/{alert.reference}/")
    message = OutboxMessage.objects.get()
    assert got.headers["Idempotency-Key"] == str(message.key)
    assert message.status == OutboxStatus.SENT


def test_a_gateway_error_is_retried(settings: Any) -> None:
    with HttpReceiver(statuses=[429]) as gw:
        settings.SMS_GATEWAY_URL = gw.url
        add_endpoint("sms", "+91 98765 43210")
        post_alert()
        deliver_batch(10)
    m = OutboxMessage.objects.get()
    assert m.status == OutboxStatus.PENDING and m.last_error.startswith("SMS gateway: HTTP 429")


def test_no_gateway_configured_is_a_clear_error(settings: Any) -> None:
    settings.SMS_GATEWAY_URL = ""
    add_endpoint("sms", "+919876543210")
    post_alert()
    deliver_batch(10)
    assert "CRIMAC_SMS_GATEWAY_URL" in OutboxMessage.objects.get().last_error


def test_a_gateway_class_of_ones_own(settings: Any) -> None:
    settings.SMS_GATEWAY = "tests.dissemination.test_sms.RecordingGateway"
    SENT.clear()
    add_endpoint("sms", "+919876543210")
    add_endpoint("sms", "+919876500000")
    alert = post_alert()
    deliver_batch(10)
    assert [(to, reference in t) for to, t, _ in SENT for reference in [alert.reference]] == [
        ("+919876543210", True)
    ]
    barred = OutboxMessage.objects.get(endpoint__target="+919876500000")
    assert barred.last_error == "number barred"


def test_a_gateway_path_that_does_not_import_is_an_error_on_the_message(settings: Any) -> None:
    settings.SMS_GATEWAY = "no.such.Gateway"
    add_endpoint("sms", "+919876543210")
    post_alert()
    deliver_batch(10)
    assert "cannot be imported" in OutboxMessage.objects.get().last_error


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("9876543210", "+919876543210"),
        ("+91 98765-43210", "+919876543210"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_numbers_are_stored_in_e164(given: str, stored: str) -> None:
    assert check_target("sms", given) == stored


@pytest.mark.parametrize("bad", ["12345", "call me", "+91 00000 00000"])
def test_bad_numbers_are_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(ValidationError) as exc:
        check_target("sms", bad)
    assert "target" in exc.value.message_dict


def test_short_titles_are_kept_whole() -> None:
    payload = {
        "event": "cancelled",
        "alert": {"priority": "routine", "reference": "DL-2026-000001", "title": "Lost phone", "path": "/a/"},
    }
    assert text.sms_text(payload).startswith("ROUTINE DL-2026-000001 CANCELLED: Lost phone ")
