from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "crimac.directory"
    label = "directory"
    verbose_name = "Directory"
