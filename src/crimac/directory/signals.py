"""Signals the directory sends for apps above it, which it does not import.

- `agency_state_changed(sender=Agency, agency=...)`: an agency was saved into another State, in
  the saving transaction. Copies that depend on the State of an agency (search's reach of the
  alerts it sent or received) are brought up to date.
"""

from __future__ import annotations

from django.dispatch import Signal

agency_state_changed = Signal()
