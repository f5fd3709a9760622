"""WebSocket routes. Dissemination adds `/ws/feed`."""

from typing import Any

websocket_urlpatterns: list[Any] = []
