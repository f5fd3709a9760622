"""The inbox page (what reached the officer's agency, read and unread, with acknowledge and
respond) and the originator's receipts page (who got it, who acknowledged, escalations, and
hits to confirm)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from ninja.errors import HttpError

from crimac.alerts.actions import may_change
from crimac.alerts.models import Alert
from crimac.audit.actions import record
from crimac.audit.models import Outcome
from crimac.dissemination import actions
from crimac.dissemination.api import read_by, receipts, unread_counts
from crimac.dissemination.choices import ResponseOutcome
from crimac.dissemination.models import Delivery
from crimac.dissemination.subscriptions import muted_for_user_q

FILTERS = {"open": "Not yet acknowledged", "unread": "Unread", "muted": "Muted"}


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    shown = next((name for name in FILTERS if request.GET.get(name) == "1"), "")
    user_muted = muted_for_user_q(user)
    mine = Delivery.objects.filter(agency_id=user.agency_id)
    qs = (
        (
            mine.filter(Q(muted=True) | user_muted)
            if shown == "muted"
            else mine.filter(muted=False).exclude(user_muted)
        )
        .select_related("alert__origin_agency", "alert__state", "acknowledged_by")
        .annotate(read=read_by(user))
    )
    if shown == "open":
        qs = qs.filter(acknowledged_at__isnull=True)
    elif shown == "unread":
        qs = qs.filter(read=False)
    page = Paginator(qs.order_by("-id"), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "dissemination/inbox.html",
        {
            "page": page,
            "shown": shown,
            "filters": FILTERS,
            "counts": unread_counts(user),
            "outcomes": ResponseOutcome.choices,
        },
    )


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    latest = Delivery.objects.filter(agency_id=user.agency_id).order_by("-id").values_list("id", flat=True)
    up_to = latest.first()
    marked = actions.mark_inbox_read(None, actor=user, up_to=up_to or 0, request=request)
    messages.success(request, f"Marked {marked} alert(s) read.")
    return redirect("dissemination:inbox")


def _delivered(request: HttpRequest, ref: str) -> Alert:
    alert = Alert.objects.visible_to(request.user).filter(reference=ref.upper()).first()
    if alert is None:
        raise Http404
    return alert


@login_required
@require_POST
def acknowledge(request: HttpRequest, ref: str) -> HttpResponse:
    alert = _delivered(request, ref)
    actions.acknowledge(alert, actor=request.user, request=request)
    messages.success(request, f"Acknowledged {alert.reference}.")
    return redirect("dissemination:inbox")


@login_required
@require_POST
def respond(request: HttpRequest, ref: str) -> HttpResponse:
    alert = _delivered(request, ref)
    try:
        actions.respond(
            alert,
            actor=request.user,
            outcome=request.POST.get("outcome", ""),
            message=request.POST.get("message", "")[:2000],
            request=request,
        )
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, f"Response sent to the originator of {alert.reference}.")
    return redirect("dissemination:inbox")


@login_required
def alert_receipts(request: HttpRequest, ref: str) -> HttpResponse:
    """For the originating agency and its supervisors; anyone else gets the 404 of a missing alert."""
    alert = _delivered(request, ref)
    if not may_change(request.user, alert):
        record("alert.deliveries", actor=request.user, obj=alert, outcome=Outcome.DENIED, request=request)
        raise Http404
    return render(request, "dissemination/receipts.html", {"alert": alert, "data": receipts(alert)})


@login_required
@require_POST
def confirm(request: HttpRequest, ref: str, response_id: int) -> HttpResponse:
    alert = _delivered(request, ref)
    verdict = request.POST.get("confirmed", "")
    if verdict not in {"yes", "no"}:
        messages.error(request, "confirmed: choose confirm or refuse")
        return redirect("dissemination:receipts", ref=alert.reference)
    try:
        actions.confirm_hit(
            alert,
            response_id,
            actor=request.user,
            confirmed=verdict == "yes",
            note=request.POST.get("note", "")[:2000],
            request=request,
        )
    except PermissionDenied:
        raise
    except (ValidationError, HttpError) as exc:
        texts = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        for text in texts:
            messages.error(request, text)
    else:
        messages.success(request, f"Hit {'confirmed' if verdict == 'yes' else 'refused'}.")
    return redirect("dissemination:receipts", ref=alert.reference)
