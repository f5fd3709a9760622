from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from crimac.alerts.actions import expire_due_alerts


class Command(BaseCommand):
    help = "Mark published alerts whose expiry has passed as expired (run it from a timer)."

    def handle(self, *args: Any, **opts: Any) -> None:
        self.stdout.write(f"expired {expire_due_alerts()} alert(s)")
