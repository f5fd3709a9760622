"""Geography: the bundled LGD data, land borders, district actions and the geography API."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from crimac.audit.models import AuditEvent
from crimac.directory import actions
from crimac.directory.choices import AgencyKind
from crimac.directory.geography_data import (
    COUNTRIES,
    DISPLAY_NAMES,
    FOREIGN_BORDERS,
    LAND_BORDERS,
    SHORT_CODES,
    display_name,
)
from crimac.directory.lgd import BUNDLED_DISTRICTS, BUNDLED_STATES, parse_districts, parse_states
from crimac.directory.models import Agency, District, ForeignBorder, State, StateBorder

PROBLEM = "application/problem+json"
UNION_TERRITORIES = {"AN", "CH", "DD", "DL", "JK", "LA", "LD", "PY"}
DELHI_DISTRICTS = {
    "Central",
    "East",
    "New Delhi",
    "North",
    "North East",
    "North West",
    "Shahdara",
    "South",
    "South East",
    "South West",
    "West",
}


def state(code: str) -> State:
    return State.objects.get(code=code)


def district(lgd_code: int) -> District:
    return District.objects.select_related("state").get(lgd_code=lgd_code)


def border_pairs_in_db() -> set[tuple[str, str]]:
    return set(StateBorder.objects.values_list("state__code", "neighbour__code"))


# --- the bundled LGD files ----------------------------------------------------------------------


def test_bundled_states_file_has_36_states_with_unique_codes() -> None:
    rows = parse_states(BUNDLED_STATES.read_text(encoding="utf-8"))
    assert len(rows) == 36
    assert len({r.lgd_code for r in rows}) == 36
    assert {r.lgd_code for r in rows} == set(SHORT_CODES)
    assert sum(r.kind == "U" for r in rows) == 8
    assert sum(r.kind == "S" for r in rows) == 28


def test_bundled_districts_file_has_739_districts_in_known_states() -> None:
    states = {r.lgd_code for r in parse_states(BUNDLED_STATES.read_text(encoding="utf-8"))}
    rows = parse_districts(BUNDLED_DISTRICTS.read_text(encoding="utf-8"))
    assert len(rows) == 739
    assert len({r.lgd_code for r in rows}) == 739
    assert {r.state_lgd_code for r in rows} <= states
    # every State/UT has at least one district
    assert {r.state_lgd_code for r in rows} == states


def test_short_codes_are_unique_two_letter_capitals() -> None:
    codes = list(SHORT_CODES.values())
    assert len(codes) == len(set(codes)) == 36
    assert all(len(c) == 2 and c.isalpha() and c.isupper() for c in codes)
    for expected in ["DL", "AS", "WB", "OD", "TS", "UK", "DD", "LA", "AN", "LD", "PY", "JK"]:
        assert expected in codes


# --- what the migration loaded ------------------------------------------------------------------


@pytest.mark.django_db
def test_database_holds_exactly_36_states_and_uts() -> None:
    assert State.objects.count() == 36
    assert set(State.objects.values_list("code", flat=True)) == set(SHORT_CODES.values())
    assert set(State.objects.filter(kind="U").values_list("code", flat=True)) == UNION_TERRITORIES
    assert State.objects.filter(kind="S").count() == 28
    for lgd_code, code in SHORT_CODES.items():
        assert State.objects.get(code=code).lgd_code == lgd_code


@pytest.mark.django_db
def test_every_district_is_attached_to_the_state_the_lgd_file_names() -> None:
    file_rows = parse_districts(BUNDLED_DISTRICTS.read_text(encoding="utf-8"))
    in_db = dict(District.objects.values_list("lgd_code", "state__lgd_code"))
    assert len(in_db) == District.objects.count() == 739
    assert in_db == {r.lgd_code: r.state_lgd_code for r in file_rows}
    assert District.objects.active().count() == 739
    assert District.objects.filter(state__isnull=True).count() == 0


@pytest.mark.django_db
def test_lgd_codes_are_unique_in_the_database() -> None:
    state_codes = list(State.objects.values_list("lgd_code", flat=True))
    district_codes = list(District.objects.values_list("lgd_code", flat=True))
    assert len(state_codes) == len(set(state_codes))
    assert len(district_codes) == len(set(district_codes))
    with pytest.raises(IntegrityError), transaction.atomic():
        District.objects.create(lgd_code=79, state=state("HR"), name="Copy", slug="COPY")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "name", "lgd_name"),
    [
        ("AN", "Andaman and Nicobar Islands", "ANDAMAN AND NICOBAR ISLANDS"),
        ("DL", "Delhi", "DELHI"),
        ("DD", "Dadra and Nagar Haveli and Daman and Diu", "DADRA AND NAGAR HAVELI AND DAMAN AND DIU"),
        ("JK", "Jammu and Kashmir", "JAMMU AND KASHMIR"),
        ("WB", "West Bengal", "WEST BENGAL"),
        ("TN", "Tamil Nadu", "TAMIL NADU"),
        ("AS", "Assam", "ASSAM"),
        ("OD", "Odisha", "ODISHA"),
    ],
)
def test_states_carry_display_names_and_keep_the_lgd_spelling(code: str, name: str, lgd_name: str) -> None:
    s = state(code)
    assert s.name == name
    assert s.lgd_name == lgd_name
    assert str(s) == name


@pytest.mark.django_db
def test_no_state_name_is_left_in_lgd_capitals() -> None:
    for s in State.objects.all():
        assert s.name != s.name.upper(), s.name
        assert s.lgd_name == s.lgd_name.upper(), s.lgd_name


@pytest.mark.django_db
def test_census_codes_are_kept_and_missing_ones_are_null() -> None:
    assert state("AS").census_2011_code == 18
    assert state("LA").census_2011_code is None  # created 2019
    assert state("TS").census_2011_code is None  # created 2014


@pytest.mark.django_db
def test_districts_carry_display_names_and_slugs() -> None:
    delhi = state("DL")
    assert set(delhi.districts.values_list("name", flat=True)) == DELHI_DISTRICTS
    new_delhi = district(79)
    assert (new_delhi.name, new_delhi.lgd_name, new_delhi.slug) == ("New Delhi", "NEW DELHI", "NEWDELHI")
    assert str(new_delhi) == "New Delhi (DL)"
    assert district(670).name == "South East"  # LGD spells this one in mixed case
    assert district(504).name == "Y.S.R."
    assert district(608).name == "S.A.S Nagar"
    assert district(379).name == "Janjgir-Champa"
    assert district(632).name == "North and Middle Andaman"
    assert district(618).slug == "KAMRUPMETRO"


@pytest.mark.parametrize(
    ("lgd", "shown"),
    [
        ("ANDAMAN AND NICOBAR ISLANDS", "Andaman and Nicobar Islands"),
        ("Y.S.R.", "Y.S.R."),
        ("JANJGIR-CHAMPA", "Janjgir-Champa"),
        ("THE NILGIRIS", "The Nilgiris"),
        ("AND THEN", "And Then"),
        ("  south   east  ", "South East"),
        ("DADRA AND NAGAR HAVELI AND DAMAN AND DIU", "Dadra and Nagar Haveli and Daman and Diu"),
    ],
)
def test_display_name(lgd: str, shown: str) -> None:
    assert display_name(lgd) == shown


def test_display_name_overrides_are_for_real_codes() -> None:
    assert set(DISPLAY_NAMES) <= set(SHORT_CODES.values())


# --- adjacency: the hand-written table ----------------------------------------------------------


def test_land_borders_cover_every_state_and_only_real_codes() -> None:
    codes = set(SHORT_CODES.values())
    assert set(LAND_BORDERS) == codes
    for a, neighbours in LAND_BORDERS.items():
        assert neighbours <= codes, (a, neighbours - codes)


def test_land_borders_are_symmetric_in_the_data() -> None:
    one_sided = [(a, b) for a, ns in LAND_BORDERS.items() for b in ns if a not in LAND_BORDERS[b]]
    assert one_sided == []


def test_no_state_borders_itself_in_the_data() -> None:
    assert [a for a, ns in LAND_BORDERS.items() if a in ns] == []


def test_foreign_borders_name_real_states_and_known_countries() -> None:
    assert set(FOREIGN_BORDERS) <= set(SHORT_CODES.values())
    for code, countries in FOREIGN_BORDERS.items():
        assert countries, code
        assert countries <= set(COUNTRIES), (code, countries)
    # every neighbouring country is reached from somewhere
    assert set().union(*FOREIGN_BORDERS.values()) == set(COUNTRIES)


def test_known_borders_in_the_data() -> None:
    assert "ML" in LAND_BORDERS["AS"]
    assert "AS" in LAND_BORDERS["ML"]
    assert LAND_BORDERS["DL"] == {"HR", "UP"}
    assert LAND_BORDERS["AN"] == set()
    assert LAND_BORDERS["LD"] == set()
    assert "AN" not in FOREIGN_BORDERS
    assert "LD" not in FOREIGN_BORDERS
    assert LAND_BORDERS["SK"] == {"WB"}
    assert FOREIGN_BORDERS["SK"] == {"China", "Nepal", "Bhutan"}
    assert "Bangladesh" in FOREIGN_BORDERS["WB"]
    assert "Pakistan" in FOREIGN_BORDERS["PB"]
    assert LAND_BORDERS["PY"] == {"TN", "KL", "AP"}  # Karaikal, Mahe and Yanam
    assert len(LAND_BORDERS["UP"]) == 9
    assert "Pakistan" not in FOREIGN_BORDERS["WB"]


# --- adjacency: the database --------------------------------------------------------------------


@pytest.mark.django_db
def test_state_border_rows_match_the_table() -> None:
    expected = {(a, b) for a, ns in LAND_BORDERS.items() for b in ns}
    assert border_pairs_in_db() == expected
    assert StateBorder.objects.count() == len(expected)


@pytest.mark.django_db
def test_state_borders_are_symmetric_in_the_database() -> None:
    pairs = border_pairs_in_db()
    assert pairs
    assert {(b, a) for a, b in pairs} == pairs


@pytest.mark.django_db
def test_no_self_border_in_the_database_and_the_constraint_refuses_one() -> None:
    assert [p for p in border_pairs_in_db() if p[0] == p[1]] == []
    delhi = state("DL")
    with pytest.raises(IntegrityError), transaction.atomic():
        StateBorder.objects.create(state=delhi, neighbour=delhi)


@pytest.mark.django_db
def test_foreign_border_rows_match_the_table() -> None:
    rows = set(ForeignBorder.objects.values_list("state__code", "country"))
    assert rows == {(code, c) for code, countries in FOREIGN_BORDERS.items() for c in countries}


@pytest.mark.django_db
def test_known_borders_in_the_database() -> None:
    pairs = border_pairs_in_db()
    assert ("AS", "ML") in pairs
    assert ("ML", "AS") in pairs
    assert {b for a, b in pairs if a == "DL"} == {"HR", "UP"}
    assert {b for a, b in pairs if a in {"AN", "LD"}} == set()
    assert {a for a, b in pairs if b in {"AN", "LD"}} == set()
    assert set(state("SK").foreign_borders.values_list("country", flat=True)) == {"China", "Nepal", "Bhutan"}
    assert state("WB").foreign_borders.filter(country="Bangladesh").exists()
    assert state("PB").foreign_borders.filter(country="Pakistan").exists()
    assert not state("AN").foreign_borders.exists()
    assert not state("DL").foreign_borders.exists()


@pytest.mark.django_db
def test_bordering_states() -> None:
    assert [s.code for s in state("DL").bordering_states()] == ["HR", "UP"]
    assert [s.code for s in state("SK").bordering_states()] == ["WB"]
    assert list(state("AN").bordering_states()) == []
    assert list(state("LD").bordering_states()) == []
    meghalaya = state("ML")
    assert meghalaya in state("AS").bordering_states()
    assert [s.name for s in state("CH").bordering_states()] == ["Haryana", "Punjab"]  # ordered by name


@pytest.mark.django_db
def test_bordering_states_agree_with_the_table_for_every_state() -> None:
    for s in State.objects.all():
        assert {n.code for n in s.bordering_states()} == LAND_BORDERS[s.code], s.code


# --- district actions ---------------------------------------------------------------------------


@pytest.fixture
def admin(user_named: Any) -> Any:
    return user_named("admin")


def audit_rows(action: str, **filters: Any) -> Any:
    return AuditEvent.objects.filter(action=action, **filters)


@pytest.mark.django_db
def test_add_district_creates_it_with_display_name_slug_and_audit_row(admin: Any) -> None:
    before = District.objects.count()
    d = actions.add_district(state("DL"), "  NEW TEST DISTRICT ", 99001, actor=admin)
    d = district(99001)
    assert District.objects.count() == before + 1
    assert (d.name, d.lgd_name, d.slug, d.state.code) == (
        "New Test District",
        "NEW TEST DISTRICT",
        "NEWTESTDISTRICT",
        "DL",
    )
    assert d.active and d.retired_at is None
    assert District.objects.active().filter(pk=d.pk).exists()
    row = audit_rows("district.create").get()
    assert row.outcome == "success"
    assert row.actor == admin
    assert row.object_type == "directory.district"
    assert row.object_id == str(d.pk)
    assert row.object_repr == "New Test District (DL)"


@pytest.mark.django_db
def test_add_district_with_a_taken_slug_gets_the_lgd_code_appended(admin: Any) -> None:
    d = actions.add_district(state("DL"), "NEW DELHI", 99002, actor=admin)
    assert d.slug == "NEWDELHI99002"
    assert district(79).slug == "NEWDELHI"
    # the same name in another State needs no suffix
    assert actions.add_district(state("HR"), "NEW DELHI", 99003, actor=admin).slug == "NEWDELHI"


@pytest.mark.django_db
def test_add_district_refuses_a_duplicate_lgd_code(admin: Any) -> None:
    before = District.objects.count()
    with pytest.raises(ValidationError) as exc:
        actions.add_district(state("HR"), "Somewhere", 79, actor=admin)
    assert "lgd_code" in exc.value.message_dict
    assert "79" in exc.value.message_dict["lgd_code"][0]
    assert District.objects.count() == before
    assert not audit_rows("district.create").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("lgd_code", [0, -1, -99001])
def test_add_district_refuses_a_code_that_is_not_positive(admin: Any, lgd_code: int) -> None:
    before = District.objects.count()
    with pytest.raises(ValidationError) as exc:
        actions.add_district(state("HR"), "Somewhere", lgd_code, actor=admin)
    assert "lgd_code" in exc.value.message_dict
    assert "positive" in exc.value.message_dict["lgd_code"][0]
    assert District.objects.count() == before
    assert not audit_rows("district.create").exists()


@pytest.mark.django_db
def test_add_district_refuses_an_empty_name(admin: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        actions.add_district(state("DL"), "   ", 99004, actor=admin)
    assert "name" in exc.value.message_dict
    assert not District.objects.filter(lgd_code=99004).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["dl.nodal", "dl.sho", "analyst"])
def test_add_district_is_refused_to_non_admins_with_a_denied_row(user_named: Any, username: str) -> None:
    user = user_named(username)
    with pytest.raises(PermissionDenied):
        actions.add_district(state("DL"), "Rogue District", 99005, actor=user)
    assert not District.objects.filter(lgd_code=99005).exists()
    row = audit_rows("district.create").get()
    assert row.outcome == "denied"
    assert row.actor == user
    assert row.actor_name == username


@pytest.mark.django_db
def test_rename_district_keeps_pk_slug_and_agency_codes(admin: Any) -> None:
    d = district(82)  # NORTH WEST, Delhi
    agency_codes = set(d.agencies.values_list("code", flat=True))
    assert "DL-NORTHWEST-DPO" in agency_codes
    actions.rename_district(d, "  Outer North West ", actor=admin)
    fresh = district(82)
    assert fresh.pk == d.pk
    assert fresh.name == "Outer North West"
    assert fresh.slug == "NORTHWEST"
    assert fresh.lgd_name == "NORTH WEST"
    assert set(fresh.agencies.values_list("code", flat=True)) == agency_codes
    assert Agency.objects.get(code="DL-NORTHWEST-DPO").district_id == d.pk
    row = audit_rows("district.rename").get()
    assert row.outcome == "success"
    assert row.actor == admin
    assert row.object_id == str(d.pk)
    assert row.detail == {"changes": {"name": ["North West", "Outer North West"]}}


@pytest.mark.django_db
def test_rename_district_refuses_an_empty_name(admin: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        actions.rename_district(district(82), "", actor=admin)
    assert "name" in exc.value.message_dict
    assert district(82).name == "North West"
    assert not audit_rows("district.rename").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["dl.nodal", "dl.sho"])
def test_rename_district_is_refused_to_non_admins(user_named: Any, username: str) -> None:
    user = user_named(username)
    d = district(79)
    with pytest.raises(PermissionDenied):
        actions.rename_district(d, "Lutyens", actor=user)
    assert district(79).name == "New Delhi"
    row = audit_rows("district.rename").get()
    assert row.outcome == "denied"
    assert row.actor == user
    assert row.object_id == str(d.pk)


@pytest.mark.django_db
def test_retire_district_with_successor(admin: Any) -> None:
    west, south_west = district(85), district(84)
    actions.retire_district(west, actor=admin, successor=south_west)
    fresh = district(85)
    assert fresh.retired_at == timezone.localdate()
    assert fresh.successor_id == south_west.pk
    assert not fresh.active
    assert list(south_west.predecessors.all()) == [fresh]
    # agencies keep pointing at it
    assert Agency.objects.get(code="DL-WEST-DPO").district_id == west.pk
    row = audit_rows("district.retire").get()
    assert row.outcome == "success"
    assert row.actor == admin
    assert row.object_id == str(west.pk)
    assert row.detail == {"successor": 84}


@pytest.mark.django_db
def test_retire_district_on_a_given_date_without_successor(admin: Any) -> None:
    actions.retire_district(district(85), actor=admin, on=date(2024, 1, 1))
    fresh = district(85)
    assert fresh.retired_at == date(2024, 1, 1)
    assert fresh.successor is None
    assert audit_rows("district.retire").get().detail == {"successor": None}


@pytest.mark.django_db
def test_retire_district_refuses_itself_as_successor(admin: Any) -> None:
    d = district(85)
    with pytest.raises(ValidationError) as exc:
        actions.retire_district(d, actor=admin, successor=district(85))
    assert "successor" in exc.value.message_dict
    assert district(85).retired_at is None
    assert not audit_rows("district.retire").exists()


@pytest.mark.django_db
def test_retire_district_refuses_a_retired_successor(admin: Any) -> None:
    actions.retire_district(district(84), actor=admin)
    with pytest.raises(ValidationError) as exc:
        actions.retire_district(district(85), actor=admin, successor=district(84))
    assert "successor" in exc.value.message_dict
    assert district(85).retired_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["dl.nodal", "dl.sho", "dl.sp"])
def test_retire_district_is_refused_to_non_admins(user_named: Any, username: str) -> None:
    user = user_named(username)
    with pytest.raises(PermissionDenied):
        actions.retire_district(district(85), actor=user)
    assert district(85).retired_at is None
    row = audit_rows("district.retire").get()
    assert row.outcome == "denied"
    assert row.actor == user


@pytest.mark.django_db
def test_retired_districts_leave_the_active_queryset(admin: Any) -> None:
    actions.retire_district(district(85), actor=admin)
    assert District.objects.active().count() == 738
    assert not District.objects.active().filter(lgd_code=85).exists()
    assert District.objects.filter(lgd_code=85).exists()
    assert state("DL").districts.active().count() == 10


def new_station(district_obj: District, code: str, *, active: bool = True) -> Agency:
    return Agency(
        code=code,
        name="Test Police Station",
        kind=AgencyKind.POLICE_STATION,
        state=district_obj.state,
        district=district_obj,
        parent=Agency.objects.get(code=f"DL-{district_obj.slug}-DPO"),
        active=active,
    )


@pytest.mark.django_db
def test_a_new_active_agency_in_a_retired_district_is_refused(admin: Any) -> None:
    actions.retire_district(district(85), actor=admin, successor=district(84))
    with pytest.raises(ValidationError) as exc:
        actions.save_agency(new_station(district(85), "DL-WEST-PS-099"), actor=admin)
    assert "district" in exc.value.message_dict
    assert "retired" in exc.value.message_dict["district"][0]
    assert not Agency.objects.filter(code="DL-WEST-PS-099").exists()


@pytest.mark.django_db
def test_an_agency_in_the_same_district_is_accepted_before_it_retires(admin: Any) -> None:
    actions.save_agency(new_station(district(85), "DL-WEST-PS-099"), actor=admin)
    assert Agency.objects.get(code="DL-WEST-PS-099").district.lgd_code == 85


@pytest.mark.django_db
def test_an_inactive_agency_may_still_name_a_retired_district(admin: Any) -> None:
    actions.retire_district(district(85), actor=admin)
    actions.save_agency(new_station(district(85), "DL-WEST-PS-098", active=False), actor=admin)
    assert Agency.objects.filter(code="DL-WEST-PS-098", active=False).exists()


# --- the geography API --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/geography/states", "/api/v1/geography/states/DL/districts"])
def test_geography_api_refuses_anonymous_callers(path: str) -> None:
    r = Client().get(path)
    assert r.status_code == 401
    assert r["Content-Type"].startswith(PROBLEM)
    assert r.json()["status"] == 401
    assert "Bearer" in r["WWW-Authenticate"]


@pytest.mark.django_db
def test_list_states(client_for: Any) -> None:
    r = client_for("dl.sho").get("/api/v1/geography/states")
    assert r.status_code == 200
    body = r.json()
    assert len(body) == 36
    assert [s["name"] for s in body] == sorted(s["name"] for s in body)
    by_code = {s["code"]: s for s in body}
    assert set(by_code) == set(SHORT_CODES.values())
    for code, entry in by_code.items():
        assert isinstance(entry["land_borders"], list)
        assert isinstance(entry["foreign_borders"], list)
        assert entry["land_borders"] == sorted(LAND_BORDERS[code])
        assert entry["foreign_borders"] == sorted(FOREIGN_BORDERS.get(code, set()))
    delhi = by_code["DL"]
    assert delhi == {
        "code": "DL",
        "lgd_code": 7,
        "name": "Delhi",
        "kind": "U",
        "kind_label": "Union Territory",
        "districts": 11,
        "land_borders": ["HR", "UP"],
        "foreign_borders": [],
    }
    assert by_code["AN"]["land_borders"] == [] and by_code["AN"]["foreign_borders"] == []
    assert "Bangladesh" in by_code["WB"]["foreign_borders"]
    assert by_code["SK"]["foreign_borders"] == ["Bhutan", "China", "Nepal"]
    assert by_code["AS"]["kind"] == "S"
    assert sum(s["districts"] for s in body) == 739


@pytest.mark.django_db
def test_list_states_query_count_does_not_grow_with_states(
    client_for: Any, django_assert_max_num_queries: Any
) -> None:
    client = client_for("dl.sho")
    with django_assert_max_num_queries(10):
        r = client.get("/api/v1/geography/states")
    assert r.status_code == 200


@pytest.mark.django_db
def test_list_states_counts_only_active_districts(client_for: Any, admin: Any) -> None:
    actions.retire_district(district(85), actor=admin)
    body = client_for("dl.sho").get("/api/v1/geography/states").json()
    assert {s["code"]: s["districts"] for s in body}["DL"] == 10


@pytest.mark.django_db
def test_list_delhi_districts(client_for: Any) -> None:
    r = client_for("dl.sho").get("/api/v1/geography/states/DL/districts")
    assert r.status_code == 200
    body = r.json()
    assert len(body) == 11
    assert {d["name"] for d in body} == DELHI_DISTRICTS
    assert [d["name"] for d in body] == sorted(d["name"] for d in body)
    new_delhi = next(d for d in body if d["lgd_code"] == 79)
    assert new_delhi == {
        "lgd_code": 79,
        "name": "New Delhi",
        "lgd_name": "NEW DELHI",
        "state": "DL",
        "active": True,
        "retired_at": None,
        "successor": None,
    }


@pytest.mark.django_db
def test_list_districts_accepts_a_lower_case_code(client_for: Any) -> None:
    client = client_for("as.sho")
    upper = client.get("/api/v1/geography/states/AS/districts").json()
    lower = client.get("/api/v1/geography/states/as/districts")
    assert lower.status_code == 200
    assert lower.json() == upper
    assert len(upper) == 34
    assert {d["state"] for d in upper} == {"AS"}


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["ZZ", "XX", "DLX", "7"])
def test_list_districts_of_an_unknown_state_is_a_404_problem(client_for: Any, code: str) -> None:
    r = client_for("dl.sho").get(f"/api/v1/geography/states/{code}/districts")
    assert r.status_code == 404
    assert r["Content-Type"].startswith(PROBLEM)
    assert r.json()["status"] == 404


@pytest.mark.django_db
def test_retired_districts_are_listed_only_when_asked(client_for: Any, admin: Any) -> None:
    actions.retire_district(district(85), actor=admin, successor=district(84), on=date(2024, 3, 31))
    client = client_for("dl.sho")
    default = client.get("/api/v1/geography/states/DL/districts").json()
    assert len(default) == 10
    assert 85 not in {d["lgd_code"] for d in default}
    explicit_false = client.get("/api/v1/geography/states/DL/districts?include_retired=false").json()
    assert explicit_false == default
    everything = client.get("/api/v1/geography/states/DL/districts?include_retired=true").json()
    assert len(everything) == 11
    west = next(d for d in everything if d["lgd_code"] == 85)
    assert west["active"] is False
    assert west["retired_at"] == "2024-03-31"
    assert west["successor"] == 84


@pytest.mark.django_db
def test_geography_api_answers_an_api_key(api_key_for: Any) -> None:
    raw = api_key_for("AS-HQ")
    r = Client().get("/api/v1/geography/states/ML/districts", headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 200
    assert {d["state"] for d in r.json()} == {"ML"}
    assert len(r.json()) == District.objects.filter(state__code="ML").count() > 0
