"""Person matching: is this the same person as that one?

A name alone is weak evidence in India (there are many Rajesh Kumars), so the score starts from the
best name score over both records' names and aliases and then uses what else the two records say:
gender (both known and different is a strong negative), ages or birth years (reported ages are
guesses, so the ranges are widened before they must overlap), State and identifying marks (small
positives). An equal phone or identifier is a match on its own (`Scored.exact`).

`link` is the bounded candidate search the server runs: blocking keys put records that could be the
same person into the same buckets, buckets too large to say anything (a key every "Kumar" shares)
are skipped, and each record keeps only its top-k candidates above the threshold, so the number of
links grows with the real links, not with the square of the records. `crimac eval-matching` scores
this same function.
"""

from __future__ import annotations

import datetime
import heapq
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from crimac.matching.names import (
    TOKEN_MATCH,
    ParsedName,
    parse,
    parsed_score,
    phonetic_keys,
    relative,
    token_similarity,
)

MATCH_THRESHOLD: float = 0.73  # tuned on gen-names seed 1: where precision and recall meet
MAX_BLOCK = 400  # a name key shared by more records than this is too common to block on

_GENDER = {
    "male": "male",
    "m": "male",
    "man": "male",
    "boy": "male",
    "female": "female",
    "f": "female",
    "woman": "female",
    "girl": "female",
    "transgender": "other",
    "other": "other",
    "t": "other",
    "unknown": "",
    "": "",
}


def gender_of(value: str) -> str:
    """ "male", "female", "other" or "" (unknown); accepts alerts.choices.Gender values."""
    return _GENDER.get((value or "").strip().lower(), "")


@dataclass(frozen=True)
class PersonFacts:
    key: str  # the caller's id for the record
    names: tuple[str, ...]  # name and aliases, any script
    gender: str = ""  # male | female | other (transgender) | "" / unknown
    age_min: int | None = None
    age_max: int | None = None
    birth_year_min: int | None = None
    birth_year_max: int | None = None
    seen_on: datetime.date | None = None  # the date ages refer to (last seen / reported)
    phones: tuple[str, ...] = ()  # E.164
    identifiers: tuple[str, ...] = ()  # "type:value", already normalised
    state: str = ""  # two-letter State code
    marks: str = ""
    role: str = ""
    # What `names.parse` makes of each of `names` (in their order) and `names.relative` of the
    # first, when the caller has them stored (`matching.keys.profile_facts`); else worked out here.
    parsed: tuple[tuple[ParsedName, ...], ...] = ()
    relative: tuple[str, str] | None = None

    def parsed_names(self) -> tuple[tuple[ParsedName, ...], ...]:
        return self.parsed or tuple(parse(n) for n in self.names)

    def relative_name(self) -> tuple[str, str]:
        """("parent" or "spouse", the relative's folded given name), or ("", "")."""
        if self.relative is not None:
            return self.relative
        return relative(self.names[0]) if self.names else ("", "")


@dataclass(frozen=True)
class Scored:
    score: float  # 0..1
    reasons: tuple[str, ...]
    exact: bool  # an equal phone or identifier: a match on its own


AGE_SLACK_ADULT = 0.16  # an adult's reported age may be off by this share of it (tuned, seed 1)
AGE_SLACK_YOUNG = 4  # years a young adult's reported age may be off (tuned, seed 1)
AGE_PENALTY_BASE = 0.05  # taken off once ages disagree beyond the slack
AGE_PENALTY_PER_YEAR = 0.04  # and this much for every year further
AGE_PENALTY_MAX = 0.45


def age_slack(age: int) -> int:
    """How far a reported age may be off: a child's age is known to a year or two, an adult's is
    often a guess by eye ("about 40")."""
    if age < 14:
        return 2
    if age < 30:
        return AGE_SLACK_YOUNG
    return max(AGE_SLACK_YOUNG + 1, round(age * AGE_SLACK_ADULT))


def birth_years(p: PersonFacts) -> tuple[int, int, int] | None:
    """(earliest, latest, slack) birth year the record allows, or None when it says nothing."""
    ref = (p.seen_on or datetime.date.today()).year
    lo: int | None = None
    hi: int | None = None
    slack = 1
    if p.birth_year_min is not None or p.birth_year_max is not None:
        lo = p.birth_year_min if p.birth_year_min is not None else p.birth_year_max
        hi = p.birth_year_max if p.birth_year_max is not None else p.birth_year_min
    if p.age_min is not None or p.age_max is not None:
        amin = p.age_min if p.age_min is not None else p.age_max
        amax = p.age_max if p.age_max is not None else p.age_min
        assert amin is not None and amax is not None
        alo, ahi = ref - amax - 1, ref - amin
        slack = age_slack(amax)
        lo = alo if lo is None else min(lo, alo)
        hi = ahi if hi is None else max(hi, ahi)
    if lo is None or hi is None:
        return None
    return min(lo, hi), max(lo, hi), slack


