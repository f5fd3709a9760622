"""The subscriptions page: list, add and remove include and mute rules."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from crimac.alerts.choices import CATEGORIES, Priority
from crimac.directory.models import State
from crimac.dissemination import subscriptions
from crimac.dissemination.choices import SubscriptionKind

FIELDS = ("kind", "agency", "category", "priority", "state")


@login_required
@require_http_methods(["GET", "POST"])
def subscription_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    errors: dict[str, list[str]] = {}
    values = {name: "" for name in FIELDS} | {"kind": SubscriptionKind.INCLUDE}
    if request.method == "POST":
        if "remove" in request.POST:
            ref = request.POST.get("remove", "")
            rule = (
                subscriptions.visible_subscriptions(user).filter(pk=int(ref)).select_related("agency").first()
                if ref.isdecimal() and len(ref) <= 18
                else None
            )
            if rule is None:
                raise Http404
            subscriptions.remove_subscription(rule, actor=user, request=request)
            messages.success(request, "Rule removed.")
            return redirect("subscriptions:list")
        values = {name: request.POST.get(name, "").strip()[:64] for name in FIELDS}
        try:
            subscriptions.create_subscription(actor=user, request=request, **values)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, "Rule added.")
            return redirect("subscriptions:list")
    rules = (
        subscriptions.visible_subscriptions(user)
        .filter(active=True)
        .select_related("agency", "user", "state", "created_by")
        .order_by("-id")[:500]
    )
    rows = [(r, subscriptions.may_remove(user, r)) for r in rules]
    return render(
        request,
        "dissemination/subscriptions/list.html",
        {
            "rows": rows,
            "values": values,
            "errors": errors,
            "general_errors": errors.get("__all__", []),
            "kinds": SubscriptionKind.choices,
            "categories": CATEGORIES,
            "priorities": Priority.choices,
            "states": State.objects.order_by("name"),
            "own_rules": subscriptions.may_have_own_rules(user),
            "manages_own_agency": subscriptions.may_manage_agency_rules(user, user.agency),
        },
        status=422 if errors else 200,
    )
