"""WebSocket /ws/feed: the connected user's agency's events, live, resumable from a cursor.

Authentication: the browser session, or an API key (`Authorization: Bearer <key>` or
`?key=<key>`). Without one, or with a revoked key, the socket is closed with 1008 (policy
violation) and the attempt audited. `?cursor=N` resumes after event N: the client gets every
event it missed, in order, then live ones, never one twice.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from crimac.dissemination import fanout, feed

POLICY_VIOLATION = 1008
BACKLOG_BATCH = 500
# No channel layer per socket: the process's dispatcher (fanout.py) subscribes once for all.
NO_CHANNEL_LAYER = "(none: fanout.Dispatcher subscribes once per process)"


class FeedConsumer(AsyncJsonWebsocketConsumer):
    """One socket: authenticate, check the cursor, register with the process's dispatcher, send
    the backlog from the database while live events wait in the outlet's buffer, then go live."""

    channel_layer_alias = NO_CHANNEL_LAYER
    user: Any = None
    outlet: fanout.Outlet | None = None
    closing: asyncio.Future[None] | None = None

    async def connect(self) -> None:
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode(errors="replace"))
        self.user, problem = await fanout.backlog_read(self._authenticate, query)
        if self.user is None:
            await self.refuse("credentials", problem)
            return
        raw = (query.get("cursor") or ["0"])[0]
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
            await self.refuse("cursor", "cursor must be the number of the last event you received")
            return
        cursor = int(raw)
        dispatcher = fanout.dispatcher()
        dispatcher.ensure_started()
        await dispatcher.ready.wait()
        if cursor > dispatcher.high_water and cursor > await fanout.backlog_read(feed.latest_id):
            await self.refuse("cursor", "this cursor is from the future; reconnect without it")
            return
        self.outlet = outlet = fanout.Outlet(self.user.agency_id, cursor, self.base_send, self._close_soon)
        await dispatcher.register(outlet)
        # Registered first, then the backlog: what is dispatched meanwhile waits in the buffer.
        # Nothing after the dispatcher's high water mark can be missing from what it dispatches.
        backlog = cursor < dispatcher.high_water
        while True:
            while backlog:
                batch = await fanout.backlog_read(self._events_after, outlet.last_sent)
                for item_cursor, text in batch:
                    outlet.write(item_cursor, text)
                if outlet.writer is not None:
                    await asyncio.shield(outlet.writer)
                backlog = len(batch) == BACKLOG_BATCH
            if outlet.go_live():
                break
            backlog = True

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch, without its hop to the views' thread to close stale database
        connections before every message: this consumer's reads run in the feed's own threads,
        which close theirs (`fanout.backlog_read`), and the hop made connecting sockets wait
        behind every request in flight."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    async def refuse(self, field: str, problem: str) -> None:
        await self.send_json(feed.ErrorOut(type="error", field=field, message=problem).model_dump())
        await self.close(code=POLICY_VIOLATION)

    async def disconnect(self, code: int) -> None:
        if self.outlet is not None:
            fanout.dispatcher().unregister(self.outlet)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """The feed is one-way; a client message gets a clear answer, not silence."""
        error = feed.ErrorOut(type="error", field="message", message="this feed only sends")
        if self.outlet is not None:
            self.outlet.write_text(error.model_dump_json())
        else:
            await self.send_json(error.model_dump())

    def _close_soon(self, code: int) -> None:
        self.closing = asyncio.ensure_future(self.close(code=code))

    def _events_after(self, cursor: int) -> list[tuple[int, str]]:
        qs = feed.events_for(self.user.agency).filter(id__gt=cursor)
        return [(e.pk, feed.encode(e)) for e in qs[:BACKLOG_BATCH]]

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
