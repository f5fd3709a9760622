"""Every write to the directory. Each action checks permission, validates, writes in one
transaction and records its audit row in that same transaction.

Naming follows the house rule: `check_*` validates, `do_*` writes and trusts its input, and the
public actions (`save_agency`, `save_user`, ...) do both. The acting user is keyword-only.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from crimac.audit.actions import record
from crimac.audit.models import Outcome
from crimac.directory import hooks
from crimac.directory.lgd import unique_slug
from crimac.directory.models import Agency, ApiKey, District, State, User
from crimac.directory.permissions import Perm, may_act_on, may_grant_role
from crimac.directory.validation import check_agency, check_user

if TYPE_CHECKING:
    from django.http import HttpRequest

AUDITED_AGENCY_FIELDS = [
    "code",
    "name",
    "kind",
    "parent_id",
    "state_id",
    "district_id",
    "latitude",
    "longitude",
    "contact_phone",
    "contact_email",
    "active",
]
AUDITED_USER_FIELDS = [
    "username",
    "full_name",
    "rank",
    "email",
    "phone",
    "agency_id",
    "role",
    "is_active",
]


def _changes(before: Any, after: Any, fields: list[str]) -> dict[str, list[Any]]:
    if before is None:
        return {f: [None, _plain(getattr(after, f))] for f in fields}
    return {
        f: [_plain(getattr(before, f)), _plain(getattr(after, f))]
        for f in fields
        if getattr(before, f) != getattr(after, f)
    }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def deny(
    action: str, *, actor: Any, request: HttpRequest | None, obj: Any = None, **detail: Any
) -> PermissionDenied:
    """Record a refused attempt and return the exception for the caller to raise.

    Call it before the write's transaction opens, so the denial stays on record although the
    write it refused never happens.
    """
    record(action, actor=actor, obj=obj, outcome=Outcome.DENIED, request=request, detail=detail)
    return PermissionDenied("you may not do this")


# --- agencies ---------------------------------------------------------------------------------


def _compute_path(agency: Agency) -> tuple[str, int]:
    if agency.parent is None:
        return f"/{agency.pk}/", 0
    return f"{agency.parent.path}{agency.pk}/", agency.parent.depth + 1


@transaction.atomic
def do_save_agency(agency: Agency) -> None:
    """Save and keep `path`/`depth` right for the agency and, when it moved, its whole subtree."""
    old_path = agency.path
    if agency.pk is None:
        agency.save()
    new_path, depth = _compute_path(agency)
    agency.path, agency.depth = new_path, depth
    agency.save()
    if old_path and old_path != new_path:
        depth_change = depth - old_path.count("/") + 2
        Agency.objects.filter(path__startswith=old_path).exclude(pk=agency.pk).update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + depth_change,
        )


# A change to one of these may leave the agency's own units wrongly mapped, so the units are
# checked again against it: (field, model attribute), the field named in the error first.
PLACEMENT_FIELDS = [
    ("district", "district_id"),
    ("state", "state_id"),
    ("parent", "parent_id"),
    ("kind", "kind"),
]


def _agency_errors(agency: Agency) -> set[tuple[str, str]]:
    try:
        check_agency(agency)
    except ValidationError as exc:
        return {(field, msg) for field, msgs in exc.message_dict.items() for msg in msgs}
    return set()


def check_children(agency: Agency, before: Agency | None) -> None:
    """Refuse a change of `agency`'s placement (State, district, parent, kind) that would leave one
    of its direct units failing `check_agency` under it. Problems a unit had before the change
    are not blamed on it."""
    if before is None:
        return
    changed = [field for field, attr in PLACEMENT_FIELDS if getattr(before, attr) != getattr(agency, attr)]
    if not changed:
        return
    stranded: list[tuple[Agency, set[tuple[str, str]]]] = []
    children = Agency.objects.filter(parent_id=agency.pk).select_related("state", "district__state")
    for child in children.order_by("code"):
        child.parent = before
        was = _agency_errors(child)
        child.parent = agency
        new = _agency_errors(child) - was
        if new:
            stranded.append((child, new))
    if not stranded:
        return
    field, count = changed[0], len(stranded)
    first, first_errors = stranded[0]
    who = first.code if count == 1 else f"{first.code} and {count - 1} more unit{'s' if count > 2 else ''}"
    report, be, them = ("reports", "is", "it") if count == 1 else ("report", "are", "them")
    if field == "district" and first.district is not None:
        where = f"{be} in {first.district.name}"
    elif field in {"district", "state"} and first.state is not None:
        where = f"{be} in {first.state.name}"
    else:
        where = f"would no longer fit ({min(first_errors)[1]})"
    raise ValidationError({field: [f"{who} {report} here and {where}; move {them} first"]})


def _check_save_agency(agency: Agency, before: Agency | None) -> None:
    agency.code = (agency.code or "").strip().upper()
    check_agency(agency)
    if Agency.objects.filter(code=agency.code).exclude(pk=agency.pk).exists():
        raise ValidationError({"code": [f"{agency.code} is already used by another agency"]})
    check_children(agency, before)


def check_save_agency(agency: Agency) -> None:
    """Everything `save_agency` validates (permission aside), for forms to show as field errors.
    Normalises `agency.code` as `save_agency` does."""
    before = Agency.objects.filter(pk=agency.pk).first() if agency.pk else None
    _check_save_agency(agency, before)


def save_agency(agency: Agency, *, actor: Any, request: HttpRequest | None = None, via: str = "") -> Agency:
    """Create or update an agency. The actor must manage the agency where it was and where it goes."""
    before = Agency.objects.filter(pk=agency.pk).first() if agency.pk else None
    action = "agency.update" if before else "agency.create"
    if actor is not None and not (
        may_act_on(actor, Perm.MANAGE_AGENCIES, agency)
        and (before is None or may_act_on(actor, Perm.MANAGE_AGENCIES, before))
    ):
        raise deny(action, actor=actor, request=request, obj=before, code=agency.code)
    _check_save_agency(agency, before)
    with transaction.atomic():
        do_save_agency(agency)
        if before is not None and before.state_id != agency.state_id:
            hooks.state_changed(agency)
        changes = _changes(before, agency, AUDITED_AGENCY_FIELDS)
        record(action, actor=actor, obj=agency, request=request, via=via, detail={"changes": changes})
    return agency


# --- users ------------------------------------------------------------------------------------


def _stored_actor(actor: Any) -> Any:
    """The actor as the database holds it. Authorising with the stored row means in-memory changes
    grant nothing, e.g. when the user being saved is the actor itself raising its own role."""
    from django.contrib.auth.models import AnonymousUser

    if not getattr(actor, "is_authenticated", False):
        return actor  # anonymous: may do nothing anyway
    stored = User.objects.select_related("agency").filter(pk=actor.pk).first() if actor.pk else None
    return stored if stored is not None else AnonymousUser()


def may_save_user(user: User, before: User | None, actor: Any) -> bool:
    """May `actor` (not None) create `user`, or change `before` into `user`?

    The actor must manage users of the user's agency, where it was and where it goes; must be
    able to grant the role the user gets and, on a change, the role the user holds (so nobody
    edits, and so takes over, a user whose role they could not give); and only a superuser
    creates, edits or makes a superuser, or takes the status away."""
    actor = _stored_actor(actor)
    if not may_act_on(actor, Perm.MANAGE_USERS, user.agency if user.agency_id else None):
        return False
    if not may_grant_role(actor, user.role):
        return False
    if before is not None and not (
        may_act_on(actor, Perm.MANAGE_USERS, before.agency) and may_grant_role(actor, before.role)
    ):
        return False
    touches_superuser = user.is_superuser or (before is not None and before.is_superuser)
    return not touches_superuser or bool(actor.is_superuser)


def check_save_user(user: User, password: str | None = None) -> None:
    """Everything `save_user` validates (permission aside), for forms to show as field errors."""
    check_user(user)
    if User.objects.filter(username__iexact=user.username).exclude(pk=user.pk).exists():
        raise ValidationError({"username": [f"{user.username} is already taken"]})
    if password is not None:
        from django.contrib.auth.password_validation import validate_password

        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from None


def save_user(
    user: User,
    *,
    actor: Any,
    password: str | None = None,
    request: HttpRequest | None = None,
    via: str = "",
) -> User:
    """Create or update a user, as `may_save_user` allows; `actor=None` is the system (CLI, demo)."""
    before = User.objects.filter(pk=user.pk).first() if user.pk else None
    action = "user.update" if before else "user.create"
    if actor is not None and not may_save_user(user, before, actor):
        raise deny(action, actor=actor, request=request, obj=before, username=user.username)
    check_save_user(user, password)
    with transaction.atomic():
        if password is not None:
            user.set_password(password)
        elif before is None:
            user.set_unusable_password()
        user.save()
        detail: dict[str, Any] = {"changes": _changes(before, user, AUDITED_USER_FIELDS)}
        if password is not None:
            detail["password_set"] = True
        record(action, actor=actor, obj=user, request=request, via=via, detail=detail)
    return user


def system_account(agency: Agency) -> User:
    """The agency's machine account, which its API keys act as. Created on first use."""
    username = f"system.{agency.code.lower()}"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(
            username,
            agency=agency,
            role="officer",
            is_system=True,
            full_name=f"{agency.name} (system)",
        )
    return user


