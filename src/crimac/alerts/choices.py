"""Choices of the alerts app. Categories are one table: adding a category is one entry in
`CATEGORIES` (see docs/contributor-guide.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import models


class ActionRequested(models.TextChoices):
    LOCATE = "locate", "Locate"
    ARREST = "arrest", "Arrest"
    DETAIN_AND_INFORM = "detain_and_inform", "Detain and inform"
    TRACE_AND_INFORM = "trace_and_inform", "Trace and inform"
    DISCREET_WATCH = "discreet_watch", "Discreet watch"
    IDENTIFY = "identify", "Identify"
    RECOVER = "recover", "Recover"
    INFORMATION_ONLY = "information_only", "Information only"


@dataclass(frozen=True)
class Category:
    value: str
    label: str
    description: str
    default_action: str
    default_priority: str
    trafficking: bool = False


# The one table of alert categories. Order is the order officers see.
CATEGORIES: tuple[Category, ...] = (
    Category(
        "heinous_crime",
        "Heinous crime incident",
        "Murder, attempt to murder, dacoity, robbery, kidnapping, rape and other heinous offences.",
        ActionRequested.LOCATE,
        "immediate",
    ),
    Category(
        "terror_incident",
        "Terror incident",
        "A terrorist act, attack, blast or credible threat.",
        ActionRequested.LOCATE,
        "flash",
    ),
    Category(
        "organised_crime",
        "Organised crime",
        "Gangs, syndicates, extortion rings, organised and petty organised crime.",
        ActionRequested.DISCREET_WATCH,
        "priority",
    ),
    Category(
        "human_trafficking",
        "Human trafficking",
        "Trafficking of persons for sexual exploitation, labour, begging, marriage or organs.",
        ActionRequested.TRACE_AND_INFORM,
        "immediate",
        trafficking=True,
    ),
    Category(
        "missing_person",
        "Missing person",
        "A person reported missing; children and women first.",
        ActionRequested.TRACE_AND_INFORM,
        "immediate",
    ),
    Category(
        "rescued_victim",
        "Trafficked or rescued victim",
        "A trafficked person rescued or found, whose family or origin is sought.",
        ActionRequested.IDENTIFY,
        "immediate",
        trafficking=True,
    ),
    Category(
        "unidentified_person",
        "Unidentified found person",
        "A living person found who cannot or will not say who they are.",
        ActionRequested.IDENTIFY,
        "priority",
    ),
    Category(
        "unidentified_body",
        "Unidentified dead body",
        "A dead body whose identity is not known.",
        ActionRequested.IDENTIFY,
        "priority",
    ),
    Category(
        "wanted_person",
        "Wanted person or absconder",
        "A person wanted in a case, a proclaimed offender or an absconder.",
        ActionRequested.ARREST,
        "priority",
    ),
    Category(
        "criminal_release",
        "Release of a hardened criminal",
        "A history-sheeter or hardened criminal released from jail, on bail or parole.",
        ActionRequested.DISCREET_WATCH,
        "priority",
    ),
    Category(
        "stolen_vehicle",
        "Stolen vehicle",
        "A vehicle stolen or used in a crime.",
        ActionRequested.RECOVER,
        "priority",
    ),
    Category(
        "modus_operandi",
        "Modus operandi advisory",
        "How a gang or offender operates, so others can recognise it.",
        ActionRequested.INFORMATION_ONLY,
        "routine",
    ),
    Category(
        "general_advisory",
        "General advisory",
        "Anything else units should know.",
        ActionRequested.INFORMATION_ONLY,
        "routine",
    ),
)

CATEGORY_BY_VALUE = {c.value: c for c in CATEGORIES}
CATEGORY_CHOICES = [(c.value, c.label) for c in CATEGORIES]
TRAFFICKING_CATEGORIES = frozenset(c.value for c in CATEGORIES if c.trafficking)


class Priority(models.TextChoices):
    FLASH = "flash", "Flash"
    IMMEDIATE = "immediate", "Immediate"
    PRIORITY = "priority", "Priority"
    ROUTINE = "routine", "Routine"


def ack_deadline(priority: str) -> timedelta:
    """How long a recipient has to acknowledge an alert of this priority (settings)."""
    from django.conf import settings

    return timedelta(minutes=settings.ACK_DEADLINE_MINUTES[priority])


class HandlingCode(models.TextChoices):
    H0 = "H0", "H0: use only to prevent or combat crime"
    H1 = "H1", "H1: not for court without the originator's permission"
    H2 = "H2", "H2: no onward sharing without the originator's permission"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RESOLVED = "resolved", "Resolved"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


LIVE_STATUSES = frozenset({Status.PUBLISHED})
CLOSED_STATUSES = frozenset({Status.RESOLVED, Status.CANCELLED, Status.EXPIRED})


class Outcome(models.TextChoices):
    ARRESTED = "arrested", "Arrested"
    TRACED = "traced", "Traced"
    RECOVERED = "recovered", "Recovered"
    NO_LONGER_SOUGHT = "no_longer_sought", "No longer sought"


class AudienceKind(models.TextChoices):
    NATIONAL = "national", "National"
    STATE = "state", "States/UTs"
    DISTRICT = "district", "Districts"
    AGENCY = "agency", "Named agencies"
    AGENCY_KIND = "agency_kind", "Agency kinds"
    BORDERING_STATES = "bordering_states", "States bordering the incident State"
    RADIUS = "radius", "Agencies within a radius of the incident"


class PersonRole(models.TextChoices):
    SUSPECT = "suspect", "Suspect"
    ACCUSED = "accused", "Accused"
    VICTIM = "victim", "Victim"
    MISSING = "missing", "Missing"
    RESCUED = "rescued", "Rescued"
    WITNESS = "witness", "Witness"
    UNIDENTIFIED = "unidentified", "Unidentified"


class Gender(models.TextChoices):
    MALE = "male", "Male"
    FEMALE = "female", "Female"
    TRANSGENDER = "transgender", "Transgender"
    UNKNOWN = "unknown", "Unknown"


class Build(models.TextChoices):
    THIN = "thin", "Thin"
    MEDIUM = "medium", "Medium"
    HEAVY = "heavy", "Heavy"
    UNKNOWN = "unknown", "Unknown"


class VehicleType(models.TextChoices):
    CAR = "car", "Car"
    MOTORCYCLE = "motorcycle", "Motorcycle / scooter"
    TRUCK = "truck", "Truck"
    BUS = "bus", "Bus"
    AUTO_RICKSHAW = "auto_rickshaw", "Auto-rickshaw"
    TRACTOR = "tractor", "Tractor"
    OTHER = "other", "Other"


class IdentifierType(models.TextChoices):
    PASSPORT = "passport", "Passport"
    AADHAAR_LAST4 = "aadhaar_last4", "Aadhaar (last four digits only)"
    VOTER_ID = "voter_id", "Voter ID (EPIC)"
    DRIVING_LICENCE = "driving_licence", "Driving licence"
    BANK_ACCOUNT = "bank_account", "Bank account"
    UPI_ID = "upi_id", "UPI ID"
    SOCIAL_MEDIA = "social_media", "Social media handle"


class AttachmentKind(models.TextChoices):
    IMAGE = "image", "Photograph"
    DOCUMENT = "document", "Document"
