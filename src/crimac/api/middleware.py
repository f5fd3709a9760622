"""Every error under /api/ is problem+json, including the ones Django or ninja answer before our
handlers run: an unknown path (404), a wrong method (405), a body over the size limit (413)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from crimac.api.problems import CONTENT_TYPE, TITLES, problem

DETAILS = {
    404: "no such endpoint; see /api/v1/openapi.json",
    405: "this endpoint does not take that method",
    413: "the request body is too large",
}


class ApiProblemMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        response = self.get_response(request)
        if response.status_code < 400 or response.get("Content-Type", "").startswith(CONTENT_TYPE):
            return response
        detail = DETAILS.get(response.status_code, TITLES.get(response.status_code, "error").lower())
        converted = problem(request, response.status_code, detail)
        if "Allow" in response:
            converted["Allow"] = response["Allow"]
        if "WWW-Authenticate" in response:
            converted["WWW-Authenticate"] = response["WWW-Authenticate"]
        return converted
