"""The outbox: one message per active endpoint of each recipient agency, written in the alert's
transaction; claiming, recording, backoff with jitter, dead letters, and the claim token."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from crimac.alerts.actions import cancel_alert, resolve_alert
from crimac.audit.models import AuditEvent
from crimac.directory.models import Agency, User
from crimac.dissemination import outbox
from crimac.dissemination.choices import OutboxStatus
from crimac.dissemination.models import Delivery, OutboxMessage, Subscription
from tests.dissemination.test_channels_receivers import TARGET, add_endpoint, post_alert

pytestmark = pytest.mark.django_db

OTHER = "DL-NEWDELHI-PS-001"


@pytest.fixture(autouse=True)
def _loopback(settings):  # type: ignore[no-untyped-def]
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.OUTBOX_BACKOFF_BASE_SECONDS = 10.0
    settings.OUTBOX_BACKOFF_CAP_SECONDS = 100.0
    settings.OUTBOX_MAX_ATTEMPTS = 3


def test_one_message_per_active_endpoint_of_each_recipient_and_none_for_others() -> None:
    hook, _ = add_endpoint("webhook", "http://127.0.0.1:9/hook")
    mail, _ = add_endpoint("email", "control@example.org")
    off, _ = add_endpoint("sms", "+919876543210")
    off.active = False
    off.save()
    outsider, _ = add_endpoint("email", "other@example.org", code="AS-HQ")
    alert = post_alert({"agencies": [TARGET, OTHER]})
    msgs = list(OutboxMessage.objects.filter(alert=alert))
    assert {m.endpoint_id for m in msgs} == {hook.pk, mail.pk}
    assert all(m.status == OutboxStatus.PENDING and m.attempts == 0 for m in msgs)
    assert len({m.key for m in msgs}) == 2
    payload = msgs[0].payload
    assert payload["event"] == "published"
    assert payload["alert"]["reference"] == alert.reference
    assert payload["agency"] == TARGET
    assert payload["delivery"] == Delivery.objects.get(alert=alert, agency__code=TARGET).pk
    assert payload["id"] == str(msgs[0].key)
    assert not OutboxMessage.objects.filter(endpoint=outsider).exists()


def test_revision_cancellation_and_resolution_are_sent_too() -> None:
    add_endpoint("email", "control@example.org")
    alert = post_alert()
    author = User.objects.get(username="hr.sho")
    cancel_alert(alert, actor=author, reason="posted twice")
    second = post_alert()
    resolve_alert(second, actor=author, outcome="arrested")
    events = list(
        OutboxMessage.objects.filter(alert__in=[alert, second]).order_by("id").values_list("event", flat=True)
    )
    assert events == ["published", "cancelled", "published", "resolved"]


def test_a_muted_delivery_gets_no_message() -> None:
    add_endpoint("email", "control@example.org")
    agency = Agency.objects.get(code=TARGET)
    Subscription.objects.create(
        kind="mute",
        agency=agency,
        category="wanted_person",
        priority="routine",
        created_by=User.objects.get(username="dl.sho2"),
    )
    alert = post_alert(priority="routine")
    assert Delivery.objects.get(alert=alert, agency=agency).muted
    assert not OutboxMessage.objects.filter(alert=alert).exists()


def test_claim_counts_the_attempt_and_leases_the_message() -> None:
    add_endpoint("email", "control@example.org")
    post_alert()
    now = timezone.now()
    claimed = outbox.claim(10, now=now)
    assert len(claimed) == 1
    m = OutboxMessage.objects.get()
    assert m.attempts == 1 and claimed[0].attempt == 1
    assert m.next_attempt_at > now + timedelta(seconds=30)
    # Leased: nobody else claims it now, and it is due again only after the lease.
    assert outbox.claim(10, now=now) == []
    assert len(outbox.claim(10, now=m.next_attempt_at)) == 1


def test_a_result_is_recorded_only_by_the_holder_of_the_current_claim() -> None:
    add_endpoint("email", "control@example.org")
    post_alert()
    first = outbox.claim(1)[0]
    later = timezone.now() + timedelta(hours=1)
    second = outbox.claim(1, now=later)[0]  # the first worker's lease ran out
    assert outbox.finish(first, None) == ""
    assert OutboxMessage.objects.get().status == OutboxStatus.PENDING
    assert outbox.finish(second, None) == OutboxStatus.SENT
    m = OutboxMessage.objects.get()
    assert m.status == OutboxStatus.SENT and m.attempts == 2 and m.delivered_at is not None


def test_failures_back_off_then_dead_letter_after_the_last_try() -> None:
    add_endpoint("email", "control@example.org")
    post_alert()
    now = timezone.now()
    for attempt in (1, 2):
        item = outbox.claim(1, now=now)[0]
        before = timezone.now()
        assert outbox.finish(item, "HTTP 503") == OutboxStatus.PENDING
        m = OutboxMessage.objects.get()
        nominal = 10.0 * 2 ** (attempt - 1)
        wait = (m.next_attempt_at - before).total_seconds()
        assert nominal / 2 - 1 <= wait <= nominal + 1
        assert m.last_error == "HTTP 503" and m.attempts == attempt
        now = m.next_attempt_at
    item = outbox.claim(1, now=now)[0]
    assert outbox.finish(item, "HTTP 500") == OutboxStatus.DEAD
    m = OutboxMessage.objects.get()
    assert (m.status, m.attempts, m.last_error) == (OutboxStatus.DEAD, 3, "HTTP 500")
    assert outbox.claim(1, now=now + timedelta(days=1)) == []
    assert AuditEvent.objects.filter(action="outbox.dead", object_id=str(m.pk), outcome="failed").exists()


def test_jitter_stays_within_half_and_all_of_the_nominal_delay_up_to_the_cap() -> None:
    rng = random.Random(7)
    for attempts in range(1, 12):
        nominal = min(100.0, 10.0 * 2 ** (attempts - 1))
        waits = [outbox.backoff(attempts, rng=rng).total_seconds() for _ in range(200)]
        assert all(nominal / 2 <= w <= nominal for w in waits)
        assert max(waits) - min(waits) > nominal / 5  # it really varies
    assert outbox.backoff(30, rng=rng).total_seconds() <= 100.0


def test_a_message_whose_worker_kept_dying_is_dead_lettered_not_sent_forever() -> None:
    add_endpoint("email", "control@example.org")
    post_alert()
    now = timezone.now()
    for _ in range(3):  # three claims whose worker never came back
        outbox.claim(1, now=now)
        now += timedelta(hours=1)
    item = outbox.claim(1, now=now)[0]
    reason = outbox.give_up_reason(item)
    assert reason is not None and "3 attempts" in reason
    assert outbox.finish(item, reason) == OutboxStatus.DEAD


def test_a_deactivated_endpoint_dead_letters_its_pending_messages() -> None:
    endpoint, _ = add_endpoint("email", "control@example.org")
    post_alert()
    endpoint.active = False
    endpoint.save()
    item = outbox.claim(1)[0]
    item.message.endpoint.active = False
    reason = outbox.give_up_reason(item)
    assert reason == "the endpoint was deactivated"
    assert outbox.finish(item, reason) == OutboxStatus.DEAD


def test_release_hands_messages_back_due_at_once_without_counting_the_attempt() -> None:
    add_endpoint("email", "control@example.org")
    post_alert()
    items = outbox.claim(5)
    outbox.release(items)
    m = OutboxMessage.objects.get()
    assert m.attempts == 0 and m.next_attempt_at <= timezone.now()


def test_enqueue_writes_nothing_without_endpoints_in_one_query(django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    alert = post_alert()
    with django_assert_max_num_queries(1):
        outbox.enqueue("revised", [alert.pk])
    assert not OutboxMessage.objects.exists()


def test_enqueue_deliveries_writes_for_the_named_deliveries_only() -> None:
    add_endpoint("email", "control@example.org")
    add_endpoint("email", "other@example.org", code=OTHER)
    alert = post_alert({"agencies": [TARGET, OTHER]})
    OutboxMessage.objects.all().delete()
    climbed = Delivery.objects.get(alert=alert, agency__code=OTHER)
    outbox.enqueue_deliveries("escalated", [climbed.pk])
    m = OutboxMessage.objects.get()
    assert (m.event, m.delivery_id, m.endpoint.target) == ("escalated", climbed.pk, "other@example.org")
