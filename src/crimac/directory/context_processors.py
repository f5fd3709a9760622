"""The navigation every page shows. Later features add their entries here."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from crimac.directory.permissions import Perm, has_perm


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items = [("Home", reverse("home")), ("Alerts", reverse("alerts:list"))]
    if has_perm(user, Perm.POST_ALERT):
        items.append(("Post an alert", reverse("alerts:new")))
    items.append(("Directory", reverse("directory:agencies")))
    if has_perm(user, Perm.MANAGE_API_KEYS):
        items.append(("API keys", reverse("directory:apikeys")))
    if has_perm(user, Perm.OPEN_ADMIN):
        items.append(("Administration", reverse("admin:index")))
    return {"nav": items}
