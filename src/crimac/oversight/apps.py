from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "crimac.oversight"
    label = "oversight"
    verbose_name = "Oversight"
