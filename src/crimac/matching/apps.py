from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "crimac.matching"
    label = "matching"
    verbose_name = "Matching"

    def ready(self) -> None:
        from crimac.matching import correlate, hookups

        correlate.connect()
        hookups.connect()
