from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "crimac.search"
    label = "search"
    verbose_name = "Search"
