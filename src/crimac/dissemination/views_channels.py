"""Pages: an agency admin's endpoints (add, deactivate) and dead letters (retry)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from crimac.directory.actions import deny
from crimac.directory.models import Agency
from crimac.directory.permissions import has_perm
from crimac.dissemination import outbox
from crimac.dissemination.api_channels import managed_endpoints, message_counts
from crimac.dissemination.channels import endpoints
from crimac.dissemination.choices import ChannelKind, OutboxStatus
from crimac.dissemination.models import OutboxMessage


def _require(request: HttpRequest, action: str) -> Any:
    user: Any = request.user
    if not has_perm(user, endpoints.PERM):
        raise deny(action, actor=user, request=request)
    return user


def _pk(value: str) -> int:
    if not value.isascii() or not value.isdigit():
        raise Http404
    return int(value)


@login_required
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    user = _require(request, "endpoint.list")
    created = None
    errors: dict[str, list[str]] = {}
    form = {"agency": user.agency.code, "kind": ChannelKind.EMAIL, "target": ""}
    if request.method == "POST":
        if "deactivate" in request.POST:
            endpoint = managed_endpoints(user).filter(pk=_pk(request.POST["deactivate"])).first()
            if endpoint is None:
                raise Http404
            endpoints.deactivate_endpoint(endpoint, actor=user, request=request)
            messages.success(request, f"Deactivated {endpoint.kind} {endpoint.target}.")
            return redirect("channels:index")
        form = {k: request.POST.get(k, "").strip() for k in form}
        agency = Agency.objects.filter(code=form["agency"].upper()).first()
        if agency is None:
            errors["agency"] = [f"Unknown agency {form['agency']!r}."]
        else:
            try:
                created = endpoints.create_endpoint(
                    agency, form["kind"], form["target"], actor=user, request=request
                )
                form["target"] = ""
            except ValidationError as exc:
                errors = exc.message_dict
    rows = list(managed_endpoints(user).order_by("-active", "agency__code", "id")[:500])
    counts = message_counts([e.pk for e in rows])
    for e in rows:
        e.pending_count = counts.get((e.pk, OutboxStatus.PENDING), 0)
        e.dead_count = counts.get((e.pk, OutboxStatus.DEAD), 0)
    return render(
        request,
        "dissemination/channels/index.html",
        {
            "endpoints": rows,
            "created": created,
            "errors": errors,
            "form": form,
            "kinds": ChannelKind.choices,
        },
        status=422 if errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def dead_letters(request: HttpRequest) -> HttpResponse:
    user = _require(request, "outbox.list")
    mine = OutboxMessage.objects.filter(endpoints.manageable(user, "endpoint__agency__"))
    error = ""
    if request.method == "POST":
        message = (
            mine.select_related("endpoint__agency").filter(pk=_pk(request.POST.get("retry", ""))).first()
        )
        if message is None:
            raise Http404
        try:
            outbox.retry(message, actor=user, request=request)
        except ValidationError as exc:
            error = "; ".join(exc.messages)
        else:
            messages.success(request, f"Message {message.key} will be sent again.")
            return redirect("channels:dead")
    rows = mine.filter(status=OutboxStatus.DEAD).select_related("endpoint__agency").order_by("-id")[:500]
    return render(
        request,
        "dissemination/channels/dead.html",
        {"messages_dead": rows, "error": error},
        status=422 if error else 200,
    )
