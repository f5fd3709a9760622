"""The dissemination API: subscriptions (include and mute rules)."""

from __future__ import annotations

from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from crimac.alerts.choices import CATEGORY_BY_VALUE
from crimac.alerts.schemas import Strict
from crimac.api.auth import caller
from crimac.api.pagination import DEFAULT_LIMIT, BadCursor, check_limit, decode_cursor, encode_cursor
from crimac.dissemination import subscriptions
from crimac.dissemination.models import Subscription

router = Router(tags=["dissemination"])

MAX_ID = 2**63 - 1

RULES = (
    "Include rules deliver matching alerts to the agency (or, for a user's own rule, to the user's "
    "agency) in addition to their audience; they name a category, a priority and/or the incident's "
    "State (empty: any), never widen an alert whose originator excluded the agency or marked it H2. "
    "Mute rules must name routine or priority: flash and immediate alerts are never muted. An "
    "agency's mute marks its deliveries muted (no push, not counted unread); a user's mute hides "
    "them from that user only. Agency rules: nodal officers and administrators (agencies they "
    "manage), supervisors (their subtree); a user's own rules: any role that receives alerts."
)


class SubscriptionIn(Strict):
    kind: Literal["include", "mute"]
    agency: str = Field(
        "", max_length=64, description="code or id of the agency the rule is for; empty: for you alone"
    )
    category: str = Field("", max_length=40, description="an alert category; empty: any")
    priority: str = Field("", max_length=16, description="flash, immediate, priority or routine; empty: any")
    state: str = Field("", max_length=4, description="State/UT code of the incident; empty: any")


class AgencyRef(Schema):
    id: int
    code: str
    name: str


class SubscriptionOut(Schema):
    id: int
    kind: str
    agency: AgencyRef | None = Field(..., description="the agency the rule is for (null: a user's rule)")
    user: str | None = Field(..., description="the user the rule is for (null: an agency's rule)")
    category: str
    category_label: str
    priority: str
    state: str | None
    active: bool
    created_by: str
    created_at: str
    may_remove: bool


class SubscriptionPage(Schema):
    count: int
    next: str | None
    results: list[SubscriptionOut]


class SubscriptionFilters(Strict):
    active: bool = Field(True, description="false: the removed rules instead")
    limit: int = DEFAULT_LIMIT
    cursor: str | None = Field(None, max_length=100)


def subscription_out(rule: Subscription, user: Any) -> dict[str, Any]:
    category = CATEGORY_BY_VALUE.get(rule.category)
    return {
        "id": rule.pk,
        "kind": rule.kind,
        "agency": (
            {"id": rule.agency.pk, "code": rule.agency.code, "name": rule.agency.name}
            if rule.agency
            else None
        ),
        "user": rule.user.username if rule.user is not None else None,
        "category": rule.category,
        "category_label": category.label if category else "any category",
        "priority": rule.priority,
        "state": rule.state.code if rule.state is not None else None,
        "active": rule.active,
        "created_by": rule.created_by.username,
        "created_at": rule.created_at.isoformat(),
        "may_remove": rule.active and subscriptions.may_remove(user, rule),
    }


def _visible(request: HttpRequest) -> Any:
    return subscriptions.visible_subscriptions(caller(request)).select_related(
        "agency", "user", "state", "created_by"
    )


@router.get(
    "/subscriptions",
    response=SubscriptionPage,
    summary="Subscription and mute rules: yours, your agency's and those of agencies you manage",
    description=RULES,
)
def list_subscriptions(request: HttpRequest, filters: Query[SubscriptionFilters]) -> dict[str, Any]:
    limit = check_limit(filters.limit)
    qs = _visible(request).filter(active=filters.active)
    total = qs.count()
    page = qs.order_by("id")
    if filters.cursor:
        value = decode_cursor(filters.cursor)
        if not value.isdecimal() or len(value) > 18:
            raise BadCursor()
        page = page.filter(id__gt=int(value))
    rows = list(page[: limit + 1])
    next_url = None
    if len(rows) > limit:
        rows = rows[:limit]
        params = request.GET.copy()
        params["cursor"] = encode_cursor(str(rows[-1].pk))
        params["limit"] = str(limit)
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    user = caller(request)
    return {"count": total, "next": next_url, "results": [subscription_out(r, user) for r in rows]}


@router.post(
    "/subscriptions",
    response={201: SubscriptionOut},
    summary="Add an include or mute rule for an agency or for yourself",
    description=RULES,
)
def create_subscription(request: HttpRequest, payload: SubscriptionIn) -> Status[dict[str, Any]]:
    rule = subscriptions.create_subscription(actor=caller(request), request=request, **payload.model_dump())
    created = _visible(request).get(pk=rule.pk)
    return Status(201, subscription_out(created, caller(request)))


@router.delete("/subscriptions/{sub_id}", response=SubscriptionOut, summary="Remove (deactivate) a rule")
def delete_subscription(request: HttpRequest, sub_id: int) -> dict[str, Any]:
    if not 0 < sub_id <= MAX_ID:
        raise Http404
    rule = _visible(request).filter(pk=sub_id).first()
    if rule is None:
        raise Http404
    subscriptions.remove_subscription(rule, actor=caller(request), request=request)
    return subscription_out(rule, caller(request))
