from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from crimac import config


class Command(BaseCommand):
    help = "Serve crimac (HTTP and WebSocket) with uvicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=config.env_str("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=config.env_int("PORT", 8000))
        parser.add_argument(
            "--access-log",
            action="store_true",
            default=config.env_bool("ACCESS_LOG", default=False),
            help="log every request (off by default: feed URLs may carry an API key)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=config.env_int("WORKERS", 1),
            help="processes; more than one needs CRIMAC_REDIS_URL",
        )
        parser.add_argument("--log-level", default="info")
        parser.add_argument(
            "--worker",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="run the outbox worker in this process (default: CRIMAC_WORKER_IN_SERVER, "
            "on with SQLite, off with PostgreSQL where `crimac worker` runs on its own)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        import uvicorn
        from django.conf import settings

        if opts["workers"] > 1 and not settings.REDIS_URL:
            self.stderr.write("several workers need CRIMAC_REDIS_URL so live push reaches every process")
            raise SystemExit(2)
        self.stdout.write(
            f"crimac serving on http://{opts['host']}:{opts['port']}/ "
            f"(database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]})"
        )
        worker = self._start_worker(opts["worker"])
        try:
            uvicorn.run(
                "crimac.asgi:application",
                host=opts["host"],
                port=opts["port"],
                workers=opts["workers"],
                log_level=opts["log_level"],
                lifespan="off",
                proxy_headers=settings.PRODUCTION,
                # Feed messages are a few hundred bytes: compressing them costs CPU and tens of
                # KiB per socket, which matters with thousands of sockets in one process.
                ws_per_message_deflate=False,
                # The access log would record `/ws/feed?key=<API key>` in clear; requests that
                # matter are in the audit trail.
                access_log=opts["access_log"],
            )
        finally:
            if worker is not None:
                worker[0].stop.set()
                worker[1].join(timeout=15)

    def _start_worker(self, wanted: bool | None) -> Any:
        """The embedded default: the outbox worker in a thread of the server process."""
        from crimac.dissemination.channels.conf import worker_in_server
        from crimac.dissemination.worker import start_in_thread

        if not (worker_in_server() if wanted is None else wanted):
            return None
        self.stdout.write("outbox worker running in this process")
        return start_in_thread()
