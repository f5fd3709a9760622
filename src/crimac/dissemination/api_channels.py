"""The dissemination API: an agency's e-mail, webhook and SMS endpoints, and their messages
(dead letters to retry). Open to whoever manages the agency's channels (`endpoints.PERM`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from crimac.api.auth import caller
from crimac.api.pagination import DEFAULT_LIMIT, BadCursor, check_limit, decode_cursor, encode_cursor
from crimac.api.problems import invalid
from crimac.directory.actions import deny
from crimac.directory.models import Agency
from crimac.directory.permissions import has_perm
from crimac.dissemination import outbox
from crimac.dissemination.channels import endpoints
from crimac.dissemination.choices import ChannelKind, OutboxStatus
from crimac.dissemination.models import Endpoint, OutboxMessage

router = Router(tags=["dissemination"])


class Strict(Schema):
    model_config = {"extra": "forbid"}


class AgencyRef(Schema):
    id: int
    code: str
    name: str


class EndpointOut(Schema):
    id: int
    agency: AgencyRef
    kind: str
    target: str
    active: bool
    created_at: str
    created_by: str
    pending: int = Field(0, description="messages waiting to be sent")
    dead: int = Field(0, description="dead-lettered messages")


class EndpointCreated(EndpointOut):
    secret: str | None = Field(
        None, description="webhooks: the signing secret, shown this once and never again"
    )


class EndpointIn(Strict):
    agency: str = Field(..., max_length=64, description="id or code of the agency")
    kind: str = Field(..., max_length=16, description=", ".join(ChannelKind.values))
    target: str = Field(..., max_length=500, description="e-mail address, http(s) URL or phone number")


class MessageOut(Schema):
    id: int
    key: str
    endpoint: int
    kind: str
    target: str
    agency: str
    event: str
    reference: str | None
    status: str
    attempts: int
    last_error: str
    next_attempt_at: str | None
    delivered_at: str | None
    created_at: str


class MessagePage(Schema):
    next: str | None
    results: list[MessageOut]


class MessageFilters(Strict):
    status: str | None = Field(None, description=", ".join(OutboxStatus.values))
    endpoint: int | None = None
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


def _require(request: HttpRequest, action: str) -> Any:
    user = caller(request)
    if not has_perm(user, endpoints.PERM):
        raise deny(action, actor=user, request=request)
    return user


def endpoint_out(e: Endpoint, counts: dict[tuple[int, str], int] | None = None) -> dict[str, Any]:
    counts = counts or {}
    return {
        "id": e.pk,
        "agency": {"id": e.agency.pk, "code": e.agency.code, "name": e.agency.name},
        "kind": e.kind,
        "target": e.target,
        "active": e.active,
        "created_at": e.created_at.isoformat(),
        "created_by": e.created_by.username,
        "pending": counts.get((e.pk, OutboxStatus.PENDING), 0),
        "dead": counts.get((e.pk, OutboxStatus.DEAD), 0),
    }


def message_counts(endpoint_ids: list[int]) -> dict[tuple[int, str], int]:
    from django.db.models import Count

    rows = (
        OutboxMessage.objects.filter(
            endpoint_id__in=endpoint_ids, status__in=[OutboxStatus.PENDING, OutboxStatus.DEAD]
        )
        .values_list("endpoint_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(eid, status): n for eid, status, n in rows}


def message_out(m: OutboxMessage) -> dict[str, Any]:
    return {
        "id": m.pk,
        "key": str(m.key),
        "endpoint": m.endpoint_id,
        "kind": m.endpoint.kind,
        "target": m.endpoint.target,
        "agency": m.endpoint.agency.code,
        "event": m.event,
        "reference": (m.payload.get("alert") or {}).get("reference"),
        "status": m.status,
        "attempts": m.attempts,
        "last_error": m.last_error,
        "next_attempt_at": m.next_attempt_at.isoformat() if m.status == OutboxStatus.PENDING else None,
        "delivered_at": m.delivered_at.isoformat() if m.delivered_at else None,
        "created_at": m.created_at.isoformat(),
    }


def managed_endpoints(user: Any) -> Any:
    return Endpoint.objects.filter(endpoints.manageable(user)).select_related("agency", "created_by")


@router.get("/channels/endpoints", response=list[EndpointOut], summary="E-mail, webhook and SMS endpoints")
def list_endpoints(request: HttpRequest) -> list[dict[str, Any]]:
    user = _require(request, "endpoint.list")
    rows = list(managed_endpoints(user).order_by("-active", "agency__code", "id")[:1000])
    counts = message_counts([e.pk for e in rows])
    return [endpoint_out(e, counts) for e in rows]


@router.post(
    "/channels/endpoints",
    response={201: EndpointCreated},
    summary="Add an endpoint (a webhook's signing secret is shown once)",
)
def create_endpoint(request: HttpRequest, payload: EndpointIn) -> Status[dict[str, Any]]:
    user = _require(request, "endpoint.create")
    agency = Agency.objects.by_ref(payload.agency).first()
    if agency is None:
        raise ValidationError({"agency": [f"unknown agency {payload.agency!r}"]})
    new = endpoints.create_endpoint(agency, payload.kind, payload.target, actor=user, request=request)
    return Status(201, {**endpoint_out(new.endpoint), "secret": new.secret or None})


@router.get("/channels/endpoints/{endpoint_id}", response=EndpointOut, summary="One endpoint")
def get_endpoint(request: HttpRequest, endpoint_id: int) -> dict[str, Any]:
    user = _require(request, "endpoint.read")
    endpoint = get_object_or_404(managed_endpoints(user), pk=endpoint_id)
    return endpoint_out(endpoint, message_counts([endpoint.pk]))


@router.delete("/channels/endpoints/{endpoint_id}", response=EndpointOut, summary="Deactivate an endpoint")
def deactivate_endpoint(request: HttpRequest, endpoint_id: int) -> dict[str, Any]:
    user = _require(request, "endpoint.deactivate")
    endpoint = get_object_or_404(managed_endpoints(user), pk=endpoint_id)
    endpoints.deactivate_endpoint(endpoint, actor=user, request=request)
    return endpoint_out(endpoint, message_counts([endpoint.pk]))


def _after(cursor: str | None) -> int:
    if not cursor:
        return 0
    raw = decode_cursor(cursor)
    if not raw.startswith("m") or not raw[1:].isascii() or not raw[1:].isdigit():
        raise BadCursor()
    return int(raw[1:])


@router.get(
    "/channels/messages",
    response=MessagePage,
    summary="Messages of the endpoints the caller manages (status=dead: the dead letters)",
)
def list_messages(request: HttpRequest, filters: Query[MessageFilters]) -> dict[str, Any]:
    user = _require(request, "outbox.list")
    check_limit(filters.limit)
    qs = OutboxMessage.objects.filter(endpoints.manageable(user, "endpoint__agency__"))
    if filters.status is not None:
        if filters.status not in OutboxStatus.values:
            raise invalid("query", "status", f"must be one of: {', '.join(OutboxStatus.values)}")
        qs = qs.filter(status=filters.status)
    if filters.endpoint is not None:
        qs = qs.filter(endpoint_id=filters.endpoint)
    qs = qs.filter(id__gt=_after(filters.cursor)).select_related("endpoint__agency").order_by("id")
    rows = list(qs[: filters.limit + 1])
    next_url = None
    if len(rows) > filters.limit:
        rows = rows[: filters.limit]
        params = request.GET.copy()
        params["cursor"] = encode_cursor(f"m{rows[-1].pk}")
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return {"next": next_url, "results": [message_out(m) for m in rows]}


@router.post("/channels/messages/{message_id}/retry", response=MessageOut, summary="Retry a dead letter")
def retry_message(request: HttpRequest, message_id: int) -> dict[str, Any]:
    user = _require(request, "outbox.retry")
    qs = OutboxMessage.objects.filter(endpoints.manageable(user, "endpoint__agency__"))
    message = qs.select_related("endpoint__agency").filter(pk=message_id).first()
    if message is None:
        raise Http404
    return message_out(outbox.retry(message, actor=user, request=request))
