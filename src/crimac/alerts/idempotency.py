"""`Idempotency-Key` on API writes: a retry with the same key and body gets the first answer
(with `Idempotent-Replayed: true`) instead of a second alert.

Keys are per agency. A key reused with a different body, or after it expired
(`CRIMAC_IDEMPOTENCY_HOURS`), is refused with 422: the client must use a new key.
Only successful answers are stored, so a client may fix a refused request and retry with its key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError

from crimac.alerts.models import IdempotencyRecord
from crimac.api.problems import invalid

HEADER = "Idempotency-Key"


class Replay(Exception):
    def __init__(self, status: int, body: Any) -> None:
        self.status, self.body = status, body


def run(
    request: HttpRequest, *, endpoint: str, agency_id: int, handler: Callable[[], tuple[int, Any]]
) -> tuple[int, Any, bool]:
    """Run `handler` once per key. Returns (status, body, replayed)."""
    key = request.headers.get(HEADER)
    if key is None:
        status, body = handler()
        return status, body, False
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise invalid("header", HEADER, "must be 1 to 200 printable characters")
    digest = hashlib.sha256(request.body).hexdigest()

    def existing() -> tuple[int, Any, bool] | None:
        record = IdempotencyRecord.objects.filter(agency_id=agency_id, key=key).first()
        if record is None:
            return None
        if record.expires_at <= timezone.now():
            raise invalid("header", HEADER, "this key has expired; send the request with a new key")
        if record.request_hash != digest or record.endpoint != endpoint:
            raise invalid(
                "header", HEADER, "this key was already used with a different request; use a new key"
            )
        return record.status, record.response, True

    if (found := existing()) is not None:
        return found
    try:
        with transaction.atomic():
            if (found := existing()) is not None:  # another request with the key just finished
                return found
            status, body = handler()
            IdempotencyRecord.objects.create(
                agency_id=agency_id,
                key=key,
                endpoint=endpoint,
                request_hash=digest,
                status=status,
                response=json.loads(json.dumps(body, default=str)),
                expires_at=timezone.now() + timedelta(hours=settings.IDEMPOTENCY_HOURS),
            )
    except IntegrityError:
        if (found := existing()) is not None:
            return found
        raise HttpError(409, "a request with this Idempotency-Key is in progress; retry shortly") from None
    except ValidationError:
        raise
    return status, body, False
