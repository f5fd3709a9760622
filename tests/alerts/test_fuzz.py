"""Fuzzing POST /api/v1/alerts and GET /api/v1/alerts with hypothesis.

Bodies mix valid values with wrong types, huge strings, unicode and control characters, nested
garbage and unknown keys. Whatever arrives, the answer is never a 500: it is a 201 with a stored
alert, or a 4xx problem+json that names fields and leaves nothing written.

Times and dates span the whole of datetime's range (years 1 to 9999, which crimac refuses outside
1900..2100 with a 422) and integers go far beyond 64 bits.
"""

from __future__ import annotations

import base64
import json
import string
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from crimac.alerts.choices import (
    CATEGORY_BY_VALUE,
    ActionRequested,
    Build,
    Gender,
    HandlingCode,
    IdentifierType,
    PersonRole,
    Priority,
    Status,
    VehicleType,
)
from crimac.alerts.models import Alert, AlertRevision, Person
from crimac.alerts.schemas import AlertCreate
from crimac.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

API = "/api/v1"
PROBLEM = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}
ERROR_KEYS = {"field", "pointer", "in", "message"}
FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    print_blob=True,
)
INT64 = 2**63 - 1

# --- building blocks ----------------------------------------------------------------------------

# Any text, control characters included; surrogates cannot be encoded as UTF-8 JSON.
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
nasty_text = st.sampled_from(
    [
        "",
        " ",
        "\t\n\r",
        "\x00",
        "\x1b[31m",
        "\u202eevil",
        "\ufeff",
        "e\u0301",
        "😀" * 50,
        "<script>alert(1)</script>",
        "'; DROP TABLE alerts_alert; --",
        "${jndi:ldap://x}",
        "देवनागरी नाम",
        "x" * 201,
        "y" * 20001,
        "z" * 100_000,
    ]
)
text = st.one_of(any_text, nasty_text)
ints = st.one_of(
    st.integers(min_value=-INT64, max_value=INT64), st.integers(min_value=-(10**30), max_value=10**30)
)
leaf = st.one_of(
    st.none(),
    st.booleans(),
    ints,
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)
garbage = st.recursive(
    leaf,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4),
    max_leaves=12,
)

offsets = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))])
maybe_offset = st.one_of(st.none(), offsets)  # None: a time without an offset, read in the server's zone
times = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=maybe_offset
).map(lambda d: d.isoformat())


def _ago(minutes: int, naive: bool) -> str:
    moment = datetime.now(UTC) - timedelta(minutes=minutes)
    return (moment.astimezone().replace(tzinfo=None) if naive else moment).isoformat()


recent = st.builds(_ago, st.integers(min_value=0, max_value=60 * 24 * 365 * 3), st.booleans())
dates = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(str)


plates = ["DL 3C AB 1234", "22 BH 1234 AA", "HR26DK0001", "XX1", "", "mh-12-ab-9"]
numbers = ["98100 12345", "+91 99999 00000", "011-2345-6789", "12", "+1 202", "+44 20 7946 0958"]
FIELDS = set(AlertCreate.model_fields)


