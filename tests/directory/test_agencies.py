"""Agencies: `validation.check_agency`, `actions.save_agency`, `actions.bulk_create_agencies` and the
hierarchy helpers (`subtree`, `ancestors`, `is_within`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crimac.audit.models import AuditEvent
from crimac.directory import actions
from crimac.directory.actions import AUDITED_AGENCY_FIELDS
from crimac.directory.choices import NATIONAL_KINDS, AgencyKind
from crimac.directory.models import Agency, District
from crimac.directory.validation import check_agency

pytestmark = pytest.mark.django_db

K = AgencyKind
NEW_CODE = "DL-NEWDELHI-PS-901"


def ag(code: str) -> Agency:
    return Agency.objects.select_related("parent", "state", "district").get(code=code)


def district(state_code: str, slug: str) -> District:
    return District.objects.select_related("state").get(state__code=state_code, slug=slug)


def new_station(code: str = NEW_CODE, parent: str = "DL-NEWDELHI-DPO", **fields: Any) -> Agency:
    """An unsaved police station under `parent`, in the parent's State and district."""
    office = ag(parent)
    values: dict[str, Any] = {
        "code": code,
        "name": "Test Police Station",
        "kind": K.POLICE_STATION,
        "parent": office,
        "state": office.state,
        "district": office.district,
    }
    values.update(fields)
    return Agency(**values)


def errors_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def audit_rows(action: str, **filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, **filters))


def assert_refused(agency: Agency, actor: Any, *fields: str) -> dict[str, list[str]]:
    """`save_agency` refuses with a ValidationError on `fields` and writes nothing."""
    agencies, events = Agency.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        actions.save_agency(agency, actor=actor)
    errors = errors_of(excinfo)
    for field in fields:
        assert field in errors, errors
    assert Agency.objects.count() == agencies
    assert AuditEvent.objects.count() == events
    return errors


def assert_paths_consistent() -> None:
    """Every agency's `path`/`depth` follows from its parent's."""
    by_id = {a.pk: a for a in Agency.objects.all()}
    for a in by_id.values():
        if a.parent_id is None:
            expected = (f"/{a.pk}/", 0)
        else:
            parent = by_id[a.parent_id]
            expected = (f"{parent.path}{a.pk}/", parent.depth + 1)
        assert (a.path, a.depth) == expected, a.code


@pytest.fixture
def admin(user_named: Any) -> Any:
    return user_named("admin")


# --- check_agency: geography against kind and parent ----------------------------------------------


def test_a_well_formed_station_passes() -> None:
    check_agency(new_station())


def test_demo_directory_passes_its_own_rules() -> None:
    for agency in Agency.objects.select_related("parent", "state", "district").filter(code__startswith="DL-"):
        check_agency(agency)
    assert_paths_consistent()


def test_station_whose_district_is_in_another_state_is_refused(admin: Any) -> None:
    kamrup = district("AS", "KAMRUPMETRO")
    station = new_station(district=kamrup)
    errors = assert_refused(station, admin, "district")
    assert any("Kamrup Metro is in Assam, not in Delhi" in m for m in errors["district"])


def test_station_under_another_districts_office_is_refused(admin: Any) -> None:
    station = new_station(district=district("DL", "EAST"))
    errors = assert_refused(station, admin, "parent")
    assert "district" not in errors, "East is a Delhi district; only the parent is wrong"
    assert any("DL-NEWDELHI-DPO belongs to another district" in m for m in errors["parent"])


def test_station_directly_under_the_state_hq_is_refused(admin: Any) -> None:
    station = new_station(parent="DL-HQ", district=district("DL", "NEWDELHI"))
    errors = assert_refused(station, admin, "parent")
    assert errors["parent"] == ["a police station reports to a district police office"]


def test_station_under_a_district_control_room_is_allowed() -> None:
    check_agency(new_station(parent="DL-NEWDELHI-DCR"))


def test_district_office_under_another_states_hq_is_refused(admin: Any) -> None:
    dpo = Agency(
        code="DL-NEWDELHI-DPO2",
        name="Second office",
        kind=K.DISTRICT_OFFICE,
        parent=ag("AS-HQ"),
        state=ag("DL-HQ").state,
        district=district("DL", "NEWDELHI"),
    )
    errors = assert_refused(dpo, admin, "parent")
    assert any("AS-HQ belongs to another State" in m for m in errors["parent"])


