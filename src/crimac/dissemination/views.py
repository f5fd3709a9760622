"""The inbox page: what reached the officer's agency, with acknowledge and respond."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from crimac.alerts.models import Alert
from crimac.dissemination import actions
from crimac.dissemination.choices import ResponseOutcome
from crimac.dissemination.models import Delivery


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    only_open = request.GET.get("open") == "1"
    qs = Delivery.objects.filter(agency_id=user.agency_id).select_related(
        "alert__origin_agency", "alert__state", "acknowledged_by"
    )
    if only_open:
        qs = qs.filter(acknowledged_at__isnull=True)
    page = Paginator(qs.order_by("-id"), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "dissemination/inbox.html",
        {"page": page, "only_open": only_open, "outcomes": ResponseOutcome.choices},
    )


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
