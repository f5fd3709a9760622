"""The time that deadlines and windows are measured by, in every app.

Escalation, hit-confirmation reminders, read marks and the search rate limit call `now()` rather
than `timezone.now()`, so tests can stop the clock at an exact instant and move it by an exact
amount ("not escalated one second before the deadline, escalated at it") without sleeping and
without a time-faking library. Production never freezes it, and the worker passes its own `now`
to `escalation.run_due` / `remind_due` explicitly.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.utils import timezone

_lock = threading.Lock()
_frozen: datetime | None = None


def now() -> datetime:
    """The current time (aware), or the frozen instant inside `frozen()`."""
    current = _frozen
    return current if current is not None else timezone.now()


class FrozenClock:
    """A handle on a stopped clock: read it, set it, or move it forward."""

    def now(self) -> datetime:
        assert _frozen is not None, "the clock is no longer frozen"
        return _frozen

    def set(self, when: datetime) -> datetime:
        global _frozen
        if timezone.is_naive(when):
            raise ValueError("the clock needs an aware datetime")
        with _lock:
            _frozen = when
        return when

    def advance(self, by: timedelta | float = 0.0) -> datetime:
        """Move the clock forward by `by` (a timedelta, or seconds) and return the new time."""
        step = by if isinstance(by, timedelta) else timedelta(seconds=by)
        return self.set(self.now() + step)


@contextmanager
def frozen(at: datetime | None = None) -> Iterator[FrozenClock]:
    """Stop the clock at `at` (default: the real time now, with microseconds dropped so
    round-trips through any database are exact) for the duration of the block. Nestable."""
    global _frozen
    previous = _frozen
    start = at if at is not None else timezone.now().replace(microsecond=0)
    handle = FrozenClock()
    handle.set(start)
    try:
        yield handle
    finally:
        with _lock:
            _frozen = previous
