"""A realistic demo history of published alerts, posted through `actions.create_many` by the demo
directory's station officers (or, where a station has no user, its system account).

Participation is uneven on purpose, as in life: Delhi, Assam and Haryana post the most; West Bengal,
Andhra Pradesh, Bihar, Chhattisgarh, Mizoram, Manipur, Nagaland, Sikkim and Dadra and Nagar Haveli
and Daman and Diu post nothing, so oversight has silent States to show. Within a State a few
stations post most of the alerts.

Everything comes from one `random.Random(seed)` and two seeded Faker instances (`en_IN` for Latin
names, `hi_IN` for Devanagari ones), so a seed gives the same alerts every time; only the clock
(`reported_at` is spread over the `since_days` before now) moves.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from faker import Faker

from crimac.alerts import actions, normalise
from crimac.alerts.schemas import AlertIn
from crimac.directory import actions as directory_actions
from crimac.directory.choices import AgencyKind
from crimac.directory.models import Agency, District, State, StateBorder, User
from crimac.directory.permissions import Perm, has_perm

BATCH = 500

# How much each State/UT posts, relative to the others. Missing States post nothing.
STATE_WEIGHTS: dict[str, float] = {
    "DL": 15.0,
    "AS": 12.5,
    "HR": 10.0,
    "UP": 6.0,
    "MH": 5.0,
    "JH": 4.5,
    "RJ": 4.0,
    "OD": 4.0,
    "MP": 3.5,
    "KA": 3.5,
    "PB": 3.0,
    "GJ": 3.0,
    "TN": 3.0,
    "TS": 2.5,
    "KL": 2.5,
    "JK": 2.0,
    "UK": 2.0,
    "HP": 1.5,
    "TR": 1.5,
    "ML": 1.0,
    "AR": 1.0,
    "GA": 1.0,
    "CH": 1.0,
    "PY": 0.6,
    "LA": 0.5,
    "AN": 0.5,
    "LD": 0.3,
}
SILENT_STATES = frozenset({"WB", "AP", "BR", "CG", "MZ", "MN", "NL", "SK", "DD"})

# Where alerts tend to come from, relative (the default mix), and how each State departs from it.
CATEGORY_WEIGHTS: dict[str, float] = {
    "heinous_crime": 14,
    "terror_incident": 1.2,
    "organised_crime": 6,
    "human_trafficking": 8,
    "missing_person": 16,
    "rescued_victim": 4,
    "unidentified_person": 4,
    "unidentified_body": 7,
    "wanted_person": 10,
    "criminal_release": 4,
    "stolen_vehicle": 16,
    "modus_operandi": 5,
    "general_advisory": 3,
}
STATE_CATEGORY_FACTORS: dict[str, dict[str, float]] = {
    "DL": {"stolen_vehicle": 1.6, "heinous_crime": 1.2, "rescued_victim": 2.0, "terror_incident": 1.5},
    "AS": {"human_trafficking": 2.2, "terror_incident": 3.0, "missing_person": 1.3},
    "HR": {"stolen_vehicle": 1.5, "organised_crime": 1.6, "wanted_person": 1.3},
    "JH": {"human_trafficking": 3.0, "missing_person": 1.5},
    "OD": {"human_trafficking": 2.0},
    "JK": {"terror_incident": 8.0},
    "PB": {"terror_incident": 2.0, "organised_crime": 1.6},
    "MH": {"rescued_victim": 1.8, "modus_operandi": 1.5},
    "KA": {"modus_operandi": 1.5},
    "TR": {"human_trafficking": 1.5},
    "ML": {"human_trafficking": 1.5},
    "AR": {"human_trafficking": 1.3},
}
# Where trafficked persons are taken (destination States).
DESTINATIONS = ["DL", "HR", "MH", "KA", "GJ", "PB", "UP", "TN", "KL"]
DESTINATION_CITIES = ["Delhi", "Gurugram", "Mumbai", "Bengaluru", "Surat", "Ludhiana", "Noida", "Chennai"]
HINDI_BELT = frozenset({"DL", "HR", "UP", "RJ", "MP", "UK", "HP", "JH", "CH", "BR", "CG"})

LANGUAGES: dict[str, list[str]] = {
    "DL": ["Hindi", "Punjabi"],
    "AS": ["Assamese", "Bengali", "Bodo"],
    "HR": ["Hindi", "Haryanvi"],
    "UP": ["Hindi", "Urdu", "Bhojpuri"],
    "MH": ["Marathi", "Hindi"],
    "JH": ["Hindi", "Santali", "Nagpuri"],
    "RJ": ["Hindi", "Rajasthani"],
    "OD": ["Odia"],
    "MP": ["Hindi", "Bundeli"],
    "KA": ["Kannada", "Tulu"],
    "PB": ["Punjabi"],
    "GJ": ["Gujarati"],
    "TN": ["Tamil"],
    "TS": ["Telugu", "Urdu"],
    "KL": ["Malayalam"],
    "JK": ["Kashmiri", "Urdu", "Dogri"],
    "UK": ["Hindi", "Garhwali", "Kumaoni"],
    "HP": ["Hindi", "Pahari"],
    "TR": ["Bengali", "Kokborok"],
    "ML": ["Khasi", "Garo"],
    "AR": ["Hindi", "Nyishi"],
    "GA": ["Konkani", "Marathi"],
    "CH": ["Hindi", "Punjabi"],
    "PY": ["Tamil", "French"],
    "LA": ["Ladakhi", "Hindi"],
    "AN": ["Hindi", "Bengali", "Tamil"],
    "LD": ["Malayalam", "Jeseri"],
}
# Approximate centres (latitude, longitude) of the States that post.
CENTRES: dict[str, tuple[float, float]] = {
    "DL": (28.61, 77.21),
    "AS": (26.14, 91.74),
    "HR": (29.06, 76.09),
    "UP": (26.85, 80.95),
    "MH": (19.75, 75.71),
    "JH": (23.61, 85.28),
    "RJ": (26.91, 75.79),
    "OD": (20.30, 85.82),
    "MP": (23.26, 77.41),
    "KA": (12.97, 77.59),
    "PB": (30.90, 75.85),
    "GJ": (23.02, 72.57),
    "TN": (13.08, 80.27),
    "TS": (17.39, 78.49),
    "KL": (10.85, 76.27),
    "JK": (34.08, 74.80),
    "UK": (30.32, 78.03),
    "HP": (31.10, 77.17),
    "TR": (23.83, 91.28),
    "ML": (25.57, 91.88),
    "AR": (27.08, 93.61),
    "GA": (15.49, 73.83),
    "CH": (30.73, 76.78),
    "PY": (11.94, 79.81),
    "LA": (34.15, 77.58),
    "AN": (11.62, 92.73),
    "LD": (10.57, 72.64),
}
# The highest RTO number in use in each State (approximately); others default to 20.
RTO_MAX: dict[str, int] = {
    "DL": 13,
    "AS": 34,
    "HR": 99,
    "UP": 96,
    "MH": 50,
    "JH": 24,
    "RJ": 58,
    "OD": 35,
    "MP": 70,
    "KA": 70,
    "PB": 99,
    "GJ": 39,
    "TN": 99,
    "TS": 38,
    "KL": 86,
    "JK": 22,
    "UK": 20,
    "HP": 99,
    "TR": 8,
    "ML": 10,
    "AR": 22,
    "GA": 12,
    "CH": 4,
    "PY": 5,
    "LA": 2,
    "AN": 2,
    "LD": 1,
}
SERIES_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # no I or O on plates

VEHICLES: dict[str, list[tuple[str, str]]] = {
    "car": [
        ("Maruti Suzuki", "Swift"),
        ("Maruti Suzuki", "Dzire"),
        ("Maruti Suzuki", "WagonR"),
        ("Maruti Suzuki", "Alto 800"),
        ("Hyundai", "Creta"),
        ("Hyundai", "i20"),
        ("Mahindra", "Scorpio"),
        ("Mahindra", "Bolero"),
        ("Tata", "Nexon"),
        ("Toyota", "Innova Crysta"),
        ("Honda", "City"),
        ("Kia", "Seltos"),
    ],
    "motorcycle": [
        ("Hero", "Splendor Plus"),
        ("Honda", "Activa 6G"),
        ("Bajaj", "Pulsar 150"),
        ("Royal Enfield", "Classic 350"),
        ("TVS", "Apache RTR 160"),
        ("Honda", "Shine"),
        ("Yamaha", "FZ-S"),
    ],
    "truck": [("Tata", "LPT 1613"), ("Ashok Leyland", "Ecomet 1615"), ("Eicher", "Pro 2049")],
    "auto_rickshaw": [("Bajaj", "RE Compact"), ("Piaggio", "Ape City")],
    "bus": [("Tata", "Starbus"), ("Ashok Leyland", "Lynx")],
    "tractor": [("Mahindra", "575 DI"), ("Swaraj", "744 FE"), ("Sonalika", "DI 745")],
    "other": [("Tata", "Ace"), ("Mahindra", "Supro")],
}
VEHICLE_TYPE_WEIGHTS = {
    "car": 35,
    "motorcycle": 40,
    "truck": 6,
    "auto_rickshaw": 6,
    "bus": 1,
    "tractor": 4,
    "other": 8,
}
COLOURS = ["white", "silver", "black", "red", "grey", "blue", "maroon", "brown"]

MARKS = [
    "mole on the left cheek",
    "mole above the right eyebrow",
    "cut mark on the chin",
    "burn scar on the left forearm",
    "tattoo of 'Om' on the right forearm",
    "tattoo of a heart with initials on the left hand",
    "tattoo of a trident on the right wrist",
    "missing upper front tooth",
    "squint in the left eye",
    "limps on the right leg",
    "six fingers on the left hand",
    "birthmark on the neck",
    "stitch marks on the forehead",
    "wears thick spectacles",
]
ALIASES = ["Pappu", "Bablu", "Chhotu", "Kallu", "Raju", "Guddu", "Munna", "Sonu", "Bhura", "Tinku", "Lalla"]
CLOTHES = [
    "a blue checked shirt and black trousers",
    "a white kurta-pyjama",
    "a red salwar-kameez with a yellow dupatta",
    "a grey T-shirt and jeans",
    "a green school uniform",
    "a maroon sweater over a white shirt",
    "a printed cotton saree",
]
LANDMARKS = [
    "the bus stand",
    "the railway station",
    "the vegetable market",
    "the petrol pump on the highway",
    "the government hospital",
    "the Hanuman temple",
    "the canal bridge",
    "the toll plaza",
    "the old grain market",
    "the district court",
]
RESCUE_PLACES = ["placement agency", "spa", "brick kiln", "garment unit", "dhaba"]
BNS_FROM = date(2024, 7, 1)  # IPC before, BNS from 1 July 2024


@dataclass
class Poster:
    """An agency that posts, the account it posts as, and where its alerts happen."""

    agency: Agency
    user: User
    station: Agency  # the police station whose area the alert is about
    state: State
    weight: float


def build_history(count: int, *, seed: int, since_days: int = 365) -> int:
    """Publish `count` demo alerts reported over the last `since_days`; returns how many were made.

    Needs the demo directory (`crimac.directory.demo.build_directory`) and its log-ins.
    """
    if count <= 0:
        return 0
    if since_days < 1:
        raise ValueError("since_days must be at least 1")
    gen = _Generator(seed=seed, since_days=since_days)
    per_state = allocate(count, {code: w for code, w in STATE_WEIGHTS.items() if code in gen.states})
    plan: list[tuple[Poster, str]] = []
    for code in sorted(per_state):
        n = per_state[code]
        if not n:
            continue
        posters = gen.posters(gen.states[code])
        if not posters:
            continue
        categories = _category_mix(code)
        for _ in range(n):
            category = gen.rng.choices(list(categories), weights=list(categories.values()))[0]
            plan.append((gen.pick_poster(posters, category), category))
    gen.rng.shuffle(plan)
    by_actor: dict[int, tuple[User, list[AlertIn]]] = {}
    for poster, category in plan:
        body = gen.alert(poster, category)
        by_actor.setdefault(poster.user.pk, (poster.user, []))[1].append(AlertIn.model_validate(body))
    made = 0
    for user, items in by_actor.values():
        for start in range(0, len(items), BATCH):
            chunk: list[AlertIn | dict[str, list[str]]] = list(items[start : start + BATCH])
            results = actions.create_many(chunk, actor=user, publish=True, via="demo", backdate=True)
            failed = [r for r in results if r.checked is None]
            if failed:
                raise RuntimeError(f"demo alert refused: {failed[0].errors}")
            made += len(results)
    return made


def allocate(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Split `total` in proportion to `weights` exactly (largest remainder), so the order of the
    weights is the order of the counts."""
    scale = sum(weights.values())
    if not scale:
        return {}
    exact = {k: total * w / scale for k, w in weights.items()}
    counts = {k: math.floor(v) for k, v in exact.items()}
    short = total - sum(counts.values())
    for k in sorted(exact, key=lambda k: (-(exact[k] - counts[k]), -weights[k], k))[:short]:
        counts[k] += 1
    return counts


