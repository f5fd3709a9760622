"""Alert pages: post (one screen), read (with revisions and attachments), list with filters."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from ninja.errors import ValidationError as NinjaValidationError

from crimac.alerts import actions, attachments, forms, hooks
from crimac.alerts.api import filter_alerts
from crimac.alerts.choices import (
    CATEGORIES,
    ActionRequested,
    AttachmentKind,
    Build,
    Gender,
    HandlingCode,
    IdentifierType,
    Outcome,
    PersonRole,
    Priority,
    Status,
    VehicleType,
)
from crimac.alerts.models import Alert, AlertRevision, LegalSection
from crimac.alerts.serialise import alert_out, prefetch
from crimac.audit.actions import record
from crimac.directory.choices import AgencyKind
from crimac.directory.models import District, State
from crimac.directory.permissions import Perm, has_perm


def _visible_alert(request: HttpRequest, ref: str) -> Alert:
    alert = prefetch(Alert.objects.visible_to(request.user)).filter(reference=ref.upper()).first()
    if alert is None:
        raise Http404
    return alert


def _form_context(request: HttpRequest, values: dict[str, Any]) -> dict[str, Any]:
    sections = LegalSection.objects.select_related("counterpart").order_by("code", "id")
    return {
        "values": values,
        "categories": CATEGORIES,
        "priorities": Priority.choices,
        "actions": ActionRequested.choices,
        "handling_codes": HandlingCode.choices,
        "states": State.objects.order_by("name"),
        "districts": District.objects.active().select_related("state").order_by("state__name", "name"),
        "roles": PersonRole.choices,
        "genders": Gender.choices,
        "builds": Build.choices,
        "vehicle_types": VehicleType.choices,
        "identifier_types": IdentifierType.choices,
        "agency_kinds": AgencyKind.choices,
        "sections": sections,
        "person_rows": _rows(values, "persons"),
        "vehicle_rows": _rows(values, "vehicles"),
        "phone_rows": _rows(values, "phones"),
        "identifier_rows": _rows(values, "identifiers"),
        "section_values": _padded(list(values.get("sections", [])), 4),
    }


def _rows(values: dict[str, Any], group: str) -> list[tuple[int, dict[str, Any]]]:
    """The rows as the officer left them (after a refused submit), or one empty row."""
    rows = values.get("rows", {}).get(group, {})
    return sorted(rows.items()) or [(0, {})]


def _padded(items: list[str], size: int) -> list[str]:
    return [*items, *([""] * (size - len(items)))]


ROW_NAMES = {"persons": "Person", "vehicles": "Vehicle", "phones": "Phone", "identifiers": "Identifier"}


def error_summary(errors: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Every error with a readable place: 'Person 2, age_max: must not be less than age_min'."""
    out: list[tuple[str, str]] = []
    for path, texts in errors.items():
        parts = path.split(".")
        if parts[0] in ROW_NAMES and len(parts) > 1 and parts[1].isdecimal():
            label = f"{ROW_NAMES[parts[0]]} {int(parts[1]) + 1}" + (
                f", {' '.join(parts[2:])}" if len(parts) > 2 else ""
            )
        elif path == "__all__":
            label = "The alert"
        else:
            label = path.replace("_", " ").replace(".", ", ")
        out.extend((label, text) for text in texts)
    return out


def _defaults(user: Any) -> dict[str, Any]:
    agency = user.agency
    return {
        "category": "missing_person",
        "state": agency.state.code if agency.state_id else "",
        "district": str(agency.district.lgd_code) if agency.district_id else "",
        "station": agency.code if agency.kind == AgencyKind.POLICE_STATION else "",
        "handling_code": "H0",
        "audience": {
            "states": [agency.state.code] if agency.state_id else [],
            "national": not agency.state_id,
        },
        "persons": [{}],
    }


@login_required
def alert_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not has_perm(user, Perm.POST_ALERT):
        raise PermissionDenied
    if request.method != "POST":
        return render(request, "alerts/form.html", _form_context(request, _defaults(user)))
    payload = forms.to_payload(request.POST)
    values = {**payload, "rows": forms.rows_of(request.POST)}
    data, errors = forms.validate(payload)
    warnings: list[dict[str, str]] = []
    prepared: list[tuple[int, Any]] = []
    if data is not None:
        try:
            checked = actions.check_alert(data, actor=user)
            warnings = checked.warnings
        except ValidationError as exc:
            errors = {forms.page_path(k, payload): v for k, v in exc.message_dict.items()}
    for index in range(forms.MAX_ROWS):
        upload = request.FILES.get(f"persons-{index}-photo")
        if upload is None:
            continue
        try:
            item = attachments.prepare(upload, field=f"persons.{index}.photo")
        except ValidationError as exc:
            errors.update(exc.message_dict)
            continue
        if item.kind != AttachmentKind.IMAGE:
            errors[f"persons.{index}.photo"] = ["a photograph must be a JPEG, PNG, GIF or WebP image"]
        else:
            prepared.append((index, item))
    if data is not None and not errors and warnings and request.POST.get("confirm_warnings") != "on":
        errors["confirm_warnings"] = ["read the warning above, then tick the box to publish anyway"]
    if errors or data is None:
        return _refused(request, values, errors, warnings)
    publish = request.POST.get("save_as") != "draft"
    person_rows = payload.get("_persons_rows", [])
    try:
        with transaction.atomic():
            checked = actions.create_alert(data, actor=user, publish=publish, request=request)
            for row, item in prepared:
                position = person_rows.index(row) if row in person_rows else None
                attachments.attach(checked.alert, item, actor=user, person_position=position, request=request)
    except ValidationError as exc:
        return _refused(request, values, exc.message_dict, warnings)
    verb = "Published" if publish else "Saved draft"
    messages.success(request, f"{verb} {checked.alert.reference}.")
    return redirect("alerts:detail", ref=checked.alert.reference)


