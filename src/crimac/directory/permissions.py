"""What each role may do, and over which agencies. The only place that says so.

A permission is granted with a scope, the set of agencies it reaches:

- `AGENCY`: the user's own agency;
- `SUBTREE`: the user's agency and every agency below it;
- `STATE`: every agency of the user's State (for a user of a national agency: nothing);
- `JURISDICTION`: `STATE` for a user of a State agency, `NATIONAL` for a user of a national one;
- `NATIONAL`: every agency.

Code asks `has_perm(user, perm)` ("may the user do this at all?"), `scope_filter(user, perm)`
(a Q restricting agencies, or other models through `prefix`) and `may_act_on(user, perm, agency)`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from crimac.directory.choices import Role

if TYPE_CHECKING:
    from crimac.directory.models import Agency


class Perm(StrEnum):
    VIEW_DIRECTORY = "view_directory"
    OPEN_ADMIN = "open_admin"
    MANAGE_AGENCIES = "manage_agencies"
    MANAGE_USERS = "manage_users"
    MANAGE_API_KEYS = "manage_api_keys"
    MANAGE_GEOGRAPHY = "manage_geography"
    VIEW_AUDIT = "view_audit"
    POST_ALERT = "post_alert"
    REVISE_ALERT = "revise_alert"
    ACKNOWLEDGE = "acknowledge"
    VIEW_ALL_ALERTS = "view_all_alerts"
    VIEW_OVERSIGHT = "view_oversight"
    MANAGE_CHANNELS = "manage_channels"


PERM_LABELS: dict[Perm, str] = {
    Perm.VIEW_DIRECTORY: "Read the directory of agencies",
    Perm.OPEN_ADMIN: "Open the administration pages",
    Perm.MANAGE_AGENCIES: "Add and change agencies",
    Perm.MANAGE_USERS: "Add and change users",
    Perm.MANAGE_API_KEYS: "Create and revoke API keys",
    Perm.MANAGE_GEOGRAPHY: "Add, rename and retire districts",
    Perm.VIEW_AUDIT: "Read the audit trail",
    Perm.POST_ALERT: "Post alerts",
    Perm.REVISE_ALERT: "Revise, cancel and resolve alerts",
    Perm.ACKNOWLEDGE: "Acknowledge and respond to alerts",
    Perm.VIEW_ALL_ALERTS: "Read every alert",
    Perm.VIEW_OVERSIGHT: "See participation and compliance figures",
    Perm.MANAGE_CHANNELS: "Add and deactivate e-mail, webhook and SMS endpoints",
}


class Scope(StrEnum):
    NONE = "none"
    AGENCY = "agency"
    SUBTREE = "subtree"
    STATE = "state"
    JURISDICTION = "jurisdiction"
    NATIONAL = "national"


S = Scope
P = Perm

ROLE_PERMISSIONS: dict[str, dict[Perm, Scope]] = {
    Role.OFFICER: {
        P.VIEW_DIRECTORY: S.NATIONAL,
        P.POST_ALERT: S.AGENCY,
        P.ACKNOWLEDGE: S.AGENCY,
    },
    Role.SUPERVISOR: {
        P.VIEW_DIRECTORY: S.NATIONAL,
        P.POST_ALERT: S.AGENCY,
        P.ACKNOWLEDGE: S.SUBTREE,
        P.REVISE_ALERT: S.SUBTREE,
        P.VIEW_OVERSIGHT: S.SUBTREE,
    },
    Role.NODAL_OFFICER: {
        P.VIEW_DIRECTORY: S.NATIONAL,
        P.OPEN_ADMIN: S.STATE,
        P.MANAGE_AGENCIES: S.STATE,
        P.MANAGE_USERS: S.STATE,
        P.MANAGE_API_KEYS: S.STATE,
        P.MANAGE_CHANNELS: S.STATE,
        P.VIEW_AUDIT: S.STATE,
        P.POST_ALERT: S.AGENCY,
        P.ACKNOWLEDGE: S.SUBTREE,
        P.REVISE_ALERT: S.SUBTREE,
        P.VIEW_OVERSIGHT: S.STATE,
    },
    Role.ANALYST: {
        P.VIEW_DIRECTORY: S.NATIONAL,
        P.VIEW_ALL_ALERTS: S.JURISDICTION,
        P.VIEW_OVERSIGHT: S.JURISDICTION,
    },
    Role.ADMIN: {
        P.VIEW_DIRECTORY: S.NATIONAL,
        P.OPEN_ADMIN: S.NATIONAL,
        P.MANAGE_AGENCIES: S.NATIONAL,
        P.MANAGE_USERS: S.NATIONAL,
        P.MANAGE_API_KEYS: S.NATIONAL,
        P.MANAGE_CHANNELS: S.NATIONAL,
        P.MANAGE_GEOGRAPHY: S.NATIONAL,
        P.VIEW_AUDIT: S.NATIONAL,
        P.VIEW_OVERSIGHT: S.NATIONAL,
    },
}

# Which roles a manager may give. Nobody makes an administrator but an administrator.
GRANTABLE_ROLES: dict[str, frozenset[str]] = {
    Role.NODAL_OFFICER: frozenset({Role.OFFICER, Role.SUPERVISOR, Role.NODAL_OFFICER, Role.ANALYST}),
    Role.ADMIN: frozenset(Role.values),
}


def _effective_scope(user: Any, perm: Perm) -> Scope:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope.NONE
    if user.is_superuser:
        return Scope.NATIONAL
    scope = ROLE_PERMISSIONS.get(user.role, {}).get(perm, Scope.NONE)
    agency = user.agency
    if scope == Scope.JURISDICTION:
        scope = Scope.NATIONAL if agency.state_id is None else Scope.STATE
    if scope == Scope.STATE and agency.state_id is None:
        return Scope.NONE
    return scope


def scope_of(user: Any, perm: Perm) -> Scope:
    return _effective_scope(user, perm)


def has_perm(user: Any, perm: Perm) -> bool:
    return _effective_scope(user, perm) != Scope.NONE


def scope_filter(user: Any, perm: Perm, prefix: str = "") -> Q:
    """A Q over agencies (or over a model reaching an agency through `prefix`, e.g. "agency__")
    that keeps only the agencies `perm` reaches for `user`."""
    scope = _effective_scope(user, perm)
    if scope == Scope.NATIONAL:
        return Q()
    if scope == Scope.NONE:
        return Q(pk__in=[])
    agency = user.agency
    if scope == Scope.AGENCY:
        return Q(**{f"{prefix}pk": agency.pk}) if prefix else Q(pk=agency.pk)
    if scope == Scope.SUBTREE:
        return Q(**{f"{prefix}path__startswith": agency.path})
    return Q(**{f"{prefix}state_id": agency.state_id})


def may_act_on(user: Any, perm: Perm, agency: Agency | None) -> bool:
    """May `user` use `perm` on `agency`? The same rule as `scope_filter`, without a query."""
    scope = _effective_scope(user, perm)
    if scope == Scope.NATIONAL:
        return True
    if scope == Scope.NONE or agency is None:
        return False
    own = user.agency
    if scope == Scope.AGENCY:
        return bool(agency.pk == own.pk)
    if scope == Scope.SUBTREE:
        return agency.is_within(own)
    return agency.state_id is not None and agency.state_id == own.state_id


def may_grant_role(user: Any, role: str) -> bool:
    """May `user` give `role` to someone (or change someone who holds it)? An inactive or anonymous
    user may give nothing, superuser or not."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if user.is_superuser:
        return True
    if not has_perm(user, Perm.MANAGE_USERS):
        return False
    return role in GRANTABLE_ROLES.get(user.role, frozenset())