def test_district_office_without_a_parent_is_refused(admin: Any) -> None:
    dpo = Agency(
        code="DL-NEWDELHI-DPO2",
        name="Orphan office",
        kind=K.DISTRICT_OFFICE,
        state=ag("DL-HQ").state,
        district=district("DL", "NEWDELHI"),
    )
    assert_refused(dpo, admin, "parent")


def test_district_kinds_need_a_district_and_state_kinds_refuse_one(admin: Any) -> None:
    station = new_station(district=None)
    assert_refused(station, admin, "district")
    control_room = Agency(
        code="DL-CR2",
        name="Second control room",
        kind=K.STATE_CONTROL_ROOM,
        parent=ag("DL-HQ"),
        state=ag("DL-HQ").state,
        district=district("DL", "NEWDELHI"),
    )
    assert_refused(control_room, admin, "district")


def test_state_level_office_under_a_district_office_is_refused(admin: Any) -> None:
    control_room = Agency(
        code="DL-CR2",
        name="Second control room",
        kind=K.STATE_CONTROL_ROOM,
        parent=ag("DL-NEWDELHI-DPO"),
        state=ag("DL-HQ").state,
    )
    errors = assert_refused(control_room, admin, "parent")
    assert any("State-level office reports to the State headquarters" in m for m in errors["parent"])


@pytest.mark.parametrize("kind", sorted(NATIONAL_KINDS))
def test_national_kinds_refuse_a_state(admin: Any, kind: str) -> None:
    agency = Agency(
        code="XCENTRAL", name="A national body", kind=kind, parent=ag("MHA"), state=ag("DL-HQ").state
    )
    errors = assert_refused(agency, admin, "state")
    assert any("national and has no State" in m for m in errors["state"])


@pytest.mark.parametrize("kind", sorted(NATIONAL_KINDS))
def test_national_kinds_refuse_a_district(kind: str) -> None:
    agency = Agency(
        code="XCENTRAL", name="A national body", kind=kind, parent=ag("MHA"), district=district("DL", "EAST")
    )
    with pytest.raises(ValidationError) as excinfo:
        check_agency(agency)
    assert "state" in errors_of(excinfo)


def test_national_agency_cannot_report_to_a_state_agency(admin: Any) -> None:
    agency = Agency(code="XCENTRAL", name="A national body", kind=K.CENTRAL_AGENCY, parent=ag("DL-HQ"))
    errors = assert_refused(agency, admin, "parent")
    assert any("national agency cannot report" in m for m in errors["parent"])


def test_national_agency_under_mha_is_saved(admin: Any) -> None:
    agency = actions.save_agency(
        Agency(code="XCENTRAL", name="A national body", kind=K.CENTRAL_AGENCY, parent=ag("MHA")),
        actor=admin,
    )
    assert agency.state_id is None
    assert agency.path == f"{ag('MHA').path}{agency.pk}/"


def test_unknown_kind_and_empty_name_are_refused(admin: Any) -> None:
    agency = new_station(kind="precinct", name="   ")
    errors = assert_refused(agency, admin, "kind", "name")
    assert "must not be empty" in errors["name"]


@pytest.mark.parametrize(
    "code",
    ["DL_NEWDELHI_PS_901", "DL--PS-901", "-DL-PS-901", "DL-PS-901-", "DL PS 901", "DL-PS-9Ö1", "", "---"],
)
def test_bad_code_format_is_refused(admin: Any, code: str) -> None:
    errors = assert_refused(new_station(code=code), admin, "code")
    assert any("upper-case letters and digits" in m for m in errors["code"])


def test_check_agency_refuses_lower_case_but_save_agency_upper_cases_it(admin: Any) -> None:
    with pytest.raises(ValidationError) as excinfo:
        check_agency(new_station(code="dl-newdelhi-ps-901"))
    assert "code" in errors_of(excinfo)

    saved = actions.save_agency(new_station(code="  dl-newdelhi-ps-901 "), actor=admin)
    assert Agency.objects.get(pk=saved.pk).code == NEW_CODE