def either(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly valid values, sometimes anything at all."""
    return st.one_of(valid, valid, valid, garbage)


def same(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return valid


def record(
    required: dict[str, Any], optional: dict[str, Any], *, extra: bool = True
) -> st.SearchStrategy[dict[str, Any]]:
    """A JSON object with the given fields, sometimes with unknown keys added."""
    base = st.fixed_dictionaries(required, optional=optional)
    if not extra:
        return base
    unknown = st.dictionaries(
        st.text(string.ascii_letters + "_", min_size=1, max_size=12), garbage, max_size=2
    )
    return st.one_of(base, base, base, st.builds(lambda b, e: {**e, **b}, base, unknown))


def alert_strategy(pick: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Alert bodies whose every value goes through `pick`: `same` keeps them valid in shape,
    `either` mixes in garbage at every level."""
    mixed = pick is either

    def choice(values: Any) -> st.SearchStrategy[Any]:
        return pick(st.sampled_from(list(values)))

    person = record(
        {"role": choice(PersonRole.values)},
        {
            "name": pick(st.text(max_size=60)),
            "aliases": pick(st.lists(text, max_size=3)),
            "gender": choice(Gender.values),
            "age_min": pick(st.integers(-5, 130)),
            "age_max": pick(st.integers(-5, 130)),
            "birth_date_from": pick(dates),
            "birth_date_to": pick(dates),
            "height_cm_min": pick(st.integers(0, 300)),
            "height_cm_max": pick(st.integers(0, 300)),
            "build": choice(Build.values),
            "marks": pick(text),
            "languages": pick(st.lists(st.sampled_from(["hi", "bn", "as", "en"]), max_size=3)),
            "last_seen_place": pick(text),
            "last_seen_at": pick(st.one_of(times, recent)),
        },
        extra=mixed,
    )
    vehicle = record(
        {},
        {
            "registration": pick(st.one_of(st.sampled_from(plates), st.text(max_size=22))),
            "vehicle_type": choice(VehicleType.values),
            "make": pick(text),
            "chassis_number": pick(st.text(string.ascii_uppercase + string.digits, max_size=25)),
            "engine_number": pick(st.text(string.ascii_uppercase + string.digits, max_size=25)),
        },
        extra=mixed,
    )
    phone = record(
        {},
        {
            "number": pick(st.one_of(st.sampled_from(numbers), st.text(max_size=34))),
            "imei": pick(st.text(string.digits, max_size=17)),
        },
        extra=mixed,
    )
    identifier = record(
        {"type": choice(IdentifierType.values)},
        {"value": pick(st.sampled_from(["K1234567", "1234", "ABC1234567", "x@upi", "@handle", ""]))},
        extra=mixed,
    )
    kinds = ["ahtu", "police_station", "state_hq", "x"]
    audience = record(
        {},
        {
            "national": pick(st.booleans()),
            "states": pick(st.lists(st.sampled_from(["DL", "HR", "AS", "AN", "LD", "ZZ", "dl"]), max_size=3)),
            "districts": pick(st.lists(st.integers(0, 1000), max_size=3)),
            "agencies": pick(st.lists(st.sampled_from(["DL-HQ", "AS-HQ", "NCRB", "NOPE"]), max_size=3)),
            "agency_kinds": pick(st.lists(st.sampled_from(kinds), max_size=2)),
            "agency_kinds_in_states": pick(st.lists(st.sampled_from(["DL", "AS", "ZZ"]), max_size=2)),
            "bordering_states": pick(st.booleans()),
        },
        extra=mixed,
    )
    citations = ["IPC 363", "BNS 143", "370 IPC", "u/s 103(1) BNS", "IPC 999", "nonsense"]
    stations = ["DL-NEWDELHI-PS-001", "DL-NEWDELHI-PS-002", "AS-HQ", "NOPE"]
    return record(
        {"category": choice(CATEGORY_BY_VALUE), "title": pick(st.text(min_size=0, max_size=220))},
        {
            "narrative": pick(text),
            "priority": choice(Priority.values),
            "action_requested": choice(ActionRequested.values),
            "occurred_at": pick(st.one_of(times, recent)),
            "reported_at": pick(st.one_of(times, recent)),
            "state": pick(st.sampled_from(["DL", "HR", "AS", "AN", "ZZ", "dl", ""])),
            "district": pick(st.integers(0, 1000)),
            "station": pick(st.sampled_from(stations)),
            "address": pick(text),
            "latitude": pick(st.one_of(st.floats(0, 40), st.decimals(places=7, allow_nan=False).map(str))),
            "longitude": pick(st.one_of(st.floats(60, 100), st.decimals(places=7, allow_nan=False).map(str))),
            "sections": pick(st.lists(st.sampled_from(citations), max_size=3)),
            "fir_number": pick(st.text(max_size=45)),
            "fir_date": pick(dates),
            "handling_code": choice(HandlingCode.values),
            "expires_at": pick(st.one_of(times, recent)),
            "audience": pick(st.one_of(st.none(), audience)),
            "persons": pick(st.lists(person, max_size=3)),
            "vehicles": pick(st.lists(vehicle, max_size=2)),
            "phones": pick(st.lists(phone, max_size=2)),
            "identifiers": pick(st.lists(identifier, max_size=2)),
            "publish": pick(st.booleans()),
        },
        extra=mixed,
    )


well_formed = alert_strategy(same)
mixed = alert_strategy(either)

# Bodies an officer might really send, with any unicode in the free text: these get past the
# schema and the rules, so the fuzzing also reaches the writes.
free_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=300)
plausible_person = st.fixed_dictionaries(
    {
        "role": st.sampled_from(PersonRole.values),
        "name": st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=200),
    },
    optional={
        "aliases": st.lists(free_text.map(lambda t: t[:200]), max_size=3),
        "gender": st.sampled_from(Gender.values),
        "age_min": st.integers(0, 60),
        "marks": free_text,
        "last_seen_place": free_text,
        "last_seen_at": recent,
    },
).map(lambda p: {**p, "age_max": p["age_min"] + 5} if "age_min" in p else p)
plausible = st.fixed_dictionaries(
    {
        "category": st.sampled_from(list(CATEGORY_BY_VALUE)),
        "title": st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=3, max_size=200).filter(
            lambda t: len(t.strip()) >= 3
        ),
    },
    optional={
        "narrative": free_text,
        "priority": st.sampled_from(Priority.values),
        "action_requested": st.sampled_from(ActionRequested.values),
        "reported_at": recent,
        "address": free_text,
        "sections": st.lists(
            st.sampled_from(["IPC 363", "BNS 143", "IPC 370", "BNS 303"]), max_size=3, unique=True
        ),
        "handling_code": st.sampled_from(HandlingCode.values),
        "audience": st.sampled_from(
            [
                None,
                {"national": True},
                {"states": ["DL", "HR"]},
                {"bordering_states": True},
                {"agencies": ["AS-HQ"]},
            ]
        ),
        "persons": st.lists(plausible_person, max_size=3),
        "vehicles": st.lists(st.fixed_dictionaries({"registration": st.sampled_from(plates)}), max_size=2),
        "phones": st.lists(st.fixed_dictionaries({"number": st.sampled_from(numbers[:3])}), max_size=2),
        "publish": st.booleans(),
    },
)
# A plausible body with one value swapped for garbage (or one unknown key added).
one_bad_value = st.builds(
    lambda body, key, value: {**body, key: value},
    plausible,
    st.one_of(st.sampled_from(sorted(FIELDS)), any_text),
    garbage,
)
alert_bodies = st.one_of(plausible, one_bad_value, well_formed, mixed, garbage)


