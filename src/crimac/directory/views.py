"""Pages of the directory: log-in and log-out (audited), home, the agency list, API keys."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from crimac.audit.actions import record
from crimac.audit.models import Outcome
from crimac.directory import actions
from crimac.directory.choices import AgencyKind
from crimac.directory.models import Agency, ApiKey, State
from crimac.directory.permissions import PERM_LABELS, Perm, Scope, has_perm, scope_filter, scope_of


class LoginView(auth_views.LoginView):
    """Django's log-in, with every success and failure written to the audit trail."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        record("auth.login", actor=form.get_user(), request=self.request, via="page")
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        username = (form.data.get("username") or "")[:150]
        record(
            "auth.login",
            outcome=Outcome.FAILED,
            request=self.request,
            via="page",
            object_type="user",
            object_repr=username,
            detail={"username": username},
        )
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            record("auth.logout", actor=request.user, request=request, via="page")
        return super().post(request, *args, **kwargs)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    agency = Agency.objects.select_related("parent", "state", "district").get(pk=user.agency_id)
    perms = [(PERM_LABELS[p], scope_of(user, p)) for p in Perm if scope_of(user, p) != Scope.NONE]
    return render(request, "directory/home.html", {"agency": agency, "perms": perms})


@login_required
def agency_list(request: HttpRequest) -> HttpResponse:
    qs = Agency.objects.visible_to(request.user).select_related("parent", "state", "district")
    state_code = request.GET.get("state", "").upper()
    kind = request.GET.get("kind", "")
    q = request.GET.get("q", "").strip()[:100]
    error = None
    if state_code:
        if State.objects.filter(code=state_code).exists():
            qs = qs.filter(state__code=state_code)
        else:
            error = f"Unknown State/UT code {state_code!r}."
            qs = qs.none()
    if kind:
        if kind in AgencyKind.values:
            qs = qs.filter(kind=kind)
        else:
            error = f"Unknown agency kind {kind!r}."
            qs = qs.none()
    for word in q.split():
        qs = qs.filter(Q(name__icontains=word) | Q(code__icontains=word))
    page = Paginator(qs.order_by("code"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "directory/agency_list.html",
        {
            "page": page,
            "states": State.objects.order_by("name"),
            "kinds": AgencyKind.choices,
            "selected": {"state": state_code, "kind": kind, "q": q},
            "error": error,
        },
        status=400 if error else 200,
    )


@login_required
def agency_detail(request: HttpRequest, code: str) -> HttpResponse:
    qs = Agency.objects.visible_to(request.user).select_related("parent", "state", "district")
    agency = get_object_or_404(qs, code=code.upper())
    children = agency.children.select_related("state", "district").order_by("code")[:200]
    return render(
        request,
        "directory/agency_detail.html",
        {"agency": agency, "children": children, "ancestors": agency.ancestors()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def apikeys(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not has_perm(user, Perm.MANAGE_API_KEYS):
        raise actions.deny("apikey.list", actor=user, request=request)
    managed = Agency.objects.filter(scope_filter(user, Perm.MANAGE_API_KEYS)).filter(active=True)
    created = None
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if "revoke" in request.POST:
            key = get_object_or_404(
                ApiKey.objects.filter(scope_filter(user, Perm.MANAGE_API_KEYS, "agency__")),
                pk=request.POST.get("revoke", "0")
                if request.POST.get("revoke", "").isdecimal() and len(request.POST.get("revoke", "")) < 19
                else 0,
            )
            actions.revoke_api_key(key, actor=user, request=request)
            messages.success(request, f"Revoked {key.name}.")
            return redirect("directory:apikeys")
        code = request.POST.get("agency", "").strip().upper()
        agency = managed.filter(code=code).first()
        if agency is None:
            errors["agency"] = [f"Unknown agency {code!r}, or not one you manage."]
        else:
            try:
                created = actions.create_api_key(
                    agency, request.POST.get("name", ""), actor=user, request=request
                )
            except ValidationError as exc:
                errors = exc.message_dict
    keys = (
        ApiKey.objects.filter(scope_filter(user, Perm.MANAGE_API_KEYS, "agency__"))
        .select_related("agency", "created_by")
        .order_by("-created_at")[:500]
    )
    return render(
        request,
        "directory/apikeys.html",
        {"keys": keys, "created": created, "errors": errors, "default_agency": user.agency.code},
        status=422 if errors else 200,
    )


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # the database is down or unreachable: not ready
        return JsonResponse({"status": "unavailable", "database": type(exc).__name__}, status=503)
    return JsonResponse({"status": "ready", "database": connection.vendor})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)
