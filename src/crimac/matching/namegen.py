"""Labelled person records with realistic Indian name variants, for `crimac eval-matching`.

Each entity is one invented person of one naming convention (data/names/*.txt: North, Punjabi and
Sikh, Gujarati, Marathi, Bengali, Assamese, Odia, central tribal, North-East, Tamil, Telugu,
Kannada, Malayali, Muslim, Christian). Each record of it is what another officer might have
written: the name in a script of that region, or in Latin with other spellings, honorifics, a
relation phrase, initials, reordered or missing parts, typos, capitals; the age guessed with
bounded noise (sometimes rounded to five) or given as a birth year; the gender sometimes left
out. Different entities may share a name, as people in India do; that is part of what the matcher
must get right.
"""

from __future__ import annotations

import datetime
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indic_transliteration import sanscript

from crimac.matching.names import _GROUP_RAW, DATA

REFERENCE_YEAR = 2025

_SCRIPT_SCHEME = {
    "Devanagari": sanscript.DEVANAGARI,
    "Bengali": sanscript.BENGALI,
    "Assamese": sanscript.BENGALI,
    "Gurmukhi": sanscript.GURMUKHI,
    "Gujarati": sanscript.GUJARATI,
    "Odia": sanscript.ORIYA,
    "Tamil": sanscript.TAMIL,
    "Telugu": sanscript.TELUGU,
    "Kannada": sanscript.KANNADA,
    "Malayalam": sanscript.MALAYALAM,
}
_DRAVIDIAN = {"Tamil", "Telugu", "Kannada", "Malayalam"}

# How many of the entities follow each convention (roughly, by population).
WEIGHTS = {
    "north": 28,
    "muslim": 14,
    "bengali": 8,
    "marathi": 7,
    "tamil": 6,
    "telugu": 6,
    "gujarati": 5,
    "kannada": 4,
    "malayali": 3,
    "punjabi": 3,
    "odia": 3,
    "tribal": 3,
    "christian": 3,
    "assamese": 2,
    "northeast": 2,
}


@dataclass(frozen=True)
class Convention:
    name: str
    scripts: tuple[str, ...]
    states: tuple[str, ...]
    male: tuple[str, ...]
    female: tuple[str, ...]
    middle_male: tuple[str, ...]
    middle_female: tuple[str, ...]
    family: tuple[str, ...]


def load_conventions(directory: Path | None = None) -> dict[str, Convention]:
    out: dict[str, Convention] = {}
    for path in sorted((directory or DATA / "names").glob("*.txt")):
        fields: dict[str, tuple[str, ...]] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if ":" in line:
                key, _, value = line.partition(":")
                fields[key.strip()] = tuple(value.split())
        out[path.stem] = Convention(
            name=path.stem,
            scripts=fields.get("scripts", ()),
            states=fields.get("states", ()),
            male=fields.get("male", ()),
            female=fields.get("female", ()),
            middle_male=fields.get("middle_male", ()),
            middle_female=fields.get("middle_female", ()),
            family=fields.get("family", ()),
        )
    return out


# --- rendering a Latin name in an Indic script ---------------------------------------------------


def latin_to_itrans(word: str, script: str) -> str:
    """A Latin-spelt Indian name as ITRANS, the way a writer of `script` would spell it: a final
    'a', 'i' or 'u' long in the northern scripts, an inherent vowel instead of a virama after a final
    consonant there, anusvara before a consonant."""
    w = word.lower()
    dravidian = script in _DRAVIDIAN
    w = w.replace("aa", "A").replace("ee", "I").replace("oo", "U").replace("ou", "au")
    w = re.sub(r"que$", "k", w)
    w = re.sub(r"i(?=[aeou])", "iy", w)
    w = re.sub(r"u(?=[aei])", "uv", w)
    if script not in {"Devanagari", "Gurmukhi"}:
        w = w.replace("q", "k")
    w = w.replace("x", "kSh").replace("w", "v").replace("chh", "Ch")
    w = re.sub(r"y$", "I", w)
    if dravidian:
        w = w.replace("th", "t").replace("dh", "d")
    w = w.replace("ck", "kk")
    if script not in {"Tamil", "Malayalam"}:  # these write the nasal itself, not an anusvara
        w = re.sub(r"n(?=[kgcjtdpb])", "M", w)
    if not dravidian:
        w = re.sub(r"a$", "A", w)
        w = re.sub(r"i$", "I", w)
        w = re.sub(r"u$", "U", w)
        if re.search(r"[^aeiouAIU]$", w):
            w += "a"
    return w


