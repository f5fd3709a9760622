"""Errors as `application/problem+json` (RFC 9457), with a field path for every validation error.

Every API error, whatever raised it, leaves through `problem()`; an unexpected exception becomes a
plain 500 problem with an id to find it in the log, never a stack trace.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse

log = logging.getLogger("crimac.api")

CONTENT_TYPE = "application/problem+json"
# Handlers take their query filters as one schema parameter with this name (`filters:
# Query[...]`); error locations then read ("query", "filters", "kind"): the name is dropped.
QUERY_SCHEMA_PARAM = "filters"

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def _pointer(path: list[str | int]) -> str:
    escaped = [str(part).replace("~", "~0").replace("/", "~1") for part in path]
    return "#/" + "/".join(escaped)


def field_error(path: Iterable[str | int], message: str, *, location: str = "body") -> dict[str, Any]:
    parts = list(path)
    return {
        "field": ".".join(str(p) for p in parts) or location,
        "pointer": _pointer(parts),
        "in": location,
        "message": message,
    }


def problem(
    request: HttpRequest | None,
    status: int,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if request is not None:
        body["instance"] = request.path
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = HttpResponse(json.dumps(body), status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def invalid(location: str, field: str, message: str) -> Exception:
    """A field error in the query, a header or the path, answered like a body validation error
    (422 with the field path)."""
    from ninja.errors import ValidationError

    return ValidationError([{"loc": (location, field), "msg": message, "type": "value_error"}])


def from_pydantic(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ninja's error locations look like ("body", "payload", "persons", 0, "name") or
    ("query", "kind"): the first part is where, the second (for bodies) the handler's parameter."""
    out = []
    for err in errors:
        loc = list(err.get("loc", ()))
        location = str(loc[0]) if loc else "body"
        rest = list(loc[1:])
        named_schema = location == "body" or (location == "query" and rest[:1] == [QUERY_SCHEMA_PARAM])
        if named_schema and len(rest) > 1:
            rest = rest[1:]
        elif location == "body" and len(rest) == 1 and err.get("type") == "missing":
            rest = []
        message = str(err.get("msg", "invalid"))
        out.append(field_error(rest, message, location=location))
    return out


def from_django(message_dict: dict[str, list[str]], *, location: str = "body") -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for field, messages in message_dict.items():
        path: list[str | int] = (
            [] if field == "__all__" else [int(p) if p.isdecimal() else p for p in field.split(".")]
        )
        out.extend(field_error(path, m, location=location) for m in messages)
    return out


def server_error(request: HttpRequest | None, exc: BaseException) -> HttpResponse:
    from crimac.middleware import is_overload, overloaded

    if request is not None and is_overload(exc):
        return overloaded(request, exc)  # no database connection in time: 503, not a bug
    incident = uuid.uuid4().hex[:12]
    log.error("unhandled error %s on %s", incident, getattr(request, "path", "?"), exc_info=exc)
    return problem(
        request, 500, f"something went wrong on our side; quote incident {incident}", incident=incident
    )
