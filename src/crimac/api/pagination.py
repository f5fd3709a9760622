"""Keyset pagination: `?limit=&cursor=`. Stable while rows are added, and as fast on the last
page of 16,361 police stations as on the first."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja.errors import HttpError

T = TypeVar("T")
DEFAULT_LIMIT = 100
MAX_LIMIT = 500


class BadCursor(HttpError):
    def __init__(self, field: str = "cursor") -> None:
        super().__init__(400, f"{field}: not a cursor this server gave out; start again without it")


def encode_cursor(value: str) -> str:
    """Opaque to clients: url-safe base64 of `value`, without padding."""
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, field: str = "cursor") -> str:
    """The value `encode_cursor` encoded, or a 400 naming `field` (callers parse what is inside,
    raising BadCursor(field) when it is not theirs)."""
    if len(cursor) > 256:  # every cursor we hand out is far shorter
        raise BadCursor(field)
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise BadCursor(field) from None
    if not value or not value.isprintable():
        raise BadCursor(field)
    return value


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        from crimac.api.problems import invalid

        raise invalid("query", "limit", f"must be between 1 and {MAX_LIMIT}")
    return limit


def keyset_page(
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    key: str,
    limit: int,
    cursor: str | None,
    serialise: Callable[[Any], T],
) -> dict[str, Any]:
    """One page of `queryset` ordered by the unique text field `key`."""
    check_limit(limit)
    total = queryset.count()
    page_qs = queryset.order_by(key)
    if cursor:
        page_qs = page_qs.filter(**{f"{key}__gt": decode_cursor(cursor)})
    rows = list(page_qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    next_url = None
    if more:
        params = request.GET.copy()
        params["cursor"] = encode_cursor(str(getattr(rows[-1], key)))
        params["limit"] = str(limit)
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return {"count": total, "next": next_url, "results": [serialise(r) for r in rows]}
