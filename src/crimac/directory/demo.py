"""A realistic demo directory: every State/UT with its headquarters, control room and special
units, every district with its police office, control room and AHTU, police stations in every
district (unevenly, as in life), the central agencies, and demo log-ins for every role."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal

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


# Approximate demo positions, NOT survey data: the repository has no coordinates for districts or
# police units. Each row: the State/UT capital (latitude, longitude), where its headquarters and
# State units are placed; a centre to spread its districts around (the capital, or roughly the
# middle of the State where the capital is on its edge or shared); and the spread's radius in km,
# roughly the State's half-width. Districts are placed on a sunflower spiral around that centre and
# their units a few km around each district's point, deterministically, so that radius audiences
# can be tried on the demo. Real deployments load real coordinates into the directory.
STATE_POSITIONS: dict[str, tuple[float, float, float, float, float]] = {
    "AN": (11.6234, 92.7265, 11.0, 92.7, 150),
    "AP": (16.5062, 80.6480, 15.9, 79.7, 250),
    "AR": (27.0844, 93.6053, 27.9, 94.5, 180),
    "AS": (26.1433, 91.7898, 26.3, 92.8, 200),
    "BR": (25.5941, 85.1376, 25.9, 85.6, 180),
    "CH": (30.7333, 76.7794, 30.7333, 76.7794, 6),
    "CG": (21.2514, 81.6296, 21.3, 81.9, 250),
    "DD": (20.3974, 72.8328, 20.3, 73.0, 20),
    "DL": (28.6139, 77.2090, 28.6139, 77.2090, 15),
    "GA": (15.4909, 73.8278, 15.35, 74.05, 30),
    "GJ": (23.2156, 72.6369, 22.7, 71.8, 250),
    "HP": (31.1048, 77.1734, 31.9, 77.2, 110),
    "HR": (30.7333, 76.7794, 29.2, 76.3, 120),
    "JH": (23.3441, 85.3096, 23.6, 85.4, 170),
    "JK": (34.0837, 74.7973, 33.6, 75.0, 120),
    "KA": (12.9716, 77.5946, 14.5, 76.1, 280),
    "KL": (8.5241, 76.9366, 10.2, 76.4, 150),
    "LA": (34.1526, 77.5771, 34.2, 77.0, 150),
    "LD": (10.5593, 72.6358, 10.5593, 72.6358, 40),
    "MH": (19.0760, 72.8777, 19.4, 76.0, 330),
    "ML": (25.5788, 91.8933, 25.5, 91.3, 80),
    "MN": (24.8170, 93.9368, 24.7, 93.9, 60),
    "MP": (23.2599, 77.4126, 23.5, 78.3, 330),
    "MZ": (23.7271, 92.7176, 23.3, 92.8, 80),
    "NL": (25.6751, 94.1086, 26.1, 94.5, 70),
    "OD": (20.2961, 85.8245, 20.5, 84.4, 220),
    "PB": (30.7333, 76.7794, 30.9, 75.4, 120),
    "PY": (11.9416, 79.8083, 11.9416, 79.8083, 15),
    "RJ": (26.9124, 75.7873, 26.8, 73.8, 380),
    "SK": (27.3389, 88.6065, 27.5, 88.5, 40),
    "TN": (13.0827, 80.2707, 11.1, 78.6, 280),
    "TR": (23.8315, 91.2868, 23.8, 91.6, 50),
    "TS": (17.3850, 78.4867, 17.9, 79.0, 180),
    "UK": (30.3165, 78.0322, 30.1, 79.2, 110),
    "UP": (26.8467, 80.9462, 27.0, 80.5, 400),
    "WB": (22.5726, 88.3639, 23.8, 87.9, 220),
}
NEW_DELHI = (28.6139, 77.2090)  # the central agencies' demo position
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))
KM_PER_DEGREE = 111.2


def _moved(point: tuple[float, float], km: float, turn: float) -> tuple[float, float]:
    """The point `km` away from `point` in the direction `turn` (radians), on a flat local map."""
    lat, lon = point
    dlat = km * math.cos(turn) / KM_PER_DEGREE
    dlon = km * math.sin(turn) / (KM_PER_DEGREE * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


def _spiral(point: tuple[float, float], radius_km: float, i: int, n: int) -> tuple[float, float]:
    """The i-th of n points spread evenly over a disc (a sunflower spiral)."""
    return _moved(point, radius_km * math.sqrt((i + 0.5) / max(n, 1)), i * GOLDEN_ANGLE)


def _placed(agency: Agency, point: tuple[float, float]) -> Agency:
    agency.latitude = Decimal(f"{point[0]:.5f}")
    agency.longitude = Decimal(f"{point[1]:.5f}")
    return agency


class _Positions:
    """Demo positions of States' capitals and districts (see STATE_POSITIONS)."""

    def __init__(self, districts: list[District]) -> None:
        self.district: dict[int, tuple[float, float]] = {}
        self.spacing: dict[int, float] = {}
        by_state: dict[str, list[District]] = {}
        for d in districts:
            by_state.setdefault(d.state.code, []).append(d)
        for code, members in by_state.items():
            _, _, clat, clon, spread = STATE_POSITIONS.get(code, (*NEW_DELHI, *NEW_DELHI, 50))
            for i, d in enumerate(members):
                self.district[d.pk] = _spiral((clat, clon), spread, i, len(members))
                self.spacing[d.pk] = spread / math.sqrt(len(members))

    @staticmethod
    def capital(state_code: str) -> tuple[float, float]:
        row = STATE_POSITIONS.get(state_code)
        return (row[0], row[1]) if row else NEW_DELHI

    def unit(self, district: District, n: int, of: int) -> tuple[float, float]:
        """The n-th (from 0) of `of` units of a district, within a few km of its point."""
        reach = min(12.0, 0.4 * self.spacing[district.pk])
        return _spiral(self.district[district.pk], reach, n, of)


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
    where = _Positions(districts)
    with transaction.atomic():
        actions.bulk_create_agencies(
            [
                _placed(
                    Agency(code=c, name=n, kind=k, parent=mha, contact_phone=_phone(rng)),
                    _spiral(NEW_DELHI, 8, i, len(CENTRAL)),
                )
                for i, (c, n, k) in enumerate(CENTRAL)
            ],
            actor=None,
            via="demo",
        )
        hqs = actions.bulk_create_agencies(
            [
                _placed(
                    Agency(
                        code=f"{s.code}-HQ",
                        name=f"{s.name} Police Headquarters",
                        kind=K.STATE_HQ,
                        state=s,
                        contact_phone=_phone(rng),
                        contact_email=f"{s.code.lower()}-hq@police.example",
                    ),
                    where.capital(s.code),
                )
                for s in states
            ],
            actor=None,
            via="demo",
        )
        hq_by_state = {a.state_id: a for a in hqs}
        borders = {s.pk: sorted(s.foreign_borders.values_list("country", flat=True)) for s in states}
        units: list[Agency] = []
        for s in states:
            hq = hq_by_state[s.pk]
            first = len(units)
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
            mine = units[first:]
            for i, unit in enumerate(mine):
                _placed(unit, _spiral(where.capital(s.code), 4, i + 1, len(mine) + 1))
        actions.bulk_create_agencies(units, actor=None, via="demo")
        dpos = actions.bulk_create_agencies(
            [
                _placed(
                    Agency(
                        code=f"{d.state.code}-{d.slug}-DPO",
                        name=f"{d.name} District Police Office",
                        kind=K.DISTRICT_OFFICE,
                        state=d.state,
                        district=d,
                        parent=hq_by_state[d.state_id],
                        contact_phone=_phone(rng),
                    ),
                    where.district[d.pk],
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
        below: list[Agency] = []
        for d in districts:
            dpo = dpo_by_district[d.pk]
            base = f"{d.state.code}-{d.slug}"
            first = len(below)
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
            mine = below[first:]
            for i, unit in enumerate(mine):
                _placed(unit, where.unit(d, i + 1, len(mine) + 1))
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