@pytest.mark.parametrize("code", ["DL-NEWDELHI-PS-001", "dl-newdelhi-ps-001", "DL-HQ"])
def test_duplicate_code_is_refused(admin: Any, code: str) -> None:
    errors = assert_refused(new_station(code=code), admin, "code")
    assert any("already used by another agency" in m for m in errors["code"])


def test_renaming_an_agency_to_its_own_code_is_not_a_duplicate(admin: Any) -> None:
    station = ag("DL-NEWDELHI-PS-002")
    station.name = "Renamed station"
    actions.save_agency(station, actor=admin)
    assert ag("DL-NEWDELHI-PS-002").name == "Renamed station"


@pytest.mark.parametrize(
    ("latitude", "longitude", "field"),
    [
        ("40.50000", "77.20000", "latitude"),
        ("5.99999", "77.20000", "latitude"),
        ("-28.60000", "77.20000", "latitude"),
        ("28.60000", "99.00000", "longitude"),
        ("28.60000", "67.90000", "longitude"),
        ("28.60000", None, "latitude"),
        (None, "77.20000", "latitude"),
    ],
)
def test_coordinates_outside_india_are_refused(
    admin: Any, latitude: str | None, longitude: str | None, field: str
) -> None:
    station = new_station(
        latitude=Decimal(latitude) if latitude else None,
        longitude=Decimal(longitude) if longitude else None,
    )
    assert_refused(station, admin, field)


def test_coordinates_inside_india_are_kept(admin: Any) -> None:
    saved = actions.save_agency(
        new_station(latitude=Decimal("28.61390"), longitude=Decimal("77.20900")), actor=admin
    )
    fresh = Agency.objects.get(pk=saved.pk)
    assert (fresh.latitude, fresh.longitude) == (Decimal("28.61390"), Decimal("77.20900"))


def test_bad_contact_email_is_refused(admin: Any) -> None:
    assert_refused(new_station(contact_email="control room at delhi"), admin, "contact_email")
    check_agency(new_station(contact_email="ps901@delhipolice.example"))


def test_active_agency_in_a_retired_district_is_refused(admin: Any) -> None:
    shahdara = district("DL", "SHAHDARA")
    actions.retire_district(shahdara, actor=None, successor=district("DL", "EAST"))
    errors = assert_refused(
        new_station(code="DL-SHAHDARA-PS-901", parent="DL-SHAHDARA-DPO"), admin, "district"
    )
    assert any("retired" in m for m in errors["district"])
    # An inactive one (history) may still name it.
    check_agency(new_station(code="DL-SHAHDARA-PS-901", parent="DL-SHAHDARA-DPO", active=False))


def test_every_problem_is_reported_at_once() -> None:
    bad = new_station(
        code="bad code", name="", district=district("AS", "KAMRUPMETRO"), latitude=Decimal("50")
    )
    with pytest.raises(ValidationError) as excinfo:
        check_agency(bad)
    assert {"code", "name", "district", "latitude", "parent"} <= set(errors_of(excinfo))


# --- cycles -----------------------------------------------------------------------------------------


def test_moving_an_agency_under_its_own_child_is_refused(admin: Any) -> None:
    dpo = ag("DL-NEWDELHI-DPO")
    old = (dpo.parent_id, dpo.path, dpo.depth)
    dpo.parent = ag("DL-NEWDELHI-PS-001")
    errors = assert_refused(dpo, admin, "parent")
    assert errors["parent"] == ["an agency cannot sit below itself or below one of its own units"]
    fresh = ag("DL-NEWDELHI-DPO")
    assert (fresh.parent_id, fresh.path, fresh.depth) == old


def test_moving_a_state_hq_under_its_own_control_room_is_refused(admin: Any) -> None:
    hq = ag("DL-HQ")
    hq.parent = ag("DL-CR")
    errors = assert_refused(hq, admin, "parent")
    assert any("below itself" in m for m in errors["parent"])
    assert ag("DL-HQ").parent_id is None