def render(name: str, script: str) -> str:
    words = name.split()
    out = " ".join(
        sanscript.transliterate(latin_to_itrans(w, script), sanscript.ITRANS, _SCRIPT_SCHEME[script])
        for w in words
    )
    if script == "Assamese":  # Assamese writes r and w with letters of its own
        out = out.replace("র", "ৰ")
    return out


_HONORIFIC_SCRIPT = {
    ("Devanagari", "male"): "श्री",
    ("Devanagari", "female"): "श्रीमती",
    ("Bengali", "male"): "শ্রী",
    ("Bengali", "female"): "শ্রীমতী",
    ("Gurmukhi", "male"): "ਸ਼੍ਰੀ",
    ("Gujarati", "male"): "શ્રી",
    ("Tamil", "male"): "திரு",
    ("Tamil", "female"): "திருமதி",
}

# --- spelling variation -------------------------------------------------------------------------

_SWAPS: tuple[tuple[str, str], ...] = (
    ("a", "aa"),
    ("i", "ee"),
    ("u", "oo"),
    ("ee", "i"),
    ("oo", "u"),
    ("aa", "a"),
    ("v", "w"),
    ("w", "v"),
    ("sh", "s"),
    ("s", "sh"),
    ("ksh", "x"),
    ("x", "ksh"),
    ("ph", "f"),
    ("f", "ph"),
    ("z", "j"),
    ("q", "k"),
    ("au", "ou"),
    ("ou", "au"),
    ("th", "t"),
    ("t", "th"),
    ("dh", "d"),
    ("d", "dh"),
    ("bh", "b"),
    ("kh", "k"),
    ("gh", "g"),
    ("y", "i"),
    ("i", "y"),
    ("endra", "inder"),
    ("inder", "endra"),
)
_GROUPS: dict[str, list[str]] = {}
for _raw, _canon in _GROUP_RAW.items():
    _GROUPS.setdefault(_canon, []).append(_raw)


def respell(token: str, rng: random.Random) -> str:
    low = token.lower()
    group = _GROUPS.get(_GROUP_RAW.get(low, ""), [])
    if len(group) > 1 and rng.random() < 0.6:
        choice = rng.choice([g for g in group if g not in {"md", "sk"}] or group)
        return choice.capitalize()
    options = [(a, b) for a, b in _SWAPS if a in low]
    if re.search(r"([bcdfgjklmnprstv])(?!\1)", low[1:]):
        options.append(("double", ""))
    if not options:
        return token
    a, b = rng.choice(options)
    if a == "double":
        spots = [i for i in range(1, len(low)) if low[i] in "bcdfgjklmnprstv" and low[i] != low[i - 1]]
        i = rng.choice(spots)
        low = low[: i + 1] + low[i] + low[i + 1 :]
    else:
        spots = [m.start() for m in re.finditer(re.escape(a), low)]
        i = rng.choice(spots)
        if a in {"y", "i"} and b in {"y", "i"} and i != len(low) - 1:
            return token
        low = low[:i] + b + low[i + len(a) :]
    return low.capitalize()


def typo(token: str, rng: random.Random) -> str:
    """One keyboard slip: a letter dropped, doubled, swapped with its neighbour or replaced."""
    if len(token) < 5:
        return token
    low = token.lower()
    i = rng.randrange(1, len(low) - 1)
    kind = rng.choice(("drop", "swap", "replace", "insert"))
    if kind == "drop":
        low = low[:i] + low[i + 1 :]
    elif kind == "swap":
        low = low[:i] + low[i + 1] + low[i] + low[i + 2 :]
    elif kind == "replace":
        low = low[:i] + rng.choice("aeiounmrstlk") + low[i + 1 :]
    else:
        low = low[:i] + rng.choice("aeiounmrstlkh") + low[i:]
    return low.capitalize()


# --- entities and records -----------------------------------------------------------------------


@dataclass
class Entity:
    id: str
    convention: Convention
    gender: str
    given: str
    middle: str
    family: str
    family_first: bool
    father: str
    age: int
    state: str
    phone: str
    role: str
    alias: str


