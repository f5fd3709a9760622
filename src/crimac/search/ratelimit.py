"""A per-user fixed-window limit on searches, counted in the database so that every process of a
scaled-out deployment counts against the same window.

Settings (with defaults): `SEARCH_RATE_LIMIT = (60, 60)` full-text, vehicle and phone searches per
60 seconds, `SEARCH_PERSON_RATE_LIMIT = (20, 60)` person searches per 60 seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection

from crimac import clock

DEFAULTS = {"search": (60, 60), "persons": (20, 60)}
SETTINGS = {"search": "SEARCH_RATE_LIMIT", "persons": "SEARCH_PERSON_RATE_LIMIT"}


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    hits: int
    limit: int
    retry_after: int  # seconds until the window ends
    first_refusal: bool  # the first refused request of this window (audit it once)


class RateLimited(Exception):
    def __init__(self, verdict: Verdict) -> None:
        super().__init__(f"too many searches: at most {verdict.limit} a window; try again later")
        self.verdict = verdict


def limits(bucket: str) -> tuple[int, int]:
    count, seconds = getattr(settings, SETTINGS[bucket], DEFAULTS[bucket])
    return int(count), max(1, int(seconds))


def hit(user: Any, bucket: str, *, now: float | None = None) -> Verdict:
    """Count one search by `user` in `bucket` and say whether it is within the limit."""
    limit, seconds = limits(bucket)
    now = clock.now().timestamp() if now is None else now
    window = int(now // seconds) * seconds
    # One statement counts the hit (no transaction needed); the clean-up beside it may run alone.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO search_ratewindow (user_id, bucket, window_start, hits) VALUES (%s, %s, %s, 1) "
            "ON CONFLICT (user_id, bucket, window_start) DO UPDATE SET hits = search_ratewindow.hits + 1 "
            "RETURNING hits",
            (user.pk, bucket, window),
        )
        hits = int(cursor.fetchone()[0])
        if hits == 1:
            # A new window: forget this user's old ones (a day back is plenty for any window).
            cursor.execute(
                "DELETE FROM search_ratewindow WHERE user_id = %s AND window_start < %s",
                (user.pk, window - max(seconds, 86400)),
            )
    retry_after = max(1, int(window + seconds - now + 0.999))
    return Verdict(hits <= limit, hits, limit, retry_after, hits == limit + 1)
