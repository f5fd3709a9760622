"""Person search: 'a girl of about 14 called Asha Kumari' against the persons on the alerts the
caller may see, in any script and spelling, ranked by matching's own person score with its reasons.

Candidates come from matching's blocking keys (`matching.SubjectKey`, written when an alert is
published or revised), restricted to visible alerts and capped, then each is scored with
`matching.persons.score`. So the search finds what correlation would link, and no more than a
bounded number of persons is ever scored for one search.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

from django.utils import timezone

from crimac.alerts.choices import Gender
from crimac.alerts.models import Alert, Person
from crimac.search.text import clean_text

MAX_CANDIDATES = 300  # persons scored per search, those sharing the most name keys first
READ_PER_KEY = 1500  # the newest persons of each name key read before their visibility is checked
PER_KEY = 300  # if those are too few: the newest visible persons of each key, checking every row
MIN_SCORE = 0.6  # lower than correlation's threshold: a search offers candidates to look at
NAME_MAX_CHARS = 200
# A name's keys grow with the square of its words (pairs of parts): 22 words made 2,847 keys.
NAME_MAX_WORDS = 8
AGE_RANGE = re.compile(r"^\s*(\d{1,3})\s*(?:-|\u2013|to)\s*(\d{1,3})\s*$")


class BadPerson(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Sought:
    name: str
    gender: str
    age_min: int | None
    age_max: int | None
    state: str
    normalised: str  # matching's folded form of the name

    def facts(self) -> dict[str, Any]:
        """What the delayed inquiry needs to rebuild this search as `PersonFacts`."""
        return {
            "names": [self.name],
            "gender": self.gender,
            "age_min": self.age_min,
            "age_max": self.age_max,
            "state": self.state,
            "seen_on": timezone.localdate().isoformat(),
        }


@dataclass(frozen=True)
class Candidate:
    person: Person
    score: float
    reasons: tuple[str, ...]
    exact: bool


def parse_age(raw: str | None) -> tuple[int | None, int | None]:
    """'14' or '13-15' (or '13 to 15'): the age range, or BadPerson naming `age`."""
    text = (raw or "").strip()
    if not text:
        return None, None
    if text.isascii() and text.isdigit() and len(text) <= 3:
        low = high = int(text)
    elif match := AGE_RANGE.match(text):
        low, high = int(match.group(1)), int(match.group(2))
    else:
        raise BadPerson("age", "give an age in years (e.g. 14) or a range (e.g. 13-15)")
    if low > high:
        raise BadPerson("age", "the range ends before it starts")
    if high > 120:
        raise BadPerson("age", "an age is at most 120 years")
    return low, high


def sought(name: str, gender: str = "", age: str = "", state: str = "") -> Sought:
    from crimac.matching.names import normalise_name

    text = " ".join(clean_text(name or "").split())
    if not text:
        raise BadPerson("name", "give the name to search for")
    if len(text) > NAME_MAX_CHARS:
        raise BadPerson("name", f"at most {NAME_MAX_CHARS} characters")
    if sum(1 for ch in text if ch.isalpha()) < 2:
        raise BadPerson("name", "a name needs at least 2 letters")
    gender = (gender or "").strip().lower()
    if gender and gender not in Gender.values:
        raise BadPerson("gender", f"one of: {', '.join(Gender.values)}")
    low, high = parse_age(age)
    state_code = (state or "").strip().upper()
    if state_code:
        from crimac.directory.models import State

        if not State.objects.filter(code=state_code).exists():
            raise BadPerson("state", f"unknown State/UT code {state!r}")
    normalised = normalise_name(text)
    if not normalised:
        raise BadPerson("name", "only titles or relation words (Shri, Smt, s/o ...): add the name itself")
    if len(normalised.split()) > NAME_MAX_WORDS:
        raise BadPerson("name", f"at most {NAME_MAX_WORDS} words: a name, not a description")
    return Sought(text, "" if gender == Gender.UNKNOWN else gender, low, high, state_code, normalised)


def _union_all(selects: list[str]) -> str:
    """`UNION ALL` of these, nested in groups of 200: SQLite refuses a compound of more than 500."""
    if len(selects) <= 200:
        return " UNION ALL ".join(selects)
    groups = [" UNION ALL ".join(selects[i : i + 200]) for i in range(0, len(selects), 200)]
    return " UNION ALL ".join(f"SELECT * FROM ({g}) AS g{n}" for n, g in enumerate(groups))  # noqa: S608


def _shortlist(user: Any, keys: list[str]) -> list[dict[str, int]]:
    """The persons sharing the most keys with the search (newest first among equals), at most
    MAX_CANDIDATES, all on alerts `user` may see.

    First from the newest READ_PER_KEY persons of each key, visible or not: they are counted by
    the keys they share, and visibility is checked once per person, best first, until the list is
    full (`_read_then_check`). Checking visibility on every key row instead costs a station officer
    about 7 microseconds a row, and the same alert once for each key it holds: most of a search of
    a three-part name, which has about 55 keys. If that list is not half full while some key held
    more rows than were read, the caller may see few of a common name's holders: the newest PER_KEY
    visible persons of each key are then read, checking every row (`_check_every_row`), so that an
    officer's own older record is not lost behind a thousand newer namesakes it may not see."""
    found, truncated = _read_then_check(user, keys)
    if len(found) < MAX_CANDIDATES // 2 and truncated:
        return _check_every_row(user, keys)
    return found


