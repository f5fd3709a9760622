"""A realistic demo directory: every State/UT with its headquarters, control room and special
units, every district with its police office, control room and AHTU, police stations in every
district (unevenly, as in life), the central agencies, and demo log-ins for every role."""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from crimac.directory import actions
from crimac.directory.choices import AgencyKind as K
from crimac.directory.choices import Role
from crimac.directory.models import Agency, District, State, User

DEMO_PASSWORD = "crimac-demo"  # noqa: S105 - printed on purpose; refused in production

CENTRAL = [
    ("CBI", "Central Bureau of Investigation", K.CENTRAL_AGENCY),
    ("NIA", "National Investigation Agency", K.CENTRAL_AGENCY),
    ("NCB", "Narcotics Control Bureau", K.CENTRAL_AGENCY),
    ("IB", "Intelligence Bureau", K.CENTRAL_AGENCY),
    ("BSF", "Border Security Force", K.BORDER_FORCE),
    ("SSB", "Sashastra Seema Bal", K.BORDER_FORCE),
    ("ITBP", "Indo-Tibetan Border Police", K.BORDER_FORCE),
    ("AR", "Assam Rifles", K.BORDER_FORCE),
    ("RPF", "Railway Protection Force", K.RAILWAY_POLICE),
    ("BOI", "Bureau of Immigration", K.IMMIGRATION),
]
STATE_UNITS = [
    ("CR", "Police Control Room", K.STATE_CONTROL_ROOM),
    ("GRP", "Government Railway Police", K.RAILWAY_POLICE),
    ("ATS", "Anti-Terrorist Squad", K.ANTI_TERROR_SQUAD),
    ("CYBER", "Cyber Crime Cell", K.CYBER_CELL),
    ("STF", "Special Task Force", K.SPECIAL_TASK_FORCE),
]
STATION_NAMES = [
    "Kotwali",
    "Sadar",
    "City",
    "Civil Lines",
    "Mahila",
    "Cantonment",
    "Industrial Area",
    "Railway Colony",
    "Rural",
    "Town",
    "Bazar",
    "Model Town",
    "Airport",
    "Old City",
    "New Town",
    "Chowk",
    "Sector 1",
    "Sector 2",
    "Highway",
    "Nagar",
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    agency: str
    full_name: str
    rank: str


def demo_logins() -> list[DemoLogin]:
    """The demo accounts: the national centre, and a State chain in four States (Delhi, Assam and
    Haryana post the most; Jharkhand is where the trafficking story starts)."""
    people = [
        DemoLogin("admin", Role.ADMIN, "NCRB", "Centre Administrator", "Operator"),
        DemoLogin("analyst", Role.ANALYST, "NCRB", "Meera Krishnan", "Senior Analyst"),
    ]
    for state, district, name in [
        ("DL", "NEWDELHI", "Delhi"),
        ("AS", "KAMRUPMETRO", "Assam"),
        ("HR", "GURUGRAM", "Haryana"),
        ("JH", "RANCHI", "Jharkhand"),
    ]:
        lower = state.lower()
        people += [
            DemoLogin(f"{lower}.nodal", Role.NODAL_OFFICER, f"{state}-HQ", f"{name} Nodal Officer", "IGP"),
            DemoLogin(
                f"{lower}.analyst",
                Role.ANALYST,
                f"{state}-HQ",
                f"{name} Crime Analyst",
                "Inspector",
            ),
            DemoLogin(f"{lower}.control", Role.OFFICER, f"{state}-CR", f"{name} Control Room", "Inspector"),
            DemoLogin(f"{lower}.sp", Role.SUPERVISOR, f"{state}-{district}-DPO", f"{name} SP", "SP"),
            DemoLogin(f"{lower}.sho", Role.OFFICER, f"{state}-{district}-PS-001", f"{name} SHO", "SHO"),
            DemoLogin(
                f"{lower}.sho2",
                Role.OFFICER,
                f"{state}-{district}-PS-002",
                f"{name} Duty Officer",
                "SI",
            ),
        ]
    return people


def already_loaded() -> bool:
    return Agency.objects.filter(code="DL-HQ").exists()


def _phone(rng: random.Random) -> str:
    return f"+91 {rng.randint(70, 99)}{rng.randint(100, 999)} {rng.randint(10000, 99999)}"


def _station_counts(districts: list[District], total: int, rng: random.Random) -> dict[int, int]:
    """Spread `total` stations over districts unevenly (some districts have many more)."""
    weights = [rng.uniform(0.4, 2.0) for _ in districts]
    floor = 1 if total >= len(districts) else 0
    spare = total - floor * len(districts)
    scale = sum(weights)
    counts = {d.pk: floor + int(spare * w / scale) for d, w in zip(districts, weights, strict=True)}
    short = total - sum(counts.values())
    for d in rng.sample(districts, k=min(short, len(districts))) if short > 0 else []:
        counts[d.pk] += 1
    return counts


def build_directory(
    *, stations: int | None = None, per_district: int = 3, seed: int = 2020
) -> dict[str, int]:
    """Create the demo agencies, level by level. Returns counts per kind."""
    rng = random.Random(seed)
    mha = Agency.objects.get(code="MHA")
    states = list(State.objects.order_by("code"))
    districts = list(District.objects.active().select_related("state").order_by("state__code", "slug"))
    with transaction.atomic():
        actions.bulk_create_agencies(
            [Agency(code=c, name=n, kind=k, parent=mha, contact_phone=_phone(rng)) for c, n, k in CENTRAL],
            actor=None,
            via="demo",
        )
        hqs = actions.bulk_create_agencies(
            [
                Agency(
                    code=f"{s.code}-HQ",
                    name=f"{s.name} Police Headquarters",
                    kind=K.STATE_HQ,
                    state=s,
                    contact_phone=_phone(rng),
                    contact_email=f"{s.code.lower()}-hq@police.example",
                )
                for s in states
            ],
            actor=None,
            via="demo",
        )
        hq_by_state = {a.state_id: a for a in hqs}
        borders = {s.pk: sorted(s.foreign_borders.values_list("country", flat=True)) for s in states}
        units = []
        for s in states:
            hq = hq_by_state[s.pk]
            for suffix, label, kind in STATE_UNITS:
                units.append(
                    Agency(
                        code=f"{s.code}-{suffix}",
                        name=f"{s.name} {label}",
                        kind=kind,
                        parent=hq,
                        state=s,
                        contact_phone=_phone(rng),
                    )
                )
            for country in borders[s.pk]:
                units.append(
                    Agency(
                        code=f"{s.code}-BCP-{country.upper()}",
                        kind=K.BORDER_CHECK_POST,
                        name=f"{s.name} Border Check Post ({country})",
                        parent=hq,
                        state=s,
                        contact_phone=_phone(rng),
                    )
                )
        actions.bulk_create_agencies(units, actor=None, via="demo")
        dpos = actions.bulk_create_agencies(
            [
                Agency(
                    code=f"{d.state.code}-{d.slug}-DPO",
                    name=f"{d.name} District Police Office",
                    kind=K.DISTRICT_OFFICE,
                    state=d.state,
                    district=d,
                    parent=hq_by_state[d.state_id],
                    contact_phone=_phone(rng),
                )
                for d in districts
            ],
            actor=None,
            via="demo",
        )
        dpo_by_district = {a.district_id: a for a in dpos}
        counts = (
            _station_counts(districts, stations, rng)
            if stations is not None
            else {d.pk: per_district for d in districts}
        )
        # The demo log-ins sit at stations 001 and 002 of these districts: make sure they exist.
        login_districts = {
            login.agency.rsplit("-PS-", 1)[0] for login in demo_logins() if "-PS-" in login.agency
        }
        for d in districts:
            if f"{d.state.code}-{d.slug}" in login_districts:
                counts[d.pk] = max(counts[d.pk], 2)
        below = []
        for d in districts:
            dpo = dpo_by_district[d.pk]
            base = f"{d.state.code}-{d.slug}"
            below.append(
                Agency(
                    code=f"{base}-DCR",
                    name=f"{d.name} District Control Room",
                    kind=K.DISTRICT_CONTROL_ROOM,
                    state=d.state,
                    district=d,
                    parent=dpo,
                    contact_phone=_phone(rng),
                )
            )
            below.append(
                Agency(
                    code=f"{base}-AHTU",
                    name=f"{d.name} Anti-Human Trafficking Unit",
                    kind=K.AHTU,
                    state=d.state,
                    district=d,
                    parent=dpo,
                    contact_phone=_phone(rng),
                )
            )
            for n in range(1, counts[d.pk] + 1):
                label = STATION_NAMES[n - 1] if n <= len(STATION_NAMES) else f"Police Post {n}"
                below.append(
                    Agency(
                        code=f"{base}-PS-{n:03d}",
                        name=f"{label} Police Station, {d.name}",
                        kind=K.POLICE_STATION,
                        state=d.state,
                        district=d,
                        parent=dpo,
                        contact_phone=_phone(rng),
                    )
                )
        actions.bulk_create_agencies(below, actor=None, via="demo")
    result: dict[str, int] = {}
    for agency_kind in Agency.objects.values_list("kind", flat=True):
        result[agency_kind] = result.get(agency_kind, 0) + 1
    return result


def create_logins() -> list[DemoLogin]:
    if not settings.DEMO_ALLOWED:
        raise RuntimeError("demo log-ins are refused when CRIMAC_ENV=production")
    logins = demo_logins()
    for login in logins:
        if User.objects.filter(username=login.username).exists():
            continue
        agency = Agency.objects.get(code=login.agency)
        user = User(
            username=login.username,
            agency=agency,
            role=login.role,
            full_name=login.full_name,
            rank=login.rank,
            is_superuser=login.role == Role.ADMIN,
        )
        actions.save_user(user, actor=None, password=DEMO_PASSWORD, via="demo")
    return logins
