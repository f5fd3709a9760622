from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "crimac.audit"
    label = "audit"
    verbose_name = "Audit trail"
