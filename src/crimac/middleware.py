"""Request middleware of our own.

- `RejectNulMiddleware` refuses text with NUL characters before it reaches a view. PostgreSQL
  cannot store NUL in text, so a NUL anywhere in a query string, a form field or a JSON body would
  otherwise end as a database error (a 500) wherever that text is saved or searched. No legitimate
  field holds one. Uploaded files are not inspected: binary files may hold NULs.
- `OverloadMiddleware` answers 503 with `Retry-After` when a request could not get a database
  connection in time (the pool is exhausted): that is overload, not a bug, and the client should
  come back shortly rather than see a 500.
"""

from __future__ import annotations

import logging
import random
import sys
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

log = logging.getLogger("crimac.overload")

MESSAGE = "text must not contain NUL (\\u0000) characters"


def _has_nul(request: HttpRequest) -> str | None:
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in v for v in values):
            return f"query parameter {key.replace(chr(0), '')!r}"
    content_type = request.content_type or ""
    if request.method in {"POST", "PUT", "PATCH"}:
        if content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            for key, values in request.POST.lists():
                if "\x00" in key or any("\x00" in v for v in values):
                    return f"form field {key.replace(chr(0), '')!r}"
        elif "json" in content_type and (b"\\u0000" in request.body or b"\x00" in request.body):
            return "the JSON body"
    if "\x00" in request.path:
        return "the path"
    return None


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            where = _has_nul(request)
        except RequestDataTooBig:
            if request.path.startswith("/api/"):
                from crimac.api.problems import problem

                return problem(request, 413, "the request body is too large")
            return HttpResponse("Request too large.", status=413, content_type="text/plain; charset=utf-8")
        if where is None:
            return self.get_response(request)
        from crimac.audit.actions import record
        from crimac.audit.models import Outcome

        # Probably probing: keep a record (the session is not loaded yet, so no actor).
        record(
            "request.rejected",
            outcome=Outcome.DENIED,
            request=request,
            detail={"reason": "nul", "where": where, "path": request.path.replace("\x00", "")[:200]},
        )
        if request.path.startswith("/api/"):
            from crimac.api.problems import problem

            return problem(request, 400, f"{where}: {MESSAGE}")
        return HttpResponse(
            f"Bad request: {where}: {MESSAGE}.", status=400, content_type="text/plain; charset=utf-8"
        )


# --- overload ----------------------------------------------------------------------------------

# Clients are told to come back after a few seconds, spread so that a burst refused together does
# not come back together.
RETRY_AFTER_SECONDS = (2, 8)
OVERLOAD_DETAIL = "the server is overloaded; try again in a few seconds"
OVERLOAD_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>crimac: busy</title>"
    "<h1>The server is busy</h1><p>Too many requests at once. Nothing was lost: try again in a few"
    " seconds.</p></html>"
)


def _overload_errors() -> tuple[type[BaseException], ...]:
    try:
        from psycopg_pool import PoolTimeout, TooManyRequests
    except ImportError:  # SQLite-only installs
        return ()
    return (PoolTimeout, TooManyRequests)


def is_overload(exc: BaseException | None) -> bool:
    """True when `exc` is, or was caused by, running out of database connections: psycopg's pool
    timing out (or refusing more waiters). Django wraps it in its own OperationalError, so the
    cause chain is searched."""
    kinds = _overload_errors()
    seen = 0
    while exc is not None and seen < 10:
        if kinds and isinstance(exc, kinds):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def overloaded(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """503 with Retry-After: problem+json under /api/, a plain page otherwise (no template and no
    context processor, which could need the very connection that is missing). Logged, without
    a stack trace: the cause is known."""
    retry = random.randint(*RETRY_AFTER_SECONDS)
    log.warning(
        "overloaded: %s %s answered 503 (retry after %ss): %s: %s",
        request.method,
        request.path,
        retry,
        type(exc).__name__,
        exc,
    )
    headers = {"Retry-After": str(retry)}
    if request.path.startswith("/api/"):
        from crimac.api.problems import problem

        return problem(request, 503, OVERLOAD_DETAIL, headers=headers)
    response = HttpResponse(OVERLOAD_PAGE, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = headers["Retry-After"]
    return response


class OverloadMiddleware:
    """Pool exhaustion raised in a view becomes a 503 (the API's own errors go through
    `crimac.api.problems.server_error`, which does the same)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return overloaded(request, exception) if is_overload(exception) else None


def server_error(request: HttpRequest) -> HttpResponse:
    """`handler500`: Django calls it for an exception no view or middleware handled (for example
    one raised in a middleware, outside `process_exception`'s reach): overload is still a 503."""
    exc = sys.exc_info()[1]
    if exc is not None and is_overload(exc):
        return overloaded(request, exc)
    from django.views.defaults import server_error as default

    return default(request)