# --- checks -------------------------------------------------------------------------------------


def written() -> tuple[int, int, int, int]:
    return (
        Alert.objects.count(),
        Person.objects.count(),
        AlertRevision.objects.count(),
        AuditEvent.objects.filter(action__in=["alert.publish", "alert.create"]).count(),
    )


def check_problem(response: Any) -> dict[str, Any]:
    assert response["Content-Type"] == PROBLEM, response.content[:300]
    body = json.loads(response.content)
    assert set(body) >= PROBLEM_KEYS, body
    assert body["status"] == response.status_code
    text = response.content.decode()
    assert "Traceback" not in text and 'File "' not in text
    for err in body.get("errors", []):
        assert set(err) == ERROR_KEYS, err
        assert err["pointer"].startswith("#/"), err
        assert isinstance(err["message"], str) and err["message"], err
    return body


def post_and_check(client: Client, raw: bytes | str) -> Any:
    before = written()
    r = client.post(f"{API}/alerts", raw, content_type="application/json")
    event(f"status {r.status_code}")
    assert r.status_code in {201, 400, 422}, (r.status_code, r.content[:500], raw[:500])
    if r.status_code == 201:
        body = r.json()
        assert Alert.objects.filter(reference=body["reference"]).exists()
        assert written()[0] == before[0] + 1
    else:
        problem = check_problem(r)
        if r.status_code == 422:
            assert problem.get("errors"), problem
        assert written() == before, "a refused alert left rows behind"
    return r


