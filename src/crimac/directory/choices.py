"""Choices of the directory: agency kinds and user roles."""

from __future__ import annotations

from django.db import models


class AgencyKind(models.TextChoices):
    NATIONAL_BODY = "national_body", "National body (MHA, NCRB)"
    CENTRAL_AGENCY = "central_agency", "Central agency (CBI, NIA, NCB, IB)"
    BORDER_FORCE = "border_force", "Border guarding force"
    RAILWAY_POLICE = "railway_police", "Railway police"
    IMMIGRATION = "immigration", "Immigration"
    STATE_HQ = "state_hq", "State/UT police headquarters"
    STATE_CONTROL_ROOM = "state_control_room", "State/UT control room"
    DISTRICT_OFFICE = "district_office", "District police office"
    DISTRICT_CONTROL_ROOM = "district_control_room", "District control room"
    POLICE_STATION = "police_station", "Police station"
    AHTU = "ahtu", "Anti-Human Trafficking Unit"
    ANTI_TERROR_SQUAD = "ats", "Anti-terror squad"
    CYBER_CELL = "cyber_cell", "Cyber cell"
    SPECIAL_TASK_FORCE = "stf", "Special task force"
    BORDER_CHECK_POST = "border_check_post", "Border check post"


# Where in the geography each kind sits: "none" (national), "state" or "district".
NATIONAL_KINDS = frozenset(
    {
        AgencyKind.NATIONAL_BODY,
        AgencyKind.CENTRAL_AGENCY,
        AgencyKind.BORDER_FORCE,
        AgencyKind.IMMIGRATION,
    }
)
STATE_KINDS = frozenset({AgencyKind.STATE_HQ, AgencyKind.STATE_CONTROL_ROOM})
DISTRICT_KINDS = frozenset(
    {
        AgencyKind.DISTRICT_OFFICE,
        AgencyKind.DISTRICT_CONTROL_ROOM,
        AgencyKind.POLICE_STATION,
        AgencyKind.AHTU,
    }
)
# Special units, railway police and check posts may sit at national, State or district level.
FLEXIBLE_KINDS = frozenset(
    {
        AgencyKind.RAILWAY_POLICE,
        AgencyKind.ANTI_TERROR_SQUAD,
        AgencyKind.CYBER_CELL,
        AgencyKind.SPECIAL_TASK_FORCE,
        AgencyKind.BORDER_CHECK_POST,
    }
)
CONTROL_ROOM_KINDS = frozenset({AgencyKind.STATE_CONTROL_ROOM, AgencyKind.DISTRICT_CONTROL_ROOM})


class Role(models.TextChoices):
    OFFICER = "officer", "Officer"
    SUPERVISOR = "supervisor", "Supervisor"
    NODAL_OFFICER = "nodal_officer", "State nodal officer"
    ANALYST = "analyst", "Analyst"
    ADMIN = "admin", "Administrator"
