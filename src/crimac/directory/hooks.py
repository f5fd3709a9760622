"""A plain registry of callbacks for apps above the directory, which it does not import (as
`crimac.alerts.hooks` is for alerts). The directory's actions call them, in their transaction.

- `state_changed(agency)`: `save_agency` put an agency in another State. Copies that depend on
  the State of an agency (search's reach of the alerts it sent or received) are brought up to date.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_state_changed: list[Callable[[Any], object]] = []


def on_state_changed(callback: Callable[[Any], object]) -> None:
    if callback not in _state_changed:
        _state_changed.append(callback)


def state_changed(agency: Any) -> None:
    for callback in list(_state_changed):
        callback(agency)
