"""Webhooks against a real receiver on 127.0.0.1: the signed body, retries with backoff until the
receiver answers 2xx, dead-lettering after the last try, and timeouts."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from crimac.dissemination.choices import OutboxStatus
from crimac.dissemination.models import Delivery, OutboxMessage
from crimac.dissemination.worker import Stats, deliver_batch
from tests.dissemination.test_channels_receivers import TARGET, HttpReceiver, add_endpoint, post_alert, verify

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings(settings):  # type: ignore[no-untyped-def]
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.OUTBOX_BACKOFF_BASE_SECONDS = 5.0
    settings.OUTBOX_BACKOFF_CAP_SECONDS = 60.0
    settings.OUTBOX_MAX_ATTEMPTS = 4
    settings.CHANNEL_TIMEOUT_SECONDS = 2.0


def test_the_body_is_signed_with_the_endpoint_secret_and_carries_the_message_id() -> None:
    with HttpReceiver() as r:
        _endpoint, secret = add_endpoint("webhook", r.url)
        alert = post_alert(priority="flash", title="Child missing near the railway station")
        assert deliver_batch(10) == 1
    assert len(r.requests) == 1
    got = r.requests[0]
    message = OutboxMessage.objects.get()
    assert verify(secret, got)
    assert not verify("not-the-secret", got)
    assert got.headers["X-Crimac-Id"] == str(message.key)
    assert got.headers["Content-Type"] == "application/json"
    body = got.json()
    assert body["id"] == str(message.key)
    assert body["event"] == "published"
    assert body["delivery"] == Delivery.objects.get(alert=alert, agency__code=TARGET).pk
    assert body["alert"]["reference"] == alert.reference
    assert body["alert"]["priority"] == "flash"
    assert body["alert"]["title"] == "Child missing near the railway station"
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 1)
    assert message.delivered_at is not None


def test_a_receiver_failing_twice_gets_it_on_the_third_attempt_after_backoff() -> None:
    with HttpReceiver(statuses=[500, 503]) as r:
        add_endpoint("webhook", r.url)
        post_alert()
        deliver_batch(10)
        m = OutboxMessage.objects.get()
        assert (m.status, m.attempts, m.last_error[:8]) == (OutboxStatus.PENDING, 1, "HTTP 500")
        first_wait = m.next_attempt_at - timezone.now()
        assert timedelta(seconds=2) <= first_wait <= timedelta(seconds=5)
        assert deliver_batch(10) == 0  # not due yet
        deliver_batch(10, now=m.next_attempt_at)
        m.refresh_from_db()
        assert (m.status, m.attempts, m.last_error[:8]) == (OutboxStatus.PENDING, 2, "HTTP 503")
        assert timedelta(seconds=4) <= m.next_attempt_at - timezone.now() <= timedelta(seconds=10)
        stats = Stats()
        deliver_batch(10, now=m.next_attempt_at, stats=stats)
    m.refresh_from_db()
    assert (m.status, m.attempts) == (OutboxStatus.SENT, 3)
    assert stats.sent == 1
    assert len(r.requests) == 3
    assert len({req.headers["X-Crimac-Id"] for req in r.requests}) == 1  # the same id every time
    assert len({req.body for req in r.requests}) == 1


def test_dead_lettered_after_the_last_try() -> None:
    with HttpReceiver(statuses=[500] * 10) as r:
        add_endpoint("webhook", r.url)
        post_alert()
        now = timezone.now()
        for _ in range(4):
            deliver_batch(10, now=now)
            now += timedelta(hours=1)
        deliver_batch(10, now=now)
    m = OutboxMessage.objects.get()
    assert (m.status, m.attempts) == (OutboxStatus.DEAD, 4)
    assert m.last_error.startswith("HTTP 500")
    assert len(r.requests) == 4


def test_a_slow_receiver_times_out_and_is_retried() -> None:
    with HttpReceiver(delay=3.0) as r:
        add_endpoint("webhook", r.url)
        post_alert()
        deliver_batch(10)
    m = OutboxMessage.objects.get()
    assert m.status == OutboxStatus.PENDING
    assert "no answer within 2 s" in m.last_error


def test_a_receiver_that_is_down_is_retried() -> None:
    with HttpReceiver() as r:
        url = r.url
    add_endpoint("webhook", url)
    post_alert()
    deliver_batch(10)
    m = OutboxMessage.objects.get()
    assert m.status == OutboxStatus.PENDING and "could not connect" in m.last_error


def test_the_body_is_plain_json_a_receiver_can_parse() -> None:
    with HttpReceiver() as r:
        add_endpoint("webhook", r.url)
        post_alert()
        deliver_batch(10)
    body = json.loads(r.requests[0].body)
    uuid.UUID(body["id"])
    assert set(body) == {"id", "event", "delivery", "agency", "reason", "alert", "created_at"}
