"""Search pages: the results page behind the search box on every page, and person search."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.errors import ValidationError as NinjaValidationError

from crimac.alerts.choices import CATEGORIES, Priority, Status
from crimac.directory.models import State
from crimac.search import actions, ratelimit
from crimac.search.service import search_alerts
from crimac.search.text import BadQuery, highlighted, parse_query

PER_PAGE = 20
MAX_PAGES = 50
FILTER_FIELDS = ("category", "priority", "status", "state", "district", "from", "to", "sort")


def _day(value: str | None) -> date | None:
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    # Midnight in India of year 1 is before year 1 in UTC: keep dates the database can hold.
    return day if day is None or 1900 <= day.year <= 2100 else None


def _filters(get: Any) -> tuple[SimpleNamespace, list[str]]:
    """The alert list's filters from the query string, with a message for each bad one."""
    errors = []
    district = get.get("district", "").strip()
    if district and not district.isdecimal():
        errors.append("district: give the LGD district code (a number)")
    for name in ("from", "to"):
        if get.get(name) and _day(get.get(name)) is None:
            errors.append(f"{name}: give a date as YYYY-MM-DD")
    filters = SimpleNamespace(
        category=[v for v in get.getlist("category") if v] or None,
        priority=[v for v in get.getlist("priority") if v] or None,
        status=[v for v in get.getlist("status") if v] or None,
        state=get.get("state", "").strip() or None,
        district=int(district) if district.isdecimal() and len(district) < 10 else None,
        origin=None,
        reported_from=_day(get.get("from")),
        reported_to=_day(get.get("to")),
    )
    return filters, errors


def _page_number(raw: str | None) -> int:
    return min(MAX_PAGES, max(1, int(raw))) if raw and raw.isdecimal() and len(raw) < 6 else 1


@login_required
def results(request: HttpRequest) -> HttpResponse:
    get = request.GET
    raw = get.get("q", "")
    filters, errors = _filters(get)
    number = _page_number(get.get("page"))
    context: dict[str, Any] = {
        "q": raw[:500],
        "selected": {k: get.get(k, "") for k in FILTER_FIELDS},
        "categories": CATEGORIES,
        "priorities": Priority.choices,
        "statuses": Status.choices,
        "states": State.objects.order_by("name"),
        "page": None,
        "number": number,
    }
    status = 200
    headers: dict[str, str] = {}
    if raw.strip() and not errors:
        try:
            query = parse_query(raw)
        except BadQuery as exc:
            errors.append(f"search: {exc}")
            query = None
        verdict = ratelimit.hit(request.user, "search") if query is not None else None
        if query is not None and verdict is not None and not verdict.allowed:
            actions.record_refusal("search.alerts", actor=request.user, verdict=verdict, request=request)
            errors.append(f"Too many searches. Try again in {verdict.retry_after} seconds.")
            status, headers = 429, {"Retry-After": str(verdict.retry_after)}
        elif query is not None:
            try:
                page = search_alerts(
                    request.user,
                    query,
                    filters,
                    newest=get.get("sort") == "newest",
                    limit=PER_PAGE,
                    offset=(number - 1) * PER_PAGE,
                )
            except NinjaValidationError as exc:
                errors += [f"{e['loc'][-1]}: {e['msg']}" for e in exc.errors]
            else:
                actions.record_search(
                    "search.alerts",
                    actor=request.user,
                    request=request,
                    detail={"q": query.text[: actions.AUDIT_QUERY_MAX], "page": number, "count": page.count},
                )
                context["page"] = page
                context["rows"] = [
                    {
                        "alert": r.alert,
                        "title": highlighted(r.title) or highlighted(r.alert.title),
                        "snippet": highlighted(r.snippet),
                    }
                    for r in page.results
                ]
                keep = get.copy()
                keep.pop("page", None)
                context["query"] = keep.urlencode()
                context["has_next"] = page.more and number < MAX_PAGES
    if errors and status == 200:
        status = 400
    context["errors"] = errors
    template = "search/_results.html" if getattr(request, "htmx", False) else "search/results.html"
    response = render(request, template, context, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


@login_required
def person_search(request: HttpRequest) -> HttpResponse:
    from crimac.alerts.choices import Gender
    from crimac.search import persons

    get = request.GET
    fields = {k: get.get(k, "")[:200] for k in ("name", "gender", "age", "state")}
    context: dict[str, Any] = {
        "values": fields,
        "genders": Gender.choices,
        "states": State.objects.order_by("name"),
        "errors": {},
        "candidates": None,
    }
    status = 200
    response_headers: dict[str, str] = {}
    if fields["name"].strip():
        try:
            wanted = persons.sought(**fields)
        except persons.BadPerson as exc:
            context["errors"] = {exc.field: str(exc)}
            status = 400
        else:
            verdict = ratelimit.hit(request.user, "persons")
            if not verdict.allowed:
                actions.record_refusal("search.persons", actor=request.user, verdict=verdict, request=request)
                context["errors"] = {
                    "name": f"Too many searches. Try again in {verdict.retry_after} seconds."
                }
                status, response_headers = 429, {"Retry-After": str(verdict.retry_after)}
            else:
                found = persons.search_persons(request.user, wanted)
                actions.record_search(
                    "search.persons",
                    actor=request.user,
                    request=request,
                    detail={**wanted.facts(), "normalised": wanted.normalised, "count": len(found)},
                    kind="person",
                    value=wanted.normalised,
                    facts=wanted.facts(),
                )
                context["candidates"] = found[:50]
                context["count"] = len(found)
    response = render(request, "search/persons.html", context, status=status)
    for name, value in response_headers.items():
        response[name] = value
    return response