def _category_mix(state_code: str) -> dict[str, float]:
    factors = STATE_CATEGORY_FACTORS.get(state_code, {})
    return {c: w * factors.get(c, 1.0) for c, w in CATEGORY_WEIGHTS.items()}


class _Generator:
    def __init__(self, *, seed: int, since_days: int) -> None:
        self.rng = random.Random(seed)
        self.en = Faker("en_IN")
        self.en.seed_instance(seed)
        self.hi = Faker("hi_IN")
        self.hi.seed_instance(seed + 1)
        self.now = timezone.now()
        self.since_days = since_days
        self.states = {s.code: s for s in State.objects.filter(active=True)}
        self.borders: dict[str, list[str]] = {}
        for b in StateBorder.objects.select_related("state", "neighbour").order_by("neighbour__code"):
            self.borders.setdefault(b.state.code, []).append(b.neighbour.code)
        self.accounts: dict[int, User] = {}
        self.units: dict[str, Agency | None] = {}

    # --- who posts ------------------------------------------------------------------------------

    def posters(self, state: State) -> list[Poster]:
        """A few stations of the State post (the demo log-ins' stations first); one of them posts
        most. Trafficking alerts may come from its district's AHTU, terror alerts from the ATS."""
        stations = list(
            Agency.objects.filter(state=state, kind=AgencyKind.POLICE_STATION, active=True)
            .select_related("state", "district")
            .order_by("code")
        )
        if not stations:
            return []
        people: dict[int, User] = {}
        for user in (
            User.objects.filter(agency__in=stations, is_active=True, is_system=False)
            .select_related("agency", "agency__state")
            .order_by("username")
        ):
            if user.agency_id not in people and has_perm(user, Perm.POST_ALERT):
                people[user.agency_id] = user
        staffed = [s for s in stations if s.pk in people]
        rest = [s for s in stations if s.pk not in people]
        wanted = max(1, min(len(stations), math.ceil(STATE_WEIGHTS.get(state.code, 1.0) / 4)))
        chosen = staffed[:wanted]
        chosen += self.rng.sample(rest, k=min(len(rest), wanted - len(chosen)))
        posters = []
        for rank, station in enumerate(chosen, start=1):
            user = people.get(station.pk) or self.account(station)
            posters.append(Poster(station, user, station, state, 1.0 / rank))
        return posters

    def account(self, agency: Agency) -> User:
        if agency.pk not in self.accounts:
            self.accounts[agency.pk] = directory_actions.system_account(agency)
        return self.accounts[agency.pk]

    def pick_poster(self, posters: list[Poster], category: str) -> Poster:
        poster = self.rng.choices(posters, weights=[p.weight for p in posters])[0]
        unit_code = None
        if category in {"human_trafficking", "rescued_victim"} and self.rng.random() < 0.3:
            unit_code = f"{poster.station.code.rsplit('-PS-', 1)[0]}-AHTU"
        elif category == "terror_incident" and self.rng.random() < 0.6:
            unit_code = f"{poster.state.code}-ATS"
        if unit_code:
            unit = self._unit(unit_code)
            if unit is not None:
                return Poster(unit, self.account(unit), poster.station, poster.state, poster.weight)
        return poster

    def _unit(self, code: str) -> Agency | None:
        if code not in self.units:
            self.units[code] = Agency.objects.filter(code=code, active=True).select_related("state").first()
        return self.units[code]

    # --- people, vehicles, phones ---------------------------------------------------------------

    def name(self, gender: str, state_code: str) -> str:
        devanagari = self.rng.random() < (0.4 if state_code in HINDI_BELT else 0.1)
        fake = self.hi if devanagari else self.en
        first = fake.first_name_female() if gender == "female" else fake.first_name_male()
        return f"{first} {fake.last_name()}"

    def person(
        self,
        role: str,
        state_code: str,
        *,
        gender: str | None = None,
        ages: tuple[int, int] = (20, 45),
        named: bool = True,
        alias: float = 0.0,
        seen: tuple[str, datetime] | None = None,
    ) -> dict[str, Any]:
        rng = self.rng
        gender = gender or rng.choices(["male", "female"], weights=[3, 1])[0]
        age = rng.randint(*ages)
        spread = 1 if age < 18 else rng.choice([2, 3, 5])
        tall = (150, 182) if gender == "male" else (142, 168)
        if age < 14:
            tall = (100 + age * 3, 115 + age * 4)
        height = rng.randint(*tall)
        p: dict[str, Any] = {
            "role": role,
            "name": self.name(gender, state_code) if named else "",
            "gender": gender,
            "age_min": max(0, age - spread),
            "age_max": age + spread,
            "height_cm_min": height - 3,
            "height_cm_max": height + 3,
            "build": rng.choice(["thin", "medium", "medium", "heavy"]),
            "marks": ", ".join(rng.sample(MARKS, k=rng.choice([0, 1, 1, 2]))),
            "languages": rng.sample(LANGUAGES.get(state_code, ["Hindi"]), k=1),
        }
        if rng.random() < alias:
            p["aliases"] = [rng.choice(ALIASES)]
        if seen is not None:
            p["last_seen_place"], p["last_seen_at"] = seen[0], seen[1].isoformat()
        if not p["name"] and not p["marks"]:
            p["marks"] = rng.choice(MARKS)
        return p

    def registration(self, state_code: str) -> str:
        rng = self.rng
        if rng.random() < 0.04:
            return f"{rng.randint(21, 25)} BH {rng.randint(1, 9999):04d} {rng.choice(SERIES_LETTERS)}"
        rto = rng.randint(1, RTO_MAX.get(state_code, 20))
        series = "".join(rng.choices(SERIES_LETTERS, k=rng.choice([1, 2, 2, 2])))
        number = rng.randint(1, 9999)
        if state_code == "DL":
            series = rng.choice("CSTY") + series[:2]
            rto_text = str(rto)
        else:
            rto_text = f"{rto:02d}"
        style = rng.random()
        if style < 0.6:
            return f"{state_code} {rto_text} {series} {number:04d}"
        if style < 0.8:
            return f"{state_code}{rto_text}{series}{number:04d}"
        if style < 0.92:
            return f"{state_code}-{rto_text}-{series}-{number}".lower()
        return f"{state_code} {rto_text}{series} {number}"

    def vehicle(self, state_code: str, *, kind: str | None = None, numbers: bool = False) -> dict[str, Any]:
        rng = self.rng
        kind = kind or rng.choices(list(VEHICLE_TYPE_WEIGHTS), weights=list(VEHICLE_TYPE_WEIGHTS.values()))[0]
        make, model = rng.choice(VEHICLES[kind])
        plate_state = state_code
        if rng.random() < 0.2 and self.borders.get(state_code):
            plate_state = rng.choice(self.borders[state_code])
        v: dict[str, Any] = {
            "registration": self.registration(plate_state),
            "vehicle_type": kind,
            "make": make,
            "model": model,
            "colour": rng.choice(COLOURS),
        }
        if numbers:
            v["chassis_number"] = "MA" + "".join(rng.choices("0123456789ABCDEFGHJKLMNPRSTUVWXYZ", k=15))
            v["engine_number"] = "".join(rng.choices("ABCDEFGHJKLMNPRSTUVWXYZ", k=2)) + str(
                rng.randint(10**7, 10**8 - 1)
            )
        return v

    def phone_number(self) -> str:
        rng = self.rng
        for _ in range(50):
            digits = str(rng.randint(6, 9)) + "".join(rng.choices("0123456789", k=9))
            try:
                normalise.phone(digits)
            except normalise.Invalid:
                continue
            style = rng.random()
            if style < 0.35:
                return f"+91 {digits[:5]} {digits[5:]}"
            if style < 0.6:
                return digits
            if style < 0.8:
                return f"0{digits}"
            if style < 0.9:
                return f"{digits[:5]}-{digits[5:]}"
            return f"+91{digits}"
        return "+91 98100 00000"

    def imei(self) -> str:
        body = "".join(self.rng.choices("0123456789", k=14))
        total = 0
        for i, ch in enumerate(reversed(body)):
            d = int(ch)
            if i % 2 == 0:
                d *= 2
                if d > 9:
                    d -= 9
            total += d
        return body + str((10 - total % 10) % 10)

    def phones(self, k: int, imei: float = 0.2) -> list[dict[str, str]]:
        out = []
        for _ in range(k):
            p = {"number": self.phone_number()}
            if self.rng.random() < imei:
                p["imei"] = self.imei()
            out.append(p)
        return out

    # --- times, places, sections, audiences -----------------------------------------------------

    def reported_at(self) -> datetime:
        """Spread over the period, somewhat more recent than old (use grows), mostly by day."""
        rng = self.rng
        u = rng.random() if rng.random() < 0.5 else math.sqrt(rng.random())
        day = self.since_days * (1 - u)
        local = timezone.localtime(self.now - timedelta(days=day))
        hour = rng.choices(
            range(24), weights=[1, 1, 1, 1, 1, 2, 3, 4, 6, 8, 9, 9, 8, 8, 8, 8, 8, 8, 8, 7, 6, 5, 3, 2]
        )
        at = local.replace(hour=hour[0], minute=rng.randint(0, 59), second=rng.randint(0, 59), microsecond=0)
        # Draw every number whatever the clock says, so the same seed gives the same alerts.
        recent, early = rng.randint(2, 180), rng.randint(1, 60)
        oldest = self.now - timedelta(days=self.since_days)
        if at > self.now - timedelta(minutes=2):
            at = self.now - timedelta(minutes=recent)
        return max(at, oldest + timedelta(minutes=early))

    def before(self, at: datetime, low_hours: float, high_hours: float) -> datetime:
        return at - timedelta(hours=self.rng.uniform(low_hours, high_hours))

    def fir(self, occurred: datetime, reported: datetime) -> tuple[str, str]:
        first = timezone.localdate(occurred)
        last = timezone.localdate(reported)
        day = min(first + timedelta(days=self.rng.choice([0, 0, 0, 1, 2])), last)
        return f"{self.rng.randint(1, 950)}/{day.year}", day.isoformat()

    def ipc(self, category: str, occurred: datetime) -> bool:
        """Whether the case is under the IPC (occurred before the BNS, or an old case)."""
        old_case = self.rng.random() < {"wanted_person": 0.55, "criminal_release": 0.8}.get(category, 0.12)
        return old_case or timezone.localdate(occurred) < BNS_FROM

    @staticmethod
    def cite(ipc: bool, pairs: Sequence[tuple[str, str]]) -> list[str]:
        return [f"IPC {i}" if ipc else f"BNS {b}" for i, b in pairs]

    def audience(
        self, state_code: str, *, bordering: float = 0.0, national: bool = False, extra: Sequence[str] = ()
    ) -> dict[str, Any] | None:
        if national:
            return {"national": True}
        states = [state_code, *[s for s in extra if s != state_code and s in self.states]]
        near = bool(self.borders.get(state_code)) and self.rng.random() < bordering
        if not near and len(states) == 1 and self.rng.random() < 0.5:
            return None  # the default: the incident's State
        audience: dict[str, Any] = {"states": list(dict.fromkeys(states))}
        if near:
            audience["bordering_states"] = True
        return audience

    def place(self, poster: Poster, body: dict[str, Any]) -> None:
        station = poster.station
        district: District | None = station.district
        body["state"] = poster.state.code
        if district is not None:
            body["district"] = district.lgd_code
        body["station"] = station.code
        if self.rng.random() < 0.6:
            body["address"] = f"{self.en.street_address()}, near {self.rng.choice(LANDMARKS)}"[:300]
        centre = CENTRES.get(poster.state.code)
        if centre and self.rng.random() < 0.5:
            body["latitude"] = str(Decimal(f"{centre[0] + self.rng.uniform(-0.4, 0.4):.5f}"))
            body["longitude"] = str(Decimal(f"{centre[1] + self.rng.uniform(-0.4, 0.4):.5f}"))

    # --- one alert ------------------------------------------------------------------------------

    def alert(self, poster: Poster, category: str) -> dict[str, Any]:
        reported = self.reported_at()
        station = poster.station
        where = station.district.name if station.district else poster.state.name
        ctx = _Context(self, poster.state.code, where, station.name, reported)
        body = BUILDERS[category](ctx)
        body["category"] = category
        body["reported_at"] = reported.isoformat()
        if body.get("occurred_at") is None and ctx.occurred is not None:
            body["occurred_at"] = ctx.occurred.isoformat()
        if self.rng.random() < 0.12:
            body["handling_code"] = self.rng.choice(["H1", "H2"])
        self.place(poster, body)
        return body


