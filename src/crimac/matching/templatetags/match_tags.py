"""`{% load match_tags %}{% alert_matches alert %}`: the matches of an alert on its page, for the
signed-in user, without the alerts app importing matching (apps depend downward)."""

from __future__ import annotations

from typing import Any

from django import template

from crimac.matching.reveal import matches_for

register = template.Library()


@register.inclusion_tag("matching/_matches.html", takes_context=True)
def alert_matches(context: Any, alert: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"matches": [], "request": request}
    return {"matches": matches_for(alert, user), "request": request, "csrf_token": context.get("csrf_token")}
