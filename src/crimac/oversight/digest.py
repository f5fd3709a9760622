"""The weekly digest: what each State nodal officer and each district control room hears about
their own patch: the police stations that posted nothing last week, and the alerts that reached
their agencies and still wait for an acknowledgement.

`plan_digests` only reads (a few aggregate queries, whatever the number of recipients);
`actions.send_digests` writes the notices and sends the e-mails.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from crimac.directory.choices import AgencyKind, Role
from crimac.directory.models import Agency, User
from crimac.dissemination.models import Delivery
from crimac.oversight.figures.base import posted
from crimac.oversight.models import NoticeKind
from crimac.oversight.period import Period

LISTED = 25  # stations and alerts named in one digest; the rest are counted


def enabled() -> bool:
    """Off by default in the embedded mode, on in production (settings.CRIMAC_DIGEST)."""
    return bool(getattr(settings, "CRIMAC_DIGEST", getattr(settings, "PRODUCTION", False)))


def last_week(today: date | None = None) -> Period:
    """The last full week, Monday to Sunday: the same week whenever in this week it runs, so a
    digest is sent once per week (see the unique constraint on Notice)."""
    today = today or timezone.localdate()
    monday = today - timedelta(days=today.weekday() + 7)
    return Period(monday, monday + timedelta(days=6))


@dataclass
class Digest:
    kind: str
    agency: Agency
    place: str
    users: list[User]
    emails: list[str]
    silent: list[tuple[str, str]] = field(default_factory=list)
    silent_count: int = 0
    stations: int = 0
    waiting: list[tuple[str, str, str]] = field(default_factory=list)
    waiting_count: int = 0
    to_agency: bool = False  # one notice for every user of the agency (a control room)

    @property
    def title(self) -> str:
        return (
            f"Weekly digest for {self.place}: {self.silent_count} silent police stations, "
            f"{self.waiting_count} alerts waiting for acknowledgement"
        )

    def body(self, period: Period) -> str:
        lines = [
            f"Week {period.start:%d %b %Y} to {period.end:%d %b %Y}, {self.place}.",
            "",
            f"Police stations that posted no alert: {self.silent_count} of {self.stations}.",
        ]
        lines += [f"  - {name} ({code})" for code, name in self.silent]
        if self.silent_count > len(self.silent):
            lines.append(f"  ... and {self.silent_count - len(self.silent)} more")
        lines += ["", f"Alerts delivered last week and still not acknowledged: {self.waiting_count}."]
        lines += [f"  - {ref} at {code}: {title}" for ref, code, title in self.waiting]
        if self.waiting_count > len(self.waiting):
            lines.append(f"  ... and {self.waiting_count - len(self.waiting)} more")
        lines += ["", "See the oversight dashboard for the full picture."]
        return "\n".join(lines)

    def data(self) -> dict[str, Any]:
        return {
            "silent_count": self.silent_count,
            "stations": self.stations,
            "silent": [c for c, _ in self.silent],
            "waiting_count": self.waiting_count,
            "waiting": [r for r, _, _ in self.waiting],
        }


def _recipients() -> tuple[dict[int, list[User]], dict[int, list[User]], list[Agency]]:
    """Nodal officers per State, users per district control room, and the control rooms.

    Who gets a digest is a matter of office, not of permission: the State nodal officer and the
    district control room are named by the issue, so the role and the agency kind decide."""
    nodal: dict[int, list[User]] = defaultdict(list)
    for u in User.objects.filter(
        role=Role.NODAL_OFFICER, is_active=True, is_system=False, agency__state__isnull=False
    ).select_related("agency"):
        if u.agency.state_id is not None:
            nodal[u.agency.state_id].append(u)
    rooms = list(
        Agency.objects.filter(kind=AgencyKind.DISTRICT_CONTROL_ROOM, active=True, district__isnull=False)
        .select_related("district__state")
        .order_by("code")
    )
    staff: dict[int, list[User]] = defaultdict(list)
    for u in User.objects.filter(
        agency__kind=AgencyKind.DISTRICT_CONTROL_ROOM, is_active=True, is_system=False
    ).select_related("agency"):
        staff[u.agency_id].append(u)
    return nodal, staff, rooms


def plan_digests(period: Period) -> list[Digest]:
    """Every digest for the week, with its recipients, silent stations and waiting alerts."""
    start, end = period.bounds()
    nodal, staff, rooms = _recipients()
    wanted_states = set(nodal) | {r.state_id for r in rooms if r.state_id is not None}
    stations = (
        Agency.objects.filter(kind=AgencyKind.POLICE_STATION, active=True, state_id__in=wanted_states)
        .annotate(posted=Exists(posted(period).filter(origin_agency=OuterRef("pk"))))
        .values_list("state_id", "district_id", "code", "name", "posted")
        .order_by("code")
    )
    by_state: dict[int, list[tuple[str, str, bool]]] = defaultdict(list)
    by_district: dict[int, list[tuple[str, str, bool]]] = defaultdict(list)
    for state_id, district_id, code, name, did_post in stations:
        by_state[state_id].append((code, name, did_post))
        by_district[district_id].append((code, name, did_post))
    waiting_rows = (
        Delivery.objects.filter(
            created_at__gte=start,
            created_at__lt=end,
            acknowledged_at__isnull=True,
            agency__state_id__in=wanted_states,
        )
        .values_list(
            "agency__state_id", "agency__district_id", "alert__reference", "agency__code", "alert__title"
        )
        .order_by("created_at", "id")
    )
    waiting_state: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    waiting_district: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for state_id, district_id, ref, code, title in waiting_rows:
        waiting_state[state_id].append((ref, code, title))
        if district_id is not None:
            waiting_district[district_id].append((ref, code, title))

    def fill(d: Digest, st: list[tuple[str, str, bool]], waiting: list[tuple[str, str, str]]) -> Digest:
        silent = [(code, name) for code, name, did in st if not did]
        d.stations, d.silent_count, d.silent = len(st), len(silent), silent[:LISTED]
        d.waiting_count, d.waiting = len(waiting), waiting[:LISTED]
        return d

    digests = []
    state_hq = {a.state_id: a for a in Agency.objects.filter(kind=AgencyKind.STATE_HQ, state_id__in=nodal)}
    for state_id, users in sorted(nodal.items()):
        agency = users[0].agency
        state_name = agency.state.name if agency.state else ""
        d = Digest(
            kind=NoticeKind.STATE_DIGEST,
            agency=state_hq.get(state_id, agency),
            place=state_name,
            users=users,
            emails=sorted({u.email for u in users if u.email}),
        )
        digests.append(fill(d, by_state.get(state_id, []), waiting_state.get(state_id, [])))
    for room in rooms:
        if room.district is None or room.district_id is None:
            continue
        users = staff.get(room.pk, [])
        emails = {u.email for u in users if u.email} | ({room.contact_email} if room.contact_email else set())
        d = Digest(
            kind=NoticeKind.DISTRICT_DIGEST,
            agency=room,
            place=f"{room.district.name} district ({room.district.state.code})",
            users=users,
            emails=sorted(emails),
            to_agency=True,
        )
        digests.append(
            fill(d, by_district.get(room.district_id, []), waiting_district.get(room.district_id, []))
        )
    return digests
