"""Alerts API: create (one, or up to 500 at once), read, list, revise, publish, cancel, resolve,
attachments, and the catalogues (categories, legal sections)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema
from ninja import Status as Answer
from ninja.files import UploadedFile
from pydantic import ValidationError as PydanticValidationError

from crimac.alerts import actions, attachments, hooks, idempotency
from crimac.alerts.choices import CATEGORIES, Priority, Status
from crimac.alerts.models import Alert, AlertRevision, Attachment, LegalSection
from crimac.alerts.schemas import AlertCreate, AlertIn, AlertRevise, CancelIn, Day, ResolveIn, Strict
from crimac.alerts.serialise import alert_out, prefetch
from crimac.api.auth import caller
from crimac.api.pagination import BadCursor, check_limit, decode_cursor, encode_cursor
from crimac.api.problems import from_pydantic, invalid
from crimac.audit.actions import record
from crimac.directory.api import district_filter, state_filter
from crimac.directory.models import Agency

router = Router(tags=["alerts"])


class CategoryOut(Schema):
    value: str
    label: str
    description: str
    default_action: str
    default_priority: str
    trafficking: bool


@router.get("/alerts/categories", response=list[CategoryOut], summary="Alert categories")
def categories(request: HttpRequest) -> list[dict[str, Any]]:
    return [c.__dict__ for c in CATEGORIES]


class SectionOut(Schema):
    citation: str
    code: str
    section: str
    title: str
    counterpart: str | None
    counterpart_uncertain: bool
    trafficking: bool


@router.get("/alerts/sections", response=list[SectionOut], summary="Legal sections (IPC, BNS, special Acts)")
def sections(request: HttpRequest, q: str = Query("", max_length=100)) -> list[dict[str, Any]]:
    qs = LegalSection.objects.select_related("counterpart")
    for word in q.split()[:5]:
        qs = qs.filter(Q(code__iexact=word) | Q(section__istartswith=word) | Q(title__icontains=word))
    return [
        {
            "citation": s.citation,
            "code": s.code,
            "section": s.section,
            "title": s.title,
            "counterpart": s.counterpart.citation if s.counterpart else None,
            "counterpart_uncertain": s.counterpart_uncertain,
            "trafficking": s.trafficking,
        }
        for s in qs[:100]
    ]


# --- reading ------------------------------------------------------------------------------------


def visible(request: HttpRequest) -> Any:
    return Alert.objects.visible_to(caller(request))


def get_visible(request: HttpRequest, ref: str) -> Alert:
    """An alert by reference or id, if the caller may see it; else the same 404 as missing."""
    lookup = Q(pk=int(ref)) if ref.isascii() and ref.isdigit() else Q(reference=ref.upper())
    alert = prefetch(visible(request)).filter(lookup).first()
    if alert is None:
        raise Http404
    return alert


def out(alert: Alert, request: HttpRequest, warnings: list[dict[str, str]] | None = None) -> dict[str, Any]:
    data = alert_out(alert)
    data["attachments"] = [attachment_out(a, alert) for a in alert.attachments.all()]
    data["warnings"] = warnings or []
    data["links"] = links(alert)
    return data


def links(alert: Alert) -> dict[str, str]:
    return {
        "self": reverse("api:get_alert", kwargs={"ref": alert.reference}),
        "page": reverse("alerts:detail", kwargs={"ref": alert.reference}),
    }


def attachment_out(a: Attachment, alert: Alert) -> dict[str, Any]:
    base = reverse("api:get_attachment", kwargs={"ref": alert.reference, "attachment_id": a.pk})
    return {
        "id": a.pk,
        "kind": a.kind,
        "content_type": a.content_type,
        "name": a.original_name,
        "caption": a.caption,
        "size": a.size,
        "sha256": a.sha256,
        "width": a.width,
        "height": a.height,
        "person": a.person.position if a.person_id and a.person else None,
        "url": base,
        "thumbnail_url": f"{base}?thumbnail=1" if a.thumbnail else None,
    }


def fresh_out(
    alert: Alert, request: HttpRequest, warnings: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """The alert as it is now in the database (after an action changed it), serialised."""
    return out(prefetch_attachments(prefetch(Alert.objects).get(pk=alert.pk)), request, warnings)


def prefetch_attachments(alert: Alert) -> Alert:
    from django.db.models import prefetch_related_objects

    prefetch_related_objects([alert], "attachments__person")
    return alert


class AlertFilters(Strict):
    category: list[str] | None = None
    priority: list[str] | None = None
    status: list[str] | None = None
    state: str | None = Field(None, description="State/UT code of the place")
    district: int | None = Field(None, ge=1, le=2**31 - 1, description="LGD district code of the place")
    origin: str | None = Field(None, description="code of the originating agency")
    reported_from: Day | None = Field(None, alias="from")
    reported_to: Day | None = Field(None, alias="to")
    limit: int = 50
    cursor: str | None = None


def filter_alerts(qs: Any, f: Any) -> Any:
    """Apply list filters (shared by the API and the list page). Raises field errors."""
    return qs.filter(**filter_lookups(f))


# The filters that name a column search's documents copy too (`search.models.AlertDocument`), so
# full text can narrow its matches before it reads a row.
PLACE_AND_TIME = ("category__in", "state", "district", "reported_at__gte", "reported_at__lte")


def filter_lookups(f: Any) -> dict[str, Any]:
    """The list filters as ORM lookups on `Alert` (see PLACE_AND_TIME). Raises field errors."""
    from crimac.alerts.choices import CATEGORY_BY_VALUE

    lookups: dict[str, Any] = {}
    for name, allowed in (
        ("category", CATEGORY_BY_VALUE),
        ("priority", Priority.values),
        ("status", Status.values),
    ):
        values = getattr(f, name)
        if values:
            bad = [v for v in values if v not in allowed]
            if bad:
                raise invalid("query", name, f"unknown {name} {bad[0]!r}")
            lookups[f"{name}__in"] = values
    if f.state:
        lookups["state"] = state_filter(f.state)
    if f.district is not None:
        lookups["district"] = district_filter(f.district)
    if f.origin:
        agency = Agency.objects.filter(code=f.origin.upper()).first()
        if agency is None:
            raise invalid("query", "origin", f"unknown agency {f.origin!r}")
        lookups["origin_agency"] = agency
    if f.reported_from and f.reported_to and f.reported_from > f.reported_to:
        raise invalid("query", "to", "the period ends before it starts")
    tz = timezone.get_current_timezone()
    if f.reported_from:
        lookups["reported_at__gte"] = datetime.combine(f.reported_from, time.min, tz)
    if f.reported_to:
        lookups["reported_at__lte"] = datetime.combine(f.reported_to, time.max, tz)
    return lookups


def _encode(alert: Alert) -> str:
    return encode_cursor(f"{alert.reported_at.isoformat()}|{alert.pk}")


def _decode(cursor: str) -> tuple[datetime, int]:
    raw = decode_cursor(cursor)
    try:
        at, pk = raw.rsplit("|", 1)
        when = datetime.fromisoformat(at)
        if when.tzinfo is None or not 1900 <= when.year <= 2100:
            raise ValueError(at)
        return when, int(pk)
    except (ValueError, OverflowError):
        raise BadCursor() from None


class AlertPage(Schema):
    count: int
    next: str | None
    results: list[dict]


@router.get("/alerts", response=AlertPage, summary="Alerts the caller may see, newest first")
def list_alerts(request: HttpRequest, filters: Query[AlertFilters]) -> dict[str, Any]:
    check_limit(filters.limit)
    qs = filter_alerts(visible(request), filters)
    total = qs.count()
    page = prefetch(qs).prefetch_related("attachments__person").order_by("-reported_at", "-id")
    if filters.cursor:
        at, pk = _decode(filters.cursor)
        page = page.filter(Q(reported_at__lt=at) | Q(reported_at=at, id__lt=pk))
    rows = list(page[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    next_url = None
    if more:
        params = request.GET.copy()
        params["cursor"] = _encode(rows[-1])
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return {"count": total, "next": next_url, "results": [out(a, request) for a in rows]}


@router.get("/alerts/{ref}/revisions", response=list[dict], summary="Every revision of an alert")
def revisions(request: HttpRequest, ref: str) -> list[dict[str, Any]]:
    alert = get_visible(request, ref)
    return [
        {
            "number": r.number,
            "event": r.event,
            "summary": r.summary,
            "changes": r.changes,
            "snapshot": r.snapshot,
            "by": r.by.username if r.by else None,
            "at": r.at.isoformat(),
        }
        for r in AlertRevision.objects.filter(alert=alert).select_related("by").order_by("number", "id")
    ]


# --- writing ------------------------------------------------------------------------------------


@router.post(
    "/alerts", response={201: dict, 200: dict}, summary="Post an alert (published at once, or a draft)"
)
def create(request: HttpRequest, payload: AlertCreate) -> Any:
    user = caller(request)
    actions.require_post(user, request)

    def handler() -> tuple[int, Any]:
        data = AlertIn.model_validate(payload.model_dump(exclude={"publish"}))
        checked = actions.create_alert(data, actor=user, publish=payload.publish, request=request)
        # The alert was just written from these objects: answer from them, not a re-read.
        body = checked.snapshot()
        body["attachments"] = []
        body["warnings"] = checked.warnings
        body["links"] = links(checked.alert)
        return 201, body

    status, body, replayed = idempotency.run(
        request, endpoint="alerts.create", agency_id=user.agency_id, handler=handler
    )
    if replayed:
        return _replayed(status, body)
    return Answer(status, body)


def _replayed(status: int, body: Any) -> HttpResponse:
    import json

    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response["Idempotent-Replayed"] = "true"
    return response


class BulkIn(Strict):
    alerts: list[dict] = Field(..., min_length=1, description=f"at most {settings.BULK_MAX_ALERTS} alerts")
    publish: bool = True


@router.post("/alerts/bulk", response=dict, summary="Post up to 500 alerts; each succeeds or fails alone")
def create_bulk(request: HttpRequest, payload: BulkIn) -> Any:
    user = caller(request)
    actions.require_post(user, request)
    if len(payload.alerts) > settings.BULK_MAX_ALERTS:
        from ninja.errors import ValidationError as NinjaValidationError

        raise NinjaValidationError(
            [
                {
                    "loc": ("body", "payload", "alerts"),
                    "type": "too_long",
                    "msg": f"at most {settings.BULK_MAX_ALERTS} alerts per request",
                }
            ]
        )

    def handler() -> tuple[int, Any]:
        parsed: list[Any] = []
        for item in payload.alerts:
            try:
                parsed.append(AlertIn.model_validate(item))
            except PydanticValidationError as exc:
                errs = from_pydantic([{**e, "loc": ("body", "payload", *e["loc"])} for e in exc.errors()])
                by_field: dict[str, list[str]] = {}
                for e in errs:
                    by_field.setdefault(e["field"], []).append(e["message"])
                parsed.append(by_field)
        results = actions.create_many(parsed, actor=user, publish=payload.publish, request=request)
        items = []
        for r in results:
            if r.checked is not None:
                a = r.checked.alert
                items.append(
                    {
                        "index": r.index,
                        "status": 201,
                        "id": a.pk,
                        "reference": a.reference,
                        "warnings": r.checked.warnings,
                    }
                )
            else:
                from crimac.api.problems import from_django

                items.append({"index": r.index, "status": 422, "errors": from_django(r.errors or {})})
        created = sum(1 for i in items if i["status"] == 201)
        return 200, {"created": created, "failed": len(items) - created, "results": items}

    status, body, replayed = idempotency.run(
        request, endpoint="alerts.bulk", agency_id=user.agency_id, handler=handler
    )
    return _replayed(status, body) if replayed else Answer(status, body)


@router.get("/alerts/{ref}", response=dict, summary="One alert, by reference or id", url_name="get_alert")
def get_alert(request: HttpRequest, ref: str) -> dict[str, Any]:
    alert = get_visible(request, ref)
    record("alert.read", actor=caller(request), obj=alert, request=request)
    hooks.emit_read(alert.pk, caller(request))
    return out(prefetch_attachments(alert), request)


@router.post("/alerts/{ref}/revise", response=dict, summary="Publish an update (or edit a draft)")
def revise(request: HttpRequest, ref: str, payload: AlertRevise) -> dict[str, Any]:
    alert = get_visible(request, ref)
    checked = actions.revise_alert(alert, payload, actor=caller(request), request=request)
    return fresh_out(alert, request, checked.warnings)


@router.post("/alerts/{ref}/publish", response=dict, summary="Publish a draft")
def publish(request: HttpRequest, ref: str) -> dict[str, Any]:
    alert = get_visible(request, ref)
    actions.publish_alert(alert, actor=caller(request), request=request)
    return fresh_out(alert, request)


@router.post("/alerts/{ref}/cancel", response=dict, summary="Cancel an alert, saying why")
def cancel(request: HttpRequest, ref: str, payload: CancelIn) -> dict[str, Any]:
    alert = get_visible(request, ref)
    actions.cancel_alert(alert, actor=caller(request), reason=payload.reason, request=request)
    return fresh_out(alert, request)


@router.post("/alerts/{ref}/resolve", response=dict, summary="Resolve an alert with its outcome")
def resolve(request: HttpRequest, ref: str, payload: ResolveIn) -> dict[str, Any]:
    alert = get_visible(request, ref)
    actions.resolve_alert(
        alert, actor=caller(request), outcome=payload.outcome, note=payload.note, request=request
    )
    return fresh_out(alert, request)


# --- attachments --------------------------------------------------------------------------------


@router.post("/alerts/{ref}/attachments", response={201: dict}, summary="Attach a photograph or document")
def upload(
    request: HttpRequest,
    ref: str,
    file: File[UploadedFile],
    caption: Form[str] = "",
    person: Form[int | None] = None,
) -> Answer[dict[str, Any]]:
    alert = get_visible(request, ref)
    attachment = attachments.add_attachment(
        alert, file, actor=caller(request), caption=caption, person_position=person, request=request
    )
    return Answer(201, attachment_out(attachment, alert))


@router.get(
    "/alerts/{ref}/attachments/{attachment_id}", summary="Download an attachment", url_name="get_attachment"
)
def get_attachment(
    request: HttpRequest, ref: str, attachment_id: int, thumbnail: bool = False
) -> FileResponse:
    alert = get_visible(request, ref)
    return attachments.serve(
        alert, attachment_id, thumbnail=thumbnail, actor=caller(request), request=request
    )
