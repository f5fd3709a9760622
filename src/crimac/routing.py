"""WebSocket routes."""

from typing import Any

from django.urls import path

from crimac.dissemination.consumers import FeedConsumer

websocket_urlpatterns: list[Any] = [path("ws/feed", FeedConsumer.as_asgi())]
