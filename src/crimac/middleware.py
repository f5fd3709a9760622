"""Refuse text with NUL characters before it reaches a view.

PostgreSQL cannot store NUL in text, so a NUL anywhere in a query string, a form field or a JSON
body would otherwise end as a database error (a 500) wherever that text is saved or searched.
No legitimate field holds one. Uploaded files are not inspected: binary files may hold NULs.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

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
