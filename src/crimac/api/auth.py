"""How API callers authenticate: `Authorization: Bearer <api key>` for machines, the session
cookie (with CSRF on writes) for browsers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from crimac.directory.actions import BadApiKey, authenticate_api_key


class AuthFailed(Exception):
    """A credential was offered and is no good; answered with 401 and the reason."""


class ApiKeyAuth(HttpBearer):
    openapi_description = "An agency API key: `Authorization: Bearer cmk_...`"

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization")
        if header is None:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthFailed("the Authorization header must be 'Bearer <api key>'")
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            user = authenticate_api_key(token, request=request)
        except BadApiKey as exc:
            raise AuthFailed(str(exc)) from None
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """Django's session, with Django's CSRF check on unsafe methods."""

    param_name = "sessionid"

    def __init__(self) -> None:
        from django.conf import settings

        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        """Check CSRF only for a signed-in session: an anonymous request is a plain 401."""
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


def default_auth() -> list[Any]:
    return [ApiKeyAuth(), SessionAuth()]


def caller(request: HttpRequest) -> Any:
    """The authenticated user (or agency system account) of an API request."""
    return getattr(request, "auth", None)
