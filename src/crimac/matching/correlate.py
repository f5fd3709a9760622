"""Correlation: the subjects of a newly published (or revised) alert against every other alert.

Two phases, hooked to `crimac.alerts.hooks`:

1. In the publishing transaction (`write_keys`): the alert's blocking keys (`SubjectKey`) and a
   `PendingCorrelation` row. They commit with the alert or not at all.
2. After commit (`correlate_event`): each alert is correlated in its own transaction, which writes
   the matches, the notices to both originators and the delayed-inquiry notices, and deletes the
   pending row. Publishing does not wait on other alerts' rows; a crash between the two phases
   leaves the pending row, which `crimac matching_backfill` (or the worker, through
   `drain_pending`) correlates later.

Two alerts published at the same moment are still matched: each one's keys are committed before
its own correlation runs, so whichever is correlated second finds the first.

Bounded work: candidates come only from shared keys (`CANDIDATES_PER_KEY` newest per key), a
person reads and scores only the best-ranked of them (`LOADED_PER_SUBJECT`, `SCORED_PER_SUBJECT`),
and a subject keeps at most `TOP_K` matches, on either side of a pair (a stronger new match
replaces the weakest undecided one), so stored matches grow with real links, not with the square
of the data.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from crimac.alerts import hooks
from crimac.alerts.choices import Priority, Status
from crimac.alerts.models import Alert, Identifier, Person, Phone, Vehicle
from crimac.audit.actions import record
from crimac.fastinsert import insert_rows
from crimac.matching.choices import MatchStatus, Pairing, SubjectKind
from crimac.matching.keys import Subject, profile_data, profile_subject, subjects_of
from crimac.matching.models import Match, PendingCorrelation, PersonProfile, SubjectKey

log = logging.getLogger("crimac.matching")

PRELOADED = "_matching_subjects"
CHILD_MODELS: dict[str, Any] = {
    SubjectKind.PERSON: Person,
    SubjectKind.PHONE: Phone,
    SubjectKind.VEHICLE: Vehicle,
    SubjectKind.IDENTIFIER: Identifier,
}

TOP_K = 5
CANDIDATES_PER_KEY = 200
# Candidate persons read for one subject, and scored, the ones sharing its rarest keys first
# (`_ranked`); gender and age rule some of those read out before scoring.
LOADED_PER_SUBJECT = 800
SCORED_PER_SUBJECT = 300
# One query fetches the candidates of every key; past this many rows, one query per key with its
# own cap, so that a very common name key cannot crowd out a rare phone number.
CANDIDATES_TOTAL = 2000
CORRELATED_STATUSES = (Status.PUBLISHED, Status.RESOLVED, Status.EXPIRED)
PRIORITY_ORDER: list[str] = [Priority.FLASH, Priority.IMMEDIATE, Priority.PRIORITY, Priority.ROUTINE]

EXACT_REASONS = {
    "tel": "same phone number",
    "imei": "same IMEI",
    "reg": "same registration number",
    "chassis": "same chassis number",
    "engine": "same engine number",
    "id": "same",
}


# --- phase 1: keys, in the publishing transaction ---------------------------------------------


def _load(alert_ids: list[int]) -> list[Alert]:
    return list(
        Alert.objects.select_related("state", "origin_agency")
        .prefetch_related("persons", "phones", "vehicles", "identifiers")
        .filter(pk__in=alert_ids)
    )


def _subjects(alert: Alert) -> list[Subject]:
    return subjects_of(
        alert,
        list(alert.persons.all()),
        list(alert.phones.all()),
        list(alert.vehicles.all()),
        list(alert.identifiers.all()),
    )


def write_keys(event: hooks.AlertEvent) -> None:
    """Replace the alerts' blocking keys and queue their correlation. Precondition: inside the
    transaction that publishes or revises them.

    The subjects worked out here ride on the event object itself (the after-commit callback gets
    the same object), so correlation after commit does not read them again; if the transaction
    rolls back, they go with the event."""
    ids = list(event.alert_ids)
    # The alerts as the publishing action just wrote them, children in memory; the rest read.
    alerts = [event.loaded[pk] for pk in ids if pk in event.loaded]
    if missing := [pk for pk in ids if pk not in event.loaded]:
        alerts += _load(missing)
    if event.event != "published" or any(a.revision > 1 for a in alerts):
        SubjectKey.objects.filter(alert_id__in=ids).delete()
        PersonProfile.objects.filter(alert_id__in=ids).delete()
    subjects = {alert.pk: (alert, _subjects(alert)) for alert in alerts}
    object.__setattr__(event, PRELOADED, subjects)
    # About forty keys a subject-rich alert (a name has many spellings): plain rows, as COPY on
    # PostgreSQL, not model instances (a bulk of 500 alerts writes some 21,000).
    insert_rows(
        SubjectKey,
        ("alert", "kind", "position", "key"),
        [
            (s.alert_id, s.kind, s.position, k)
            for _, found in subjects.values()
            for s in found
            for k in sorted(s.keys)
        ],
    )
    _insert_profiles([s for _, found in subjects.values() for s in found])
    PendingCorrelation.objects.bulk_create(
        [
            PendingCorrelation(alert_id=a.pk, revision=a.revision, published=event.event == "published")
            for a in alerts
        ],
        update_conflicts=True,
        unique_fields=["alert"],
        update_fields=["revision", "queued_at"],
        batch_size=2000,
    )


def rebuild(alert_ids: list[int]) -> None:
    """Rewrite the keys of published alerts and queue them (alerts published before matching
    existed, or after a change to the keys). Runs in its own transaction."""
    with transaction.atomic():
        write_keys(hooks.AlertEvent("revised", tuple(alert_ids), None))


def _insert_profiles(subjects: list[Subject]) -> int:
    """The profiles of these subjects' persons (the others have no facts), as plain rows."""
    rows = [(s.alert_id, s.position, profile_data(s.facts, s.label)) for s in subjects if s.facts is not None]
    return insert_rows(PersonProfile, ("alert", "position", "data"), rows)


