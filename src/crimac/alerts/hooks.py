"""A plain registry of callbacks that other apps (dissemination, matching) subscribe to.

Actions call `emit(...)` inside their transaction; the callbacks run after commit, receive ids
(never ORM objects), and a failing callback is logged without undoing the alert, which is
already committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from django.db import transaction

log = logging.getLogger("crimac.alerts.hooks")

EventName = Literal["published", "revised", "cancelled", "resolved"]
EVENTS: tuple[EventName, ...] = ("published", "revised", "cancelled", "resolved")


@dataclass(frozen=True)
class AlertEvent:
    event: EventName
    alert_ids: tuple[int, ...]
    actor_id: int | None
    revision: int | None = None


Callback = Callable[[AlertEvent], None]
_registry: dict[str, list[Callback]] = {name: [] for name in EVENTS}


def subscribe(event: EventName, callback: Callback) -> None:
    if event not in _registry:
        raise ValueError(f"unknown alert event {event!r}")
    if callback not in _registry[event]:
        _registry[event].append(callback)


def unsubscribe(event: EventName, callback: Callback) -> None:
    if callback in _registry.get(event, []):
        _registry[event].remove(callback)


def emit(
    event: EventName, alert_ids: list[int], *, actor_id: int | None, revision: int | None = None
) -> None:
    """Schedule the event's callbacks for after the current transaction commits."""
    payload = AlertEvent(event, tuple(alert_ids), actor_id, revision)

    def run() -> None:
        for callback in list(_registry[event]):
            try:
                callback(payload)
            except Exception:
                log.exception("alert hook %s failed for %s", getattr(callback, "__name__", callback), event)

    transaction.on_commit(run)
