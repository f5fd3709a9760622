"""WebSocket /ws/feed: the connected user's agency's events, live, resumable from a cursor.

Authentication: the browser session, or an API key (`Authorization: Bearer <key>` or
`?key=<key>`). Without one, or with a revoked key, the socket is closed with 1008 (policy
violation) and the attempt audited. `?cursor=N` resumes after event N: the client gets every
event it missed, in order, then live ones, never one twice.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from crimac.dissemination import feed

POLICY_VIOLATION = 1008
BACKLOG_BATCH = 500


class FeedConsumer(AsyncJsonWebsocketConsumer):
    """`last_sent` is the highest cursor sent (what a client resumes from); `sent` remembers the
    recent ids, because ids are taken at insert and two transactions may commit out of order:
    a live event with a lower id than one already sent is still sent, once."""

    user: Any = None
    last_sent = 0
    sent: set[int]

    async def connect(self) -> None:
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode(errors="replace"))
        self.user, problem = await self._authenticate(query)
        if self.user is None:
            await self.send_json(
                feed.ErrorOut(type="error", field="credentials", message=problem).model_dump()
            )
            await self.close(code=POLICY_VIOLATION)
            return
        cursor, problem = await self._cursor(query)
        if cursor is None:
            await self.send_json(feed.ErrorOut(type="error", field="cursor", message=problem).model_dump())
            await self.close(code=POLICY_VIOLATION)
            return
        self.last_sent = cursor
        self.sent = set()
        # Join first, then read the backlog: an event committed in between arrives live, and
        # `last_sent` keeps it from being sent twice.
        await self.channel_layer.group_add(feed.GROUP, self.channel_name)
        while True:
            batch = await self._events_after(self.last_sent)
            for item in batch:
                await self._send(item)
            if len(batch) < BACKLOG_BATCH:
                break

    async def disconnect(self, code: int) -> None:
        if self.user is not None:
            await self.channel_layer.group_discard(feed.GROUP, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """The feed is one-way; a client message gets a clear answer, not silence."""
        await self.send_json(
            feed.ErrorOut(type="error", field="message", message="this feed only sends").model_dump()
        )

    async def feed_event(self, event: dict[str, Any]) -> None:
        if self.user is None or event["id"] in self.sent:
            return
        for item in await self._event(event["id"]):
            await self._send(item)

    async def _send(self, item: dict[str, Any]) -> None:
        if item["cursor"] in self.sent:
            return
        self.sent.add(item["cursor"])
        if len(self.sent) > 10_000:
            self.sent = {c for c in self.sent if c > self.last_sent - 5_000}
        self.last_sent = max(self.last_sent, item["cursor"])
        await self.send_json(item)

    @database_sync_to_async
    def _events_after(self, cursor: int) -> list[dict[str, Any]]:
        qs = feed.events_for(self.user.agency).filter(id__gt=cursor)
        return [feed.message(e) for e in qs[:BACKLOG_BATCH]]

    @database_sync_to_async
    def _event(self, event_id: int) -> list[dict[str, Any]]:
        """The pushed event, if it concerns this connection's agency."""
        return [feed.message(e) for e in feed.events_for(self.user.agency).filter(id=event_id)]

    @database_sync_to_async
    def _cursor(self, query: dict[str, list[str]]) -> tuple[int | None, str]:
        from crimac.dissemination.models import FeedEvent

        raw = (query.get("cursor") or ["0"])[0]
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
            return None, "cursor must be the number of the last event you received"
        latest = FeedEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        if int(raw) > latest:
            return None, "this cursor is from the future; reconnect without it"
        return int(raw), ""

    @database_sync_to_async
    def _authenticate(self, query: dict[str, list[str]]) -> tuple[Any, str]:
        from crimac.audit.actions import record
        from crimac.audit.models import Outcome
        from crimac.directory.actions import BadApiKey, authenticate_api_key

        headers = dict(self.scope.get("headers") or [])
        bearer = headers.get(b"authorization", b"").decode(errors="replace")
        key = bearer[7:].strip() if bearer.lower().startswith("bearer ") else (query.get("key") or [""])[0]
        if key:
            try:
                return authenticate_api_key(key), ""
            except BadApiKey as exc:
                record("feed.connect", outcome=Outcome.DENIED, via="ws", detail={"reason": str(exc)})
                return None, str(exc)
        user = self.scope.get("user")
        if user is not None and user.is_authenticated and user.is_active:
            return user, ""
        record("feed.connect", outcome=Outcome.DENIED, via="ws", detail={"reason": "no credentials"})
        return None, "sign in, or send an API key"
