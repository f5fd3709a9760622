"""What dissemination adds to reading an alert: the reader's unread mark, and for whoever may
change the alert a link to its receipts (who got it, who acknowledged, escalations, hits)."""

from __future__ import annotations

from typing import Any

from crimac.alerts import hooks
from crimac.alerts.actions import may_change
from crimac.alerts.models import Alert


def _read(alert_id: int, user: Any) -> None:
    from crimac.dissemination.actions import mark_read

    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is not None:
        mark_read(alert, user)


def _receipts_panel(alert: Any, user: Any) -> tuple[str, dict[str, Any]] | None:
    if alert.status == "draft" or not may_change(user, alert):
        return None
    return "dissemination/_alert_panel.html", {"reference": alert.reference}


def connect() -> None:
    hooks.subscribe_read(_read)
    hooks.add_panel(_receipts_panel)
