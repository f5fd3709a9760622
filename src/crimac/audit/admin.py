from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from crimac.audit.models import AuditEvent
from crimac.directory.permissions import Perm, has_perm, scope_filter


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = [
        "at",
        "actor_name",
        "agency_code",
        "action",
        "object_repr",
        "outcome",
        "client_address",
    ]
    list_filter = ["outcome", "action", "via"]
    search_fields = ["actor_name", "agency_code", "object_repr", "object_id"]
    date_hierarchy = "at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        return super().get_queryset(request).filter(scope_filter(request.user, Perm.VIEW_AUDIT, "agency__"))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_perm(request.user, Perm.VIEW_AUDIT)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_perm(request.user, Perm.VIEW_AUDIT)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
