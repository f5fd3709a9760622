"""The matching part of the HTTP API: matches of the caller's alerts, matches of one alert, and
confirming or rejecting a match."""

from __future__ import annotations

from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from crimac.alerts.api import get_visible
from crimac.alerts.schemas import Strict
from crimac.api.auth import caller
from crimac.api.pagination import BadCursor, check_limit, decode_cursor, encode_cursor
from crimac.matching import actions
from crimac.matching.models import Match
from crimac.matching.reveal import matches_for, related, views_of

router = Router(tags=["matching"])


class SideOut(Schema):
    reference: str
    origin: str
    origin_name: str
    visible: bool = Field(
        description="false: the caller may not see this alert; only its reference and origin"
    )
    title: str | None
    category: str | None
    subject: str | None


class MatchOut(Schema):
    id: int
    kind: str
    status: str
    score: float
    exact: bool
    reasons: list[str]
    pairing: str | None
    priority: str
    created_at: str
    decided_by: str | None
    decided_at: str | None
    decision_note: str | None
    alert: SideOut = Field(description="the caller's side (or the alert asked about)")
    other: SideOut
    may_decide: bool


class MatchPage(Schema):
    count: int
    next: str | None
    results: list[MatchOut]


class MatchFilters(Strict):
    status: Literal["new", "confirmed", "rejected"] | None = None
    kind: Literal["person", "phone", "vehicle", "identifier"] | None = None
    pairing: bool | None = Field(None, description="true: only missing-versus-found pairings")
    limit: int = 50
    cursor: str | None = Field(None, max_length=100)


class DecisionIn(Strict):
    note: str = Field("", max_length=1000)


def _cursor(raw: str) -> int:
    value = decode_cursor(raw)
    if not value.startswith("m") or not value[1:].isdecimal() or len(value) > 19:
        raise BadCursor()
    return int(value[1:])


@router.get("/matches", response=MatchPage, summary="Matches of the caller's agency's alerts, newest first")
def list_matches(request: HttpRequest, filters: Query[MatchFilters]) -> dict[str, Any]:
    check_limit(filters.limit)
    user = caller(request)
    qs = Match.objects.visible_to(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.pairing is not None:
        qs = qs.exclude(pairing="") if filters.pairing else qs.filter(pairing="")
    total = qs.count()
    page = related(qs).order_by("-id")
    if filters.cursor:
        page = page.filter(id__lt=_cursor(filters.cursor))
    rows = list(page[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    next_url = None
    if more:
        params = request.GET.copy()
        params["cursor"] = encode_cursor(f"m{rows[-1].pk}")
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return {"count": total, "next": next_url, "results": [v.as_dict() for v in views_of(rows, user)]}


@router.get("/alerts/{ref}/matches", response=list[MatchOut], summary="Matches of one alert, strongest first")
def alert_matches(request: HttpRequest, ref: str) -> list[dict[str, Any]]:
    alert = get_visible(request, ref)
    return [v.as_dict() for v in matches_for(alert, caller(request))]


def _visible_match(request: HttpRequest, match_id: int) -> Match:
    if not 1 <= match_id <= 2**63 - 1:
        raise Http404
    match = related(Match.objects.visible_to(caller(request))).filter(pk=match_id).first()
    if match is None:
        raise Http404
    return match


def _decide(request: HttpRequest, match_id: int, status: str, payload: DecisionIn | None) -> dict[str, Any]:
    match = _visible_match(request, match_id)
    user = caller(request)
    actions.decide_match(match, status, actor=user, note=payload.note if payload else "", request=request)
    return views_of([match], user)[0].as_dict()


@router.post("/matches/{match_id}/confirm", response=MatchOut, summary="Confirm a match: the same subject")
def confirm(request: HttpRequest, match_id: int, payload: DecisionIn | None = None) -> dict[str, Any]:
    return _decide(request, match_id, "confirmed", payload)


@router.post("/matches/{match_id}/reject", response=MatchOut, summary="Reject a match: not the same")
def reject(request: HttpRequest, match_id: int, payload: DecisionIn | None = None) -> dict[str, Any]:
    return _decide(request, match_id, "rejected", payload)
