"""Links from a figure to the alerts behind it (the oversight alert list, which reads through
`Alert.objects.visible_to`)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from crimac.oversight.period import Period


def behind(period: Period, **filters: object) -> str:
    """/oversight/alerts/?from=..&to=..&state=DL&check=no_fir ...; empty filters are left out."""
    params = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    params.update({k: str(v) for k, v in filters.items() if v not in (None, "")})
    return f"{reverse('oversight:alerts')}?{urlencode(params)}"


def state_page(period: Period, code: str, figure: str = "") -> str:
    url = reverse("oversight:state", kwargs={"code": code})
    params = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    if figure:
        params["figure"] = figure
    return f"{url}?{urlencode(params)}"