def _read_then_check(user: Any, keys: list[str]) -> tuple[list[dict[str, int]], bool]:
    """The shortlist from the newest READ_PER_KEY rows of each key, and whether any key held more."""
    from django.db import connection

    from crimac.matching.models import SubjectKey
    from crimac.search.backends import Scope

    table = connection.ops.quote_name(SubjectKey._meta.db_table)
    visible_sql, visible_params = Scope.of(Alert.objects.visible_to(user)).correlated("best.alert_id")
    one = (
        'SELECT alert_id, "position", {n} AS k FROM ' + table + ' WHERE "key" = %s '  # noqa: S608
        "AND kind = 'person' ORDER BY alert_id DESC LIMIT %s"
    )
    union = _union_all([f"SELECT * FROM ({one.format(n=n)}) AS k{n}" for n in range(len(keys))])  # noqa: S608
    fenced = "OFFSET 0" if connection.vendor == "postgresql" else "LIMIT -1 OFFSET 0"
    materialized = "MATERIALIZED" if connection.vendor == "postgresql" else ""
    # The ranked persons are fenced (OFFSET 0) so that visibility is checked in rank order and
    # stops at the LIMIT; the last row counts the keys that held more than was read.
    sql = f"""
        WITH hits AS {materialized} ({union})
        SELECT * FROM (SELECT alert_id, "position", shared FROM (
            SELECT alert_id, "position", count(*) AS shared FROM hits GROUP BY alert_id, "position"
            ORDER BY shared DESC, alert_id DESC, "position" {fenced}) AS best
            WHERE EXISTS ({visible_sql}) LIMIT %s) AS shortlist
        UNION ALL
        SELECT -1, count(*), 0 FROM (SELECT k FROM hits GROUP BY k HAVING count(*) >= %s) AS truncated"""  # noqa: S608
    params = [value for k in keys for value in (k, READ_PER_KEY)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *visible_params, MAX_CANDIDATES, READ_PER_KEY])
        rows = cursor.fetchall()
    found = [{"alert_id": int(a), "position": int(p), "shared": int(n)} for a, p, n in rows if int(a) >= 0]
    truncated = any(int(a) < 0 and int(p) > 0 for a, p, _ in rows)
    return found, truncated


def _check_every_row(user: Any, keys: list[str]) -> list[dict[str, int]]:
    """The shortlist from the newest PER_KEY visible persons of each key, visibility checked on
    every key row walked (by the alert's primary key: `alert_id IN (visible alerts)` makes SQLite
    list every alert the caller may see, once for each key)."""
    from django.db import connection

    from crimac.matching.models import SubjectKey
    from crimac.search.backends import Scope

    table = connection.ops.quote_name(SubjectKey._meta.db_table)
    visible_sql, visible_params = Scope.of(Alert.objects.visible_to(user)).correlated(f"{table}.alert_id")
    one = (
        f'SELECT alert_id, "position" FROM {table} WHERE "key" = %s '  # noqa: S608
        f"AND kind = 'person' AND EXISTS ({visible_sql}) ORDER BY alert_id DESC LIMIT %s"
    )
    union = _union_all([f"SELECT * FROM ({one}) AS k{n}" for n in range(len(keys))])  # noqa: S608
    sql = (
        f'SELECT alert_id, "position", count(*) AS shared FROM ({union}) AS hits '  # noqa: S608
        'GROUP BY alert_id, "position" ORDER BY shared DESC, alert_id DESC, "position" LIMIT %s'
    )
    params = [value for k in keys for value in (k, *visible_params, PER_KEY)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, MAX_CANDIDATES])
        return [{"alert_id": int(a), "position": int(p), "shared": int(n)} for a, p, n in cursor.fetchall()]


