"""A plain registry of callbacks that other apps (dissemination, matching) subscribe to.

Actions call `emit(...)` inside their transaction. Two phases:

- `in_transaction=True`: the callback runs at once, inside the alert's transaction, and may raise
  (a ValidationError refuses the whole write). Dissemination writes its delivery rows here, so
  an alert is never committed without them.
- otherwise the callback runs after commit; a failing one is logged without undoing the alert,
  which is already committed.

Callbacks receive ids, never ORM objects.
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
_in_transaction: dict[str, list[Callback]] = {name: [] for name in EVENTS}


def subscribe(event: EventName, callback: Callback, *, in_transaction: bool = False) -> None:
    registry = _in_transaction if in_transaction else _registry
    if event not in registry:
        raise ValueError(f"unknown alert event {event!r}")
    if callback not in registry[event]:
        registry[event].append(callback)


def unsubscribe(event: EventName, callback: Callback) -> None:
    for registry in (_registry, _in_transaction):
        if callback in registry.get(event, []):
            registry[event].remove(callback)


def emit(
    event: EventName, alert_ids: list[int], *, actor_id: int | None, revision: int | None = None
) -> None:
    """Run the event's in-transaction callbacks now; schedule the others for after commit."""
    payload = AlertEvent(event, tuple(alert_ids), actor_id, revision)
    for callback in list(_in_transaction[event]):
        callback(payload)

    def run() -> None:
        for callback in list(_registry[event]):
            try:
                callback(payload)
            except Exception:
                log.exception("alert hook %s failed for %s", getattr(callback, "__name__", callback), event)

    transaction.on_commit(run)
