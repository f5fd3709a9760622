"""Django admin for managing the directory, limited by role: a State nodal officer sees and
changes only the agencies and users of that State; geography is the administrators'.

Saves go through `crimac.directory.actions`, so the admin writes the same audit rows and obeys the
same rules as the API and the CLI.
"""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from crimac.directory import actions
from crimac.directory.choices import Role
from crimac.directory.models import Agency, ApiKey, District, State, User
from crimac.directory.permissions import GRANTABLE_ROLES, Perm, has_perm, scope_filter


def show_errors(form: forms.BaseForm, exc: ValidationError, rename: dict[str, str] | None = None) -> None:
    """Put an action's ValidationError on `form`: each message on the field it names (through
    `rename` where the form calls the field otherwise), or on the form as a whole."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, msgs in exc.message_dict.items():
        name = (rename or {}).get(field, field)
        form.add_error(name if name in form.fields else None, msgs)


class ActionCheckedForm(forms.ModelForm):
    """A form that, once its own and the model's checks pass, runs every check the action that
    `save_model` calls will run, so a save the action would refuse is a form error, not a 500."""

    def check_with_action(self) -> None:
        raise NotImplementedError

    def full_clean(self) -> None:
        super().full_clean()  # also fills self.instance from the form and runs the model's clean()
        if self.is_bound and not self.errors:
            self.check_with_action()


class ScopedAdmin(admin.ModelAdmin):
    perm: Perm
    scope_prefix = ""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_perm(request.user, self.perm)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_perm(request.user, self.perm)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return has_perm(request.user, self.perm)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_perm(request.user, self.perm)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # retire (active = off) instead: alerts and audit rows keep their references

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(scope_filter(request.user, self.perm, self.scope_prefix))


AGENCY_FIELDS = (
    "code",
    "name",
    "kind",
    "parent",
    "state",
    "district",
    "latitude",
    "longitude",
    "contact_phone",
    "contact_email",
    "active",
)


class AgencyAdminForm(ActionCheckedForm):
    class Meta:
        model = Agency
        fields = AGENCY_FIELDS

    def check_with_action(self) -> None:
        # The model's clean() ran check_agency; this adds the duplicate code and the agency's units.
        try:
            actions.check_save_agency(self.instance)
        except ValidationError as exc:
            show_errors(self, exc)


@admin.register(Agency)
class AgencyAdmin(ScopedAdmin):
    perm = Perm.MANAGE_AGENCIES
    form = AgencyAdminForm
    list_display = ["code", "name", "kind", "state", "district", "parent", "active"]
    list_filter = ["kind", "active", "state"]
    search_fields = ["code", "name"]
    list_select_related = ["state", "district", "parent"]
    autocomplete_fields = ["parent", "district"]
    fields = AGENCY_FIELDS

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        user: Any = request.user
        if db_field.name == "state" and not has_perm(user, Perm.MANAGE_GEOGRAPHY) and user.agency.state_id:
            kwargs["queryset"] = State.objects.filter(pk=user.agency.state_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Agency, form: Any, change: bool) -> None:
        actions.save_agency(obj, actor=request.user, request=request, via="admin")


class UserAdminForm(ActionCheckedForm):
    new_password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="leave empty to keep",
    )

    class Meta:
        model = User
        fields = ["username", "full_name", "rank", "email", "phone", "agency", "role", "is_active"]

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exclude(pk=self.instance.pk).exists():
            raise ValidationError(f"{username} is already taken")
        return username

    def clean_new_password(self) -> str:
        password: str = self.cleaned_data.get("new_password") or ""
        if password:
            # Judge it against the user as saved (the similarity check reads username and e-mail).
            user = copy.copy(self.instance)
            for field in ("username", "full_name", "email"):
                if field in self.cleaned_data:
                    setattr(user, field, self.cleaned_data[field])
            validate_password(password, user)
        return password

    def check_with_action(self) -> None:
        try:
            actions.check_save_user(self.instance, self.cleaned_data.get("new_password") or None)
        except ValidationError as exc:
            show_errors(self, exc, rename={"password": "new_password"})


@admin.register(User)
class UserAdmin(ScopedAdmin):
    perm = Perm.MANAGE_USERS
    scope_prefix = "agency__"
    form = UserAdminForm
    list_display = ["username", "full_name", "agency", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active", "agency__state"]
    search_fields = ["username", "full_name", "agency__code"]
    list_select_related = ["agency"]
    autocomplete_fields = ["agency"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request).filter(is_system=False)
        if not request.user.is_superuser:
            qs = qs.filter(is_superuser=False)
        return qs

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        user: Any = request.user
        if db_field.name == "role" and not user.is_superuser:
            allowed = GRANTABLE_ROLES.get(user.role, frozenset())
            kwargs["choices"] = [(v, label) for v, label in Role.choices if v in allowed]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        password = form.cleaned_data.get("new_password") or None
        actions.save_user(obj, actor=request.user, password=password, request=request, via="admin")


class DistrictAdminForm(forms.ModelForm):
    class Meta:
        model = District
        fields = ["state", "name", "lgd_code", "retired_at", "successor"]

    def clean(self) -> dict[str, Any]:
        """Run what `save_model`'s actions will check. Before `_post_clean`, `self.instance` is the
        district as stored."""
        super().clean()
        cleaned = self.cleaned_data
        if self.errors:
            return cleaned
        try:
            if self.instance.pk is None:
                actions.check_new_district(cleaned.get("name", ""), cleaned["lgd_code"])
            elif cleaned.get("retired_at") and self.instance.retired_at is None:
                actions.check_retire(self.instance, cleaned.get("successor"))
        except ValidationError as exc:
            show_errors(self, exc)
        return cleaned


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    form = DistrictAdminForm
    list_display = ["name", "lgd_code", "state", "slug", "retired_at", "successor"]
    list_filter = ["state", ("retired_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "lgd_name", "lgd_code"]
    list_select_related = ["state", "successor"]
    fields = ["state", "name", "lgd_code", "lgd_name", "retired_at", "successor"]
    readonly_fields = ["lgd_name"]
    autocomplete_fields = ["successor"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_perm(request.user, Perm.OPEN_ADMIN)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_perm(request.user, Perm.OPEN_ADMIN)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return has_perm(request.user, Perm.MANAGE_GEOGRAPHY)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_perm(request.user, Perm.MANAGE_GEOGRAPHY)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["lgd_name", "state", "lgd_code"] if obj is not None else ["lgd_name"]

    def save_model(self, request: HttpRequest, obj: District, form: Any, change: bool) -> None:
        if not change:
            created = actions.add_district(
                obj.state, obj.name, obj.lgd_code, actor=request.user, request=request, via="admin"
            )
            obj.pk = created.pk
            return
        before = District.objects.get(pk=obj.pk)
        if before.name != obj.name:
            actions.rename_district(before, obj.name, actor=request.user, request=request, via="admin")
        if obj.retired_at and before.retired_at is None:
            actions.retire_district(
                before,
                actor=request.user,
                successor=obj.successor,
                on=obj.retired_at,
                request=request,
                via="admin",
            )


@admin.register(State)
class StateAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "lgd_code", "kind"]
    search_fields = ["name", "code"]
    readonly_fields = ["lgd_code", "code", "lgd_name", "kind", "census_2011_code"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_perm(request.user, Perm.OPEN_ADMIN)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_perm(request.user, Perm.OPEN_ADMIN)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(ScopedAdmin):
    """Keys are created on the API keys page or with `crimac apikey create` (shown once);
    here they are listed and revoked."""

    perm = Perm.MANAGE_API_KEYS
    scope_prefix = "agency__"
    list_display = ["name", "agency", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["agency"]
    search_fields = ["name", "prefix", "agency__code"]
    readonly_fields = [
        "name",
        "agency",
        "prefix",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    ]
    exclude = ["key_hash", "account"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset.select_related("agency"):
            actions.revoke_api_key(key, actor=request.user, request=request, via="admin")
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)
