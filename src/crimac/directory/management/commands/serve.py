from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from crimac import config


class Command(BaseCommand):
    help = "Serve crimac (HTTP and WebSocket) with uvicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=config.env_str("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=config.env_int("PORT", 8000))
        parser.add_argument(
            "--workers",
            type=int,
            default=config.env_int("WORKERS", 1),
            help="processes; more than one needs CRIMAC_REDIS_URL",
        )
        parser.add_argument("--log-level", default="info")

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
        uvicorn.run(
            "crimac.asgi:application",
            host=opts["host"],
            port=opts["port"],
            workers=opts["workers"],
            log_level=opts["log_level"],
            lifespan="off",
            proxy_headers=settings.PRODUCTION,
        )
