"""What matching adds around alerts: the matches on an alert's page, and the worker's pass over
correlations a crash left pending (written with the alert, run after commit)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from crimac.alerts import hooks
from crimac.dissemination import worker


def _matches_panel(alert: Any, user: Any) -> tuple[str, dict[str, Any]] | None:
    from crimac.matching.reveal import matches_for

    if not getattr(user, "is_authenticated", False):
        return None
    matches = matches_for(alert, user)
    return ("matching/_panel.html", {"matches": matches}) if matches else None


def _drain(now: datetime) -> None:
    from crimac.matching.correlate import drain_pending

    drain_pending(1000, older_than=timedelta(seconds=5))


def connect() -> None:
    hooks.add_panel(_matches_panel)
    worker.every("matching.pending", 5.0, _drain)
