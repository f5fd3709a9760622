from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "crimac.alerts"
    label = "alerts"
    verbose_name = "Alerts"
