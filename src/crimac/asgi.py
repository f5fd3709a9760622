"""The ASGI application: Django for HTTP, Channels for the WebSocket live feed."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crimac.settings")

from typing import Any

from channels.auth import AuthMiddlewareStack
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


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": BrowserOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns)), settings.ALLOWED_HOSTS
        ),
    }
)