@dataclass
class _Context:
    gen: _Generator
    state: str
    where: str  # the district's name
    station_name: str
    reported: datetime
    occurred: datetime | None = None

    @property
    def rng(self) -> random.Random:
        return self.gen.rng

    def happened(self, low_hours: float, high_hours: float) -> datetime:
        self.occurred = self.gen.before(self.reported, low_hours, high_hours)
        return self.occurred

    def with_fir(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.occurred is not None:
            body["fir_number"], body["fir_date"] = self.gen.fir(self.occurred, self.reported)
        return body


def _pronoun(person: dict[str, Any]) -> str:
    return "she" if person["gender"] == "female" else "he"


def _age(person: dict[str, Any]) -> int:
    return int((person["age_min"] + person["age_max"]) // 2)


def _label(person: dict[str, Any]) -> str:
    return person["name"] or "an unidentified person"


def _heinous(c: _Context) -> dict[str, Any]:
    g, rng = c.gen, c.rng
    occurred = c.happened(0.5, 30)
    ipc = g.ipc("heinous_crime", occurred)
    kind = rng.choices(["murder", "attempt", "dacoity", "ransom"], weights=[5, 4, 2, 1])[0]
    victim = g.person("victim", c.state, ages=(19, 65))
    accused = [g.person("accused", c.state, gender="male", ages=(19, 40), alias=0.4)]
    if rng.random() < 0.4:
        accused.append(g.person("suspect", c.state, gender="male", ages=(18, 35), named=rng.random() < 0.5))
    vehicles = [g.vehicle(c.state, kind=rng.choice(["motorcycle", "car"]))] if rng.random() < 0.6 else []
    phones = g.phones(rng.choice([0, 1, 1, 2]))
    if kind == "murder":
        title = f"Murder of {victim['name']} in {c.where}: accused absconding"
        sections = g.cite(ipc, [("302", "103(1)")])
        story = f"{victim['name']} was found dead with stab injuries"
    elif kind == "attempt":
        title = rng.choice(
            [f"Attempt to murder: {victim['name']} shot at in {c.where}", f"Firing on trader in {c.where}"]
        )
        sections = g.cite(ipc, [("307", "109")])
        if rng.random() < 0.5:
            sections.append("ARMS 27")
        story = f"{victim['name']} was shot at from close range and is in hospital"
    elif kind == "dacoity":
        title = f"Armed dacoity at a jewellery shop in {c.where}"
        sections = [*g.cite(ipc, [rng.choice([("395", "310(2)"), ("397", "311")])]), "ARMS 25"]
        story = f"Five armed men looted a jewellery shop owned by {victim['name']}"
    else:
        title = f"Kidnapping for ransom of {victim['name']} from {c.where}"
        sections = g.cite(ipc, [("364A", "140(2)")])
        story = f"{victim['name']} was abducted and the family has received ransom calls"
    escape = (
        f" The accused fled on a {vehicles[0]['colour']} {vehicles[0]['make']} {vehicles[0]['model']}."
        if vehicles
        else ""
    )
    narrative = (
        f"{story} within the limits of {c.station_name}.{escape} Main accused {_label(accused[0])}"
        f"{' alias ' + accused[0]['aliases'][0] if accused[0].get('aliases') else ''} is absconding "
        f"and may try to cross into a neighbouring State. Units are requested to check hideouts, bus stands "
        f"and railway stations, and to inform the control room of {c.station_name} at once."
    )
    body: dict[str, Any] = {
        "title": title,
        "narrative": narrative,
        "sections": sections,
        "persons": [victim, *accused],
        "vehicles": vehicles,
        "phones": phones,
        "audience": g.audience(c.state, bordering=0.35),
    }
    if kind == "murder" and rng.random() < 0.3:
        body["priority"] = "flash"
    return c.with_fir(body)


def _terror(c: _Context) -> dict[str, Any]:
    g, rng = c.gen, c.rng
    occurred = c.happened(0.2, 6)
    ipc = g.ipc("terror_incident", occurred)
    kind = rng.choice(["ied", "grenade", "module", "threat"])
    titles = {
        "ied": f"IED recovered near {rng.choice(LANDMARKS)}, {c.where}",
        "grenade": f"Grenade attack on police post in {c.where}",
        "module": f"Armed module suspected moving through {c.where}",
        "threat": f"Credible threat of attack on crowded places in {c.where}",
    }
    sections = ["UAPA 16", "ARMS 25"] if kind != "threat" else ["UAPA 18"]
    if not ipc and rng.random() < 0.6:
        sections.insert(0, "BNS 113")
    persons = [
        g.person("suspect", c.state, gender="male", ages=(20, 35), named=rng.random() < 0.4, alias=0.3)
        for _ in range(rng.choice([1, 2, 3]))
    ]
    body: dict[str, Any] = {
        "title": titles[kind],
        "narrative": (
            f"Specific input received at {c.station_name}. {len(persons)} suspect(s), described below, "
            "may be carrying arms and explosives. Do not engage alone: keep discreet watch, inform the "
            "ATS and the State control room, and step up checking at bus stands, railway stations and "
            "border check posts."
        ),
        "sections": sections,
        "persons": persons,
        "phones": g.phones(rng.choice([0, 1, 2]), imei=0.5),
        "vehicles": [g.vehicle(c.state)] if rng.random() < 0.4 else [],
        "audience": g.audience(c.state, national=True),
        "handling_code": "H2",
    }
    return c.with_fir(body)


def _organised(c: _Context) -> dict[str, Any]:
    g, rng = c.gen, c.rng
    occurred = c.happened(24, 24 * 30)
    ipc = g.ipc("organised_crime", occurred)
    kind = rng.choice(["extortion", "cyber", "drugs", "lifting"])
    leader = g.person("accused", c.state, gender="male", ages=(25, 50), alias=0.6)
    members = [g.person("suspect", c.state, gender="male", ages=(19, 35)) for _ in range(rng.randint(0, 2))]
    identifiers: list[dict[str, str]] = []
    if kind == "extortion":
        title = f"Extortion gang targeting traders in {c.where}"
        sections = ["IPC 420"] if ipc else ["BNS 111"]
    elif kind == "cyber":
        title = f"Cyber fraud ring using mule bank accounts, {c.where}"
        sections = ["IPC 420"] if ipc else ["BNS 318", "BNS 112"]
        handle = leader["name"].split()[0].lower() if leader["name"].isascii() else "pay"
        identifiers = [
            {
                "type": "upi_id",
                "value": f"{handle}{rng.randint(10, 999)}@{rng.choice(['okaxis', 'ybl', 'paytm'])}",
            },
            {"type": "bank_account", "value": str(rng.randint(10**11, 10**12 - 1))},
        ]
    elif kind == "drugs":
        title = f"Drug supply network operating from {c.where}"
        sections = ["NDPS 21", "NDPS 29"] + ([] if ipc else ["BNS 111"])
    else:
        title = f"Inter-State vehicle lifting gang active in {c.where}"
        sections = ["IPC 379"] if ipc else ["BNS 303", "BNS 112"]
    body: dict[str, Any] = {
        "title": title,
        "narrative": (
            f"A gang led by {_label(leader)}"
            f"{' alias ' + leader['aliases'][0] if leader.get('aliases') else ''} is active in the area of "
            f"{c.station_name}. Members change SIM cards often and use the numbers below. Keep discreet "
            "watch and share any sighting, call detail or account trail with the originator."
        ),
        "sections": sections,
        "persons": [leader, *members],
        "phones": g.phones(rng.randint(1, 3), imei=0.3),
        "identifiers": identifiers,
        "vehicles": [g.vehicle(c.state)] if rng.random() < 0.4 else [],
        "audience": g.audience(c.state, bordering=0.4),
    }
    return c.with_fir(body)


def _trafficking_sections(c: _Context, ipc: bool, *, minor: bool) -> list[str]:
    """Mostly IPC 370 / BNS 143 (and friends); about one in five cites none of the trafficking
    sections, as happens when a case is registered only as kidnapping or not at all."""
    rng = c.rng
    if rng.random() < 0.2:
        return [] if rng.random() < 0.5 else c.gen.cite(ipc, [("363", "137(2)")])
    sections = c.gen.cite(ipc, [("370", "143")])
    if rng.random() < 0.3:
        sections += c.gen.cite(ipc, [("370A", "144")])
    if minor and rng.random() < 0.4:
        sections += c.gen.cite(ipc, [("366A", "96")])
    if minor and rng.random() < 0.3:
        sections.append("POCSO 4")
    if rng.random() < 0.2:
        sections.append("ITPA 5")
    return sections


def _destinations(c: _Context) -> list[str]:
    return [d for d in c.rng.sample(DESTINATIONS, k=c.rng.choice([0, 1, 1, 2])) if d != c.state]


def _trafficking(c: _Context) -> dict[str, Any]:
    g, rng = c.gen, c.rng
    occurred = c.happened(24, 24 * 20)
    ipc = g.ipc("human_trafficking", occurred)
    minor = rng.random() < 0.6
    city = rng.choice(DESTINATION_CITIES)
    victims = [
        g.person(
            "victim",
            c.state,
            gender=rng.choice(["female", "female", "male"]),
            ages=(12, 17) if minor else (18, 25),
            seen=(f"{rng.choice(LANDMARKS)}, {c.where}", occurred),
        )
        for _ in range(rng.choice([1, 1, 2, 3]))
    ]
    agent = g.person(
        "suspect", c.state, gender=rng.choice(["male", "male", "female"]), ages=(25, 50), alias=0.3
    )
    kind = rng.choice(["domestic", "labour", "marriage", "sexual"])
    titles = {
        "domestic": f"Girls taken from {c.where} by placement agent for domestic work in {city}",
        "labour": f"Boys from {c.where} trafficked for labour to {city}",
        "marriage": f"Minor girl from {c.where} sold for marriage; suspected taken to {city}",
        "sexual": f"Young women from {c.where} lured with job offers, feared trafficked to {city}",
    }
    body: dict[str, Any] = {
        "title": titles[kind],
        "narrative": (
            f"{len(victims)} person(s) from the area of {c.station_name} left with {_label(agent)}, who "
            f"promised work in {city}. Families have had no contact since. The agent's phone is switched "
            "off. Trace the victims and the agent; check trains and buses towards the destination, and "
            "placement agencies at the destination."
        ),
        "sections": _trafficking_sections(c, ipc, minor=minor),
        "persons": [*victims, agent],
        "phones": g.phones(rng.choice([1, 1, 2])),
        "vehicles": [g.vehicle(c.state, kind="car")] if rng.random() < 0.25 else [],
        "audience": g.audience(c.state, bordering=0.85, extra=_destinations(c)),
    }
    return c.with_fir(body)


def _rescued(c: _Context) -> dict[str, Any]:
    g, rng = c.gen, c.rng
    occurred = c.happened(6, 72)
    ipc = g.ipc("rescued_victim", occurred)
    minor = rng.random() < 0.7
    gender = rng.choice(["female", "female", "male"])
    victim = g.person(
        "rescued", c.state, gender=gender, ages=(10, 17) if minor else (18, 24), named=rng.random() < 0.7
    )
    origin = rng.choice(["Jharkhand", "Assam", "West Bengal", "Odisha", "Bihar", "Nepal", "Chhattisgarh"])
    body: dict[str, Any] = {
        "title": f"{'Child' if minor else 'Young woman' if gender == 'female' else 'Young man'} rescued in "
        f"{c.where}; family sought",
        "narrative": (
            f"Rescued from a {rng.choice(RESCUE_PLACES)} "
            f"in the area of {c.station_name}. {_pronoun(victim).capitalize()} says "
            f"{'her' if gender == 'female' else 'his'} home is in a village in {origin} but cannot name the "
            "district. Now in a shelter home. Identify the family and the persons who brought "
            f"{'her' if gender == 'female' else 'him'}."
        ),
        "sections": _trafficking_sections(c, ipc, minor=minor),
        "persons": [victim],
        "audience": g.audience(c.state, bordering=0.8, extra=rng.sample(["JH", "AS", "OD"], k=1)),
    }
    return c.with_fir(body)


def _missing(c: _Context) -> dict[str, Any]:
    g, rng = c.gen, c.rng
    occurred = c.happened(2, 72)
    ipc = g.ipc("missing_person", occurred)
    minor = rng.random() < 0.7
    gender = rng.choice(["female", "female", "male"])
    place = f"{rng.choice(LANDMARKS)}, {c.where}"
    person = g.person(
        "missing", c.state, gender=gender, ages=(5, 17) if minor else (18, 75), seen=(place, occurred)
    )
    age = _age(person)
    noun = ("girl" if gender == "female" else "boy") if minor else ("woman" if gender == "female" else "man")
    body: dict[str, Any] = {
        "title": f"Missing: {age}-year-old {noun} {person['name']} from {c.where}",
        "narrative": (
            f"{person['name']} left home and was last seen near {place}, wearing {rng.choice(CLOTHES)}. "
            f"{'A case of kidnapping is registered as the child is a minor. ' if minor else ''}"
            "Check shelter homes, hospitals, railway stations and bus stands, and inform the originator "
            "of any trace."
        ),
        "persons": [person],
        "phones": g.phones(1) if (not minor or rng.random() < 0.2) else [],
        "audience": g.audience(c.state, bordering=0.7),
    }
    if minor:
        body["sections"] = g.cite(ipc, [("363", "137(2)")])
        return c.with_fir(body)
    return body


def _unidentified_person(c: _Context) -> dict[str, Any]:
    g, rng = c.gen, c.rng
    c.happened(1, 24)
    gender = rng.choice(["male", "female"])
    person = g.person("unidentified", c.state, gender=gender, ages=(8, 70), named=False)
    person["marks"] = person["marks"] or rng.choice(MARKS)
    person["languages"] = rng.sample(["Hindi", "Bengali", "Nepali", "Odia", "Assamese", "Santali"], k=1)
    return {
        "title": f"Unidentified {'woman' if gender == 'female' else 'man'}, about {_age(person)}, "
        f"found at {rng.choice(LANDMARKS)}, {c.where}",
        "narrative": (
            f"Found in a confused state, wearing {rng.choice(CLOTHES)}. Speaks {person['languages'][0]} and "
            "cannot give an address. Now in the care of a shelter home. Check against missing-person "
            "reports."
        ),
        "persons": [person],
        "audience": g.audience(c.state, bordering=0.6),
    }


def _unidentified_body(c: _Context) -> dict[str, Any]:
    g, rng = c.gen, c.rng
    c.happened(1, 12)
    gender = rng.choices(["male", "female"], weights=[4, 1])[0]
    person = g.person("unidentified", c.state, gender=gender, ages=(20, 65), named=False)
    person["marks"] = person["marks"] or rng.choice(MARKS)
    person.pop("languages", None)
    spot = rng.choice(
        ["the railway track", "the canal", "the highway", "a drain", "a field", "the river bank"]
    )
    return {
        "title": f"Unidentified {'male' if gender == 'male' else 'female'} body found near {spot}, {c.where}",
        "narrative": (
            f"The body of a {'man' if gender == 'male' else 'woman'} aged about {_age(person)} was "
            f"found near {spot} in the area of {c.station_name}, wearing {rng.choice(CLOTHES)}. "
            "Post-mortem done; photographs and fingerprints with the originator. Check against "
            "missing-person reports."
        ),
        "persons": [person],
        "audience": g.audience(c.state, bordering=0.3),
    }


def _wanted(c: _Context) -> dict[str, Any]:
    g, rng = c.gen, c.rng
    occurred = c.happened(24, 24 * 60)
    ipc = g.ipc("wanted_person", occurred)
    offence, pair = rng.choice(
        [
            ("murder", ("302", "103(1)")),
            ("dacoity", ("395", "310(2)")),
            ("rape", ("376", "64")),
            ("cheating", ("420", "318")),
            ("kidnapping for ransom", ("364A", "140(2)")),
        ]
    )
    person = g.person("accused", c.state, gender=rng.choices(["male", "female"], [9, 1])[0], alias=0.6)
    reward = rng.choice([0, 0, 10000, 25000, 50000, 100000])
    identifiers = []
    if rng.random() < 0.3:
        letters = "".join(rng.choices("ABCDEFGHJKLMNPRSTUVWXYZ", k=3))
        identifiers.append({"type": "voter_id", "value": f"{letters}{rng.randint(10**6, 10**7 - 1)}"})
    body: dict[str, Any] = {
        "title": f"Wanted: {person['name']}, absconding in a {offence} case of {c.where}",
        "narrative": (
            f"{person['name']}"
            f"{' alias ' + person['aliases'][0] if person.get('aliases') else ''} is wanted in a {offence} "
            f"case of {c.station_name} and has been absconding since. "
            f"{'A reward of Rs ' + format(reward, ',') + ' is announced. ' if reward else ''}"
            "Arrest and inform the originator."
        ),
        "sections": g.cite(ipc, [pair]),
        "persons": [person],
        "phones": g.phones(rng.choice([0, 1])),
        "identifiers": identifiers,
        "audience": g.audience(c.state, bordering=0.5),
    }
    return c.with_fir(body)


def _release(c: _Context) -> dict[str, Any]:
    g, rng = c.gen, c.rng
    occurred = c.happened(2, 48)
    ipc = g.ipc("criminal_release", occurred)
    person = g.person("accused", c.state, gender="male", ages=(25, 60), alias=0.8)
    how = rng.choice(["on bail", "on parole", "after completing his sentence", "on interim bail"])
    pair = rng.choice([("392", "309"), ("395", "310(2)"), ("302", "103(1)"), ("379", "303")])
    return {
        "title": f"History-sheeter {person['name']} released {how} from {c.where} jail",
        "narrative": (
            f"{person['name']}"
            f"{' alias ' + person['aliases'][0] if person.get('aliases') else ''}, a history-sheeter of "
            f"{c.station_name} with several cases, was released {how}. He is known to contact his old "
            "associates soon after release. Keep discreet watch and report his movements."
        ),
        "sections": g.cite(ipc, [pair]),
        "persons": [person],
        "phones": g.phones(rng.choice([0, 1, 1])),
        "audience": g.audience(c.state, bordering=0.3),
    }


def _stolen_vehicle(c: _Context) -> dict[str, Any]:
    g, rng = c.gen, c.rng
    occurred = c.happened(1, 30)
    ipc = g.ipc("stolen_vehicle", occurred)
    kind = rng.choices(["car", "motorcycle", "truck", "tractor", "auto_rickshaw"], weights=[4, 6, 1, 1, 1])[0]
    vehicle = g.vehicle(c.state, kind=kind, numbers=rng.random() < 0.6)
    vehicle["registration"] = g.registration(c.state)
    snatched = rng.random() < 0.15
    spot = rng.choice(LANDMARKS)
    body: dict[str, Any] = {
        "title": f"{'Snatched' if snatched else 'Stolen'} {vehicle['colour']} {vehicle['make']} "
        f"{vehicle['model']} ({vehicle['registration'].upper()})",
        "narrative": (
            f"The {vehicle['vehicle_type'].replace('_', '-')} was "
            f"{'snatched at gunpoint' if snatched else 'stolen while parked'} near {spot}, in the area of "
            f"{c.station_name}. Number plates may have been changed; check the chassis and engine numbers. "
            "Recover and inform the originator."
        ),
        "sections": g.cite(ipc, [("392", "309") if snatched else ("379", "303")]),
        "vehicles": [vehicle],
        "audience": g.audience(c.state, bordering=0.5 if c.state in {"DL", "HR", "UP", "CH", "PB"} else 0.2),
    }
    return c.with_fir(body)


def _modus_operandi(c: _Context) -> dict[str, Any]:
    g, rng = c.gen, c.rng
    occurred = c.happened(48, 24 * 30)
    ipc = g.ipc("modus_operandi", occurred)
    title, pair = rng.choice(
        [
            ("Callers posing as bank officials ask for KYC update and OTP", ("420", "318")),
            ("Gang of women pickpockets on city buses", ("379", "303")),
            ("Fake police checking on the highway to rob truck drivers", ("392", "309")),
            ("'Digital arrest' calls: fraudsters pose as CBI officers on video calls", ("420", "318")),
            ("Chain snatchers on motorcycles target women on morning walks", ("379", "303")),
            ("Fake job offers abroad lure youth to scam compounds", ("420", "318")),
        ]
    )
    persons = [
        g.person("suspect", c.state, ages=(20, 45), named=rng.random() < 0.5)
        for _ in range(rng.randint(0, 2))
    ]
    return {
        "title": f"{title} ({c.where})",
        "narrative": (
            f"Several cases reported at {c.station_name} follow the same pattern. Numbers used by the "
            "gang are below. Alert beat staff and the public; report similar cases to the originator."
        ),
        "sections": g.cite(ipc, [pair]),
        "persons": persons,
        "phones": g.phones(rng.randint(1, 3), imei=0.1),
        "audience": {"national": True} if rng.random() < 0.2 else g.audience(c.state, bordering=0.5),
    }


def _general(c: _Context) -> dict[str, Any]:
    g, rng = c.gen, c.rng
    title = rng.choice(
        [
            f"Counterfeit Rs 500 notes in circulation in {c.where}",
            f"Festival crowd management: extra vigilance in {c.where}",
            "Fake loan apps harassing borrowers with morphed photographs",
            f"Stray explosive material stolen from a quarry in {c.where}",
            "Advisory: watch for unattended bags at railway stations",
        ]
    )
    return {
        "title": title,
        "narrative": (
            f"For information of all units. Inputs received at {c.station_name}. Brief staff at roll call "
            "and report anything relevant to the originator."
        ),
        "audience": g.audience(c.state, bordering=0.2),
    }


BUILDERS: dict[str, Callable[[_Context], dict[str, Any]]] = {
    "heinous_crime": _heinous,
    "terror_incident": _terror,
    "organised_crime": _organised,
    "human_trafficking": _trafficking,
    "missing_person": _missing,
    "rescued_victim": _rescued,
    "unidentified_person": _unidentified_person,
    "unidentified_body": _unidentified_body,
    "wanted_person": _wanted,
    "criminal_release": _release,
    "stolen_vehicle": _stolen_vehicle,
    "modus_operandi": _modus_operandi,
    "general_advisory": _general,
}
