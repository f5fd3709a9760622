"""The ASGI application: Django for HTTP, Channels for WebSockets (the feed comes with
dissemination)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crimac.settings")

from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from crimac.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)