# --- API keys ---------------------------------------------------------------------------------

KEY_PREFIX = "cmk_"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    raw: str


def create_api_key(
    agency: Agency, name: str, *, actor: Any, request: HttpRequest | None = None, via: str = ""
) -> NewKey:
    """Create a key for `agency`'s systems. The raw key is returned once and never stored."""
    if actor is not None and not may_act_on(actor, Perm.MANAGE_API_KEYS, agency):
        raise deny("apikey.create", actor=actor, request=request, obj=agency)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["give the key a label, e.g. the system that will use it"]})
    if len(name) > 100:
        raise ValidationError({"name": ["at most 100 characters"]})
    if not agency.active:
        raise ValidationError({"agency": [f"{agency.code} is not active"]})
    prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(
            agency=agency,
            account=system_account(agency),
            name=name,
            prefix=prefix,
            key_hash=hash_key(raw),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        record("apikey.create", actor=actor, obj=key, agency=agency, request=request, via=via)
    return NewKey(key=key, raw=raw)


def revoke_api_key(key: ApiKey, *, actor: Any, request: HttpRequest | None = None, via: str = "") -> ApiKey:
    if actor is not None and not may_act_on(actor, Perm.MANAGE_API_KEYS, key.agency):
        raise deny("apikey.revoke", actor=actor, request=request, obj=key)
    with transaction.atomic():
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
        record("apikey.revoke", actor=actor, obj=key, agency=key.agency, request=request, via=via)
    return key


class BadApiKey(Exception):
    """The bearer token is malformed, unknown or revoked. The message is safe to show."""


def authenticate_api_key(raw: str, *, request: HttpRequest | None = None) -> User:
    """Resolve a bearer token to its agency's system account, or raise BadApiKey (audited).

    Successful use is recorded when `last_used_at` is refreshed, at most once per key per
    `API_KEY_TOUCH_SECONDS`, so the audit trail shows each key's use without a write per request.
    """
    from django.conf import settings

    # cmk_<8 hex prefix>_<secret>; the secret is urlsafe base64 and may itself hold "_".
    parts = raw[len(KEY_PREFIX) :].split("_", 1) if raw.startswith(KEY_PREFIX) else []
    if len(parts) != 2 or not re.fullmatch(r"[0-9a-f]{8}", parts[0]) or len(parts[1]) < 20:
        record(
            "apikey.use", outcome=Outcome.FAILED, request=request, via="api", detail={"reason": "malformed"}
        )
        raise BadApiKey("malformed API key")
    key = ApiKey.objects.select_related("account__agency", "agency").filter(prefix=parts[0]).first()
    if key is None or not secrets.compare_digest(key.key_hash, hash_key(raw)):
        record(
            "apikey.use",
            outcome=Outcome.FAILED,
            request=request,
            via="api",
            detail={"reason": "unknown", "prefix": parts[0]},
        )
        raise BadApiKey("unknown API key")
    if key.revoked_at is not None or not key.agency.active or not key.account.is_active:
        record(
            "apikey.use",
            obj=key,
            agency=key.agency,
            outcome=Outcome.DENIED,
            request=request,
            via="api",
            detail={"reason": "revoked"},
        )
        raise BadApiKey("this API key has been revoked")
    now = timezone.now()
    stale = (
        key.last_used_at is None or (now - key.last_used_at).total_seconds() >= settings.API_KEY_TOUCH_SECONDS
    )
    if stale:
        with transaction.atomic():
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            record(
                "apikey.use",
                actor=key.account,
                obj=key,
                agency=key.agency,
                request=request,
                via="api",
            )
    return key.account


# --- geography --------------------------------------------------------------------------------


def _require_geography(actor: Any, action: str, request: HttpRequest | None, obj: Any = None) -> None:
    from crimac.directory.permissions import has_perm

    if actor is not None and not has_perm(actor, Perm.MANAGE_GEOGRAPHY):
        raise deny(action, actor=actor, request=request, obj=obj)


def check_new_district(name: str, lgd_code: int) -> None:
    """Everything `add_district` validates (permission aside), for forms to show as field errors."""
    if not (name or "").strip():
        raise ValidationError({"name": ["must not be empty"]})
    if lgd_code <= 0:
        raise ValidationError({"lgd_code": [f"LGD code must be a positive whole number, not {lgd_code}"]})
    if District.objects.filter(lgd_code=lgd_code).exists():
        raise ValidationError({"lgd_code": [f"LGD code {lgd_code} is already used by another district"]})


def add_district(
    state: State,
    name: str,
    lgd_code: int,
    *,
    actor: Any,
    request: HttpRequest | None = None,
    via: str = "",
) -> District:
    from crimac.directory.geography_data import display_name

    _require_geography(actor, "district.create", request)
    name = (name or "").strip()
    check_new_district(name, lgd_code)
    with transaction.atomic():
        district = District.objects.create(
            lgd_code=lgd_code,
            state=state,
            name=display_name(name),
            lgd_name=name,
            slug=unique_slug(District, state, name, lgd_code),
        )
        record("district.create", actor=actor, obj=district, request=request, via=via)
    return district


def rename_district(
    district: District, name: str, *, actor: Any, request: HttpRequest | None = None, via: str = ""
) -> District:
    """Rename a district. Its slug (and so the codes of its agencies) stays: codes are stable."""
    _require_geography(actor, "district.rename", request, district)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["must not be empty"]})
    with transaction.atomic():
        old = district.name
        district.name = name
        district.save(update_fields=["name"])
        record(
            "district.rename",
            actor=actor,
            obj=district,
            request=request,
            via=via,
            detail={"changes": {"name": [old, name]}},
        )
    return district


