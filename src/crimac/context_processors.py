"""The navigation every page shows. Project-level (like urls.py), so it may name every app."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from crimac.directory.permissions import Perm, has_perm
from crimac.oversight.access import may_view as may_view_oversight


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": [], "feed_cursor": None}
    from crimac.dissemination.models import Delivery
    from crimac.dissemination.subscriptions import muted_for_user_q

    unacknowledged = (
        Delivery.objects.filter(agency_id=user.agency_id, acknowledged_at__isnull=True, muted=False)
        .exclude(muted_for_user_q(user))
        .count()
    )
    items = [
        ("Home", reverse("home")),
        (f"Inbox ({unacknowledged})" if unacknowledged else "Inbox", reverse("dissemination:inbox")),
        ("Alerts", reverse("alerts:list")),
        ("Matches", reverse("matching:list")),
    ]
    if has_perm(user, Perm.POST_ALERT):
        items.append(("Post an alert", reverse("alerts:new")))
    items.append(("Directory", reverse("directory:agencies")))
    items.append(("Subscriptions", reverse("subscriptions:list")))
    if may_view_oversight(user):
        items.append(("Oversight", reverse("oversight:dashboard")))
    if has_perm(user, Perm.MANAGE_API_KEYS):
        items.append(("API keys", reverse("directory:apikeys")))
    if has_perm(user, Perm.MANAGE_CHANNELS):
        items.append(("Channels", reverse("channels:index")))
    if has_perm(user, Perm.OPEN_ADMIN):
        items.append(("Administration", reverse("admin:index")))
    from crimac.dissemination.feed import events_for

    # The live feed starts after the newest event this agency already has.
    feed_cursor = events_for(user.agency).order_by("-id").values_list("id", flat=True).first() or 0
    return {"nav": items, "feed_cursor": feed_cursor}
