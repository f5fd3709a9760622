"""The ASGI application: Django for HTTP, Channels for the WebSocket live feed."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crimac.settings")

from http.cookies import SimpleCookie
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from crimac.routing import websocket_urlpatterns  # noqa: E402


class BrowserOriginValidator(OriginValidator):
    """A browser always sends `Origin`; it must be one of our hosts, so another site cannot open
    the feed with the officer's session cookie. Machine clients send no `Origin` and authenticate
    with an API key, which no other site holds."""

    def valid_origin(self, parsed_origin: Any) -> bool:
        return parsed_origin is None or bool(self.validate_origin(parsed_origin))


def session_user(headers: dict[bytes, bytes]) -> Any:
    """The signed-in user of the session cookie, or AnonymousUser (Django's own session checks)."""
    from importlib import import_module

    from django.contrib.auth import get_user
    from django.contrib.auth.models import AnonymousUser

    cookie = SimpleCookie(headers.get(b"cookie", b"").decode("latin-1"))
    morsel = cookie.get(settings.SESSION_COOKIE_NAME)
    if morsel is None or not morsel.value:
        return AnonymousUser()
    session = import_module(settings.SESSION_ENGINE).SessionStore(morsel.value)
    return get_user(SimpleNamespace(session=session))  # type: ignore[arg-type]


class FeedAuthMiddleware:
    """Puts the session's user in `scope["user"]`, like Channels' AuthMiddlewareStack, but reads
    it in the feed's own threads (`fanout.backlog_read`) instead of the one thread that runs
    every Django view, so thousands of sockets reconnecting do not queue behind requests. A
    client with an API key (header or `?key=`) skips the session: the consumer checks the key."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        from django.contrib.auth.models import AnonymousUser

        from crimac.dissemination import fanout

        headers = dict(scope.get("headers") or [])
        query = parse_qs(scope.get("query_string", b"").decode(errors="replace"))
        if headers.get(b"authorization") or query.get("key"):
            user: Any = AnonymousUser()
        else:
            user = await fanout.backlog_read(session_user, headers)
        return await self.inner({**scope, "user": user}, receive, send)


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": BrowserOriginValidator(
            FeedAuthMiddleware(URLRouter(websocket_urlpatterns)), settings.ALLOWED_HOSTS
        ),
    }
)
