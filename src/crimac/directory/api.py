"""Directory API: agencies, geography, API keys and `me`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from crimac.api.auth import caller
from crimac.api.pagination import DEFAULT_LIMIT, keyset_page
from crimac.api.problems import invalid
from crimac.directory import actions
from crimac.directory.choices import AgencyKind
from crimac.directory.models import Agency, ApiKey, District, State
from crimac.directory.permissions import Perm, Scope, has_perm, may_act_on, scope_filter, scope_of

router = Router(tags=["directory"])

AgencyKindLiteral = Literal[tuple(AgencyKind.values)]  # type: ignore[valid-type]


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class StateRef(Schema):
    code: str
    name: str


class DistrictRef(Schema):
    lgd_code: int
    name: str


class AgencyRef(Schema):
    id: int
    code: str
    name: str


class AgencyOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    parent: AgencyRef | None
    state: StateRef | None
    district: DistrictRef | None
    latitude: float | None
    longitude: float | None
    contact_phone: str
    contact_email: str
    active: bool


class AgencyPage(Schema):
    count: int
    next: str | None
    results: list[AgencyOut]


def agency_out(a: Agency) -> dict[str, Any]:
    return {
        "id": a.pk,
        "code": a.code,
        "name": a.name,
        "kind": a.kind,
        "kind_label": a.get_kind_display(),
        "parent": {"id": a.parent.pk, "code": a.parent.code, "name": a.parent.name} if a.parent else None,
        "state": {"code": a.state.code, "name": a.state.name} if a.state else None,
        "district": {"lgd_code": a.district.lgd_code, "name": a.district.name} if a.district else None,
        "latitude": float(a.latitude) if a.latitude is not None else None,
        "longitude": float(a.longitude) if a.longitude is not None else None,
        "contact_phone": a.contact_phone,
        "contact_email": a.contact_email,
        "active": a.active,
    }


def _agencies(request: HttpRequest) -> Any:
    return Agency.objects.visible_to(caller(request)).select_related("parent", "state", "district")


def _field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


class AgencyFilters(Strict):
    kind: list[AgencyKindLiteral] | None = Field(None, description="one or more agency kinds")  # type: ignore[valid-type]
    state: str | None = Field(None, description="two-letter State/UT code, e.g. DL")
    district: int | None = Field(None, ge=1, le=2**31 - 1, description="LGD district code")
    parent: str | None = Field(None, description="id or code of the parent agency")
    active: bool | None = None
    q: str | None = Field(None, max_length=100, description="words in the name or code")
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


def state_filter(code: str) -> State:
    """The State a `state=` query names, or a 422 naming the field."""
    state = State.objects.filter(code=code.upper()).first()
    if state is None:
        raise invalid("query", "state", f"unknown State/UT code {code!r}")
    return state


def district_filter(lgd_code: int) -> District:
    """The district a `district=` query names (LGD code), or a 422 naming the field."""
    district = District.objects.filter(lgd_code=lgd_code).first()
    if district is None:
        raise invalid("query", "district", f"unknown LGD district code {lgd_code}")
    return district


def _resolve_agency(ref: str) -> Agency:
    agency = Agency.objects.by_ref(ref).select_related("parent", "state", "district").first()
    if agency is None:
        raise Http404
    return agency


@router.get("/agencies", response=AgencyPage, summary="List agencies")
def list_agencies(request: HttpRequest, filters: Query[AgencyFilters]) -> dict[str, Any]:
    qs = _agencies(request)
    if filters.kind:
        qs = qs.filter(kind__in=filters.kind)
    if filters.state:
        qs = qs.filter(state=state_filter(filters.state))
    if filters.district is not None:
        qs = qs.filter(district=district_filter(filters.district))
    if filters.parent:
        try:
            parent = _resolve_agency(filters.parent)
        except Http404:
            raise invalid("query", "parent", f"unknown agency {filters.parent!r}") from None
        qs = qs.filter(parent=parent)
    if filters.active is not None:
        qs = qs.filter(active=filters.active)
    if filters.q:
        for word in filters.q.split():
            qs = qs.filter(Q(name__icontains=word) | Q(code__icontains=word))
    return keyset_page(
        request, qs, key="code", limit=filters.limit, cursor=filters.cursor, serialise=agency_out
    )


@router.get("/agencies/{ref}", response=AgencyOut, summary="One agency, by id or code")
def get_agency(request: HttpRequest, ref: str) -> dict[str, Any]:
    agency = _resolve_agency(ref)
    if not _agencies(request).filter(pk=agency.pk).exists():
        raise Http404
    return agency_out(agency)


class AgencyIn(Strict):
    code: str = Field(..., min_length=2, max_length=64)
    name: str = Field(..., min_length=1, max_length=200)
    kind: AgencyKindLiteral  # type: ignore[valid-type]
    parent: str | None = Field(None, description="id or code of the agency it reports to")
    state: str | None = Field(None, description="two-letter State/UT code")
    district: int | None = Field(None, ge=1, le=2**31 - 1, description="LGD district code")
    latitude: Decimal | None = Field(None, max_digits=8, decimal_places=5)
    longitude: Decimal | None = Field(None, max_digits=8, decimal_places=5)
    contact_phone: str = Field("", max_length=32)
    contact_email: str = Field("", max_length=254)
    active: bool = True


class AgencyPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    parent: str | None = None
    state: str | None = None
    district: int | None = Field(None, ge=1, le=2**31 - 1)
    latitude: Decimal | None = Field(None, max_digits=8, decimal_places=5)
    longitude: Decimal | None = Field(None, max_digits=8, decimal_places=5)
    contact_phone: str | None = Field(None, max_length=32)
    contact_email: str | None = Field(None, max_length=254)
    active: bool | None = None


NOT_NULL_FIELDS = frozenset({"name", "contact_phone", "contact_email", "active"})


def _apply(agency: Agency, data: dict[str, Any]) -> None:
    """Copy request fields onto the agency, resolving codes; unknown codes are field errors."""
    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        if value is None and name in NOT_NULL_FIELDS:
            errors[name] = ["must not be null"]
            continue
        if name == "parent":
            if value is None:
                agency.parent = None
            else:
                try:
                    agency.parent = _resolve_agency(str(value))
                except Http404:
                    errors["parent"] = [f"unknown agency {value!r}"]
        elif name == "state":
            state = State.objects.filter(code=str(value).upper()).first() if value else None
            if value and state is None:
                errors["state"] = [f"unknown State/UT code {value!r}"]
            agency.state = state
        elif name == "district":
            district = (
                District.objects.select_related("state").filter(lgd_code=value).first() if value else None
            )
            if value and district is None:
                errors["district"] = [f"unknown LGD district code {value}"]
            agency.district = district
        else:
            setattr(agency, name, value)
    if errors:
        raise ValidationError(errors)


@router.post("/agencies", response={201: AgencyOut}, summary="Create an agency")
def create_agency(request: HttpRequest, payload: AgencyIn) -> Status[dict[str, Any]]:
    if not has_perm(caller(request), Perm.MANAGE_AGENCIES):
        raise actions.deny("agency.create", actor=caller(request), request=request, code=payload.code)
    agency = Agency()
    _apply(agency, payload.model_dump())
    actions.save_agency(agency, actor=caller(request), request=request)
    return Status(201, agency_out(agency))


@router.patch("/agencies/{ref}", response=AgencyOut, summary="Change an agency")
def update_agency(request: HttpRequest, ref: str, payload: AgencyPatch) -> dict[str, Any]:
    agency = _resolve_agency(ref)
    if not may_act_on(caller(request), Perm.MANAGE_AGENCIES, agency):
        raise actions.deny("agency.update", actor=caller(request), request=request, obj=agency)
    _apply(agency, payload.model_dump(exclude_unset=True))
    actions.save_agency(agency, actor=caller(request), request=request)
    return agency_out(agency)


# --- geography --------------------------------------------------------------------------------


class StateOut(Schema):
    code: str
    lgd_code: int
    name: str
    kind: Literal["S", "U"]
    kind_label: str
    districts: int
    land_borders: list[str] = Field(..., description="codes of the States/UTs it borders by land")
    foreign_borders: list[str] = Field(..., description="neighbouring countries it borders by land")


class DistrictOut(Schema):
    lgd_code: int
    name: str
    lgd_name: str
    state: str
    active: bool
    retired_at: str | None
    successor: int | None


@router.get("/geography/states", response=list[StateOut], summary="States/UTs with their borders")
def list_states(request: HttpRequest) -> list[dict[str, Any]]:
    from django.db.models import Count

    states = (
        State.objects.annotate(n_districts=Count("districts", filter=Q(districts__retired_at__isnull=True)))
        .prefetch_related("borders_to__neighbour", "foreign_borders")
        .order_by("name")
    )
    return [
        {
            "code": s.code,
            "lgd_code": s.lgd_code,
            "name": s.name,
            "kind": s.kind,
            "kind_label": s.get_kind_display(),
            "districts": s.n_districts,
            "land_borders": sorted(b.neighbour.code for b in s.borders_to.all()),
            "foreign_borders": sorted(f.country for f in s.foreign_borders.all()),
        }
        for s in states
    ]


@router.get(
    "/geography/states/{code}/districts",
    response=list[DistrictOut],
    summary="Districts of a State/UT",
)
def list_districts(request: HttpRequest, code: str, include_retired: bool = False) -> list[dict[str, Any]]:
    state = State.objects.filter(code=code.upper()).first()
    if state is None:
        raise Http404
    qs = state.districts.select_related("successor").order_by("name")
    if not include_retired:
        qs = qs.filter(retired_at__isnull=True)
    return [
        {
            "lgd_code": d.lgd_code,
            "name": d.name,
            "lgd_name": d.lgd_name,
            "state": state.code,
            "active": d.retired_at is None,
            "retired_at": d.retired_at.isoformat() if d.retired_at else None,
            "successor": d.successor.lgd_code if d.successor else None,
        }
        for d in qs
    ]


# --- me ---------------------------------------------------------------------------------------


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    rank: str
    role: str
    role_label: str
    is_system: bool
    agency: AgencyOut
    permissions: dict[str, str] = Field(..., description="permission -> scope it reaches")


@router.get("/me", response=MeOut, summary="The caller: user, agency, role and permissions")
def me(request: HttpRequest) -> dict[str, Any]:
    user = caller(request)
    agency = Agency.objects.select_related("parent", "state", "district").get(pk=user.agency_id)
    perms = {p.value: scope_of(user, p).value for p in Perm if scope_of(user, p) != Scope.NONE}
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": user.full_name,
        "rank": user.rank,
        "role": user.role,
        "role_label": user.get_role_display(),
        "is_system": user.is_system,
        "agency": agency_out(agency),
        "permissions": perms,
    }


# --- API keys ---------------------------------------------------------------------------------


class ApiKeyOut(Schema):
    id: int
    name: str
    prefix: str
    agency: AgencyRef
    created_at: str
    created_by: str | None
    last_used_at: str | None
    revoked_at: str | None
    active: bool


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(..., description="the key itself: shown this once, never again")


class ApiKeyIn(Strict):
    agency: str = Field(..., description="id or code of the agency whose systems will use it")
    name: str = Field(..., min_length=1, max_length=100)


def apikey_out(k: ApiKey) -> dict[str, Any]:
    return {
        "id": k.pk,
        "name": k.name,
        "prefix": k.prefix,
        "agency": {"id": k.agency.pk, "code": k.agency.code, "name": k.agency.name},
        "created_at": k.created_at.isoformat(),
        "created_by": k.created_by.username if k.created_by else None,
        "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None,
        "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
        "active": k.revoked_at is None,
    }


def _require(request: HttpRequest, perm: Perm, action: str) -> None:
    if not has_perm(caller(request), perm):
        raise actions.deny(action, actor=caller(request), request=request)


@router.get("/apikeys", response=list[ApiKeyOut], summary="API keys the caller manages")
def list_apikeys(request: HttpRequest) -> list[dict[str, Any]]:
    _require(request, Perm.MANAGE_API_KEYS, "apikey.list")
    qs = ApiKey.objects.filter(scope_filter(caller(request), Perm.MANAGE_API_KEYS, "agency__"))
    return [apikey_out(k) for k in qs.select_related("agency", "created_by").order_by("-created_at")[:1000]]


@router.post("/apikeys", response={201: ApiKeyCreated}, summary="Create an API key (shown once)")
def create_apikey(request: HttpRequest, payload: ApiKeyIn) -> Status[dict[str, Any]]:
    _require(request, Perm.MANAGE_API_KEYS, "apikey.create")
    try:
        agency = _resolve_agency(payload.agency)
    except Http404:
        raise ValidationError({"agency": [f"unknown agency {payload.agency!r}"]}) from None
    new = actions.create_api_key(agency, payload.name, actor=caller(request), request=request)
    return Status(201, {**apikey_out(new.key), "key": new.raw})


@router.delete("/apikeys/{key_id}", response=ApiKeyOut, summary="Revoke an API key")
def revoke_apikey(request: HttpRequest, key_id: int) -> dict[str, Any]:
    _require(request, Perm.MANAGE_API_KEYS, "apikey.revoke")
    qs = ApiKey.objects.filter(scope_filter(caller(request), Perm.MANAGE_API_KEYS, "agency__"))
    key = get_object_or_404(qs.select_related("agency", "created_by"), pk=key_id)
    actions.revoke_api_key(key, actor=caller(request), request=request)
    return apikey_out(key)
