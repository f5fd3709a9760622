"""E-mail through Django's SMTP backend to a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import pytest

from crimac.dissemination.choices import OutboxStatus
from crimac.dissemination.models import OutboxMessage
from crimac.dissemination.worker import deliver_batch
from tests.dissemination.test_channels_receivers import SmtpServer, add_endpoint, free_port, post_alert

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings):  # type: ignore[no-untyped-def]
    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = False
        settings.DEFAULT_FROM_EMAIL = "crimac@example.org"
        settings.PUBLIC_URL = "https://crimac.example.gov.in"
        yield server


def test_the_alert_arrives_by_email_with_its_reference_in_the_subject(smtp: SmtpServer) -> None:
    add_endpoint("email", "Control.Room@Example.ORG")
    alert = post_alert(priority="immediate", title="Stolen truck heading north")
    assert deliver_batch(10) == 1
    assert len(smtp.messages) == 1
    sender, rcpt, mail = smtp.messages[0]
    assert sender == "crimac@example.org"
    assert rcpt == ["Control.Room@example.org"]  # the domain is normalised, the local part kept
    assert alert.reference in mail["Subject"]
    assert "IMMEDIATE" in mail["Subject"] and "Stolen truck heading north" in mail["Subject"]
    message = OutboxMessage.objects.get()
    assert mail["Message-ID"] == f"<{message.key}@crimac>"
    assert mail["X-Crimac-Reference"] == alert.reference
    body = mail.get_content()  # type: ignore[attr-defined]
    assert f"https://crimac.example.gov.in/alerts/{alert.reference}/" in body
    assert "Acknowledge by:" in body
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT and message.delivered_at is not None


def test_no_mail_server_is_a_failure_to_retry(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    add_endpoint("email", "control@example.org")
    post_alert()
    deliver_batch(10)
    m = OutboxMessage.objects.get()
    assert m.status == OutboxStatus.PENDING and m.attempts == 1
    assert m.last_error.startswith("mail server:")