def test_an_agency_cannot_be_its_own_parent(admin: Any) -> None:
    dpo = ag("DL-NEWDELHI-DPO")
    dpo.parent = ag("DL-NEWDELHI-DPO")
    assert_refused(dpo, admin, "parent")


# --- moving rewrites the subtree --------------------------------------------------------------------


def test_moving_an_agency_rewrites_path_and_depth_of_its_whole_subtree(admin: Any) -> None:
    # A grandchild of the district office: a cyber cell under a police station.
    cell = actions.save_agency(
        Agency(
            code="DL-NEWDELHI-PS-001-CYBER",
            name="Station cyber desk",
            kind=K.CYBER_CELL,
            parent=ag("DL-NEWDELHI-PS-001"),
            state=ag("DL-HQ").state,
            district=district("DL", "NEWDELHI"),
        ),
        actor=admin,
    )
    dpo, station, control_room = ag("DL-NEWDELHI-DPO"), ag("DL-NEWDELHI-PS-001"), ag("DL-CR")
    assert (dpo.depth, station.depth, cell.depth) == (1, 2, 3)
    subtree_before = set(Agency.objects.subtree(dpo).values_list("pk", flat=True))
    untouched = {a.code: (a.path, a.depth) for a in Agency.objects.filter(code__startswith="DL-EAST-")}

    dpo.parent = control_room
    actions.save_agency(dpo, actor=admin)

    dpo, station, cell = ag("DL-NEWDELHI-DPO"), ag("DL-NEWDELHI-PS-001"), ag("DL-NEWDELHI-PS-001-CYBER")
    assert dpo.path == f"{control_room.path}{dpo.pk}/"
    assert station.path == f"{control_room.path}{dpo.pk}/{station.pk}/"
    assert cell.path == f"{control_room.path}{dpo.pk}/{station.pk}/{cell.pk}/"
    assert (dpo.depth, station.depth, cell.depth) == (2, 3, 4)
    assert [a.code for a in cell.ancestors()] == ["DL-HQ", "DL-CR", "DL-NEWDELHI-DPO", "DL-NEWDELHI-PS-001"]
    assert set(Agency.objects.subtree(dpo).values_list("pk", flat=True)) == subtree_before
    assert set(Agency.objects.subtree(control_room).values_list("pk", flat=True)) >= subtree_before
    assert {
        a.code: (a.path, a.depth) for a in Agency.objects.filter(code__startswith="DL-EAST-")
    } == untouched
    assert_paths_consistent()

    # And back up again: depths shrink.
    dpo.parent = ag("DL-HQ")
    actions.save_agency(dpo, actor=admin)
    assert (ag("DL-NEWDELHI-DPO").depth, ag("DL-NEWDELHI-PS-001-CYBER").depth) == (1, 3)
    assert_paths_consistent()


def test_moving_a_cell_to_the_top_of_its_district(admin: Any) -> None:
    """A move that shortens the path by a whole level keeps the grandchildren right."""
    state, newdelhi = ag("DL-HQ").state, district("DL", "NEWDELHI")
    desk = actions.save_agency(
        Agency(
            code="DL-NEWDELHI-DESK",
            name="Desk",
            kind=K.CYBER_CELL,
            parent=ag("DL-NEWDELHI-PS-002"),
            state=state,
            district=newdelhi,
        ),
        actor=admin,
    )
    team = actions.save_agency(
        Agency(
            code="DL-NEWDELHI-TEAM",
            name="Team",
            kind=K.SPECIAL_TASK_FORCE,
            parent=desk,
            state=state,
            district=newdelhi,
        ),
        actor=admin,
    )
    assert (desk.depth, team.depth) == (3, 4)
    desk.parent = ag("DL-HQ")
    actions.save_agency(desk, actor=admin)
    team = ag("DL-NEWDELHI-TEAM")
    assert team.path == f"{ag('DL-HQ').path}{desk.pk}/{team.pk}/"
    assert team.depth == 2
    assert_paths_consistent()


def test_changing_an_offices_district_does_not_strand_its_stations(admin: Any) -> None:
    dpo = ag("DL-NEWDELHI-DPO")
    dpo.district = district("DL", "EAST")
    with pytest.raises(ValidationError):
        actions.save_agency(dpo, actor=admin)
    for station in Agency.objects.filter(parent__code="DL-NEWDELHI-DPO").select_related(
        "parent", "state", "district"
    ):
        check_agency(station)