_ROLES = ("missing", "rescued", "victim", "suspect", "accused", "wanted", "unidentified", "witness")
_NICKNAMES = ("Pappu", "Munna", "Guddu", "Bablu", "Chhotu", "Raju", "Sonu", "Monu", "Tinku", "Bittu", "Lallu")


def make_entity(n: int, conventions: dict[str, Convention], rng: random.Random) -> Entity:
    names = [c for c in WEIGHTS if c in conventions]
    conv = conventions[rng.choices(names, weights=[WEIGHTS[c] for c in names])[0]]
    gender = rng.choice(("male", "female"))
    given = rng.choice(conv.male if gender == "male" else conv.female)
    middles = conv.middle_male if gender == "male" else conv.middle_female
    middle = ""
    p_middle = {"punjabi": 0.9, "north": 0.45, "marathi": 0.5, "muslim": 0.35, "gujarati": 0.4}.get(
        conv.name, 0.2
    )
    if middles and rng.random() < p_middle:
        middle = rng.choice(middles)
    if conv.name == "muslim" and middle in {"Begum", "Khatun", "Bibi"}:
        family = middle if rng.random() < 0.5 else rng.choice(conv.family)
        middle = "" if family == middle else middle
    elif conv.name == "punjabi" and rng.random() < 0.4:
        family = ""
    else:
        family = rng.choice(conv.family) if rng.random() < 0.92 else ""
    if middle and middle == family:
        middle = ""
    family_first = conv.name in {"telugu", "northeast"} and rng.random() < 0.6
    age = rng.choice((rng.randint(6, 17), rng.randint(18, 45), rng.randint(18, 45), rng.randint(46, 75)))
    phone = "+91" + str(rng.randint(6000000000, 9999999999))
    return Entity(
        id=f"E{n:06d}",
        convention=conv,
        gender=gender,
        given=given,
        middle=middle,
        family=family,
        family_first=family_first,
        father=rng.choice(conv.male),
        age=age,
        state=rng.choice(conv.states) if conv.states else "",
        phone=phone,
        role=rng.choice(_ROLES),
        alias=rng.choice(_NICKNAMES) if rng.random() < 0.05 else "",
    )


def _parts(e: Entity) -> list[str]:
    parts = [e.given, e.middle, e.family]
    if e.family_first:
        parts = [e.family, e.given, e.middle]
    return [p for p in parts if p]


def variant(e: Entity, rng: random.Random, *, first: bool) -> dict[str, Any]:
    parts = _parts(e)
    rec: dict[str, Any] = {"entity": e.id}
    script_names = e.convention.scripts
    if not first and script_names and rng.random() < 0.25:
        script = rng.choice(script_names)
        if e.middle and rng.random() < 0.3:
            parts = [p for p in parts if p != e.middle]
        name = render(" ".join(parts), script)
        hon = _HONORIFIC_SCRIPT.get((script, e.gender))
        if hon and rng.random() < 0.2:
            name = f"{hon} {name}"
    else:
        tokens = list(parts)
        if not first:
            if rng.random() < 0.55:
                k = rng.randrange(len(tokens))
                tokens[k] = respell(tokens[k], rng)
                if rng.random() < 0.3:
                    k = rng.randrange(len(tokens))
                    tokens[k] = respell(tokens[k], rng)
            if rng.random() < 0.12:
                k = rng.randrange(len(tokens))
                tokens[k] = typo(tokens[k], rng)
            if e.middle and e.middle in tokens and rng.random() < 0.35:
                tokens.remove(e.middle)
            if e.family and e.family in tokens and len(tokens) >= 2 and rng.random() < 0.06:
                tokens.remove(e.family)  # the family name not known to this officer
            south = e.convention.name in {"tamil", "telugu", "kannada"}
            if south and e.family in tokens and len(tokens) >= 2 and rng.random() < 0.25:
                # the South Indian way: the father's or house name as an initial in front
                tokens = [e.family[0] + "."] + [t for t in tokens if t != e.family]
            if len(tokens) >= 2 and rng.random() < 0.12:
                # an initial for the given name, or for everything but the family name
                k = 0 if not e.family_first else 1
                k = min(k, len(tokens) - 2)
                tokens[k] = tokens[k][0].upper() + "."
            if len(tokens) >= 2 and rng.random() < 0.15:
                tokens = tokens[-1:] + tokens[:-1]
        name = " ".join(tokens)
        if rng.random() < 0.2:
            name = f"{_honorific(e, rng)} {name}"
        if rng.random() < 0.12:
            rel = {"male": "s/o", "female": rng.choice(("d/o", "w/o"))}[e.gender]
            name = f"{name} {rel} {e.father} {e.family}".strip()
        if e.alias and rng.random() < 0.5:
            name = f"{name} alias {e.alias}" if rng.random() < 0.5 else f"{name} @ {e.alias}"
        if rng.random() < 0.15:
            name = name.upper()
    rec["name"] = name
    if rng.random() < 0.9:
        rec["gender"] = e.gender
    seen = datetime.date(REFERENCE_YEAR - 2, 1, 1) + datetime.timedelta(days=rng.randrange(3 * 365))
    true_age = e.age + (seen.year - REFERENCE_YEAR)
    age = reported_age(true_age, rng)
    rec["seen_on"] = seen.isoformat()
    roll = rng.random()
    if roll < 0.1:
        rec["birth_year"] = seen.year - age
    elif roll < 0.9:
        rec["age"] = age
    rec["state"] = (
        e.state if rng.random() < 0.6 else rng.choice(("DL", "MH", "WB", "UP", "KA", "TN", "GJ", "PB"))
    )
    if rng.random() < 0.08:
        rec["phone"] = e.phone
    rec["role"] = rng.choice(_ROLES) if not first else e.role
    return rec