_MARK_WORDS = re.compile(r"[a-z]{3,}")
_MARK_STOP = frozenset(
    {"the", "and", "with", "has", "have", "left", "right", "near", "on", "of", "mark", "marks"}
)


def _mark_words(text: str) -> set[str]:
    return set(_MARK_WORDS.findall(text.lower())) - _MARK_STOP


def _best_name(a: PersonFacts, b: PersonFacts) -> tuple[float, list[str]]:
    best: tuple[float, list[str]] = (0.0, ["no names to compare"])
    theirs = b.parsed_names()
    for x in a.parsed_names():
        for y in theirs:
            s, reasons = parsed_score(x, y)
            if s > best[0]:
                best = (s, reasons)
    return best


GENDER_CONFLICT = 0.4  # male against female: the name score is multiplied by this
GENDER_UNSURE = 0.85  # transgender against male or female: recorded differently, not a conflict
AGE_AGREE_BONUS = 0.06  # tuned on gen-names seed 1 (bench/matching_tune.py)
SAME_STATE_BONUS = 0.04  # tuned on gen-names seed 1 (bench/matching_tune.py)
GENDER_AGREE_BONUS = 0.0  # both recorded and equal
MARKS_BONUS = 0.05


def _gender_factor(ga: str, gb: str) -> float:
    if not ga or not gb or ga == gb:
        return 1.0
    return GENDER_UNSURE if "other" in (ga, gb) else GENDER_CONFLICT


def _age_adjust(ya: tuple[int, int, int] | None, yb: tuple[int, int, int] | None) -> tuple[float, str]:
    """What the two birth-year ranges add to a score, and the reason ("" when they say nothing)."""
    if not ya or not yb:
        return 0.0, ""
    slack = max(ya[2], yb[2])
    gap = max(ya[0] - yb[1], yb[0] - ya[1], 0)
    born = f"born {ya[0]}-{ya[1]} / {yb[0]}-{yb[1]}"
    if gap <= slack:
        return AGE_AGREE_BONUS * (1 - gap / (slack + 1)), f"ages agree ({born})"
    penalty = min(AGE_PENALTY_MAX, AGE_PENALTY_PER_YEAR * (gap - slack) + AGE_PENALTY_BASE)
    return -penalty, f"ages differ by {gap} years ({born})"


RELATIVE_AGREE_BONUS = 0.06  # the same father's (or spouse's) given name (tuned, seed 1)
OTHER_BONUSES = RELATIVE_AGREE_BONUS + SAME_STATE_BONUS + MARKS_BONUS  # what `score` adds past the ages
RELATIVE_DIFFER_PENALTY = 0.15  # two different fathers' given names (tuned, seed 1)


def _relative_adjust(a: PersonFacts, b: PersonFacts) -> tuple[float, str]:
    """The father's or spouse's given name, when both records give one of the same kind ("s/o
    Gopal" / "s/o Anand": two people; "d/o Jatin" / "d/o Jatin": likely one)."""
    if not a.names or not b.names:
        return 0.0, ""
    ka, ra = a.relative_name()
    kb, rb = b.relative_name()
    if not ka or ka != kb:
        return 0.0, ""
    who = "father's" if ka == "parent" else "spouse's"
    sim, _ = token_similarity(ra, rb)
    if sim >= TOKEN_MATCH and len(ra) > 1 and len(rb) > 1:
        return RELATIVE_AGREE_BONUS, f"same {who} name {ra.capitalize()}"
    return -RELATIVE_DIFFER_PENALTY, f"{who} names differ ({ra.capitalize()} / {rb.capitalize()})"


def score(a: PersonFacts, b: PersonFacts) -> Scored:
    reasons: list[str] = []
    exact = False
    same_phones = sorted(set(a.phones) & set(b.phones) - {""})
    same_ids = sorted(set(a.identifiers) & set(b.identifiers) - {""})
    for phone in same_phones:
        reasons.append(f"same phone {phone}")
        exact = True
    for ident in same_ids:
        reasons.append(f"same identifier {ident}")
        exact = True

    s, name_reasons = _best_name(a, b)
    reasons.append(f"names {s:.2f}")
    reasons.extend(name_reasons)

    ga, gb = gender_of(a.gender), gender_of(b.gender)
    factor = _gender_factor(ga, gb)
    if ga and ga == gb and GENDER_AGREE_BONUS:
        s += GENDER_AGREE_BONUS
    if factor < 1:
        s *= factor
        if factor == GENDER_CONFLICT:
            reasons.append(f"gender differs ({ga} / {gb})")
        else:
            reasons.append(f"gender recorded differently ({ga} / {gb})")

    ya, yb = birth_years(a), birth_years(b)
    delta, why = _age_adjust(ya, yb)
    s += delta
    if why:
        reasons.append(why)

    delta, why = _relative_adjust(a, b)
    s += delta
    if why:
        reasons.append(why)

    if a.state and b.state and a.state == b.state:
        s += SAME_STATE_BONUS
        reasons.append(f"same State {a.state}")
    if a.marks and b.marks:
        wa, wb = _mark_words(a.marks), _mark_words(b.marks)
        if wa and wb and len(wa & wb) / len(wa | wb) >= 0.4:
            s += MARKS_BONUS
            reasons.append("identifying marks alike: " + ", ".join(sorted(wa & wb)))

    s = max(0.0, min(1.0, s))
    if exact:
        s = 1.0
    return Scored(round(s, 4), tuple(reasons), exact)


