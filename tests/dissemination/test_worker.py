"""The worker loop and `crimac worker`: one round sends what is due, options are checked, a stop
hands back what was not sent, and due escalations and reminders run each round."""

from __future__ import annotations

import sys
import types
from datetime import datetime
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from crimac.dissemination import worker as worker_module
from crimac.dissemination.choices import OutboxStatus
from crimac.dissemination.models import OutboxMessage
from crimac.dissemination.worker import Worker, deliver_batch
from tests.dissemination.test_channels_receivers import HttpReceiver, add_endpoint, post_alert

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _loopback(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_LOOPBACK = True


def test_worker_once_sends_what_is_due_and_reports(capsys: Any) -> None:
    with HttpReceiver(statuses=[502]) as r:
        add_endpoint("webhook", r.url)
        add_endpoint("webhook", r.url.replace("/hook", "/other"))
        post_alert()
        call_command("worker", "--once", "--batch", "10")
    out = capsys.readouterr().out
    assert "sent 1, to retry 1, dead-lettered 0" in out
    assert sorted(OutboxMessage.objects.values_list("status", flat=True)) == ["pending", "sent"]
    assert len(r.requests) == 2


def test_the_batch_bounds_one_round() -> None:
    with HttpReceiver() as r:
        add_endpoint("webhook", r.url)
        for _ in range(5):
            post_alert()
        assert deliver_batch(2) == 2
        assert deliver_batch(2) == 2
        assert deliver_batch(2) == 1
        assert deliver_batch(2) == 0
    assert r.ids().most_common(1)[0][1] == 1 and len(r.ids()) == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--batch", "0"], "--batch"), (["--batch", "5000"], "--batch"), (["--poll", "0"], "--poll")],
)
def test_bad_options_name_the_option(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("worker", "--once", *args)


def test_a_stop_midway_hands_the_rest_back_unsent() -> None:
    with HttpReceiver() as r:
        add_endpoint("webhook", r.url)
        for _ in range(3):
            post_alert()
        w = Worker(batch=10)
        sent: list[str] = []
        real_send = worker_module.send

        def send_then_stop(message: OutboxMessage) -> None:
            real_send(message)
            sent.append(str(message.key))
            w.stop.set()  # as SIGTERM would, during the first message

        worker_module.send = send_then_stop  # type: ignore[assignment]
        try:
            w.run(once=True)
        finally:
            worker_module.send = real_send
    assert len(sent) == 1 and len(r.requests) == 1
    rows = {str(m.key): m for m in OutboxMessage.objects.all()}
    assert rows[sent[0]].status == OutboxStatus.SENT
    rest = [m for k, m in rows.items() if k != sent[0]]
    assert all(m.status == OutboxStatus.PENDING and m.attempts == 0 for m in rest)


def test_each_round_runs_due_escalations_and_reminders(monkeypatch: Any) -> None:
    calls: list[tuple[str, datetime]] = []
    fake = types.ModuleType("crimac.dissemination.escalation")
    fake.run_due = lambda now: calls.append(("run_due", now))  # type: ignore[attr-defined]
    fake.remind_due = lambda now: calls.append(("remind_due", now))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "crimac.dissemination.escalation", fake)
    monkeypatch.setattr(sys.modules["crimac.dissemination"], "escalation", fake, raising=False)
    Worker().run(once=True)
    assert [name for name, _ in calls] == ["run_due", "remind_due"]


def test_a_failing_escalation_does_not_stop_the_outbox(monkeypatch: Any) -> None:
    def boom(now: datetime) -> None:
        raise RuntimeError("escalation broke")

    from crimac.dissemination import escalation

    monkeypatch.setattr(escalation, "run_due", boom)
    with HttpReceiver() as r:
        add_endpoint("webhook", r.url)
        post_alert()
        Worker().run(once=True)
    assert len(r.requests) == 1


def test_the_worker_runs_in_the_server_by_default_on_sqlite_only(settings: Any, monkeypatch: Any) -> None:
    from crimac.dissemination.channels import conf

    monkeypatch.delenv("CRIMAC_WORKER_IN_SERVER", raising=False)
    if hasattr(settings, "WORKER_IN_SERVER"):
        del settings.WORKER_IN_SERVER
    assert conf.worker_in_server() == conf.is_sqlite()
    monkeypatch.setenv("CRIMAC_WORKER_IN_SERVER", "0")
    assert conf.worker_in_server() is False
    settings.WORKER_IN_SERVER = True
    assert conf.worker_in_server() is True


def test_the_lease_outlasts_a_batch_of_timeouts(settings: Any, monkeypatch: Any) -> None:
    from crimac.dissemination.channels import conf

    monkeypatch.delenv("CRIMAC_OUTBOX_LEASE_SECONDS", raising=False)
    settings.CHANNEL_TIMEOUT_SECONDS = 10.0
    if hasattr(settings, "OUTBOX_LEASE_SECONDS"):
        del settings.OUTBOX_LEASE_SECONDS
    assert conf.lease_seconds(50) > 50 * 10.0
    settings.OUTBOX_LEASE_SECONDS = 5.0
    assert conf.lease_seconds(50) == 5.0
