"""The shape of an alert as clients write it. The API and the posting page both produce this;
`actions.check_alert` then resolves codes and applies the rules that need the database."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, field_validator

from crimac.alerts.choices import (
    CATEGORY_BY_VALUE,
    ActionRequested,
    Build,
    Gender,
    HandlingCode,
    IdentifierType,
    Outcome,
    PersonRole,
    Priority,
    VehicleType,
)
from crimac.directory.choices import AgencyKind

EARLIEST_YEAR, LATEST_YEAR = 1900, 2100


def _aware(value: datetime) -> datetime:
    """A time without a zone (a browser's datetime-local) is read in the server's time zone.
    Years outside 1900-2100 are typing mistakes, and cannot all be converted to UTC."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _sane_date(value: date) -> date:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


When = Annotated[datetime, AfterValidator(_aware)]
Day = Annotated[date, AfterValidator(_sane_date)]
LgdCode = Annotated[int, Field(ge=1, le=2**31 - 1)]


def _choice(values: list[str]) -> object:
    return Literal[tuple(values)]


PriorityLit = _choice(Priority.values)
ActionLit = _choice(ActionRequested.values)
HandlingLit = _choice(HandlingCode.values)
RoleLit = _choice(PersonRole.values)
GenderLit = _choice(Gender.values)
BuildLit = _choice(Build.values)
VehicleTypeLit = _choice(VehicleType.values)
IdentifierTypeLit = _choice(IdentifierType.values)
OutcomeLit = _choice(Outcome.values)
AgencyKindLit = _choice(AgencyKind.values)


class Strict(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PersonIn(Strict):
    role: RoleLit  # type: ignore[valid-type]
    name: str = Field("", max_length=200, description="as written, in any script")
    aliases: list[str] = Field(default_factory=list, max_length=20)
    gender: GenderLit = "unknown"  # type: ignore[valid-type]
    age_min: int | None = Field(None, ge=0, le=120)
    age_max: int | None = Field(None, ge=0, le=120)
    birth_date_from: Day | None = None
    birth_date_to: Day | None = None
    height_cm_min: int | None = Field(None, ge=30, le=250)
    height_cm_max: int | None = Field(None, ge=30, le=250)
    build: BuildLit = "unknown"  # type: ignore[valid-type]
    marks: str = Field("", max_length=2000, description="identifying marks")
    languages: list[str] = Field(default_factory=list, max_length=20)
    last_seen_place: str = Field("", max_length=300)
    last_seen_at: When | None = None

    @field_validator("aliases", "languages")
    @classmethod
    def _short_items(cls, items: list[str]) -> list[str]:
        cleaned = [i.strip() for i in items if i and i.strip()]
        if any(len(i) > 200 for i in cleaned):
            raise ValueError("each entry must be at most 200 characters")
        return cleaned


class VehicleIn(Strict):
    registration: str = Field("", max_length=20)
    vehicle_type: VehicleTypeLit = "other"  # type: ignore[valid-type]
    make: str = Field("", max_length=60)
    model: str = Field("", max_length=60)
    colour: str = Field("", max_length=40)
    chassis_number: str = Field("", max_length=30)
    engine_number: str = Field("", max_length=30)


class PhoneIn(Strict):
    number: str = Field("", max_length=32)
    imei: str = Field("", max_length=20)


class IdentifierIn(Strict):
    type: IdentifierTypeLit  # type: ignore[valid-type]
    value: str = Field(..., min_length=1, max_length=120)


RADIUS_KM_MAX = 2000


class AudienceTerms(Strict):
    """The terms an audience is made of; `AudienceIn` adds them up, `exclude` takes them away."""

    states: list[str] = Field(default_factory=list, max_length=40, description="State/UT codes, e.g. DL")
    districts: list[LgdCode] = Field(default_factory=list, max_length=800, description="LGD district codes")
    agencies: list[str] = Field(default_factory=list, max_length=500, description="agency codes")
    agency_kinds: list[AgencyKindLit] = Field(default_factory=list, max_length=20)  # type: ignore[valid-type]
    agency_kinds_in_states: list[str] = Field(
        default_factory=list, max_length=40, description="limit agency_kinds to these States"
    )
    bordering_states: bool = Field(False, description="the States/UTs bordering the incident State")
    radius_km: int | None = Field(
        None,
        ge=1,
        le=RADIUS_KM_MAX,
        description=(
            "every active agency within this many km (great-circle) of the incident's latitude and "
            "longitude, which the alert must then give; agencies without coordinates in the "
            "directory are not reached by a radius"
        ),
    )

    def is_empty(self) -> bool:
        return not (
            self.states
            or self.districts
            or self.agencies
            or self.agency_kinds
            or self.agency_kinds_in_states
            or self.bordering_states
            or self.radius_km
        )


class AudienceExclude(AudienceTerms):
    """Agencies these terms reach get nothing, whatever else reaches them (the originating agency
    still sees its own alert)."""


class AudienceIn(AudienceTerms):
    """Whom the alert is for. Terms add up; `exclude` then takes agencies away. With no term
    named, the audience is the incident's State (less any exclusions)."""

    national: bool = False
    exclude: AudienceExclude | None = Field(
        None, description="agencies to leave out: the same terms as the audience, taken away"
    )

    def is_empty(self) -> bool:
        """No positive term (exclusions alone do not say whom the alert is for)."""
        return not self.national and super().is_empty()


class AlertIn(Strict):
    category: str = Field(..., description="one of the categories (GET /api/v1/alerts/categories)")
    title: str = Field(..., min_length=3, max_length=200)
    narrative: str = Field("", max_length=20000)
    priority: PriorityLit | None = Field(None, description="default: the category's")  # type: ignore[valid-type]
    action_requested: ActionLit | None = Field(None, description="default: the category's")  # type: ignore[valid-type]
    occurred_at: When | None = None
    reported_at: When | None = Field(None, description="default: now")
    state: str | None = Field(None, description="State/UT code of the place; default: the agency's")
    district: LgdCode | None = Field(None, description="LGD district code of the place")
    station: str | None = Field(None, description="code of the police station of the place")
    address: str = Field("", max_length=300)
    latitude: Decimal | None = Field(None, ge=6, le=38, max_digits=8, decimal_places=5)
    longitude: Decimal | None = Field(None, ge=68, le=98, max_digits=8, decimal_places=5)
    sections: list[str] = Field(default_factory=list, max_length=30, description="e.g. 'IPC 370', 'BNS 143'")
    fir_number: str = Field("", max_length=40)
    fir_date: Day | None = None
    handling_code: HandlingLit = "H0"  # type: ignore[valid-type]
    expires_at: When | None = None
    audience: AudienceIn | None = Field(None, description="default: the incident's State")
    persons: list[PersonIn] = Field(default_factory=list, max_length=50)
    vehicles: list[VehicleIn] = Field(default_factory=list, max_length=50)
    phones: list[PhoneIn] = Field(default_factory=list, max_length=50)
    identifiers: list[IdentifierIn] = Field(default_factory=list, max_length=100)

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in CATEGORY_BY_VALUE:
            raise ValueError(f"unknown category; one of: {', '.join(CATEGORY_BY_VALUE)}")
        return value


class AlertCreate(AlertIn):
    publish: bool = Field(True, description="publish at once (default) or keep as a draft")


class AlertRevise(Strict):
    """A revision: the fields given replace the alert's; subject lists given replace the lists."""

    summary: str = Field(..., min_length=3, max_length=500, description="what changed, for recipients")
    title: str | None = Field(None, min_length=3, max_length=200)
    narrative: str | None = Field(None, max_length=20000)
    priority: PriorityLit | None = None  # type: ignore[valid-type]
    action_requested: ActionLit | None = None  # type: ignore[valid-type]
    occurred_at: When | None = None
    state: str | None = None
    district: LgdCode | None = None
    station: str | None = None
    address: str | None = Field(None, max_length=300)
    latitude: Decimal | None = Field(None, ge=6, le=38, max_digits=8, decimal_places=5)
    longitude: Decimal | None = Field(None, ge=68, le=98, max_digits=8, decimal_places=5)
    sections: list[str] | None = Field(None, max_length=30)
    fir_number: str | None = Field(None, max_length=40)
    fir_date: Day | None = None
    handling_code: HandlingLit | None = None  # type: ignore[valid-type]
    expires_at: When | None = None
    audience: AudienceIn | None = None
    persons: list[PersonIn] | None = Field(None, max_length=50)
    vehicles: list[VehicleIn] | None = Field(None, max_length=50)
    phones: list[PhoneIn] | None = Field(None, max_length=50)
    identifiers: list[IdentifierIn] | None = Field(None, max_length=100)


class CancelIn(Strict):
    reason: str = Field(..., min_length=3, max_length=1000)


class ResolveIn(Strict):
    outcome: OutcomeLit  # type: ignore[valid-type]
    note: str = Field("", max_length=2000)
