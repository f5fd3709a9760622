from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "crimac.matching"
    label = "matching"
    verbose_name = "Matching"
