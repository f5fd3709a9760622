"""The channel layer the settings choose: in-memory by default, Redis pub/sub with
CRIMAC_REDIS_URL. With Redis, a message sent through one layer instance (one server process)
reaches a consumer subscribed through another."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from django.conf import settings

REDIS = bool(os.environ.get("CRIMAC_REDIS_URL"))


def test_embedded_default_is_in_memory() -> None:
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if REDIS:
        assert backend == "channels_redis.pubsub.RedisPubSubChannelLayer"
    else:
        assert backend == "channels.layers.InMemoryChannelLayer"


@pytest.mark.redis
@pytest.mark.skipif(not REDIS, reason="needs CRIMAC_REDIS_URL (the runner sets it in the PostgreSQL suite)")
def test_group_message_crosses_layer_instances_through_redis() -> None:
    from channels_redis.pubsub import RedisPubSubChannelLayer

    hosts = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]

    async def scenario() -> dict:
        receiver_process = RedisPubSubChannelLayer(hosts=hosts)
        sender_process = RedisPubSubChannelLayer(hosts=hosts)
        group = f"test-{uuid.uuid4().hex}"
        try:
            channel = await receiver_process.new_channel()
            await receiver_process.group_add(group, channel)
            await asyncio.sleep(0.2)  # let the subscription reach Redis
            await sender_process.group_send(group, {"type": "alert.published", "reference": "DL-2026-000001"})
            return await asyncio.wait_for(receiver_process.receive(channel), timeout=5)
        finally:
            await receiver_process.flush()
            await sender_process.flush()

    message = asyncio.run(scenario())
    assert message == {"type": "alert.published", "reference": "DL-2026-000001"}
