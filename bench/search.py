"""Search benchmark at national scale: full text, registration, phone and person search, and the
correlation of a new alert's persons, each beside a plain LIKE / ILIKE scan over the same rows.

Build (once; `--keep` keeps it, `--reuse` measures it again). On a scratch database (SQLite file
under --dir, or the PostgreSQL database `crimac_bench_search`) with the demo directory, it writes N
published alerts (default 1,000,000) with about 2 persons each, their vehicles and phones, their
search documents, their matching keys and the deliveries of the station officer `dl.sho`, with
COPY (PostgreSQL) or one executemany per batch (SQLite). The rows are what publishing writes,
made by the project's own code:

- each alert is a `crimac demo` alert (`alerts.demo`'s generator: titles, narratives, places of
  the demo directory, vehicles, phones, times over the last year), its persons renamed with
  `crimac gen-names` records (`matching.namegen`: every naming convention and script of the
  project's name lists, with spelling variants of the same people spread over the alerts), topped
  up to 2 persons an alert on average, and a sentence drawn from a broad word list (Faker's
  English words, every word of the directory's place names and of the name lists);
- validated and normalised by `alerts.actions.check_alert` (registrations, phones, IMEIs);
- documents by `search.indexing.document_fields` and the database's backend `prepare`;
- keys by `matching.keys.subjects_of` (the keys of a name are memoised by name: same result);
- numbered in the order of their reported time, as a live table fills (the generator makes them
  State by State).

Not written: citations, audience entries, revisions, audit rows, deliveries to other agencies
(the officer's visibility reads only its own deliveries) and matches. The generated rows can be
cached in a file (--cache) so that the second database loads the same rows without generating.

Measure, as the national analyst (sees every alert) and as the station officer `dl.sho`
(visibility applies), --queries times each (p50, p99; baselines --baseline-queries times):

- full text: `search.service.search_alerts` (count and first page of 20, ranked), and with date
  (last 90 days), State and category filters, newest first; baseline: `icontains` on title,
  narrative, address and person names (ILIKE '%w%' / LIKE), counted, 20 newest fetched;
- registration and phone look-up: `search.lookups` (normalised value) against `icontains` on what
  was written;
- person search: `search.persons.search_persons` against `icontains` on person names;
- correlation of one alert's persons against all the others: `matching.correlate._candidates`
  (the matching that publishing runs: keys, candidates, scores), and the whole `_correlate` in a
  transaction rolled back (also reads and writes match rows); baseline: `_candidates` scoring
  every candidate a person's keys bring (no shortlist), with how many persons keep the same
  top-k and how many of its matches the shortlist finds.

    .venv/bin/python bench/search.py --database postgres --alerts 1000000 --keep --cache /tmp/x.pickle
    .venv/bin/python bench/search.py --database postgres --reuse   # measure again
    .venv/bin/python bench/search.py --alerts 20000                # a quick SQLite run
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import pickle
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchlib import POSTGRES, django_on, django_with_demo_directory

NAME = "crimac_bench_search"
OFFICER = "dl.sho"
ANALYST = "analyst"
CHUNK = 5000
PAIRS = [
    ("full text", "full text, baseline ILIKE"),
    ("full text", "baseline: full text not narrowed by reach"),
    ("full text + date/State/category, newest", "full text + filters, baseline ILIKE"),
    ("registration look-up", "registration, baseline ILIKE"),
    ("phone look-up", "phone, baseline ILIKE"),
    ("person search", "person search, baseline ILIKE"),
    ("match one alert's persons (_candidates)", "baseline: every candidate scored"),
    ("match one alert's persons (_candidates)", "baseline: candidates read whole, names parsed"),
]
TARGETS = {"token": 0.100, "person": 0.300, "correlation": 0.500}

ALERT_COLUMNS = (
    "id", "reference", "origin_agency", "origin_user", "category", "title", "narrative", "priority",
    "action_requested", "occurred_at", "reported_at", "state", "district", "station", "address",
    "latitude", "longitude", "fir_number", "fir_date", "handling_code", "expires_at", "status",
    "revision", "missing_trafficking_sections", "created_at", "updated_at", "published_at",
    "cancel_reason", "outcome", "outcome_note",
)  # fmt: skip
PERSON_COLUMNS = (
    "alert", "position", "role", "name", "aliases", "gender", "age_min", "age_max", "birth_date_from",
    "birth_date_to", "height_cm_min", "height_cm_max", "build", "marks", "languages", "last_seen_place",
    "last_seen_at",
)  # fmt: skip
VEHICLE_COLUMNS = (
    "alert", "position", "registration", "registration_normalised", "vehicle_type", "make", "model",
    "colour", "chassis_number", "engine_number",
)  # fmt: skip
PHONE_COLUMNS = ("alert", "position", "number", "e164", "imei")
DOCUMENT_TEXT_COLUMNS = (
    "alert", "title", "names", "identifiers", "places", "body", "terms_a", "terms_b", "terms_c",
    "revision", "indexed_at",
)  # fmt: skip
# What a document copies of its alert (`search.indexing.filter_columns`), filled in at load from
# the alert's row (the cached rows hold the text columns only).
COPIED_COLUMNS = ("category", "state", "district", "reported_at")
COPIED = tuple(ALERT_COLUMNS.index(c) for c in COPIED_COLUMNS)
# And the States it reaches (`Alert.objects.reach`: its incident's, its origin's and its
# recipients'), made at load from the same rows. Only `dl.sho`'s deliveries are written, so the
# reach word of Delhi holds what it would in a full deployment (every alert that reaches Delhi is
# delivered to the station here); other States' words hold fewer documents than they would.
DOCUMENT_COLUMNS = (*DOCUMENT_TEXT_COLUMNS, *COPIED_COLUMNS, "reach")
KEY_COLUMNS = ("alert", "kind", "position", "key")
FOREIGN_KEYS = frozenset({"alert", "origin_agency", "origin_user", "state", "district", "station"})
PROFILE_COLUMNS = ("alert", "position", "data")
TABLES = ("alerts", "persons", "vehicles", "phones", "documents", "keys", "profiles", "deliveries")
DELIVERY_COLUMNS = (
    "alert", "agency", "reason", "muted", "revision", "created_at", "updated_at", "deadline",
    "escalate_at", "escalation_level",
)  # fmt: skip


# --- generation ------------------------------------------------------------------------------------


class _All:
    """What a prefetched relation answers to `.all()` with."""

    def __init__(self, rows: list[Any]) -> None:
        self.rows = rows

    def all(self) -> list[Any]:
        return self.rows


class _Loaded:
    """An unsaved alert with its children, read like an alert loaded with prefetch_related."""

    def __init__(self, alert: Any, persons: list[Any], vehicles: list[Any], phones: list[Any]) -> None:
        self._alert = alert
        self.persons, self.vehicles = _All(persons), _All(vehicles)
        self.phones, self.identifiers = _All(phones), _All([])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._alert, name)


def vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """A broad word list (tens of thousands of words) with Zipf-like cumulative weights."""
    from faker.providers.color.en_US import Provider as Colours
    from faker.providers.company.en_US import Provider as Company
    from faker.providers.job.en_US import Provider as Jobs
    from faker.providers.lorem.en_US import Provider as Lorem

    from crimac.alerts import demo
    from crimac.directory.models import Agency, District, State
    from crimac.matching import namegen

    words: set[str] = set(Lorem.word_list)
    texts: list[str] = [" ".join(w) for w in (*Company.catch_phrase_words, *Company.bsWords)]
    texts += [*Jobs.jobs, *Colours.all_colors]
    texts += [*demo.MARKS, *demo.LANDMARKS, *demo.CLOTHES, *demo.RESCUE_PLACES]
    texts += list(Agency.objects.values_list("name", flat=True))
    texts += list(District.objects.values_list("name", flat=True))
    texts += list(State.objects.values_list("name", flat=True))
    for path in sorted((Path(namegen.__file__).parent / "data" / "names").glob("*.txt")):
        texts.append(path.read_text(encoding="utf-8"))
    for text in texts:
        words.update(w.lower() for w in re.findall(r"[A-Za-z]{3,}", text))
    ordered = sorted(words)
    rng.shuffle(ordered)
    cumulative = list(itertools.accumulate(1 / (rank + 1) ** 0.9 for rank in range(len(ordered))))
    return ordered, cumulative


_CONTEXT: dict[str, Any] = {}  # what every chunk needs, made once before the workers fork


def prepare_context(alerts: int, seed: int, *, quiet: bool = False) -> int:
    """Fill `_CONTEXT` (the demo generator with its posters and their units' accounts, the plan of
    States, the word list); returns the number of chunks."""
    from crimac.alerts import demo
    from crimac.directory.models import User

    rng = random.Random(seed)
    words, cumulative = vocabulary(rng)
    if not quiet:
        print(f"vocabulary: {len(words):,} words", flush=True)
    gen = demo._Generator(seed=seed, since_days=365)
    posters = {code: gen.posters(state) for code, state in gen.states.items()}
    posters = {code: p for code, p in posters.items() if p}
    for code, found in posters.items():  # the units `pick_poster` may choose, made now (no writes later)
        for poster in found:
            for unit_code in (f"{poster.station.code.rsplit('-PS-', 1)[0]}-AHTU", f"{code}-ATS"):
                unit = gen._unit(unit_code)
                if unit is not None:
                    gen.account(unit)
    per_state = demo.allocate(alerts, {c: w for c, w in demo.STATE_WEIGHTS.items() if c in posters})
    plan = [code for code, n in sorted(per_state.items()) for _ in range(n)]
    rng.shuffle(plan)
    officer = User.objects.select_related("agency", "agency__state").get(username=OFFICER)
    _CONTEXT.update(
        url=os.environ["CRIMAC_DATABASE_URL"],
        dir=os.environ["CRIMAC_DATA_DIR"],
        seed=seed,
        words=words,
        cumulative=cumulative,
        gen=gen,
        posters=posters,
        plan=plan,
        mixes={code: demo._category_mix(code) for code in posters},
        admin_id=User.objects.get(username="admin").pk,
        officer_agency=officer.agency_id,
        officer_state=officer.agency.state.code if officer.agency.state else "",
    )
    return math.ceil(len(plan) / CHUNK)


def make_chunk(index: int) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of alerts index*CHUNK+1 ... (index+1)*CHUNK, table by table; the same for the same
    seed and index whichever process makes it."""
    from django.utils import timezone

    from crimac.alerts.actions import Lookup, check_alert
    from crimac.alerts.choices import PersonRole
    from crimac.alerts.schemas import AlertIn
    from crimac.matching import keys as matching_keys
    from crimac.matching import namegen
    from crimac.matching import persons as person_matching
    from crimac.search.backends.postgres import PostgresBackend
    from crimac.search.indexing import document_fields
    from crimac.search.models import AlertDocument

    c = _CONTEXT
    seed = c["seed"] * 100_003 + index
    rng = random.Random(seed)
    gen = c["gen"]
    gen.rng = rng
    gen.en.seed_instance(seed)
    gen.hi.seed_instance(seed + 1)
    if "lookup" not in c:
        c["lookup"] = Lookup()
        real_blocking_keys = person_matching.blocking_keys
        memo: dict[tuple[Any, ...], set[str]] = c.setdefault("memo", {})

        def blocking_keys(p: Any) -> set[str]:  # the same keys, computed once per distinct name
            key = (p.names, p.phones, p.identifiers)
            if key not in memo:
                memo[key] = real_blocking_keys(p)
            return memo[key]

        person_matching.blocking_keys = blocking_keys
    c["memo"].clear()  # names repeat within a chunk (its gen-names people); bounded memory
    # Records of gen-names: about 2.3 records per real person, so persons of the benchmark have
    # variants of themselves (other spellings, scripts, ages) on other alerts of the chunk. A
    # batch runs out after about 2.3 * CHUNK // 2 records; the next batch has its own seed.
    batches = itertools.count()
    records = namegen.generate(CHUNK // 2, seed * 1000 + next(batches))
    by_gender: dict[str, list[dict[str, Any]]] = {"male": [], "female": []}

    def named(gender: str) -> dict[str, Any]:
        nonlocal records
        pool = by_gender["female" if gender == "female" else "male"]
        while not pool:
            rec = next(records, None)
            if rec is None:
                records = namegen.generate(CHUNK // 2, seed * 1000 + next(batches))
                continue
            by_gender["female" if rec.get("gender") == "female" else "male"].append(rec)
        return pool.pop()

    pg = PostgresBackend()
    words, cumulative = c["words"], c["cumulative"]
    extra_roles = [PersonRole.SUSPECT, PersonRole.ACCUSED, PersonRole.WITNESS, PersonRole.VICTIM]
    persons_total = 0
    chunk: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}
    first = index * CHUNK
    for i, code in enumerate(c["plan"][first : first + CHUNK]):
        n = first + i + 1
        mix = c["mixes"][code]
        category = rng.choices(list(mix), weights=list(mix.values()))[0]
        poster = gen.pick_poster(c["posters"][code], category)
        body = gen.alert(poster, category)
        for person in body.get("persons", []):
            if person.get("name"):
                rec = named(person["gender"])
                for field in ("title", "narrative"):
                    body[field] = body.get(field, "").replace(person["name"], rec["name"])
                person["name"] = rec["name"]
        people = body.setdefault("persons", [])
        wanted = 2 * (i + 1) - persons_total  # about 2 persons an alert
        while len(people) < min(4, wanted):
            rec = named(rng.choice(["male", "male", "female"]))
            extra = {
                "role": rng.choice(extra_roles),
                "name": rec["name"],
                "gender": rec.get("gender") or "unknown",
            }
            if isinstance(rec.get("age"), int) and rec["age"] < 110:
                extra["age_min"], extra["age_max"] = max(0, rec["age"] - 2), rec["age"] + 2
            people.append(extra)
        persons_total += len(people)
        said = " ".join(rng.choices(words, cum_weights=cumulative, k=rng.randint(8, 30)))
        body["narrative"] = f"{body.get('narrative', '')} {said.capitalize()}.".strip()
        checked = check_alert(
            AlertIn.model_validate(body), actor=poster.user, lookup=c["lookup"], now=timezone.now()
        )
        alert = checked.alert
        alert.pk = alert.id = n
        if poster.user.is_system:  # a unit's account the demo made: not in a cached run's database
            alert.origin_user_id = c["admin_id"]
        alert.status, alert.revision = "published", 1
        alert.published_at = alert.created_at = alert.updated_at = alert.reported_at
        alert.reference = f"{code}-{alert.reported_at.year}-{n:07d}"
        chunk["alerts"].append(tuple(getattr(alert, _attr(col)) for col in ALERT_COLUMNS))
        for p in checked.persons:
            chunk["persons"].append((n, *(getattr(p, col) for col in PERSON_COLUMNS[1:])))
        for v in checked.vehicles:
            chunk["vehicles"].append((n, *(getattr(v, col) for col in VEHICLE_COLUMNS[1:])))
        for ph in checked.phones:
            chunk["phones"].append((n, *(getattr(ph, col) for col in PHONE_COLUMNS[1:])))
        loaded = _Loaded(alert, checked.persons, checked.vehicles, checked.phones)
        doc = AlertDocument(alert_id=n, revision=1, indexed_at=alert.reported_at, **document_fields(loaded))
        pg.prepare(doc)  # the SQLite load blanks the terms, as its backend's `prepare` does
        chunk["documents"].append(tuple(getattr(doc, _attr(col)) for col in DOCUMENT_TEXT_COLUMNS))
        for s in matching_keys.subjects_of(alert, checked.persons, checked.phones, checked.vehicles, []):
            chunk["keys"] += [(n, s.kind, s.position, k) for k in sorted(s.keys)]
            if s.facts is not None:
                chunk["profiles"].append((n, s.position, matching_keys.profile_data(s.facts, s.label)))
        audience = body.get("audience") or {}
        if (
            code == c["officer_state"]
            or audience.get("national")
            or c["officer_state"] in audience.get("states", [])
            or alert.origin_agency_id == c["officer_agency"]
        ):
            at = alert.reported_at
            chunk["deliveries"].append(
                (n, c["officer_agency"], "state", False, 1, at, at, at + timedelta(hours=1), None, 0)
            )
    return chunk


def _attr(column: str) -> str:
    return f"{column}_id" if column in FOREIGN_KEYS else column


def generate(alerts: int, seed: int, workers: int) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    """Chunks of rows for `alerts` published alerts, in order, made by `workers` processes (each
    sets Django up on the same database and makes the same context: the chunks do not depend on
    which process makes them)."""
    import multiprocessing

    count = prepare_context(alerts, seed)
    if workers <= 1:
        yield from (make_chunk(i) for i in range(count))
        return
    where = (_CONTEXT["url"], _CONTEXT["dir"], alerts, seed)
    with multiprocessing.get_context("spawn").Pool(workers, _init_worker, where) as pool:
        yield from pool.imap(make_chunk, range(count))


def _init_worker(url: str, data_dir: str, alerts: int, seed: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    django_on(url, Path(data_dir))
    prepare_context(alerts, seed, quiet=True)


def fingerprint() -> dict[str, Any]:
    """What the cached rows assume of the directory (ids of agencies, users, States)."""
    from django.db.models import Max

    from crimac.directory.models import Agency, District, State, User

    return {
        "agencies": [*Agency.objects.aggregate(Max("id")).values(), Agency.objects.count()],
        "districts": District.objects.count(),
        "states": sorted(State.objects.values_list("code", "id")),
        "officer": list(User.objects.filter(username=OFFICER).values_list("id", "agency_id")),
    }


def chunks(
    alerts: int, seed: int, cache: Path | None, workers: int
) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    """Generated chunks, or those of an earlier run read from `cache` (written on the first run)."""
    header = {"alerts": alerts, "seed": seed, "directory": fingerprint()}
    if cache is not None and cache.exists():
        with cache.open("rb") as f:
            found = pickle.load(f)  # noqa: S301 - our own file, written below
            if found != {**header, "alerts": found.get("alerts", 0)} or found["alerts"] < alerts:
                raise SystemExit(f"{cache} was written for another run: {found} (remove it)")
            print(f"rows: the first {alerts:,} alerts of {cache} (whole batches of {CHUNK:,})")
            for _ in range(math.ceil(alerts / CHUNK)):
                try:
                    yield pickle.load(f)  # noqa: S301
                except (EOFError, pickle.UnpicklingError):  # the end of a generation stopped part way
                    return
            return
    out = cache.open("wb") if cache is not None else None
    try:
        if out is not None:
            pickle.dump(header, out)
        for chunk in generate(alerts, seed, workers):
            if out is not None:
                pickle.dump(chunk, out, protocol=pickle.HIGHEST_PROTOCOL)
            yield chunk
    except BaseException:
        if out is not None:
            out.close()
            cache.unlink(missing_ok=True)  # type: ignore[union-attr]
            out = None
        raise
    finally:
        if out is not None:
            out.close()


# --- loading -------------------------------------------------------------------------------------


def _for_postgres(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def load(alerts: int, seed: int, cache: Path | None, workers: int) -> dict[str, int]:
    from django.db import connection

    from crimac.alerts.models import Alert, Person, Phone, Vehicle
    from crimac.dissemination.models import Delivery
    from crimac.matching.models import PersonProfile, SubjectKey
    from crimac.search.backends import postgres as pg_backend
    from crimac.search.backends import sqlite as sqlite_backend
    from crimac.search.models import AlertDocument

    postgres = connection.vendor == "postgresql"
    tables: dict[str, tuple[Any, tuple[str, ...]]] = {
        "alerts": (Alert, ALERT_COLUMNS),
        "persons": (Person, PERSON_COLUMNS),
        "vehicles": (Vehicle, VEHICLE_COLUMNS),
        "phones": (Phone, PHONE_COLUMNS),
        "documents": (AlertDocument, DOCUMENT_COLUMNS),
        "keys": (SubjectKey, KEY_COLUMNS),
        "profiles": (PersonProfile, PROFILE_COLUMNS),
        "deliveries": (Delivery, DELIVERY_COLUMNS),
    }
    key_index = next(i for i in SubjectKey._meta.indexes if i.name == "matching_key_lookup")
    with connection.cursor() as cursor:
        # Indexes built once after the load rather than row by row.
        if postgres:
            for statement in pg_backend.DROP[:4]:
                cursor.execute(statement)
        else:
            for statement in sqlite_backend.DROP[:3]:  # the triggers; 'rebuild' fills the index
                cursor.execute(statement)
        cursor.execute(f"DROP INDEX {key_index.name}")
    counts = dict.fromkeys(tables, 0)
    started = time.monotonic()
    scratch = cache is None
    if cache is None:  # read twice: once for the order, once to write
        cache = Path(tempfile.gettempdir()) / f"crimac-bench-search-{os.getpid()}.pickle"
    try:
        renumber = publication_order(alerts, seed, cache, workers)
        print(f"  rows in publication order ({time.monotonic() - started:.0f}s)", flush=True)
        for chunk in chunks(alerts, seed, cache, workers):
            write_chunk(chunk, renumber, tables, counts, postgres)
            if counts["alerts"] % 50_000 < CHUNK:
                print(f"  {counts['alerts']:,} alerts ({time.monotonic() - started:.0f}s)", flush=True)
    finally:
        if scratch:
            cache.unlink(missing_ok=True)
    print(f"rows written ({time.monotonic() - started:.0f}s): {counts}")
    finish_build()
    return counts


def publication_order(alerts: int, seed: int, cache: Path, workers: int) -> dict[int, int]:
    """New ids for the generated alerts, in the order of their reported time. The generator makes
    them State by State; a live table fills in publication order, and code may rely on that (the
    newest rows of a key are its highest alert ids; a span of recent ids holds recent alerts)."""
    reported = ALERT_COLUMNS.index("reported_at")
    seen: list[tuple[Any, int]] = []
    for chunk in chunks(alerts, seed, cache, workers):
        seen += [(a[reported], a[0]) for a in chunk["alerts"]]
    ids = sorted(old for _, old in seen)
    return {old: new for (_, old), new in zip(sorted(seen), ids, strict=True)}


def write_chunk(
    chunk: dict[str, list[tuple[Any, ...]]],
    renumber: dict[int, int],
    tables: dict[str, tuple[Any, tuple[str, ...]]],
    counts: dict[str, int],
    postgres: bool,
) -> None:
    """One chunk's rows, with their alerts' new ids (the first column of every table)."""
    from django.db import transaction

    from crimac.fastinsert import insert_rows

    chunk = {name: [(renumber[r[0]], *r[1:]) for r in rows] for name, rows in chunk.items()}
    with transaction.atomic():
        for name, (model, columns) in tables.items():
            rows = chunk.get(name, [])
            if name == "documents":
                copies = {a[0]: tuple(a[i] for i in COPIED) for a in chunk["alerts"]}
                reach = _reach(chunk)
                rows = [(*r, *copies[r[0]], reach[r[0]]) for r in rows]
                if not postgres:
                    rows = [(*r[:6], "", "", "", *r[9:]) for r in rows]
            if postgres:
                rows = [tuple(_for_postgres(v) for v in r) for r in rows]
            counts[name] += insert_rows(model, columns, rows)


_AGENCY_STATES: dict[int, int | None] = {}


def _reach(chunk: dict[str, list[tuple[Any, ...]]]) -> dict[int, str]:
    """The documents' reach words of a chunk's alerts, as `search.indexing` writes them."""
    from crimac.alerts.models.alerts import NO_STATE
    from crimac.directory.models import Agency
    from crimac.search.indexing import reach_words

    if not _AGENCY_STATES:
        _AGENCY_STATES.update(Agency.objects.values_list("pk", "state_id"))
    state, origin = ALERT_COLUMNS.index("state"), ALERT_COLUMNS.index("origin_agency")
    reach = {a[0]: {a[state], _AGENCY_STATES[a[origin]]} for a in chunk["alerts"]}
    for delivery in chunk.get("deliveries", []):
        reach[delivery[0]].add(_AGENCY_STATES[delivery[1]])
    return {pk: reach_words(s or NO_STATE for s in states) for pk, states in reach.items()}


def finish_build() -> bool:
    """Build what the load dropped (the full-text index, trigram indexes, the key index) and
    ANALYZE; does nothing on a database that has them. So `--reuse` also finishes a build that was
    stopped part way (each batch is its own transaction: what was written is whole). Returns
    whether there was anything to do."""
    from django.db import connection

    from crimac.matching.models import SubjectKey
    from crimac.search.backends import backend
    from crimac.search.backends import postgres as pg_backend
    from crimac.search.backends import sqlite as sqlite_backend

    postgres = connection.vendor == "postgresql"
    key_index = next(i for i in SubjectKey._meta.indexes if i.name == "matching_key_lookup")
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename LIKE %s", ["%"])
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger')")
        present = {r[0] for r in cursor.fetchall()}
    done = key_index.name in present and (
        "search_alertdocument_document_gin" in present if postgres else "search_alertdocument_ai" in present
    )
    if done:
        return False
    started = time.monotonic()
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET maintenance_work_mem = '1GB'")
        else:
            cursor.execute("PRAGMA cache_size = -1000000")
    if key_index.name not in present:
        with connection.schema_editor() as editor:
            editor.add_index(SubjectKey, key_index)
    with connection.cursor() as cursor:
        if postgres:
            for statement in pg_backend.CREATE[2:]:
                cursor.execute(
                    statement.replace("CREATE INDEX search_", "CREATE INDEX IF NOT EXISTS search_")
                )
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('alerts_alert', 'id'), max(id)) FROM alerts_alert"
            )
            cursor.execute("VACUUM ANALYZE")
        else:
            for statement in sqlite_backend.TRIGGERS:
                cursor.execute(statement)
            backend().rebuild()
            cursor.execute("ANALYZE")
    print(f"indexes built ({time.monotonic() - started:.0f}s)", flush=True)
    return True


def fill_profiles() -> int:
    """Write the person profiles a cache made before them lacks (or older code made), as
    `crimac matching_backfill --profiles` does after an upgrade; returns how many."""
    from crimac.alerts.models import Person
    from crimac.matching import correlate
    from crimac.matching.keys import PROFILE_VERSION
    from crimac.matching.models import PersonProfile

    if PersonProfile.objects.filter(data__v=PROFILE_VERSION).count() >= Person.objects.count():
        return 0
    started = time.monotonic()

    def progress(alerts: int, written: int) -> None:
        if alerts % 100_000 < 5000:
            print(f"  profiles: {written:,} ({time.monotonic() - started:.0f}s)", flush=True)

    _, _, written = correlate.refresh_all_profiles(5000, progress)
    print(f"person profiles written: {written:,} ({time.monotonic() - started:.0f}s)", flush=True)
    return written


# --- measuring -----------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


def timed(fn: Callable[[Any], Any], inputs: list[Any]) -> list[float]:
    out = []
    for value in inputs:
        start = time.perf_counter()
        fn(value)
        out.append(time.perf_counter() - start)
    return out


def samples(queries: int, rng: random.Random) -> dict[str, list[Any]]:
    """Words of the documents, registrations and phones as written, persons' names and alerts to
    correlate, from random alerts."""
    from crimac.alerts.models import Alert, Person, Phone, Vehicle
    from crimac.search.models import AlertDocument
    from crimac.search.text import STOP_WORDS, tokens

    top = Alert.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ids = [rng.randint(1, top) for _ in range(20 * queries)]
    words: list[str] = []
    for title, names, places, body in AlertDocument.objects.filter(
        alert_id__in=ids[: 4 * queries]
    ).values_list("title", "names", "places", "body"):
        found = [w for w in tokens(f"{title} {names} {places} {body}") if len(w) > 3 and w not in STOP_WORDS]
        if found:
            words.append(rng.choice(found))
    plates = list(
        Vehicle.objects.filter(alert_id__in=ids)
        .exclude(registration="")
        .values_list("registration", flat=True)
    )
    phones = list(Phone.objects.filter(alert_id__in=ids).exclude(number="").values_list("number", flat=True))
    people = list(
        Person.objects.filter(alert_id__in=ids)
        .exclude(name="")
        .values_list("name", "gender", "age_min", "age_max", "alert_id")
    )
    rng.shuffle(people)
    return {
        "words": words[:queries],
        "plates": plates[:queries],
        "phones": phones[:queries],
        "people": people[:queries],
        "alerts": sorted({p[4] for p in people})[:queries],
    }


def unnarrowed(user: Any, words: list[str], fts: Callable[[str], None]) -> list[float]:
    """The same full-text searches without narrowing by the documents' reach (the code before it),
    timed; and whether both ways give the same count and first page for each word."""
    from crimac.search.backends import backend
    from crimac.search.service import search_alerts
    from crimac.search.text import parse_query

    def answer(word: str) -> tuple[int, bool, list[int]]:
        page = search_alerts(user, parse_query(word), limit=20)
        return page.count, page.capped, [r.alert.pk for r in page.results]

    narrowed = [answer(w) for w in words]
    search_backend = type(backend())
    search_backend.narrows_by_reach = False
    try:
        times = timed(fts, words)
        plain = [answer(w) for w in words]
    finally:
        search_backend.narrows_by_reach = True
    same = sum(a == b for a, b in zip(narrowed, plain, strict=True))
    print(f"    narrowed by reach or not: the same count and first page for {same} of {len(words)} words")
    return times


def measure(queries: int, baseline_queries: int, seed: int) -> dict[str, dict[str, list[float]]]:
    from datetime import datetime
    from datetime import time as dtime
    from types import SimpleNamespace

    from django.db import transaction
    from django.db.models import Q
    from django.utils import timezone

    from crimac.alerts.models import Alert, Person, Phone, Vehicle
    from crimac.directory.models import User
    from crimac.matching import correlate
    from crimac.search import lookups
    from crimac.search.backends import backend
    from crimac.search.persons import BadPerson, search_persons, sought
    from crimac.search.service import search_alerts
    from crimac.search.text import parse_query

    rng = random.Random(seed)
    got = samples(queries, rng)
    since = timezone.localdate() - timedelta(days=90)
    start = datetime.combine(since, dtime.min, timezone.get_current_timezone())
    categories = ["missing_person", "human_trafficking", "rescued_victim", "wanted_person"]
    states = sorted(set(Alert.objects.order_by().values_list("state__code", flat=True).distinct()))
    out: dict[str, dict[str, list[float]]] = {}
    few = baseline_queries
    for username in (ANALYST, OFFICER):
        user = User.objects.select_related("agency", "agency__state").get(username=username)
        # The officer filters on its own State (others hold nothing it may see); the analyst on any.
        own_state = user.agency.state.code if user.agency.state and username == OFFICER else None

        def state(own_state: str | None = own_state) -> str:
            return own_state or rng.choice(states)

        def visible() -> Any:
            return Alert.objects.visible_to(user)  # noqa: B023

        def fts(word: str) -> None:
            search_alerts(user, parse_query(word), limit=20)  # noqa: B023

        def fts_filtered(word: str) -> None:
            filters = SimpleNamespace(
                category=categories, priority=None, status=None, state=state(), district=None,
                origin=None, reported_from=since, reported_to=None,
            )  # fmt: skip
            search_alerts(user, parse_query(word), filters, newest=True, limit=20)  # noqa: B023

        def text_like(word: str) -> Q:
            return (
                Q(title__icontains=word)
                | Q(narrative__icontains=word)
                | Q(address__icontains=word)
                | Q(persons__name__icontains=word)
            )

        def like(word: str) -> None:
            qs = visible().filter(text_like(word)).distinct()
            qs.count()
            list(qs.order_by("-reported_at", "-id")[:20])

        def like_filtered(word: str) -> None:
            qs = (
                visible()
                .filter(category__in=categories, state__code=state(), reported_at__gte=start)
                .filter(text_like(word))
                .distinct()
            )
            qs.count()
            list(qs.order_by("-reported_at", "-id")[:20])

        def plate(raw: str) -> None:
            list(lookups.vehicles(user, lookups.vehicle_sought(raw))[:20])  # noqa: B023

        def plate_like(raw: str) -> None:
            list(Vehicle.objects.filter(registration__icontains=raw, alert__in=visible().values("id"))[:20])

        def phone(raw: str) -> None:
            list(lookups.phones(user, lookups.phone_sought(raw))[:20])  # noqa: B023

        def phone_like(raw: str) -> None:
            digits = re.sub(r"\D", "", raw)[-10:]
            list(Phone.objects.filter(number__icontains=digits[-6:], alert__in=visible().values("id"))[:20])

        def person(row: tuple[Any, ...]) -> None:
            name, gender, low, high, _ = row
            age = f"{low}-{high}" if low is not None and high is not None else ""
            with contextlib.suppress(BadPerson):
                # The count and the first page, as the person search page shows them (50).
                found = search_persons(user, sought(name, gender or "", age))  # noqa: B023
                assert len(found[:50]) <= len(found)

        def person_like(row: tuple[Any, ...]) -> None:
            longest = max(row[0].split(), key=len)
            qs = Person.objects.filter(name__icontains=longest, alert__in=visible().values("id"))
            list(qs.select_related("alert").order_by("-alert__reported_at", "-id")[:50])

        words, plates, phones, people = got["words"], got["plates"], got["phones"], got["people"]
        results: dict[str, list[float]] = {}
        print(f"\n-- as {username}: timing", flush=True)
        results["full text"] = timed(fts, words)
        results["full text, baseline ILIKE"] = timed(like, words[:few])
        if username == OFFICER and backend().narrows_by_reach:
            results["baseline: full text not narrowed by reach"] = unnarrowed(user, words, fts)
        results["full text + date/State/category, newest"] = timed(fts_filtered, words)
        results["full text + filters, baseline ILIKE"] = timed(like_filtered, words[:few])
        results["registration look-up"] = timed(plate, plates)
        results["registration, baseline ILIKE"] = timed(plate_like, plates[:few])
        results["phone look-up"] = timed(phone, phones)
        results["phone, baseline ILIKE"] = timed(phone_like, phones[:few])
        results["person search"] = timed(person, people)
        results["person search, baseline ILIKE"] = timed(person_like, people[:few])
        out[username] = results

    # What each way of matching found, kept for `shortlist_agreement` (not worked out again).
    shortlisted: dict[int, Any] = {}
    exhaustive: dict[int, Any] = {}

    unprofiled_found: dict[int, Any] = {}

    def candidates(alert_id: int, into: dict[int, Any] = shortlisted) -> None:
        alert = correlate._load([alert_id])[0]
        into[alert_id] = correlate._candidates(correlate._subjects(alert), alert)

    def whole(alert_id: int) -> None:
        with transaction.atomic():
            alert = correlate._load([alert_id])[0]
            correlate._correlate(alert, correlate._subjects(alert))
            transaction.set_rollback(True)

    def every_candidate(alert_id: int) -> None:
        alert = correlate._load([alert_id])[0]
        exhaustive[alert_id] = correlate._candidates(correlate._subjects(alert), alert, every=True)

    def unprofiled(alert_id: int) -> None:
        """As `candidates`, with every candidate person read from its alert and its names parsed
        (as before profiles existed, or for persons whose profile is out of date)."""
        real = correlate._profiles
        setattr(correlate, "_profiles", lambda alert_ids, idents: iter(()))  # noqa: B010
        try:
            candidates(alert_id, unprofiled_found)
        finally:
            setattr(correlate, "_profiles", real)  # noqa: B010

    def cold(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """`fn` after emptying matching's caches of parsed names and scores, so that no series
        meets the names an earlier one parsed (a server meets most candidates for the first time)."""

        def run(value: Any) -> Any:
            _clear_name_caches()
            return fn(value)

        return run

    print("\n-- correlation: timing", flush=True)
    alerts = got["alerts"]
    for warm in (candidates, every_candidate, unprofiled):  # first queries and imports, untimed
        for alert_id in alerts[:3]:
            warm(alert_id)
    out["correlation"] = {
        "match one alert's persons (_candidates)": timed(cold(candidates), alerts),
        "baseline: every candidate scored": timed(cold(every_candidate), alerts),
        "baseline: candidates read whole, names parsed": timed(cold(unprofiled), alerts),
        "correlate one alert (_correlate, rolled back)": timed(cold(whole), alerts[: max(10, queries // 4)]),
    }
    shortlist_agreement(shortlisted, exhaustive)
    same = sum(
        [(c.subject.ident, c.score, c.reasons) for c in cands]
        == [(c.subject.ident, c.score, c.reasons) for c in unprofiled_found[alert_id].get(ident, [])]
        for alert_id, found in shortlisted.items()
        for ident, cands in found.items()
    )
    total = sum(len(found) for found in shortlisted.values())
    print(
        f"-- correlation from profiles and from whole persons: the same candidates for {same}/{total}"
        " subjects"
    )
    return out


def _clear_name_caches() -> None:
    from crimac.matching import keys, names, persons

    keys.forget_unpacked()
    for module in (names, persons):
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


def shortlist_agreement(shortlisted: dict[int, Any], exhaustive: dict[int, Any]) -> None:
    """What reading `LOADED_PER_SUBJECT` and scoring `SCORED_PER_SUBJECT` candidates a person
    changes: over the sampled alerts' persons (`_candidates` of each alert, both ways), how many
    keep exactly the top-k that scoring every candidate gives, and how many of those matches
    (pairs) the shortlist finds."""
    from crimac.matching import correlate

    same = subjects = pairs = kept = 0
    for alert_id, full in exhaustive.items():
        short = shortlisted[alert_id]
        for ident, every in full.items():
            if ident[1] != "person":
                continue
            want = {c.subject.ident for c in every}
            got = {c.subject.ident for c in short.get(ident, [])}
            subjects += 1
            same += want == got
            pairs += len(want)
            kept += len(want & got)
    print(
        f"\n-- correlation: {correlate.LOADED_PER_SUBJECT} candidates read and {correlate.SCORED_PER_SUBJECT}"
        " scored a person, against every candidate:"
        f" {same}/{subjects} persons ({same / max(subjects, 1):.1%}) keep the same top {correlate.TOP_K};"
        f" {kept}/{pairs} of their matches ({kept / max(pairs, 1):.1%}) found",
        flush=True,
    )


def report(kind: str, counts: dict[str, int], results: dict[str, dict[str, list[float]]]) -> None:
    print(f"\n== {kind}: {counts}")
    for who, rows in results.items():
        print(
            f"\n  as {who}" if who != "correlation" else "\n  correlation (persons of one alert against all)"
        )
        for name, values in rows.items():
            print(
                f"    {name:48s} n={len(values):4d}  p50 {percentile(values, 50) * 1000:9.1f} ms"
                f"  p99 {percentile(values, 99) * 1000:9.1f} ms"
            )
        for fast, slow in PAIRS:
            if rows.get(fast) and rows.get(slow):
                ratio = statistics.median(rows[slow]) / statistics.median(rows[fast])
                print(f"    ratio of the p50s, {slow} / {fast}: {ratio:.1f}x")
        for name, values in rows.items():
            if "baseline" in name:
                continue
            limit = TARGETS["person"] if name.startswith("person") else TARGETS["token"]
            if who == "correlation":
                limit = TARGETS["correlation"]
            p99 = percentile(values, 99)
            verdict = "meets" if p99 < limit else "MISSES"
            print(f"    target {name}: p99 {p99 * 1000:.0f} ms < {limit * 1000:.0f} ms: {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--baseline-queries", type=int, default=10, help="scans are slow: fewer of them")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--dir", type=Path, default=Path("/tmp/crimac-bench-search"), help="SQLite file, data dir"
    )
    parser.add_argument("--cache", type=Path, help="generated rows: read if there, else written")
    parser.add_argument("--name", default=NAME, help="the database (PostgreSQL) or file stem (SQLite)")
    parser.add_argument("--build-only", action="store_true", help="build (with --keep), measure later")
    parser.add_argument("--workers", type=int, default=2, help="processes generating the rows")
    parser.add_argument(
        "--keep", action="store_true", help="keep the database (measure it again with --reuse)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database an earlier --keep left (and keep it)"
    )
    args = parser.parse_args(argv)
    if args.alerts < 100 or args.queries < 10:
        parser.error("--alerts: at least 100; --queries: at least 10")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    args.dir.mkdir(parents=True, exist_ok=True)
    name = args.name
    sqlite_file = args.dir / f"{name}.sqlite3"
    url = f"sqlite:///{sqlite_file}" if args.database == "sqlite" else f"{POSTGRES}/{name}"
    if not args.reuse:
        if args.database == "postgres":
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            _admin(f'CREATE DATABASE "{name}"')
        else:
            sqlite_file.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    try:
        if args.reuse:
            django_on(url, args.dir)
            from django.core.management import call_command

            call_command("migrate", verbosity=0)  # indexes added since the build
            finish_build()  # a build stopped part way
            fill_profiles()
            from crimac.alerts.models import Alert, Person, Phone, Vehicle
            from crimac.matching.models import SubjectKey

            counts = {
                "alerts": Alert.objects.count(),
                "persons": Person.objects.count(),
                "vehicles": Vehicle.objects.count(),
                "phones": Phone.objects.count(),
                "keys": SubjectKey.objects.count(),
            }
        else:
            started = time.monotonic()
            django_with_demo_directory(url, args.dir)
            counts = load(args.alerts, args.seed, args.cache, args.workers)
            fill_profiles()
            print(f"built in {time.monotonic() - started:.0f}s")
        if not args.build_only:
            results = measure(args.queries, args.baseline_queries, args.seed)
            report(args.database, counts, results)
        from django.db import connections

        connections.close_all()
    finally:
        # A database measured again (--reuse) took an hour to build: it stays, as if --keep.
        if not args.keep and not args.reuse:
            if args.database == "postgres":
                _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            else:
                sqlite_file.unlink(missing_ok=True)
    return 0


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(sql)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