AGE_ERROR_SD = (1.0, 2.0, 3.5)  # a child's age, an adult's under 40, an older adult's
AGE_ERROR_MAX = 2.0  # in SDs: a guess is rarely further off (children +-2, adults +-4 or +-7 years)
ROUND_TO_FIVE = 0.25  # share of adult ages written as a round guess ("about 40")


def reported_age(true_age: int, rng: random.Random) -> int:
    """The age an officer writes down. A guess by eye is off by a normal error, but not without
    bound: an unbounded normal made one older person's age in twenty off by 7 or more years, and
    pairs of records 15-20 years apart, which reports of the same missing person rarely are (they
    come from the family, or from an officer who sees the person). Adults' ages are often
    rounded to five as well, which the matcher must tolerate too."""
    sd = AGE_ERROR_SD[0] if true_age < 14 else (AGE_ERROR_SD[1] if true_age < 40 else AGE_ERROR_SD[2])
    err = rng.gauss(0.0, sd)
    while abs(err) > AGE_ERROR_MAX * sd:  # a truncated normal: redrawn, not piled up at the bound
        err = rng.gauss(0.0, sd)
    age = max(1, round(true_age + err))
    if true_age >= 25 and rng.random() < ROUND_TO_FIVE:
        age = 5 * round(age / 5)
    return age


def _honorific(e: Entity, rng: random.Random) -> str:
    if e.gender == "male":
        pool = ["Shri", "Sri", "Mr.", "Sh."]
        if e.convention.name == "muslim":
            pool += ["Md.", "Mohd.", "Janab"]
        if e.convention.name == "tamil":
            pool += ["Thiru"]
        if e.convention.name == "punjabi":
            pool += ["S."]
    else:
        pool = ["Smt.", "Kumari", "Ms.", "Km.", "Miss"]
        if e.convention.name == "tamil":
            pool += ["Selvi", "Thirumathi"]
    choice = rng.choice(pool)
    return "Sardar" if choice == "S." else choice


def generate(entities: int, seed: int) -> Iterator[dict[str, Any]]:
    """Records of `entities` invented people, 1 to 5 records each, shuffled; ids are r<number>."""
    rng = random.Random(seed)
    conventions = load_conventions()
    records: list[dict[str, Any]] = []
    for n in range(entities):
        e = make_entity(n, conventions, rng)
        count = rng.choices((1, 2, 3, 4, 5), weights=(30, 30, 20, 12, 8))[0]
        for k in range(count):
            records.append(variant(e, rng, first=(k == 0)))
    rng.shuffle(records)
    for i, rec in enumerate(records):
        yield {"id": f"r{i:07d}", **rec}