def test_stranding_refusal_names_the_field_and_writes_nothing(admin: Any) -> None:
    dpo = ag("DL-NEWDELHI-DPO")
    units = sorted(Agency.objects.filter(parent=dpo).values_list("code", flat=True))
    assert len(units) > 1
    dpo.district = district("DL", "EAST")
    errors = assert_refused(dpo, admin, "district")
    assert errors == {
        "district": [
            f"{units[0]} and {len(units) - 1} more units report here and are in New Delhi; move them first"
        ]
    }
    assert ag("DL-NEWDELHI-DPO").district == district("DL", "NEWDELHI")


def test_moving_a_state_hq_to_another_state_is_refused_while_it_has_units(admin: Any) -> None:
    hq = ag("DL-HQ")
    delhi = hq.state_id
    hq.state = ag("HR-HQ").state
    errors = assert_refused(hq, admin, "state")
    assert errors["state"][0].endswith("report here and are in Delhi; move them first")
    assert ag("DL-HQ").state_id == delhi


def test_changing_an_offices_kind_is_refused_while_stations_report_to_it(admin: Any) -> None:
    dpo = ag("DL-NEWDELHI-DPO")
    dpo.kind = K.AHTU
    errors = assert_refused(dpo, admin, "kind")
    assert errors["kind"] == [
        "DL-NEWDELHI-PS-001 and 1 more unit report here and would no longer fit "
        "(a police station reports to a district police office); move them first"
    ]


def test_a_units_own_old_problem_does_not_block_moving_its_office(admin: Any) -> None:
    # A station stored with a bad position (written around save_agency) is not the office's fault.
    Agency.objects.filter(code="DL-NEWDELHI-PS-001").update(latitude=Decimal("50"), longitude=Decimal("77"))
    dpo = ag("DL-NEWDELHI-DPO")
    dpo.parent = ag("DL-CR")
    actions.save_agency(dpo, actor=admin)
    assert ag("DL-NEWDELHI-DPO").parent == ag("DL-CR")


def test_an_office_without_units_may_change_its_district(admin: Any) -> None:
    office = actions.save_agency(
        Agency(
            code="DL-NEWDELHI-DCR-2",
            name="Second control room",
            kind=K.DISTRICT_CONTROL_ROOM,
            parent=ag("DL-HQ"),
            state=ag("DL-HQ").state,
            district=district("DL", "NEWDELHI"),
        ),
        actor=admin,
    )
    office.district = district("DL", "EAST")
    actions.save_agency(office, actor=admin)
    assert ag("DL-NEWDELHI-DCR-2").district == district("DL", "EAST")


# --- audit ------------------------------------------------------------------------------------------


def test_create_writes_an_audit_row_with_every_field(user_named: Any) -> None:
    nodal = user_named("dl.nodal")
    saved = actions.save_agency(new_station(contact_phone="+91 11 2345 6789"), actor=nodal, via="test")
    [row] = audit_rows("agency.create", object_id=str(saved.pk))
    assert row.actor == nodal
    assert row.actor_name == "dl.nodal"
    assert row.agency_code == "DL-HQ"
    assert row.outcome == "success"
    assert row.object_type == "directory.agency"
    assert row.via == "test"
    changes = row.detail["changes"]
    assert set(changes) == set(AUDITED_AGENCY_FIELDS)
    assert changes["code"] == [None, NEW_CODE]
    assert changes["parent_id"] == [None, ag("DL-NEWDELHI-DPO").pk]
    assert changes["district_id"] == [None, district("DL", "NEWDELHI").pk]
    assert changes["contact_phone"] == [None, "+91 11 2345 6789"]
    assert changes["active"] == [None, True]


def test_update_audits_only_the_changed_fields(user_named: Any) -> None:
    nodal = user_named("dl.nodal")
    station = ag("DL-NEWDELHI-PS-002")
    old_name, old_phone = station.name, station.contact_phone
    station.name = "Mandir Marg Police Station"
    station.contact_phone = "+91 11 1111 2222"
    actions.save_agency(station, actor=nodal)
    [row] = audit_rows("agency.update", object_id=str(station.pk))
    assert row.detail["changes"] == {
        "name": [old_name, "Mandir Marg Police Station"],
        "contact_phone": [old_phone, "+91 11 1111 2222"],
    }
    assert ag("DL-NEWDELHI-PS-002").name == "Mandir Marg Police Station"