def search_persons(user: Any, wanted: Sought) -> Found:
    """Persons on alerts `user` may see that are likely `wanted`, best first, with reasons."""
    from crimac.matching.choices import SubjectKind
    from crimac.matching.correlate import candidate_subjects
    from crimac.matching.persons import PersonFacts, blocking_keys, cannot_reach, query_keys, score

    query = PersonFacts(
        key="search",
        names=(wanted.name,),
        gender=wanted.gender,
        age_min=wanted.age_min,
        age_max=wanted.age_max,
        seen_on=timezone.localdate(),
        state=wanted.state,
    )
    # The keys correlation looks a person up by (`query_keys`): a name of two or more parts leaves
    # out its one-part keys (a skeleton, a prefix), which tens of thousands of persons share.
    keys = sorted(f"p:{k}"[:200] for k in query_keys(blocking_keys(query)))
    if not keys:
        return Found({})
    shortlist = _shortlist(user, keys)
    if not shortlist:
        return Found({})
    # Scored from the stored profiles (facts and parsed names, as correlation reads its
    # candidates); only the persons that score are then read whole, with their alerts, for the page.
    idents: set[tuple[int, str, int]] = {
        (row["alert_id"], SubjectKind.PERSON, row["position"]) for row in shortlist
    }
    kept: dict[tuple[int, int], tuple[float, tuple[str, ...], bool]] = {}
    for (alert_id, _, position), subject in candidate_subjects(idents).items():
        assert subject.facts is not None
        if cannot_reach(query, subject.facts, MIN_SCORE):  # genders or ages rule it out: not scored
            continue
        scored = score(query, subject.facts)
        if scored.score >= MIN_SCORE:
            kept[(alert_id, position)] = (scored.score, scored.reasons, scored.exact)
    return Found(kept)


class Found(Sequence[Candidate]):
    """The candidates of one search, best first (then the newest alert): counted and ordered from
    their scores and their alerts' reported times, one narrow query. A person is read whole (with
    its alert, State and agency) only when a page of them is asked for: a common name keeps a few
    hundred candidates, and a page shows 20 to 50."""

    def __init__(self, kept: dict[tuple[int, int], tuple[float, tuple[str, ...], bool]]) -> None:
        self._kept = kept
        reported = dict(
            Alert.objects.filter(pk__in=sorted({a for a, _ in kept})).values_list("id", "reported_at")
        )
        # An alert gone since its keys were read (deleted drafts) is not a candidate.
        self._order = sorted(
            (ident for ident in kept if ident[0] in reported),
            key=lambda i: (-kept[i][0], -reported[i[0]].timestamp(), i[0], i[1]),
        )

    def __len__(self) -> int:
        return len(self._order)

    def __iter__(self) -> Iterator[Candidate]:  # all of them, in one read (not one a candidate)
        return iter(self._read(self._order))

    @overload
    def __getitem__(self, index: int) -> Candidate: ...

    @overload
    def __getitem__(self, index: slice) -> list[Candidate]: ...

    def __getitem__(self, index: int | slice) -> Candidate | list[Candidate]:
        if isinstance(index, slice):
            return self._read(self._order[index])
        return self._read([self._order[index]])[0]

    def _read(self, idents: list[tuple[int, int]]) -> list[Candidate]:
        if not idents:
            return []
        persons = {
            (p.alert_id, p.position): p
            for p in Person.objects.filter(alert_id__in=sorted({a for a, _ in idents}))
            .select_related("alert", "alert__state", "alert__origin_agency")
            .defer("alert__narrative")
        }
        return [Candidate(persons[i], *self._kept[i]) for i in idents if i in persons]