def refresh_profiles(alert_ids: list[int]) -> tuple[int, int]:
    """Write the person profiles of these alerts that are missing or were made by other code
    (`keys.PROFILE_VERSION`), leaving current ones alone; returns (alerts rewritten, profiles
    written). Only alerts correlation reads (published, resolved, expired). Runs in its own
    transaction."""
    from crimac.matching.keys import PROFILE_VERSION

    with transaction.atomic():
        alerts = _alert_facts(Alert.objects.filter(pk__in=alert_ids, status__in=CORRELATED_STATUSES))
        persons = list(_person_rows(sorted(alerts)))
        current = set(
            PersonProfile.objects.filter(alert_id__in=sorted(alerts), data__v=PROFILE_VERSION).values_list(
                "alert_id", "position"
            )
        )
        stale = {p.alert_id for p in persons if (p.alert_id, p.position) not in current}
        stale |= {a for a, _ in current} - {p.alert_id for p in persons}
        if not stale:
            return 0, 0
        PersonProfile.objects.filter(alert_id__in=sorted(stale)).delete()
        children: dict[int, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for p in persons:
            if p.alert_id in stale:
                children[p.alert_id][SubjectKind.PERSON].append(p)
        idents: set[tuple[int, str, int]] = {
            (a, SubjectKind.PERSON, p.position)
            for a, rows in children.items()
            for p in rows[SubjectKind.PERSON]
        }
        return len(stale), _insert_profiles(list(_read_subjects(idents, children, alerts).values()))


def refresh_all_profiles(
    batch: int = 2000, progress: Callable[[int, int], None] | None = None
) -> tuple[int, int, int]:
    """`refresh_profiles` over every alert correlation reads, `batch` alerts a transaction;
    returns (alerts, alerts rewritten, profiles written). `progress(alerts done, profiles
    written)` is called after each batch."""
    ids = list(
        Alert.objects.filter(status__in=CORRELATED_STATUSES).order_by("id").values_list("pk", flat=True)
    )
    rewritten = written = 0
    for start in range(0, len(ids), batch):
        a, p = refresh_profiles(ids[start : start + batch])
        rewritten, written = rewritten + a, written + p
        if progress is not None:
            progress(min(start + batch, len(ids)), written)
    return len(ids), rewritten, written


def drop_keys(event: hooks.AlertEvent) -> None:
    """A cancelled alert (posted in error, or withdrawn) is no longer a candidate."""
    SubjectKey.objects.filter(alert_id__in=event.alert_ids).delete()
    PersonProfile.objects.filter(alert_id__in=event.alert_ids).delete()
    PendingCorrelation.objects.filter(alert_id__in=event.alert_ids).delete()


# --- phase 2: correlation, after commit ---------------------------------------------------------


# A bulk load (a State system posting 500 alerts) is correlated by the worker from the pending rows
# written with it, so the request answers without waiting for the matching of every alert.
INLINE_MAX = 20


def correlate_event(event: hooks.AlertEvent) -> None:
    """After commit: correlate each alert on its own. A failure is logged and leaves the alert's
    pending row for `drain_pending`; so does a bulk of more than INLINE_MAX alerts."""
    if len(event.alert_ids) > INLINE_MAX:
        return
    preloaded = getattr(event, PRELOADED, {})
    for alert_id in event.alert_ids:
        try:
            correlate_alert(alert_id, preloaded=preloaded.get(alert_id))
        except Exception:
            log.exception("correlation of alert %s failed; it stays queued", alert_id)


def drain_pending(limit: int = 1000, *, older_than: timedelta = timedelta(0)) -> int:
    """Correlate queued alerts (those a crash or an error left behind); returns how many ran.
    The worker passes `older_than` (a minute, say) so that it leaves alone the alerts whose
    after-commit correlation is running right now."""
    cutoff = timezone.now() - older_than
    done = 0
    queued = PendingCorrelation.objects.filter(queued_at__lte=cutoff)
    for alert_id in queued.order_by("queued_at", "alert_id").values_list("alert_id", flat=True)[:limit]:
        try:
            if correlate_alert(alert_id) is not None:
                done += 1
        except Exception:
            log.exception("correlation of alert %s failed; it stays queued", alert_id)
    return done


@dataclass
class Candidate:
    subject: Subject
    score: float
    exact: bool
    reasons: tuple[str, ...]


@dataclass
class Outcome:
    alert_id: int
    created: list[Match]
    updated: int
    evicted: int
    told: list[int] = field(default_factory=list)


def correlate_alert(
    alert_id: int, *, force: bool = False, preloaded: tuple[Alert, list[Subject]] | None = None
) -> Outcome | None:
    """Correlate one alert, if it is queued (or `force`). Idempotent: a pair already matched is
    updated, never duplicated, and its status is kept. `preloaded`: the alert and its subjects as
    its own (committed) transaction left them."""
    with transaction.atomic():
        pending = PendingCorrelation.objects.select_for_update(skip_locked=True).filter(alert_id=alert_id)
        claimed = pending.first()
        if claimed is None and not force:
            return None
        alert: Alert | None = None
        if preloaded is not None and claimed is not None and claimed.revision == preloaded[0].revision:
            alert, subjects = preloaded
        else:
            alerts = _load([alert_id])
            alert, subjects = (alerts[0], _subjects(alerts[0])) if alerts else (None, [])
        if alert is None or alert.status not in CORRELATED_STATUSES:
            PendingCorrelation.objects.filter(alert_id=alert_id).delete()
            return None
        outcome = _correlate(alert, subjects)
        if claimed is not None and claimed.published:
            from crimac.matching.delayed import inquire

            outcome.told = inquire(alert, subjects)
        if claimed is not None:
            PendingCorrelation.objects.filter(alert_id=alert_id, revision__lte=alert.revision).delete()
        return outcome


def _candidate_keys(subjects: list[Subject], alert_id: int) -> list[tuple[int, str, int, str]]:
    """Every row of these keys if they hold at most CANDIDATES_TOTAL, else the newest
    CANDIDATES_PER_KEY of each key. Read key by key, newest first (a range of the (key, alert)
    index each, bounded by its LIMIT): one query over `key IN (...)` ordered by alert, as this was,
    lets the planner walk the alert index backwards past millions of rows to meet a rare key."""
    keys = sorted({k for s in subjects for k in s.lookup})
    if not keys:
        return []
    per_key = _newest_per_key(keys, alert_id, CANDIDATES_PER_KEY + 1)
    if sum(len(rows) for rows in per_key.values()) <= CANDIDATES_TOTAL:
        full = [k for k, rows in per_key.items() if len(rows) > CANDIDATES_PER_KEY]
        if full:  # the total may still be small enough to take every row: read those keys further
            per_key.update(_newest_per_key(full, alert_id, CANDIDATES_TOTAL + 1))
    rows = [row for k in keys for row in per_key.get(k, [])]
    if len(rows) <= CANDIDATES_TOTAL:
        return rows
    return [row for k in keys for row in per_key.get(k, [])[:CANDIDATES_PER_KEY]]


def _newest_per_key(keys: list[str], alert_id: int, limit: int) -> dict[str, list[tuple[int, str, int, str]]]:
    """The newest `limit` rows of each key (other than `alert_id`'s), in one statement."""
    from django.db import connection

    table = connection.ops.quote_name(SubjectKey._meta.db_table)
    one = (
        f'SELECT * FROM (SELECT alert_id, kind, "position", "key" FROM {table} '  # noqa: S608 - constants
        'WHERE "key" = %s AND alert_id <> %s ORDER BY alert_id DESC LIMIT %s) AS k{n}'
    )
    out: dict[str, list[tuple[int, str, int, str]]] = {k: [] for k in keys}
    for start in range(0, len(keys), 200):  # SQLite's compound statements have a limit (500)
        chunk = keys[start : start + 200]
        sql = " UNION ALL ".join(one.format(n=n) for n in range(len(chunk)))
        params = [value for k in chunk for value in (k, alert_id, limit)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for row in cursor.fetchall():
                out[row[3]].append((int(row[0]), str(row[1]), int(row[2]), str(row[3])))
    for rows in out.values():
        rows.sort(key=lambda r: -r[0])
    return out


# What scoring reads of a candidate person and of its alert (`keys.person_facts`, `person_label`).
PERSON_FIELDS = (
    "alert_id", "position", "role", "name", "aliases", "gender", "age_min", "age_max",
    "birth_date_from", "birth_date_to", "last_seen_at", "marks",
)  # fmt: skip
ALERT_FACTS = ("id", "occurred_at", "reported_at", "state_id")


def _alert_facts(alerts: Any) -> dict[int, Any]:
    """These alerts' facts that scoring reads, by id, as plain attributes (not model instances:
    a third of the time at a thousand candidates)."""
    return {row["id"]: SimpleNamespace(pk=row["id"], **row) for row in alerts.values(*ALERT_FACTS)}


def _person_rows(alert_ids: list[int]) -> Iterator[Any]:
    """The persons of these alerts, the columns scoring reads, as plain attributes."""
    return (
        SimpleNamespace(**values)
        for values in Person.objects.filter(alert_id__in=alert_ids).values(*PERSON_FIELDS)
    )


def candidate_subjects(idents: set[tuple[int, str, int]]) -> dict[tuple[int, str, int], Subject]:
    """The candidate subjects, reading only the kinds of subject wanted (one query per kind) and
    only what scoring reads: thousands of candidates at national scale, of which a few become
    matches (`_full_alerts` then loads those alerts whole). A candidate person is its stored
    profile (`PersonProfile`: facts, label and parsed names, one narrow row); a person without a
    current profile (published before profiles, or by other code) is read from its alert instead.
    A candidate's blocking keys (the costly part of `subjects_of`) are not worked out again."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for alert_id, kind, _ in idents:
        wanted[kind].add(alert_id)
    out: dict[tuple[int, str, int], Subject] = {}
    if wanted.get(SubjectKind.PERSON):
        for alert_id, position, data in _profiles(sorted(wanted[SubjectKind.PERSON]), idents):
            if (subject := profile_subject(alert_id, position, data)) is not None:
                out[(alert_id, SubjectKind.PERSON, position)] = subject
        wanted[SubjectKind.PERSON] = {
            a for a, k, p in idents if k == SubjectKind.PERSON and (a, k, p) not in out
        }
    alerts: dict[int, Any] = {}
    if wanted.get(SubjectKind.PERSON):
        # Rows read as values, not model instances: what scoring reads of them is plain attributes.
        alerts = _alert_facts(Alert.objects.filter(pk__in=sorted(wanted[SubjectKind.PERSON])))
    children: dict[int, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for kind, model in CHILD_MODELS.items():
        if not wanted.get(kind):
            continue
        ids = sorted(wanted[kind])
        read = _person_rows(ids) if kind == SubjectKind.PERSON else model.objects.filter(alert_id__in=ids)
        for row in read:
            children[row.alert_id][kind].append(row)
    if children:
        out.update(_read_subjects(idents, children, alerts))
    return out


def _profiles(alert_ids: list[int], idents: set[tuple[int, str, int]]) -> Iterator[tuple[int, int, Any]]:
    """(alert id, position, data) of the wanted persons' profiles on these alerts. The JSON is
    read as text and decoded only for the persons wanted (half the profiles of their alerts)."""
    from django.db import connection

    if not alert_ids:
        return
    table = connection.ops.quote_name(PersonProfile._meta.db_table)
    data = "data::text" if connection.vendor == "postgresql" else "data"
    for start in range(0, len(alert_ids), 5000):
        chunk = alert_ids[start : start + 5000]
        marks = ", ".join(["%s"] * len(chunk))
        sql = f'SELECT alert_id, "position", {data} FROM {table} WHERE alert_id IN ({marks})'  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, chunk)
            rows = cursor.fetchall()
        for alert_id, position, text in rows:
            if (alert_id, SubjectKind.PERSON, position) in idents:
                yield alert_id, position, json.loads(text)


def _read_subjects(
    idents: set[tuple[int, str, int]], children: dict[int, dict[str, list[Any]]], alerts: dict[int, Any]
) -> dict[tuple[int, str, int], Subject]:
    """Subjects from rows of the alerts' child tables (`alerts`: the facts of the persons' alerts)."""
    from crimac.directory.models import State
    from crimac.matching.keys import person_facts, person_label

    states = dict(State.objects.values_list("id", "code")) if alerts else {}
    out: dict[tuple[int, str, int], Subject] = {}
    for alert_id, rows in children.items():
        for p in rows[SubjectKind.PERSON]:
            ident = (alert_id, SubjectKind.PERSON, p.position)
            alert = alerts.get(alert_id)
            if ident in idents and alert is not None:
                facts = person_facts(p, alert, state=states.get(alert.state_id, ""))
                label = person_label(p)
                out[ident] = Subject(
                    alert_id, SubjectKind.PERSON, p.position, label, facts=facts, role=p.role, alert=alert
                )
        stand_in = SimpleNamespace(pk=alert_id, id=alert_id)
        for s in subjects_of(
            stand_in,  # type: ignore[arg-type]
            [],
            rows[SubjectKind.PHONE],
            rows[SubjectKind.VEHICLE],
            rows[SubjectKind.IDENTIFIER],
        ):
            if s.ident in idents:
                out[s.ident] = s
    return out


def _full_alerts(found: dict[tuple[int, str, int], list[Candidate]]) -> None:
    """The alerts of the candidates that were kept, loaded whole (with their State and originating
    agency) in place of the few columns scoring read."""
    ids = {c.subject.alert_id for cands in found.values() for c in cands}
    if not ids:
        return
    full = Alert.objects.select_related("state", "origin_agency").defer("narrative").in_bulk(sorted(ids))
    for cands in found.values():
        for c in cands:
            c.subject.alert = full.get(c.subject.alert_id, c.subject.alert)


def _exact_reasons(shared: set[str]) -> tuple[str, ...]:
    reasons = []
    for key in sorted(shared):
        prefix, _, value = key.partition(":")
        if prefix == "id":
            kind, _, value = value.partition(":")
            reasons.append(f"same {kind.replace('_', ' ')} {value}")
        else:
            reasons.append(f"{EXACT_REASONS.get(prefix, 'same')} {value}")
    return tuple(reasons)


# What a shared name key says, by its family (`names.phonetic_keys`): keys of two parts of a name
# together ("p:" skeletons, "x:" prefixes, "i:" an initial and a part, "n:" every part, "e:" a part
# with a typo beside another) say more than keys of one part ("t:" skeleton, "s:" prefix, "d:" a
# part with a typo), which every Anurag shares whatever his family name.
KEY_FAMILY_WEIGHT = {"p": 1.0, "x": 1.0, "i": 1.0, "n": 1.0, "e": 1.0, "t": 0.5, "s": 0.5, "d": 0.5}


def _family(key: str) -> str:
    return key[2:3] if key.startswith("p:") else key[:1]


def _ranked(subject: Subject, by_key: dict[str, set[tuple[int, str, int]]]) -> list[tuple[int, str, int]]:
    """The candidate persons of `subject`, those most worth scoring first, newest first among
    equals. Each shared key counts log(1 + CANDIDATES_PER_KEY / holders) (a rare key more), and
    each family of keys counts as one evidence: the mean over the subject's keys of the family
    (so the seven one-typo keys of "Anurag", which any Anurag shares, do not outweigh the pair key
    of "Anurag Kumhar", which few share; and "Asit" shares more of them with "Asit" than with
    "Amit"), times the family's weight."""
    families = Counter(_family(key) for key in subject.lookup)
    weight: dict[tuple[int, str, int], float] = defaultdict(float)
    for key in subject.lookup:
        holders = by_key.get(key, ())
        if not holders:
            continue
        family = _family(key)
        value = (
            KEY_FAMILY_WEIGHT.get(family, 0.5)
            * math.log1p(CANDIDATES_PER_KEY / len(holders))
            / families[family]
        )
        for ident in holders:
            if ident[1] == subject.kind:
                weight[ident] += value
    return sorted(weight, key=lambda i: (-weight[i], -i[0], i[2]))


def _candidates(
    subjects: list[Subject], alert: Alert, *, every: bool = False
) -> dict[tuple[int, str, int], list[Candidate]]:
    """The top-k candidates of each subject: exact identifiers score 1; persons are scored.

    A common name meets a thousand people over a few years of national alerts, and reading and
    scoring them all is what correlation costs (about 0.1 ms to read a candidate and 0.2 ms to
    score it). So a person reads only its LOADED_PER_SUBJECT best-ranked candidates (`_ranked`),
    drops those that gender or age rule out whatever their names (the same answer), and scores
    the first SCORED_PER_SUBJECT of the rest. With `every`, all of them (the benchmark's
    baseline, to measure what the shortlist changes)."""
    from crimac.matching.persons import MATCH_THRESHOLD, cannot_reach, score

    rows = _candidate_keys(subjects, alert.pk)
    by_key: dict[str, set[tuple[int, str, int]]] = defaultdict(set)
    for other_alert, kind, position, key in rows:
        by_key[key].add((other_alert, kind, position))
    pools: dict[tuple[int, str, int], list[tuple[int, str, int]]] = {}
    for s in subjects:
        if s.kind == SubjectKind.PERSON:
            ranked = _ranked(s, by_key)
            pools[s.ident] = ranked if every else ranked[:LOADED_PER_SUBJECT]
        else:
            pools[s.ident] = sorted({i for k in s.lookup for i in by_key.get(k, ()) if i[1] == s.kind})
    others = candidate_subjects({i for pool in pools.values() for i in pool})
    found: dict[tuple[int, str, int], list[Candidate]] = {}
    for s in subjects:
        out: list[Candidate] = []
        if s.kind == SubjectKind.PERSON:
            assert s.facts is not None
            scored_count = 0
            for ident in pools[s.ident]:
                other = others.get(ident)
                if other is None or other.facts is None:  # revised since its keys were read
                    continue
                if cannot_reach(s.facts, other.facts):
                    continue
                if not every and scored_count >= SCORED_PER_SUBJECT:
                    break
                scored_count += 1
                scored = score(s.facts, other.facts)
                if scored.exact or scored.score >= MATCH_THRESHOLD:
                    out.append(
                        Candidate(other, float(scored.score), bool(scored.exact), tuple(scored.reasons))
                    )
        else:
            for ident in pools[s.ident]:
                other = others.get(ident)
                if other is None:
                    continue
                shared = s.exact_keys & other.exact_keys
                if shared:
                    out.append(Candidate(other, 1.0, True, _exact_reasons(shared)))
        out.sort(key=lambda c: (-c.score, -c.subject.alert_id, c.subject.position))
        found[s.ident] = out[:TOP_K]
    _full_alerts(found)
    return found


def _side(alert: Alert, role: str) -> str:
    """'missing', 'rescued', 'found', 'body' or '' for one side of a match."""
    category = alert.category
    if role == "missing" or (role in ("", "victim") and category == "missing_person"):
        return "missing"
    if category == "unidentified_body" and role in ("", "unidentified", "victim"):
        return "body"
    if role == "rescued" or (role in ("", "victim") and category == "rescued_victim"):
        return "rescued"
    if role == "unidentified" or (role in ("", "victim") and category == "unidentified_person"):
        return "found"
    return ""


PAIRINGS = {
    frozenset({"missing", "rescued"}): Pairing.MISSING_RESCUED,
    frozenset({"missing", "found"}): Pairing.MISSING_FOUND,
    frozenset({"missing", "body"}): Pairing.MISSING_BODY,
}


def pairing(alert_x: Alert, role_x: str, alert_y: Alert, role_y: str) -> str:
    return PAIRINGS.get(frozenset({_side(alert_x, role_x), _side(alert_y, role_y)}), Pairing.NONE)


def priority_of(pair: str, alert_x: Alert, alert_y: Alert) -> str:
    """A missing person against someone found is raised at the highest priority; otherwise the
    higher of the two alerts' priorities."""
    if pair:
        return Priority.FLASH
    return min((alert_x.priority, alert_y.priority), key=lambda p: PRIORITY_ORDER.index(p))


def _ordered(x: Subject, y: Subject) -> tuple[Subject, Subject]:
    return (x, y) if x.alert_id < y.alert_id else (y, x)


def _to_replace(held: list[Match]) -> Match | None:
    """When a subject already holds TOP_K matches (rejected ones do not count), its weakest
    undecided one, which a stronger new match replaces."""
    if sum(1 for m in held if m.status != MatchStatus.REJECTED) < TOP_K:
        return None
    return min((m for m in held if m.status == MatchStatus.NEW), key=lambda m: (m.score, m.pk), default=None)


def _room(held: list[Match], score: float) -> bool:
    if sum(1 for m in held if m.status != MatchStatus.REJECTED) < TOP_K:
        return True
    weakest = _to_replace(held)
    return weakest is not None and weakest.score < score


def _correlate(alert: Alert, subjects: list[Subject]) -> Outcome:
    found = _candidates(subjects, alert)
    other_ids = {c.subject.alert_id for cands in found.values() for c in cands}
    if not other_ids:
        return Outcome(alert.pk, [], 0, 0)
    others = {c.subject.alert.pk: c.subject.alert for cands in found.values() for c in cands}
    touching = set(other_ids) | {alert.pk}
    existing = list(Match.objects.filter(Q(alert_a_id__in=touching) | Q(alert_b_id__in=touching)))
    by_pair: dict[tuple[int, int, str, int, int], Match] = {}
    held: dict[tuple[int, str, int], list[Match]] = defaultdict(list)
    for m in existing:
        by_pair[(m.alert_a_id, m.alert_b_id, m.kind, m.position_a, m.position_b)] = m
        held[(m.alert_a_id, m.kind, m.position_a)].append(m)
        held[(m.alert_b_id, m.kind, m.position_b)].append(m)
    created: list[Match] = []
    updated = evicted = 0
    subject_of = {s.ident: s for s in subjects}
    for ident, cands in found.items():
        mine = subject_of[ident]
        for cand in cands:
            other_alert = others.get(cand.subject.alert_id)
            if other_alert is None:
                continue
            a, b = _ordered(mine, cand.subject)
            alert_a, alert_b = (alert, other_alert) if a is mine else (other_alert, alert)
            pair = pairing(alert_a, a.role, alert_b, b.role)
            fields = {
                "label_a": a.label,
                "label_b": b.label,
                "score": round(cand.score, 4),
                "exact": cand.exact,
                "reasons": list(cand.reasons),
                "pairing": pair,
                "priority": priority_of(pair, alert_a, alert_b),
            }
            key = (a.alert_id, b.alert_id, a.kind, a.position, b.position)
            match = by_pair.get(key)
            if match is not None:
                changed = [f for f, v in fields.items() if getattr(match, f) != v]
                if changed:
                    for f in changed:
                        setattr(match, f, fields[f])
                    match.save(update_fields=[*changed, "updated_at"])
                    updated += 1
                continue
            if not all(_room(held[side], cand.score) for side in (a.ident, b.ident)):
                continue
            for side in (a.ident, b.ident):
                weakest = _to_replace(held[side])
                if weakest is not None:
                    for lst in held.values():
                        if weakest in lst:
                            lst.remove(weakest)
                    weakest.delete()
                    evicted += 1
            try:
                with transaction.atomic():
                    match = Match.objects.create(
                        alert_a=alert_a,
                        alert_b=alert_b,
                        kind=a.kind,
                        position_a=a.position,
                        position_b=b.position,
                        **fields,
                    )
            except IntegrityError:
                # Correlated at the same moment from the other alert's side: theirs stands.
                continue
            by_pair[key] = match
            held[a.ident].append(match)
            held[b.ident].append(match)
            created.append(match)
    if created:
        from crimac.matching.notices import tell_originators

        tell_originators(created)
    if created or evicted:
        record(
            "match.found",
            obj=alert,
            agency=alert.origin_agency,
            via="correlation",
            detail={
                "reference": alert.reference,
                "revision": alert.revision,
                "created": [m.pk for m in created],
                "updated": updated,
                "replaced": evicted,
            },
        )
    return Outcome(alert.pk, created, updated, evicted)


def connect() -> None:
    for name in ("published", "revised"):
        hooks.subscribe(name, write_keys, in_transaction=True)
        hooks.subscribe(name, correlate_event)
    hooks.subscribe("cancelled", drop_keys, in_transaction=True)


def disconnect() -> None:
    """For benchmarks: publishing without correlation (the baseline)."""
    for name in ("published", "revised"):
        hooks.unsubscribe(name, write_keys)
        hooks.unsubscribe(name, correlate_event)
    hooks.unsubscribe("cancelled", drop_keys)
