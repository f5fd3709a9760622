"""What a user is shown of a match. Matching looks across visibility; revealing does not: of the
other alert, a user who may not see it learns only its reference and originating agency (until
its originator grants access, e.g. by adding the user's agency to its audience)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from crimac.alerts.models import Alert
from crimac.matching.models import Match

# Reasons that say why without saying what the other alert holds (no names, no ages). What is
# in brackets or after a colon is dropped ("ages agree (born 2011-2012 / 2010-2013)" -> "ages agree").
PUBLIC_REASONS = (
    "same ",
    "names ",
    "ages agree",
    "ages differ",
    "gender",
    "identifying marks alike",
    "transliterated from",
)


def public_reasons(reasons: list[str]) -> list[str]:
    """The reasons fit to show to a side that may not see the other alert. An exact identifier
    ("same phone number +91...") is on both alerts, so it stays whole."""
    out: list[str] = []
    for reason in reasons:
        if reason.startswith("same ") and not reason.startswith("same after folding"):
            text = reason
        elif reason.startswith(PUBLIC_REASONS[1:]):
            text = reason.split(" (", 1)[0].split(":", 1)[0]
        else:
            continue
        if text not in out:
            out.append(text)
    return out


@dataclass
class Side:
    reference: str
    origin: str
    origin_name: str
    visible: bool
    title: str | None = None
    category: str | None = None
    subject: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class MatchView:
    match: Match
    mine: Side
    other: Side
    may_decide: bool

    @property
    def sides(self) -> tuple[Side, Side]:
        return (self.mine, self.other)

    @property
    def note(self) -> str | None:
        """The decision's note: it may describe the other alert, so only for whoever may see it."""
        return (self.match.decision_note or None) if self.other.visible else None

    @property
    def reasons(self) -> list[str]:
        m = self.match
        return list(m.reasons) if self.other.visible else public_reasons(m.reasons)

    def as_dict(self) -> dict[str, Any]:
        m = self.match
        return {
            "id": m.pk,
            "kind": m.kind,
            "status": m.status,
            "score": m.score,
            "exact": m.exact,
            "reasons": self.reasons,
            "pairing": m.pairing or None,
            "priority": m.priority,
            "created_at": m.created_at.isoformat(),
            "decided_by": m.decided_by.username if m.decided_by else None,
            "decided_at": m.decided_at.isoformat() if m.decided_at else None,
            "decision_note": self.note,
            "alert": self.mine.as_dict(),
            "other": self.other.as_dict(),
            "may_decide": self.may_decide,
        }


def related(queryset: QuerySet[Match]) -> QuerySet[Match]:
    return queryset.select_related("alert_a__origin_agency", "alert_b__origin_agency", "decided_by")


def _side(alert: Alert, label: str, visible: bool) -> Side:
    side = Side(alert.reference, alert.origin_agency.code, alert.origin_agency.name, visible)
    if visible:
        side.title, side.category, side.subject = alert.title, alert.category, label
    return side


def views_of(matches: list[Match], user: Any, *, anchor: Alert | None = None) -> list[MatchView]:
    """Present matches to `user`; `anchor` is the alert the user is looking at (else the side
    their agency originated, else side A). One query for the visibility of every alert involved."""
    from crimac.matching.actions import may_decide

    ids = {m.alert_a_id for m in matches} | {m.alert_b_id for m in matches}
    seen = (
        set(Alert.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    )
    path = user.agency.path
    out = []
    for m in matches:
        a_first = True
        if anchor is not None:
            a_first = m.alert_a_id == anchor.pk
        elif not m.alert_a.origin_agency.path.startswith(path) and m.alert_b.origin_agency.path.startswith(
            path
        ):
            a_first = False
        sides = [
            _side(m.alert_a, m.label_a, m.alert_a_id in seen),
            _side(m.alert_b, m.label_b, m.alert_b_id in seen),
        ]
        mine, other = sides if a_first else sides[::-1]
        out.append(MatchView(m, mine, other, may_decide(user, m)))
    return out


def matches_for(alert: Alert, user: Any) -> list[MatchView]:
    """The matches of one alert the user may see, strongest first (for the alert's page:
    `{% include "matching/_matches.html" %}` with `matches` in the context)."""
    from django.db.models import Q

    qs = related(Match.objects.visible_to(user).filter(Q(alert_a=alert) | Q(alert_b=alert)))
    return views_of(list(qs.order_by("-score", "-id")[:100]), user, anchor=alert)