def test_move_audits_the_parent_change(admin: Any) -> None:
    dpo = ag("DL-NEWDELHI-DPO")
    old_parent = dpo.parent_id
    dpo.parent = ag("DL-CR")
    actions.save_agency(dpo, actor=admin)
    [row] = audit_rows("agency.update", object_id=str(dpo.pk))
    assert row.detail["changes"] == {"parent_id": [old_parent, ag("DL-CR").pk]}


def test_refused_save_writes_no_audit_row(admin: Any) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        actions.save_agency(new_station(code="DL-NEWDELHI-PS-001"), actor=admin)
    assert AuditEvent.objects.count() == before


# --- who may save what ------------------------------------------------------------------------------


def test_nodal_officer_creates_and_updates_delhi_agencies(user_named: Any) -> None:
    nodal = user_named("dl.nodal")
    saved = actions.save_agency(new_station(), actor=nodal)
    assert Agency.objects.filter(code=NEW_CODE, state__code="DL").exists()
    saved.name = "Renamed"
    actions.save_agency(saved, actor=nodal)
    assert ag(NEW_CODE).name == "Renamed"
    hq = ag("DL-HQ")
    hq.contact_email = "control@delhipolice.example"
    actions.save_agency(hq, actor=nodal)
    assert ag("DL-HQ").contact_email == "control@delhipolice.example"


def _assert_denied(agency: Agency, actor: Any, action: str) -> AuditEvent:
    agencies = Agency.objects.count()
    denied_before = AuditEvent.objects.filter(action=action, outcome="denied").count()
    with pytest.raises(PermissionDenied):
        actions.save_agency(agency, actor=actor)
    assert Agency.objects.count() == agencies
    rows = list(AuditEvent.objects.filter(action=action, outcome="denied").order_by("-id"))
    assert len(rows) == denied_before + 1
    row = rows[0]
    assert row.actor == actor
    return row


def test_nodal_officer_cannot_create_an_assam_agency(user_named: Any) -> None:
    nodal = user_named("dl.nodal")
    station = new_station(code="AS-KAMRUPMETRO-PS-901", parent="AS-KAMRUPMETRO-DPO")
    row = _assert_denied(station, nodal, "agency.create")
    assert row.detail == {"code": "AS-KAMRUPMETRO-PS-901"}
    assert not Agency.objects.filter(code="AS-KAMRUPMETRO-PS-901").exists()


def test_nodal_officer_cannot_update_an_assam_agency(user_named: Any) -> None:
    nodal = user_named("dl.nodal")
    station = ag("AS-KAMRUPMETRO-PS-001")
    old_name = station.name
    station.name = "Taken over"
    row = _assert_denied(station, nodal, "agency.update")
    assert row.object_id == str(station.pk)
    assert ag("AS-KAMRUPMETRO-PS-001").name == old_name


def test_nodal_officer_cannot_move_a_delhi_agency_into_assam(user_named: Any) -> None:
    nodal = user_named("dl.nodal")
    station = ag("DL-NEWDELHI-PS-002")
    before = (station.parent_id, station.state_id, station.district_id, station.path)
    target = ag("AS-KAMRUPMETRO-DPO")
    station.parent, station.state, station.district = target, target.state, target.district
    _assert_denied(station, nodal, "agency.update")
    fresh = ag("DL-NEWDELHI-PS-002")
    assert (fresh.parent_id, fresh.state_id, fresh.district_id, fresh.path) == before


def test_nodal_officer_cannot_pull_an_assam_agency_into_delhi(user_named: Any) -> None:
    nodal = user_named("dl.nodal")
    station = ag("AS-KAMRUPMETRO-PS-002")
    target = ag("DL-NEWDELHI-DPO")
    station.parent, station.state, station.district = target, target.state, target.district
    _assert_denied(station, nodal, "agency.update")
    assert ag("AS-KAMRUPMETRO-PS-002").state.code == "AS"


