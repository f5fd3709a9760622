"""A plain registry of callbacks that other apps (dissemination, matching) subscribe to.

Actions call `emit(...)` inside their transaction. Two phases:

- `in_transaction=True`: the callback runs at once, inside the alert's transaction, and may raise
  (a ValidationError refuses the whole write). Dissemination writes its delivery rows here, so
  an alert is never committed without them.
- otherwise the callback runs after commit; a failing one is logged without undoing the alert,
  which is already committed.

Callbacks receive ids. When the action that emits already holds the alerts it just wrote, it
also passes them (`AlertEvent.loaded`): the alert rows as written, with their persons, vehicles,
phones, identifiers, audience entries and citations answered from memory (`alert.persons.all()`
makes no query). Subscribers may use them instead of reading the same rows back; ids absent from
`loaded` must be read as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import transaction

log = logging.getLogger("crimac.alerts.hooks")

EventName = Literal["published", "revised", "cancelled", "resolved", "attached"]
# What a reader of the alert sees change (search, dissemination and matching follow these).
EVENTS: tuple[EventName, ...] = ("published", "revised", "cancelled", "resolved")
# A photograph or document added to a published alert: no new revision, nobody is told, but
# figures that depend on attachments (oversight's missing-photo check) follow it.
ALL_EVENTS: tuple[EventName, ...] = (*EVENTS, "attached")


@dataclass(frozen=True)
class AlertEvent:
    event: EventName
    alert_ids: tuple[int, ...]
    actor_id: int | None
    revision: int | None = None
    # alert id -> the Alert as written in this transaction, children prefetched (may be empty).
    loaded: Mapping[int, Any] = field(default_factory=dict, compare=False, repr=False)


Callback = Callable[[AlertEvent], None]
_registry: dict[str, list[Callback]] = {name: [] for name in ALL_EVENTS}
_in_transaction: dict[str, list[Callback]] = {name: [] for name in ALL_EVENTS}


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
    event: EventName,
    alert_ids: list[int],
    *,
    actor_id: int | None,
    revision: int | None = None,
    loaded: Mapping[int, Any] | None = None,
) -> None:
    """Run the event's in-transaction callbacks now; schedule the others for after commit.
    `loaded`: the alerts as just written, if the caller holds them (see the module docstring)."""
    payload = AlertEvent(event, tuple(alert_ids), actor_id, revision, loaded or {})
    for callback in list(_in_transaction[event]):
        callback(payload)

    def run() -> None:
        for callback in list(_registry[event]):
            try:
                callback(payload)
            except Exception:
                log.exception("alert hook %s failed for %s", getattr(callback, "__name__", callback), event)

    transaction.on_commit(run)


# --- reading an alert, and what other apps add to its page -------------------------------------
# Apps above alerts (dissemination's per-officer unread marks, matching's match list) take part in
# reading an alert without alerts importing them.

ReadCallback = Callable[[int, Any], None]
Panel = Callable[[Any, Any], "tuple[str, dict[str, Any]] | None"]
_readers: list[ReadCallback] = []
_panels: list[Panel] = []


def subscribe_read(callback: ReadCallback) -> None:
    """`callback(alert_id, user)` runs when a user opens an alert's detail (page or API)."""
    if callback not in _readers:
        _readers.append(callback)


def emit_read(alert_id: int, user: Any) -> None:
    for callback in list(_readers):
        callback(alert_id, user)


def add_panel(panel: Panel) -> None:
    """`panel(alert, user)` returns (template name, context) for a section of the alert page, or None."""
    if panel not in _panels:
        _panels.append(panel)


def panels_for(alert: Any, user: Any) -> list[tuple[str, dict[str, Any]]]:
    return [found for panel in _panels if (found := panel(alert, user)) is not None]


# Agencies added to an alert's readers outside its own events (an escalation delivering it to a
# control room): whoever keeps a copy of who may read an alert (search's reach) is told, in the
# same transaction.
_readers_added: list[Callable[[list[int]], object]] = []


def on_readers_added(callback: Callable[[list[int]], object]) -> None:
    if callback not in _readers_added:
        _readers_added.append(callback)


def readers_added(alert_ids: list[int]) -> None:
    for callback in list(_readers_added):
        callback(alert_ids)
