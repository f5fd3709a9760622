"""E-mail through Django's mail backend (EMAIL_HOST, EMAIL_PORT, ... in settings).

The Message-ID is derived from the message key, so a resent copy (after a crash) is the same
message to mail clients that drop duplicates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from crimac.dissemination.channels import SendError, text
from crimac.dissemination.channels.conf import send_timeout

if TYPE_CHECKING:
    from crimac.dissemination.models import OutboxMessage


def send(message: OutboxMessage) -> None:
    payload = message.payload
    mail = EmailMessage(
        subject=text.subject(payload),
        body=text.email_body(payload),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.endpoint.target],
        headers={
            "Message-ID": f"<{message.key}@crimac>",
            "X-Crimac-Id": str(message.key),
            "X-Crimac-Reference": str(payload["alert"]["reference"]),
        },
        connection=get_connection(timeout=send_timeout()),
    )
    try:
        sent = mail.send(fail_silently=False)
    except OSError as exc:  # smtplib's errors are OSErrors, and so are refused connections
        raise SendError(f"mail server: {exc}"[:500]) from None
    if sent != 1:
        raise SendError("the mail backend did not accept the message")