def test_nodal_officer_cannot_create_a_national_agency(user_named: Any) -> None:
    agency = Agency(code="XCENTRAL", name="A national body", kind=K.CENTRAL_AGENCY, parent=ag("MHA"))
    _assert_denied(agency, user_named("dl.nodal"), "agency.create")


def test_nodal_officer_pointing_a_delhi_agency_at_an_assam_parent_gets_a_validation_error(
    user_named: Any,
) -> None:
    station = ag("DL-NEWDELHI-PS-002")
    station.parent = ag("AS-KAMRUPMETRO-DPO")
    assert_refused(station, user_named("dl.nodal"), "parent")


@pytest.mark.parametrize("username", ["dl.sho", "dl.sp", "dl.control", "dl.analyst", "analyst"])
def test_users_without_manage_agencies_cannot_create_any(user_named: Any, username: str) -> None:
    user = user_named(username)
    row = _assert_denied(new_station(), user, "agency.create")
    assert row.actor_name == username
    assert not Agency.objects.filter(code=NEW_CODE).exists()


def test_officer_cannot_update_even_its_own_station(user_named: Any) -> None:
    sho = user_named("dl.sho")
    station = ag("DL-NEWDELHI-PS-001")
    station.contact_phone = "+91 00000 00000"
    _assert_denied(station, sho, "agency.update")


def test_system_actor_and_superuser_may_save_anywhere(admin: Any) -> None:
    actions.save_agency(new_station(code="AS-KAMRUPMETRO-PS-901", parent="AS-KAMRUPMETRO-DPO"), actor=admin)
    actions.save_agency(new_station(), actor=None)
    assert Agency.objects.filter(code__in=["AS-KAMRUPMETRO-PS-901", NEW_CODE]).count() == 2
    [row] = audit_rows("agency.create", object_repr__contains=NEW_CODE)
    assert row.actor is None and row.actor_name == ""


# --- bulk_create_agencies ---------------------------------------------------------------------------


def test_bulk_create_writes_all_with_paths_and_one_audit_row(user_named: Any) -> None:
    nodal = user_named("dl.nodal")
    items = [new_station(code=f"DL-NEWDELHI-PS-9{n:02d}") for n in range(3)]
    before = Agency.objects.count()
    created = actions.bulk_create_agencies(items, actor=nodal, via="test")
    assert Agency.objects.count() == before + 3
    dpo = ag("DL-NEWDELHI-DPO")
    for agency in created:
        fresh = Agency.objects.get(pk=agency.pk)
        assert (fresh.path, fresh.depth) == (f"{dpo.path}{fresh.pk}/", dpo.depth + 1)
    [row] = audit_rows("agency.bulk_create", actor=nodal)
    assert row.detail == {"count": 3, "codes": [a.code for a in items]}


def test_bulk_create_is_all_or_nothing_when_one_item_is_invalid(admin: Any) -> None:
    items = [
        new_station(code="DL-NEWDELHI-PS-900"),
        new_station(code="DL-NEWDELHI-PS-901", parent="DL-HQ"),  # station under the HQ
        new_station(code="DL-NEWDELHI-PS-902", district=district("AS", "KAMRUPMETRO")),
        new_station(code="DL-NEWDELHI-PS-903"),
    ]
    agencies, events = Agency.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        actions.bulk_create_agencies(items, actor=admin)
    errors = errors_of(excinfo)
    assert "1.parent" in errors
    assert "2.district" in errors
    assert not any(key.startswith(("0.", "3.")) for key in errors)
    assert all(m.startswith("DL-NEWDELHI-PS-902: ") for m in errors["2.district"])
    assert Agency.objects.count() == agencies
    assert AuditEvent.objects.count() == events


def test_bulk_create_refuses_codes_repeated_or_taken(admin: Any) -> None:
    items = [
        new_station(code="DL-NEWDELHI-PS-900"),
        new_station(code="dl-newdelhi-ps-900"),
        new_station(code="DL-NEWDELHI-PS-001"),
    ]
    agencies = Agency.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        actions.bulk_create_agencies(items, actor=admin)
    errors = errors_of(excinfo)
    assert errors["1.code"] == ["DL-NEWDELHI-PS-900 appears twice"]
    assert errors["code"] == ["DL-NEWDELHI-PS-001 is already used by another agency"]
    assert Agency.objects.count() == agencies


