from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "crimac.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        from crimac.search import indexing

        indexing.connect()
