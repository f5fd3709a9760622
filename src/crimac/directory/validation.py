"""The rules a directory entry must satisfy, shared by the admin, the API, commands and actions.

Wrong mappings (a station under another district's office) are a known failure of the national
system, so the geography of an agency is checked against its kind and against its parent.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from crimac.directory.choices import (
    DISTRICT_KINDS,
    NATIONAL_KINDS,
    STATE_KINDS,
    AgencyKind,
    Role,
)

if TYPE_CHECKING:
    from crimac.directory.models import Agency, User

CODE_RE = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")


class Errors:
    """Collects field errors and raises them together, so a form shows every problem at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def check_agency(agency: Agency) -> None:
    errors = Errors()
    if not CODE_RE.match(agency.code or ""):
        errors.add("code", "must be upper-case letters and digits in parts joined by '-'")
    if not (agency.name or "").strip():
        errors.add("name", "must not be empty")
    if agency.kind not in AgencyKind.values:
        errors.add("kind", f"must be one of: {', '.join(AgencyKind.values)}")
    state, district, parent = agency.state, agency.district, agency.parent

    if agency.kind in NATIONAL_KINDS and (state or district):
        errors.add("state", f"a {agency.get_kind_display()} is national and has no State")
    if agency.kind in STATE_KINDS | DISTRICT_KINDS and state is None:
        errors.add("state", f"a {agency.get_kind_display()} needs its State")
    if agency.kind in STATE_KINDS and district is not None:
        errors.add("district", f"a {agency.get_kind_display()} serves the whole State, not a district")
    if agency.kind in DISTRICT_KINDS and district is None:
        errors.add("district", f"a {agency.get_kind_display()} needs its district")
    if district is not None:
        if state is None:
            errors.add("state", "an agency with a district needs that district's State")
        elif district.state_id != state.pk:
            errors.add("district", f"{district.name} is in {district.state.name}, not in {state.name}")
        if district.retired_at is not None and agency.active:
            errors.add("district", f"{district.name} is retired; choose its successor district")
    if agency.contact_email:
        try:
            validate_email(agency.contact_email)
        except ValidationError:
            errors.add("contact_email", "must be an e-mail address")
    if agency.latitude is not None and not (6 <= agency.latitude <= 38):
        errors.add("latitude", "must lie within India (6 to 38 degrees north)")
    if agency.longitude is not None and not (68 <= agency.longitude <= 98):
        errors.add("longitude", "must lie within India (68 to 98 degrees east)")
    if (agency.latitude is None) != (agency.longitude is None):
        errors.add("latitude", "give both latitude and longitude, or neither")

    if parent is not None:
        if agency.pk is not None and parent.is_within(agency):
            errors.add("parent", "an agency cannot sit below itself or below one of its own units")
        if parent.state_id is not None and parent.state_id != agency.state_id:
            errors.add("parent", f"the parent {parent.code} belongs to another State")
        if parent.district_id is not None and parent.district_id != agency.district_id:
            errors.add("parent", f"the parent {parent.code} belongs to another district")
        if agency.kind == AgencyKind.POLICE_STATION and parent.kind not in {
            AgencyKind.DISTRICT_OFFICE,
            AgencyKind.DISTRICT_CONTROL_ROOM,
        }:
            errors.add("parent", "a police station reports to a district police office")
        if agency.kind in STATE_KINDS and parent.state_id is not None and parent.kind not in STATE_KINDS:
            errors.add("parent", "a State-level office reports to the State headquarters")
        if agency.kind in NATIONAL_KINDS and parent.state_id is not None:
            errors.add("parent", "a national agency cannot report to a State's agency")
    elif agency.kind != AgencyKind.STATE_HQ and agency.kind not in NATIONAL_KINDS and state is not None:
        errors.add("parent", f"a {agency.get_kind_display()} needs the agency it reports to")
    errors.raise_if_any()


def check_user(user: User) -> None:
    errors = Errors()
    if not (user.username or "").strip():
        errors.add("username", "must not be empty")
    elif not re.fullmatch(r"[\w.@+-]+", user.username):
        errors.add("username", "may hold letters, digits and @ . + - _ only")
    if user.role not in Role.values:
        errors.add("role", f"must be one of: {', '.join(Role.values)}")
    agency = getattr(user, "agency", None) if user.agency_id else None
    if agency is None:
        errors.add("agency", "every user belongs to one agency")
    else:
        if not agency.active and user.is_active:
            errors.add("agency", f"{agency.code} is not active")
        if user.role == Role.NODAL_OFFICER and agency.state_id is None:
            errors.add("role", "a State nodal officer belongs to an agency of that State")
    errors.raise_if_any()