def check_retire(district: District, successor: District | None) -> None:
    """What `retire_district` validates (permission aside)."""
    if successor is not None and (successor.pk == district.pk or successor.retired_at is not None):
        raise ValidationError({"successor": ["must be another district that is not retired"]})


def retire_district(
    district: District,
    *,
    actor: Any,
    successor: District | None = None,
    on: date | None = None,
    request: HttpRequest | None = None,
    via: str = "",
) -> District:
    """Retire a district. Agencies and alerts keep pointing at it; new ones may not."""
    _require_geography(actor, "district.retire", request, district)
    check_retire(district, successor)
    with transaction.atomic():
        district.retired_at = on or timezone.localdate()
        district.successor = successor
        district.save(update_fields=["retired_at", "successor"])
        record(
            "district.retire",
            actor=actor,
            obj=district,
            request=request,
            via=via,
            detail={"successor": successor.lgd_code if successor else None},
        )
    return district


def bulk_create_agencies(
    agencies: list[Agency], *, actor: Any, via: str = "", batch_size: int = 2000
) -> list[Agency]:
    """Create many agencies at once (the demo directory, a State's bulk load): each is checked as
    `save_agency` would, then all are written in one transaction with one audit row.

    Precondition: every parent is already saved (create level by level).
    """
    if actor is not None:
        refused = [a.code for a in agencies if not may_act_on(actor, Perm.MANAGE_AGENCIES, a)]
        if refused:
            raise deny("agency.bulk_create", actor=actor, request=None, codes=refused[:20])
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    for index, agency in enumerate(agencies):
        agency.code = (agency.code or "").strip().upper()
        try:
            check_agency(agency)
        except ValidationError as exc:
            for field, msgs in exc.message_dict.items():
                errors[f"{index}.{field}"] = [f"{agency.code}: {m}" for m in msgs]
        if agency.code in seen:
            errors[f"{index}.code"] = [f"{agency.code} appears twice"]
        seen.add(agency.code)
    codes = list(seen)
    for start in range(0, len(codes), 900):
        for taken in Agency.objects.filter(code__in=codes[start : start + 900]).values_list(
            "code", flat=True
        ):
            errors.setdefault("code", []).append(f"{taken} is already used by another agency")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Agency.objects.bulk_create(agencies, batch_size=batch_size)
        for agency in agencies:
            agency.path, agency.depth = _compute_path(agency)
        Agency.objects.bulk_update(agencies, ["path", "depth"], batch_size=batch_size)
        record(
            "agency.bulk_create",
            actor=actor,
            via=via,
            object_type="directory.agency",
            detail={"count": len(agencies), "codes": [a.code for a in agencies[:50]]},
        )
    return agencies
