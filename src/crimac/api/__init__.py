"""The HTTP API under /api/v1/. Each app contributes its router; errors are problem+json."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer

from crimac import __version__
from crimac.api.auth import AuthFailed, default_auth
from crimac.api.problems import from_django, from_pydantic, problem, server_error


class CrimacAPI(NinjaAPI):
    def on_exception(self, request: HttpRequest, exc: Any) -> HttpResponse:
        handler = self._lookup_exception_handler(exc)
        if handler is None:
            return server_error(request, exc)
        return handler(request, exc)


api = CrimacAPI(
    title="crimac API",
    version="1",
    description="Share, receive and act on alerts about serious crime across police units.",
    urls_namespace="api",
    auth=default_auth(),
    renderer=JSONRenderer(),
    docs_url=None,  # Swagger UI loads from a CDN; the police intranet has none. The schema stays.
)


@api.exception_handler(ValidationError)
def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = from_pydantic(list(exc.errors))
    return problem(request, 422, "the request has invalid fields", errors=errors)


@api.exception_handler(DjangoValidationError)
def _django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = from_django(exc.message_dict)
    else:
        errors = from_django({"__all__": exc.messages})
    return problem(request, 422, "the request has invalid fields", errors=errors)


@api.exception_handler(AuthFailed)
def _auth_failed(request: HttpRequest, exc: AuthFailed) -> HttpResponse:
    return problem(request, 401, str(exc), headers={"WWW-Authenticate": 'Bearer realm="crimac"'})


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem(
        request,
        401,
        "sign in, or send 'Authorization: Bearer <api key>'",
        headers={"WWW-Authenticate": 'Bearer realm="crimac"'},
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem(request, 403, str(exc) or "you may not do this")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(request, 404, "no such object, or you may not see it")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(request, exc.status_code, str(exc))


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return problem(request, 413, "the request body is too large")


@api.exception_handler(RawPostDataException)
def _unreadable_body(request: HttpRequest, exc: RawPostDataException) -> HttpResponse:
    return problem(request, 415, "send this endpoint a JSON body (Content-Type: application/json)")


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    return server_error(request, exc)


def _register_routers(target: NinjaAPI) -> None:
    from crimac.alerts.api import router as alerts_router
    from crimac.directory.api import router as directory_router
    from crimac.dissemination.api import router as dissemination_router
    from crimac.dissemination.api_channels import router as channels_router
    from crimac.dissemination.api_subscriptions import router as subscriptions_router
    from crimac.matching.api import router as matching_router
    from crimac.oversight.api import router as oversight_router
    from crimac.search.api import router as search_router

    target.add_router("", directory_router)
    target.add_router("", dissemination_router)
    target.add_router("", channels_router)
    target.add_router("", subscriptions_router)
    target.add_router("", alerts_router)
    target.add_router("", matching_router)
    target.add_router("", search_router)
    target.add_router("", oversight_router)


_register_routers(api)


def version_info() -> dict[str, Any]:
    return {"version": __version__}
