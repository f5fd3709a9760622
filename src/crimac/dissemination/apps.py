from django.apps import AppConfig


class DisseminationConfig(AppConfig):
    name = "crimac.dissemination"
    label = "dissemination"
    verbose_name = "Dissemination"

    def ready(self) -> None:
        from crimac.dissemination import subscribers

        subscribers.connect()