def _refused(
    request: HttpRequest, values: dict[str, Any], errors: dict[str, list[str]], warnings: list[dict[str, str]]
) -> HttpResponse:
    """The form again, as the officer left it, with every problem named. Nothing was written."""
    ctx = _form_context(request, values) | {
        "errors": errors,
        "warnings": warnings,
        "error_summary": error_summary(errors),
        "had_photos": any(key.endswith("-photo") for key in request.FILES),
    }
    return render(request, "alerts/form.html", ctx, status=422)


@login_required
def alert_detail(request: HttpRequest, ref: str) -> HttpResponse:
    alert = _visible_alert(request, ref)
    record("alert.read", actor=request.user, obj=alert, request=request)
    hooks.emit_read(alert.pk, request.user)
    data = alert_out(alert)
    revisions = AlertRevision.objects.filter(alert=alert).select_related("by").order_by("-number", "-id")
    return render(
        request,
        "alerts/detail.html",
        {
            "alert": alert,
            "data": data,
            "revisions": revisions,
            "attachments": alert.attachments.select_related("person").all(),
            "may_change": actions.may_change(request.user, alert),
            "outcomes": Outcome.choices,
            "panels": hooks.panels_for(alert, request.user),
        },
    )


def _change(request: HttpRequest, ref: str, do: Any, success: str) -> HttpResponse:
    alert = _visible_alert(request, ref)
    try:
        do(alert)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect("alerts:detail", ref=alert.reference)


@login_required
@require_POST
def alert_publish(request: HttpRequest, ref: str) -> HttpResponse:
    return _change(
        request, ref, lambda a: actions.publish_alert(a, actor=request.user, request=request), "Published."
    )


@login_required
@require_POST
def alert_cancel(request: HttpRequest, ref: str) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _change(
        request,
        ref,
        lambda a: actions.cancel_alert(a, actor=request.user, reason=reason, request=request),
        "Cancelled.",
    )


@login_required
@require_POST
def alert_resolve(request: HttpRequest, ref: str) -> HttpResponse:
    outcome, note = request.POST.get("outcome", ""), request.POST.get("note", "")
    return _change(
        request,
        ref,
        lambda a: actions.resolve_alert(a, actor=request.user, outcome=outcome, note=note, request=request),
        "Resolved.",
    )


@login_required
def attachment_file(request: HttpRequest, ref: str, attachment_id: int) -> FileResponse:
    alert = _visible_alert(request, ref)
    return attachments.serve(
        alert,
        attachment_id,
        thumbnail=request.GET.get("thumbnail") == "1",
        actor=request.user,
        request=request,
    )


LIST_FIELDS = ("category", "priority", "status", "state", "district", "from", "to")


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    get = request.GET
    district = get.get("district", "").strip()
    filters = SimpleNamespace(
        category=[v for v in get.getlist("category") if v] or None,
        priority=[v for v in get.getlist("priority") if v] or None,
        status=[v for v in get.getlist("status") if v] or None,
        state=get.get("state", "").strip() or None,
        district=int(district) if district.isdecimal() and len(district) < 10 else None,
        origin=None,
        reported_from=_date(get.get("from")),
        reported_to=_date(get.get("to")),
    )
    error = None
    for name in ("from", "to"):
        if get.get(name) and _date(get.get(name)) is None:
            error = f"{name}: give a date as YYYY-MM-DD"
    qs = Alert.objects.visible_to(request.user)
    try:
        qs = filter_alerts(qs, filters) if error is None else qs.none()
    except NinjaValidationError as exc:
        error = "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in exc.errors)
        qs = qs.none()
    if district and not district.isdecimal():
        error, qs = "district: give the LGD district code (a number)", qs.none()
    qs = qs.select_related("origin_agency", "state", "district").order_by("-reported_at", "-id")
    page = Paginator(qs, 25).get_page(get.get("page"))
    keep = get.copy()
    keep.pop("page", None)
    return render(
        request,
        "alerts/list.html",
        {
            "page": page,
            "error": error,
            "query": keep.urlencode(),
            "selected": {k: get.get(k, "") for k in LIST_FIELDS},
            "categories": CATEGORIES,
            "priorities": Priority.choices,
            "statuses": Status.choices,
            "states": State.objects.order_by("name"),
        },
        status=400 if error else 200,
    )


def _date(value: str | None) -> Any:
    from datetime import date

    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