@pytest.fixture
def sho(client_for: Any) -> Client:
    return client_for("dl.sho")


# --- POST /api/v1/alerts ------------------------------------------------------------------------


@FUZZ
@given(body=alert_bodies)
def test_fuzz_create_never_500(sho: Client, body: Any) -> None:
    post_and_check(sho, json.dumps(body))


@FUZZ
@given(
    raw=st.one_of(st.binary(max_size=200), any_text.map(str.encode), garbage.map(lambda g: repr(g).encode()))
)
def test_fuzz_create_with_raw_bytes_never_500(sho: Client, raw: bytes) -> None:
    post_and_check(sho, raw)


def test_fuzz_strategies_reach_success_and_refusal(sho: Client) -> None:
    """The strategies are worth running: they produce both stored alerts and refusals."""
    seen: set[int] = set()

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=alert_bodies)
    def run(body: Any) -> None:
        seen.add(post_and_check(sho, json.dumps(body)).status_code)

    run()
    assert {201, 422} <= seen, seen


# --- GET /api/v1/alerts -------------------------------------------------------------------------


def _cursor(moment: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{moment.isoformat()}|{pk}".encode()).decode().rstrip("=")


query_values = {
    "category": st.one_of(st.sampled_from(list(CATEGORY_BY_VALUE)), text),
    "priority": st.one_of(st.sampled_from(Priority.values), text),
    "status": st.one_of(st.sampled_from(Status.values), text),
    "state": st.one_of(st.sampled_from(["DL", "as", "ZZ", ""]), text),
    "district": st.one_of(st.integers(-10, 10**6).map(str), text),
    "origin": st.one_of(st.sampled_from(["DL-NEWDELHI-PS-001", "DL-HQ", "nope"]), text),
    "from": st.one_of(dates, text),
    "to": st.one_of(dates, text),
    "limit": st.one_of(st.integers(-5, 600).map(str), text),
    "cursor": st.one_of(
        st.builds(
            _cursor,
            st.datetimes(
                min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=maybe_offset
            ),
            st.integers(-INT64, INT64),
        ),
        st.text(string.ascii_letters + string.digits + "-_=", max_size=40),
        text,
    ),
}
query_pairs = st.lists(
    st.one_of(
        st.sampled_from(sorted(query_values)).flatmap(lambda k: st.tuples(st.just(k), query_values[k])),
        st.tuples(any_text, text),
    ),
    max_size=6,
)


@pytest.fixture
def rows(client_for: Any) -> int:
    """Real rows for the list fuzzing, so filters and cursors have something to cut."""
    items = [
        {"category": c, "title": f"Fuzzed list alert {n}", "priority": Priority.values[n % 4]}
        for n, c in enumerate(list(CATEGORY_BY_VALUE)[:8])
    ]
    sho = client_for("dl.sho")
    r = sho.post(f"{API}/alerts/bulk", json.dumps({"alerts": items}), content_type="application/json")
    assert r.status_code == 200 and r.json()["created"] == len(items)
    draft = {"category": "general_advisory", "title": "Fuzzed draft", "publish": False}
    assert sho.post(f"{API}/alerts", json.dumps(draft), content_type="application/json").status_code == 201
    return len(items)


@FUZZ
@given(pairs=query_pairs)
def test_fuzz_list_never_500(client_for: Any, rows: int, pairs: list[tuple[str, str]]) -> None:
    r = client_for("dl.sho2").get(f"{API}/alerts?{urlencode(pairs)}")
    assert r.status_code in {200, 400, 422}, (r.status_code, r.content[:500], pairs)
    if r.status_code == 200:
        page = r.json()
        assert isinstance(page["count"], int) and 0 <= page["count"] <= rows
        assert len(page["results"]) <= page["count"]
        assert all(a["status"] != "draft" for a in page["results"])
    else:
        check_problem(r)