def blocking_keys(p: PersonFacts) -> set[str]:
    keys: set[str] = set()
    for name in p.names:
        keys |= phonetic_keys(name)
    keys |= {"phone:" + ph for ph in p.phones if ph}
    keys |= {"id:" + i for i in p.identifiers if i}
    return keys


def query_keys(keys: set[str]) -> set[str]:
    """The keys a record looks up (it is filed under all of them). A name of two or more
    distinctive parts finds its matches through pair and initial keys; single-part keys ("t:" a
    skeleton, "s:" a 3-letter prefix, "d:" a part with a letter deleted, for a typo) are looked
    up only by names with one distinctive part, so that "Sunita" finds "Sunita Devi" without
    every Sunita meeting every other."""
    if any(k.startswith("e:") for k in keys):
        return {k for k in keys if not k.startswith(("t:", "s:", "d:"))}
    return keys


def cannot_reach(a: PersonFacts, b: PersonFacts, threshold: float = MATCH_THRESHOLD) -> bool:
    """Whether gender and ages alone keep the pair under `threshold` whatever their names (and no
    phone or identifier is shared): `score` cannot reach it, so it need not run (the same answer)."""
    if (set(a.phones) & set(b.phones)) - {""} or (set(a.identifiers) & set(b.identifiers)) - {""}:
        return False
    return _ceiling(gender_of(a.gender), gender_of(b.gender), birth_years(a), birth_years(b)) < threshold


def _ceiling(ga: str, gb: str, ya: tuple[int, int, int] | None, yb: tuple[int, int, int] | None) -> float:
    """The most `score` can give two records of these genders and birth years: a perfect name
    (times the gender factor), their ages' adjustment, and every other bonus."""
    return (1.0 + GENDER_AGREE_BONUS) * _gender_factor(ga, gb) + _age_adjust(ya, yb)[0] + OTHER_BONUSES


def _exact_key(key: str) -> bool:
    return key.startswith(("phone:", "id:"))


def link(
    records: Iterable[PersonFacts], *, threshold: float = MATCH_THRESHOLD, top_k: int = 10
) -> list[tuple[str, str, float]]:
    """Likely same-person pairs among `records` as (key_a, key_b, score), best first; each record
    contributes at most its `top_k` best candidates at or above `threshold` (exact matches always)."""
    recs = list(records)
    keys_of = [blocking_keys(r) for r in recs]
    buckets: dict[str, list[int]] = defaultdict(list)
    for i, keys in enumerate(keys_of):
        for k in keys:
            buckets[k].append(i)
    # What the name cannot make up for: a score's upper bound from gender and ages alone, so that
    # a candidate that cannot reach the threshold is not scored (the result is the same).
    genders = [gender_of(r.gender) for r in recs]
    years = [birth_years(r) for r in recs]
    exact_keys = [{k for k in keys if _exact_key(k)} for keys in keys_of]

    def hopeless(i: int, j: int) -> bool:
        if exact_keys[i] & exact_keys[j]:
            return False
        return _ceiling(genders[i], genders[j], years[i], years[j]) < threshold

    best: list[list[tuple[float, int]]] = [[] for _ in recs]
    exact_pairs: dict[tuple[int, int], float] = {}
    looks_up = [
        {k for k in query_keys(keys) if len(buckets[k]) <= MAX_BLOCK or _exact_key(k)} for keys in keys_of
    ]
    for i, keys in enumerate(keys_of):
        cands: set[int] = set()
        for k in looks_up[i]:
            cands.update(buckets[k])
        cands.discard(i)
        for j in cands:
            if j < i and not looks_up[j].isdisjoint(keys):
                continue  # j found i and scored the pair already: no set of all pairs seen
            if hopeless(i, j):
                continue
            sc = score(recs[i], recs[j])
            if sc.exact:
                exact_pairs[(i, j)] = sc.score
            elif sc.score >= threshold:
                for x, y in ((i, j), (j, i)):
                    heap = best[x]
                    if len(heap) < top_k:
                        heapq.heappush(heap, (sc.score, y))
                    elif sc.score > heap[0][0]:
                        heapq.heapreplace(heap, (sc.score, y))
    pairs: dict[tuple[int, int], float] = dict(exact_pairs)
    for i, heap in enumerate(best):
        for s, j in heap:
            pairs[(min(i, j), max(i, j))] = s
    out = [(recs[i].key, recs[j].key, s) for (i, j), s in pairs.items()]
    out.sort(key=lambda t: (-t[2], t[0], t[1]))
    return out
