"""The match review page: the matches of the user's agency's alerts, confirm or reject."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from crimac.matching import actions
from crimac.matching.choices import MatchStatus, Pairing, SubjectKind
from crimac.matching.models import Match
from crimac.matching.reveal import related, views_of


@login_required
def match_list(request: HttpRequest) -> HttpResponse:
    get = request.GET
    qs = Match.objects.visible_to(request.user)
    status = get.get("status", "")
    kind = get.get("kind", "")
    error = None
    if status:
        if status in MatchStatus.values:
            qs = qs.filter(status=status)
        else:
            error = f"status: one of {', '.join(MatchStatus.values)}"
    if kind:
        if kind in SubjectKind.values:
            qs = qs.filter(kind=kind)
        else:
            error = f"kind: one of {', '.join(SubjectKind.values)}"
    if error:
        qs = qs.none()
    page = Paginator(related(qs).order_by("-id"), 25).get_page(get.get("page"))
    keep = get.copy()
    keep.pop("page", None)
    return render(
        request,
        "matching/list.html",
        {
            "page": page,
            "matches": views_of(list(page.object_list), request.user),
            "error": error,
            "query": keep.urlencode(),
            "selected": {"status": status, "kind": kind},
            "statuses": MatchStatus.choices,
            "kinds": SubjectKind.choices,
            "pairings": dict(Pairing.choices),
        },
        status=400 if error else 200,
    )


def _decide(request: HttpRequest, match_id: int, status: str, done: str) -> HttpResponse:
    match = related(Match.objects.visible_to(request.user)).filter(pk=match_id).first()
    if match is None:
        raise Http404
    try:
        actions.decide_match(
            match, status, actor=request.user, note=request.POST.get("note", ""), request=request
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("matching:list")


@login_required
@require_POST
def match_confirm(request: HttpRequest, match_id: int) -> HttpResponse:
    return _decide(request, match_id, MatchStatus.CONFIRMED, "Match confirmed.")


@login_required
@require_POST
def match_reject(request: HttpRequest, match_id: int) -> HttpResponse:
    return _decide(request, match_id, MatchStatus.REJECTED, "Match rejected.")
