from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "crimac.oversight"
    label = "oversight"
    verbose_name = "Oversight"

    def ready(self) -> None:
        from crimac.alerts import hooks
        from crimac.dissemination import worker
        from crimac.oversight import digest, tally

        def count(event: hooks.AlertEvent) -> None:
            """The figures follow every change to a published alert, in its transaction."""
            tally.count(event.alert_ids)

        for name in hooks.ALL_EVENTS:
            hooks.subscribe(name, count, in_transaction=True)

        def weekly_digest(now: object) -> None:
            """Idempotent per week: the worker may try hourly, each week is sent once."""
            if digest.enabled():
                from crimac.oversight.actions import send_digests

                send_digests(actor=None, via="worker")

        worker.every("oversight.digest", 3600.0, weekly_digest)