def test_bulk_create_refuses_a_bad_code_format(admin: Any) -> None:
    with pytest.raises(ValidationError) as excinfo:
        actions.bulk_create_agencies([new_station(code="DL NEWDELHI")], actor=admin)
    assert "0.code" in errors_of(excinfo)


def test_bulk_create_checks_permission_for_every_item(user_named: Any) -> None:
    nodal = user_named("dl.nodal")
    items = [
        new_station(code="DL-NEWDELHI-PS-900"),
        new_station(code="AS-KAMRUPMETRO-PS-900", parent="AS-KAMRUPMETRO-DPO"),
    ]
    agencies = Agency.objects.count()
    with pytest.raises(PermissionDenied):
        actions.bulk_create_agencies(items, actor=nodal)
    assert Agency.objects.count() == agencies
    [row] = audit_rows("agency.bulk_create", outcome="denied", actor=nodal)
    assert row.detail == {"codes": ["AS-KAMRUPMETRO-PS-900"]}


def test_bulk_create_by_an_officer_is_denied(user_named: Any) -> None:
    with pytest.raises(PermissionDenied):
        actions.bulk_create_agencies([new_station()], actor=user_named("dl.sho"))
    assert not Agency.objects.filter(code=NEW_CODE).exists()


# --- subtree, ancestors, is_within ------------------------------------------------------------------


def test_subtree_of_a_district_office() -> None:
    codes = set(Agency.objects.subtree(ag("DL-NEWDELHI-DPO")).values_list("code", flat=True))
    assert codes == {
        "DL-NEWDELHI-DPO",
        "DL-NEWDELHI-DCR",
        "DL-NEWDELHI-AHTU",
        "DL-NEWDELHI-PS-001",
        "DL-NEWDELHI-PS-002",
    }


def test_subtree_of_a_state_hq_is_the_whole_state() -> None:
    hq = ag("DL-HQ")
    assert set(Agency.objects.subtree(hq)) == set(Agency.objects.filter(state__code="DL"))


def test_subtree_of_mha_is_the_national_agencies_only() -> None:
    """MHA's path is "/<id>/"; HQs whose id starts with the same digits are not below it."""
    mha = ag("MHA")
    assert set(Agency.objects.subtree(mha)) == set(Agency.objects.filter(state__isnull=True))
    assert any(
        a.path.startswith(mha.path.rstrip("/"))
        for a in Agency.objects.filter(parent__isnull=True).exclude(pk=mha.pk)
    ), "the trap this test guards against exists in the demo directory"


def test_subtree_of_a_station_is_itself() -> None:
    station = ag("DL-NEWDELHI-PS-001")
    assert list(Agency.objects.subtree(station)) == [station]


def test_ancestors_nearest_last() -> None:
    station = ag("DL-NEWDELHI-PS-001")
    assert [a.code for a in station.ancestors()] == ["DL-HQ", "DL-NEWDELHI-DPO"]
    assert station.ancestor_ids() == [ag("DL-HQ").pk, ag("DL-NEWDELHI-DPO").pk]
    assert [a.code for a in ag("NCRB").ancestors()] == ["MHA"]
    assert list(ag("DL-HQ").ancestors()) == []
    assert ag("DL-HQ").ancestor_ids() == []


def test_is_within() -> None:
    station, dpo, hq = ag("DL-NEWDELHI-PS-001"), ag("DL-NEWDELHI-DPO"), ag("DL-HQ")
    assert station.is_within(dpo)
    assert station.is_within(hq)
    assert station.is_within(station)
    assert not dpo.is_within(station)
    assert not ag("DL-EAST-PS-001").is_within(dpo)
    assert not ag("AS-KAMRUPMETRO-PS-001").is_within(hq)
    assert not hq.is_within(ag("MHA"))
    for root in Agency.objects.filter(parent__isnull=True).exclude(code="MHA"):
        assert not root.is_within(ag("MHA")), root.code
