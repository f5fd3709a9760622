"""The directory endpoints: listing and filtering agencies with keyset paging, reading one,
creating and changing agencies, geography, `me` and the OpenAPI document."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext

from crimac.audit.models import AuditEvent
from crimac.directory.models import Agency, District, State

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture
def nodal(client_for: Any) -> Client:
    return client_for("dl.nodal")


def call(client: Client, method: str, url: str, data: Any) -> Any:
    return getattr(client, method)(url, data=json.dumps(data), content_type="application/json")


def walk(client: Client, url: str, max_pages: int = 1000) -> tuple[list[str], list[dict[str, Any]]]:
    """Follow `next` from `url` until it is None; return every code seen and every page."""
    codes: list[str] = []
    pages: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url is not None:
        r = client.get(next_url)
        assert r.status_code == 200, r.content[:500]
        page = r.json()
        pages.append(page)
        codes += [a["code"] for a in page["results"]]
        next_url = page["next"]
        assert len(pages) <= max_pages, "paging does not end"
    return codes, pages


def field_errors(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 422, response.content[:500]
    assert response["Content-Type"] == PROBLEM
    out: dict[str, list[str]] = {}
    for err in response.json()["errors"]:
        assert err["pointer"] == "#/" + err["field"].replace(".", "/")
        out.setdefault(err["field"], []).append(err["message"])
    return out


def district(state: str, slug: str) -> District:
    return District.objects.get(state__code=state, slug=slug)


def station(**overrides: Any) -> dict[str, Any]:
    data = {
        "code": "DL-NEWDELHI-PS-900",
        "name": "Chanakyapuri Police Station",
        "kind": "police_station",
        "parent": "DL-NEWDELHI-DPO",
        "state": "DL",
        "district": district("DL", "NEWDELHI").lgd_code,
        "latitude": "28.59700",
        "longitude": "77.18700",
        "contact_phone": "+91 11 2301 2345",
        "contact_email": "ps-chanakyapuri@police.example",
    }
    data.update(overrides)
    return data


# --- filters -------------------------------------------------------------------------------------


def test_kind_and_state_filter_gives_only_that_states_stations(nodal: Client) -> None:
    codes, pages = walk(nodal, "/api/v1/agencies?kind=police_station&state=DL&limit=5")
    expected = set(
        Agency.objects.filter(kind="police_station", state__code="DL").values_list("code", flat=True)
    )
    assert len(expected) == 22
    assert set(codes) == expected
    assert len(codes) == len(expected)
    assert all(p["count"] == 22 for p in pages)
    for a in (a for p in pages for a in p["results"]):
        assert a["kind"] == "police_station"
        assert a["state"]["code"] == "DL"
        assert a["district"]["lgd_code"] in set(
            District.objects.filter(state__code="DL").values_list("lgd_code", flat=True)
        )


def test_state_filter_is_case_insensitive(nodal: Client) -> None:
    upper = nodal.get("/api/v1/agencies?state=DL&limit=500").json()
    lower = nodal.get("/api/v1/agencies?state=dl&limit=500").json()
    assert upper == lower
    assert upper["count"] == Agency.objects.filter(state__code="DL").count()


def test_repeated_kind_gives_either_kind(nodal: Client) -> None:
    r = nodal.get("/api/v1/agencies?kind=police_station&kind=ahtu&state=DL&limit=500")
    assert r.status_code == 200
    page = r.json()
    expected = Agency.objects.filter(kind__in=["police_station", "ahtu"], state__code="DL")
    assert page["count"] == expected.count() == 33
    assert {a["kind"] for a in page["results"]} == {"police_station", "ahtu"}
    assert sorted(a["code"] for a in page["results"]) == sorted(expected.values_list("code", flat=True))
    assert page["next"] is None


def test_next_link_keeps_every_repeated_kind(nodal: Client) -> None:
    codes, pages = walk(nodal, "/api/v1/agencies?kind=police_station&kind=ahtu&state=DL&limit=5")
    expected = Agency.objects.filter(kind__in=["police_station", "ahtu"], state__code="DL")
    assert parse_qs(urlsplit(pages[0]["next"]).query)["kind"] == ["police_station", "ahtu"]
    assert sorted(codes) == sorted(expected.values_list("code", flat=True))
    assert {p["count"] for p in pages} == {33}


def test_next_link_keeps_single_filters(nodal: Client) -> None:
    first = nodal.get("/api/v1/agencies?state=AS&kind=police_station&q=police&limit=3").json()
    query = parse_qs(urlsplit(first["next"]).query)
    assert query["state"] == ["AS"]
    assert query["kind"] == ["police_station"]
    assert query["q"] == ["police"]
    assert query["limit"] == ["3"]
    assert "cursor" in query


@pytest.mark.parametrize("ref", ["DL-NEWDELHI-DPO", "dl-newdelhi-dpo", "ID"])
def test_parent_filter_by_code_or_id(nodal: Client, ref: str) -> None:
    dpo = Agency.objects.get(code="DL-NEWDELHI-DPO")
    ref = str(dpo.pk) if ref == "ID" else ref
    page = nodal.get(f"/api/v1/agencies?parent={ref}&limit=500").json()
    expected = set(dpo.children.values_list("code", flat=True))
    assert expected == {
        "DL-NEWDELHI-AHTU",
        "DL-NEWDELHI-DCR",
        "DL-NEWDELHI-PS-001",
        "DL-NEWDELHI-PS-002",
    }
    assert {a["code"] for a in page["results"]} == expected
    assert page["count"] == 4
    assert all(a["parent"] == {"id": dpo.pk, "code": dpo.code, "name": dpo.name} for a in page["results"])


def test_district_filter_by_lgd_code(nodal: Client) -> None:
    new_delhi = district("DL", "NEWDELHI")
    page = nodal.get(f"/api/v1/agencies?district={new_delhi.lgd_code}&limit=500").json()
    expected = set(Agency.objects.filter(district=new_delhi).values_list("code", flat=True))
    assert len(expected) == 5
    assert {a["code"] for a in page["results"]} == expected
    assert {a["district"]["lgd_code"] for a in page["results"]} == {new_delhi.lgd_code}


@pytest.mark.parametrize("q", ["kotwali", "KOTWALI delhi", "ahtu kamrup", "dl-hq", "police station sadar"])
def test_q_matches_every_word_in_name_or_code(nodal: Client, q: str) -> None:
    codes, _ = walk(nodal, f"/api/v1/agencies?q={q.replace(' ', '+')}&limit=500")
    qs = Agency.objects.all()
    for word in q.split():
        qs = qs.filter(Q(name__icontains=word) | Q(code__icontains=word))
    expected = sorted(qs.values_list("code", flat=True))
    assert expected, f"{q!r} should match something in the demo directory"
    assert sorted(codes) == expected


def test_q_that_matches_nothing_is_an_empty_page(nodal: Client) -> None:
    page = nodal.get("/api/v1/agencies?q=zzqqxx").json()
    assert page == {"count": 0, "next": None, "results": []}


def test_active_filter(nodal: Client) -> None:
    Agency.objects.filter(code__in=["DL-NEWDELHI-PS-002", "AS-CR"]).update(active=False)
    inactive = nodal.get("/api/v1/agencies?active=false").json()
    assert sorted(a["code"] for a in inactive["results"]) == ["AS-CR", "DL-NEWDELHI-PS-002"]
    assert all(a["active"] is False for a in inactive["results"])
    active = nodal.get("/api/v1/agencies?active=true&state=DL&limit=500").json()
    assert active["count"] == Agency.objects.filter(state__code="DL").count() - 1
    assert "DL-NEWDELHI-PS-002" not in {a["code"] for a in active["results"]}


def test_filters_combine(nodal: Client) -> None:
    new_delhi = district("DL", "NEWDELHI")
    page = nodal.get(
        f"/api/v1/agencies?state=DL&district={new_delhi.lgd_code}&parent=DL-NEWDELHI-DPO&kind=police_station"
    ).json()
    assert [a["code"] for a in page["results"]] == ["DL-NEWDELHI-PS-001", "DL-NEWDELHI-PS-002"]


# --- keyset paging -------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [500, 173])
def test_paging_through_everything_sees_every_agency_once(nodal: Client, limit: int) -> None:
    codes, pages = walk(nodal, f"/api/v1/agencies?limit={limit}")
    everything = list(Agency.objects.order_by("code").values_list("code", flat=True))
    assert len(codes) == len(set(codes)), "an agency appeared on two pages"
    assert set(codes) == set(everything)
    assert codes == sorted(codes) == everything
    assert {p["count"] for p in pages} == {len(everything)}
    assert all(len(p["results"]) == limit for p in pages[:-1])
    assert 1 <= len(pages[-1]["results"]) <= limit
    assert len(pages) == -(-len(everything) // limit)


def test_default_page_size_is_100(nodal: Client) -> None:
    page = nodal.get("/api/v1/agencies").json()
    assert len(page["results"]) == 100
    assert page["count"] == Agency.objects.count()
    assert parse_qs(urlsplit(page["next"]).query)["limit"] == ["100"]


def test_last_page_has_no_next(nodal: Client) -> None:
    total = Agency.objects.count()
    page = nodal.get(f"/api/v1/agencies?limit={min(total, 500)}&q=DL-NEWDELHI").json()
    assert page["next"] is None
    assert page["count"] == len(page["results"]) == 5


def test_exactly_full_page_has_no_next(nodal: Client) -> None:
    page = nodal.get("/api/v1/agencies?parent=DL-NEWDELHI-DPO&limit=4").json()
    assert len(page["results"]) == 4
    assert page["next"] is None


def test_paging_is_stable_while_agencies_are_added(nodal: Client) -> None:
    url = "/api/v1/agencies?state=DL&limit=10"
    first = nodal.get(url).json()
    before = set(Agency.objects.filter(state__code="DL").values_list("code", flat=True))
    dl = State.objects.get(code="DL")
    hq = Agency.objects.get(code="DL-HQ")
    # One agency sorts before the cursor (already passed), one after it (still to come).
    Agency.objects.create(code="DL-AAA-STF", name="Early", kind="stf", state=dl, parent=hq, path="/x/")
    Agency.objects.create(code="DL-ZZZ-STF", name="Late", kind="stf", state=dl, parent=hq, path="/y/")
    rest, _ = walk(nodal, first["next"])
    codes = [a["code"] for a in first["results"]] + rest
    assert len(codes) == len(set(codes))
    assert before <= set(codes)
    assert "DL-ZZZ-STF" in codes
    assert "DL-AAA-STF" not in codes


def test_count_is_of_the_whole_filtered_set_not_the_page(nodal: Client) -> None:
    page = nodal.get("/api/v1/agencies?kind=state_hq&limit=7").json()
    assert page["count"] == State.objects.count() == 36
    assert len(page["results"]) == 7


@pytest.mark.parametrize("client_kind", ["session", "bearer"])
def test_list_query_count_does_not_grow_with_the_page(
    client_for: Any,
    client: Client,
    api_key_for: Any,
    django_assert_max_num_queries: Any,
    client_kind: str,
) -> None:
    if client_kind == "session":
        c, extra = client_for("dl.nodal"), {}
    else:
        c, extra = client, {"HTTP_AUTHORIZATION": f"Bearer {api_key_for('DL-HQ')}"}
        c.get("/api/v1/me", **extra)  # the first use writes last_used_at; measure later ones
    with CaptureQueriesContext(connection) as small:
        r = c.get("/api/v1/agencies?limit=10", **extra)
    assert r.status_code == 200 and len(r.json()["results"]) == 10
    assert len(small) <= 6, [q["sql"] for q in small.captured_queries]
    with django_assert_max_num_queries(len(small)):
        r = c.get("/api/v1/agencies?limit=200", **extra)
    assert r.status_code == 200 and len(r.json()["results"]) == 200
    with django_assert_max_num_queries(len(small)):
        r = c.get(r.json()["next"], **extra)
    assert r.status_code == 200 and r.json()["results"][0]["parent"] is not None


def test_filtered_list_query_count_does_not_grow_with_the_page(
    nodal: Client, django_assert_max_num_queries: Any
) -> None:
    url = "/api/v1/agencies?state=DL&kind=police_station&kind=ahtu&parent=DL-NEWDELHI-DPO"
    with CaptureQueriesContext(connection) as small:
        assert nodal.get(url + "&limit=1").status_code == 200
    with django_assert_max_num_queries(len(small)):
        assert len(nodal.get(url + "&limit=500").json()["results"]) == 3


def test_geography_query_counts_are_flat(nodal: Client, django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(6):
        assert len(nodal.get("/api/v1/geography/states").json()) == 36
    with CaptureQueriesContext(connection) as small:
        assert nodal.get("/api/v1/geography/states/CH/districts").status_code == 200
    with django_assert_max_num_queries(len(small)):
        assert len(nodal.get("/api/v1/geography/states/UP/districts").json()) > 70


def test_apikey_list_query_count_does_not_grow_with_keys(
    nodal: Client, api_key_for: Any, django_assert_max_num_queries: Any
) -> None:
    api_key_for("DL-HQ")
    with CaptureQueriesContext(connection) as one:
        assert len(nodal.get("/api/v1/apikeys").json()) == 1
    for code in ["DL-CR", "DL-ATS", "DL-STF", "DL-NEWDELHI-PS-001", "DL-NEWDELHI-PS-002"]:
        api_key_for(code)
    with django_assert_max_num_queries(len(one)):
        assert len(nodal.get("/api/v1/apikeys").json()) == 6


# --- one agency ----------------------------------------------------------------------------------


def test_get_by_id_and_by_code_are_the_same(nodal: Client) -> None:
    agency = Agency.objects.select_related("parent", "state", "district").get(code="DL-NEWDELHI-PS-001")
    by_code = nodal.get("/api/v1/agencies/DL-NEWDELHI-PS-001")
    by_lower = nodal.get("/api/v1/agencies/dl-newdelhi-ps-001")
    by_id = nodal.get(f"/api/v1/agencies/{agency.pk}")
    assert by_code.status_code == by_id.status_code == by_lower.status_code == 200
    assert by_code.json() == by_id.json() == by_lower.json()
    body = by_code.json()
    assert body["id"] == agency.pk
    assert body["kind"] == "police_station"
    assert body["kind_label"] == "Police station"
    assert body["parent"] == {"id": agency.parent.pk, "code": "DL-NEWDELHI-DPO", "name": agency.parent.name}
    assert body["state"] == {"code": "DL", "name": agency.state.name}
    assert body["district"] == {"lgd_code": agency.district.lgd_code, "name": agency.district.name}
    assert body["contact_phone"] == agency.contact_phone
    assert body["active"] is True


def test_national_agency_has_no_state_or_district(nodal: Client) -> None:
    body = nodal.get("/api/v1/agencies/CBI").json()
    assert body["state"] is None and body["district"] is None
    assert body["parent"]["code"] == "MHA"


def test_api_key_may_read_an_agency(client: Client, api_key_for: Any) -> None:
    raw = api_key_for("AS-HQ")
    r = client.get("/api/v1/agencies/DL-HQ", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 200
    assert r.json()["code"] == "DL-HQ"


# --- create --------------------------------------------------------------------------------------


def test_nodal_officer_creates_a_station(nodal: Client) -> None:
    events_before = AuditEvent.objects.filter(action="agency.create").count()
    r = call(nodal, "post", "/api/v1/agencies", station(code="dl-newdelhi-ps-900"))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["code"] == "DL-NEWDELHI-PS-900"
    assert body["parent"]["code"] == "DL-NEWDELHI-DPO"
    assert body["state"]["code"] == "DL"
    assert body["district"]["lgd_code"] == district("DL", "NEWDELHI").lgd_code
    assert body["latitude"] == pytest.approx(28.597)
    assert body["longitude"] == pytest.approx(77.187)
    assert body["active"] is True

    created = Agency.objects.get(code="DL-NEWDELHI-PS-900")
    dpo = Agency.objects.get(code="DL-NEWDELHI-DPO")
    assert created.pk == body["id"]
    assert created.path == f"{dpo.path}{created.pk}/"
    assert created.depth == dpo.depth + 1
    assert nodal.get(f"/api/v1/agencies/{created.pk}").json() == body

    assert AuditEvent.objects.filter(action="agency.create").count() == events_before + 1
    audit = AuditEvent.objects.get(action="agency.create", object_id=str(created.pk))
    assert audit.actor_name == "dl.nodal"
    assert audit.via == "api"
    assert audit.detail["changes"]["code"] == [None, "DL-NEWDELHI-PS-900"]


def test_created_station_shows_in_the_list(nodal: Client) -> None:
    assert call(nodal, "post", "/api/v1/agencies", station()).status_code == 201
    page = nodal.get("/api/v1/agencies?parent=DL-NEWDELHI-DPO&kind=police_station").json()
    assert [a["code"] for a in page["results"]] == [
        "DL-NEWDELHI-PS-001",
        "DL-NEWDELHI-PS-002",
        "DL-NEWDELHI-PS-900",
    ]


BAD_CREATES = [
    pytest.param(
        lambda: station(district=district("AS", "KAMRUPMETRO").lgd_code),
        "district",
        "not in Delhi",
        id="district-in-another-state",
    ),
    pytest.param(
        lambda: station(parent="DL-CENTRAL-DPO"), "parent", "another district", id="parent-elsewhere"
    ),
    pytest.param(lambda: station(state="ZZ"), "state", "ZZ", id="unknown-state"),
    pytest.param(lambda: station(district=999999), "district", "999999", id="unknown-district"),
    pytest.param(lambda: station(parent="NO-SUCH-DPO"), "parent", "NO-SUCH-DPO", id="unknown-parent"),
    pytest.param(lambda: station(code="DL-NEWDELHI-PS-001"), "code", "already used", id="duplicate-code"),
    pytest.param(lambda: station(code="dl-newdelhi-ps-001"), "code", "already used", id="duplicate-lower"),
    pytest.param(lambda: station(code="DL NEWDELHI PS 9"), "code", "upper-case", id="bad-code"),
    pytest.param(lambda: station(kind="precinct"), "kind", "police_station", id="unknown-kind"),
    pytest.param(lambda: station(latitude="45.00000"), "latitude", "India", id="latitude-outside-india"),
    pytest.param(lambda: station(longitude=None), "latitude", "both", id="half-a-position"),
    pytest.param(lambda: station(parent="DL-HQ"), "parent", "district", id="station-under-hq"),
    pytest.param(lambda: station(name=""), "name", "at least 1", id="empty-name"),
    pytest.param(
        lambda: {k: v for k, v in station().items() if k != "code"}, "code", "required", id="no-code"
    ),
]


@pytest.mark.parametrize(("payload", "field", "in_message"), BAD_CREATES)
def test_bad_create_is_a_422_naming_the_field_and_writes_nothing(
    nodal: Client, payload: Any, field: str, in_message: str
) -> None:
    agencies = sorted(Agency.objects.values_list("code", "name", "path"))
    events = AuditEvent.objects.count()
    errors = field_errors(call(nodal, "post", "/api/v1/agencies", payload()))
    assert field in errors, errors
    assert any(in_message in m for m in errors[field]), errors
    assert sorted(Agency.objects.values_list("code", "name", "path")) == agencies
    assert AuditEvent.objects.count() == events


def test_every_geography_problem_is_reported_at_once(nodal: Client) -> None:
    payload = station(district=district("AS", "KAMRUPMETRO").lgd_code, latitude="45.00000")
    errors = field_errors(call(nodal, "post", "/api/v1/agencies", payload))
    assert {"district", "parent", "latitude"} <= set(errors)


# --- change --------------------------------------------------------------------------------------


def test_patch_changes_the_name_and_writes_an_audit_row(nodal: Client) -> None:
    agency = Agency.objects.get(code="DL-NEWDELHI-PS-001")
    old_name = agency.name
    r = call(
        nodal, "patch", "/api/v1/agencies/DL-NEWDELHI-PS-001", {"name": "Parliament Street Police Station"}
    )
    assert r.status_code == 200, r.content
    assert r.json()["name"] == "Parliament Street Police Station"
    assert r.json()["code"] == "DL-NEWDELHI-PS-001"
    agency.refresh_from_db()
    assert agency.name == "Parliament Street Police Station"
    audit = AuditEvent.objects.get(action="agency.update", object_id=str(agency.pk))
    assert audit.outcome == "success"
    assert audit.actor_name == "dl.nodal"
    assert audit.agency_code == "DL-HQ"
    assert audit.detail == {"changes": {"name": [old_name, "Parliament Street Police Station"]}}


def test_patch_by_id_leaves_other_fields_alone(nodal: Client) -> None:
    agency = Agency.objects.get(code="DL-NEWDELHI-PS-002")
    before = nodal.get(f"/api/v1/agencies/{agency.pk}").json()
    r = call(nodal, "patch", f"/api/v1/agencies/{agency.pk}", {"contact_phone": "+91 11 1234 5678"})
    assert r.status_code == 200
    assert r.json() == {**before, "contact_phone": "+91 11 1234 5678"}


def test_patch_moving_under_another_parent_updates_the_path(nodal: Client) -> None:
    dcr = Agency.objects.get(code="DL-NEWDELHI-DCR")
    r = call(nodal, "patch", "/api/v1/agencies/DL-NEWDELHI-PS-002", {"parent": "DL-NEWDELHI-DCR"})
    assert r.status_code == 200, r.content
    assert r.json()["parent"]["code"] == "DL-NEWDELHI-DCR"
    moved = Agency.objects.get(code="DL-NEWDELHI-PS-002")
    assert moved.path == f"{dcr.path}{moved.pk}/"
    assert moved.depth == dcr.depth + 1


def test_bad_patch_is_a_422_and_changes_nothing(nodal: Client) -> None:
    before = Agency.objects.get(code="DL-NEWDELHI-PS-001")
    events = AuditEvent.objects.count()
    r = call(
        nodal, "patch", "/api/v1/agencies/DL-NEWDELHI-PS-001", {"name": "Renamed", "parent": "DL-CENTRAL-DPO"}
    )
    assert "parent" in field_errors(r)
    after = Agency.objects.get(code="DL-NEWDELHI-PS-001")
    assert (after.name, after.parent_id, after.path) == (before.name, before.parent_id, before.path)
    assert AuditEvent.objects.count() == events


def test_patch_with_no_change_still_answers(nodal: Client) -> None:
    before = nodal.get("/api/v1/agencies/DL-HQ").json()
    r = call(nodal, "patch", "/api/v1/agencies/DL-HQ", {})
    assert r.status_code == 200
    assert r.json() == before


# --- geography -----------------------------------------------------------------------------------


def test_states_with_their_borders(nodal: Client) -> None:
    states = nodal.get("/api/v1/geography/states").json()
    assert len(states) == 36
    by_code = {s["code"]: s for s in states}
    assert by_code["DL"]["land_borders"] == ["HR", "UP"]
    assert by_code["DL"]["foreign_borders"] == []
    assert by_code["AS"]["foreign_borders"] == ["Bangladesh", "Bhutan"]
    assert by_code["DL"]["districts"] == 11
    assert by_code["DL"]["kind"] == "U"
    assert [s["name"] for s in states] == sorted(s["name"] for s in states)


def test_districts_of_a_state(nodal: Client) -> None:
    districts = nodal.get("/api/v1/geography/states/dl/districts").json()
    assert len(districts) == 11
    new_delhi = district("DL", "NEWDELHI")
    (row,) = [d for d in districts if d["lgd_code"] == new_delhi.lgd_code]
    assert row == {
        "lgd_code": new_delhi.lgd_code,
        "name": new_delhi.name,
        "lgd_name": new_delhi.lgd_name,
        "state": "DL",
        "active": True,
        "retired_at": None,
        "successor": None,
    }


def test_retired_districts_only_on_request(nodal: Client) -> None:
    from datetime import date

    old = district("DL", "SHAHDARA")
    successor = district("DL", "EAST")
    District.objects.filter(pk=old.pk).update(retired_at=date(2024, 1, 1), successor=successor)
    current = nodal.get("/api/v1/geography/states/DL/districts").json()
    assert old.lgd_code not in {d["lgd_code"] for d in current}
    everything = nodal.get("/api/v1/geography/states/DL/districts?include_retired=true").json()
    (row,) = [d for d in everything if d["lgd_code"] == old.lgd_code]
    assert row["active"] is False
    assert row["retired_at"] == "2024-01-01"
    assert row["successor"] == successor.lgd_code


# --- me ------------------------------------------------------------------------------------------


def test_me_for_a_nodal_officer_lists_permissions_with_scopes(nodal: Client) -> None:
    me = nodal.get("/api/v1/me").json()
    assert me["username"] == "dl.nodal"
    assert me["is_system"] is False
    assert me["role"] == "nodal_officer"
    assert me["role_label"] == "State nodal officer"
    assert me["agency"]["code"] == "DL-HQ"
    assert me["permissions"] == {
        "view_directory": "national",
        "open_admin": "state",
        "manage_agencies": "state",
        "manage_users": "state",
        "manage_api_keys": "state",
        "manage_channels": "state",
        "view_audit": "state",
        "post_alert": "agency",
        "acknowledge": "subtree",
        "revise_alert": "subtree",
        "view_oversight": "state",
    }


@pytest.mark.parametrize(
    ("username", "permissions"),
    [
        ("dl.sho", {"view_directory": "national", "post_alert": "agency", "acknowledge": "agency"}),
        (
            "analyst",
            {"view_directory": "national", "view_all_alerts": "national", "view_oversight": "national"},
        ),
        ("dl.analyst", {"view_directory": "national", "view_all_alerts": "state", "view_oversight": "state"}),
    ],
)
def test_me_permissions_per_role(client_for: Any, username: str, permissions: dict[str, str]) -> None:
    me = client_for(username).get("/api/v1/me").json()
    assert me["permissions"] == permissions


def test_me_for_the_administrator_is_national_everywhere(client_for: Any) -> None:
    me = client_for("admin").get("/api/v1/me").json()
    assert me["agency"]["code"] == "NCRB"
    assert len(me["permissions"]) == 13
    assert set(me["permissions"].values()) == {"national"}


# --- OpenAPI -------------------------------------------------------------------------------------


def test_openapi_document_describes_every_endpoint(client: Client) -> None:
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/json")
    spec = json.loads(r.content)
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "crimac API"
    paths = spec["paths"]
    expected = {
        "/api/v1/agencies": {"get", "post"},
        "/api/v1/agencies/{ref}": {"get", "patch"},
        "/api/v1/geography/states": {"get"},
        "/api/v1/geography/states/{code}/districts": {"get"},
        "/api/v1/me": {"get"},
        "/api/v1/apikeys": {"get", "post"},
        "/api/v1/apikeys/{key_id}": {"delete"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    params = {p["name"] for p in paths["/api/v1/agencies"]["get"]["parameters"]}
    assert {"kind", "state", "district", "parent", "active", "q", "limit", "cursor"} <= params
    schemes = spec["components"]["securitySchemes"]
    assert any(s.get("scheme", "").lower() == "bearer" for s in schemes.values())
    for path, methods in expected.items():
        for method in methods:
            assert paths[path][method].get("security"), f"{method} {path} declares no security"
