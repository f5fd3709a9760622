"""The Django admin, limited by role, driven through the test client as the demo log-ins."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from crimac.audit.models import AuditEvent
from crimac.directory import actions
from crimac.directory.choices import Role
from crimac.directory.models import Agency, District, State, User

pytestmark = pytest.mark.django_db

DELHI_USERS = {"dl.nodal", "dl.analyst", "dl.control", "dl.sp", "dl.sho", "dl.sho2"}
STRONG = "Brahmaputra-Ghat-2024"


def ag(code: str) -> Agency:
    return Agency.objects.get(code=code)


def html(response: Any) -> str:
    return str(response.content.decode())


def changelist_codes(response: Any) -> set[str]:
    return {a.code for a in response.context["cl"].result_list}


def agency_form_data(agency: Agency, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": agency.code,
        "name": agency.name,
        "kind": agency.kind,
        "parent": agency.parent_id or "",
        "state": agency.state_id or "",
        "district": agency.district_id or "",
        "latitude": agency.latitude or "",
        "longitude": agency.longitude or "",
        "contact_phone": agency.contact_phone,
        "contact_email": agency.contact_email,
        "_save": "Save",
    }
    if agency.active:
        data["active"] = "on"
    data.update(changes)
    return data


def user_form_data(username: str, agency: str, role: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "username": username,
        "full_name": "Admin Made",
        "rank": "SI",
        "email": "",
        "phone": "",
        "agency": ag(agency).pk,
        "role": role,
        "is_active": "on",
        "new_password": STRONG,
        "_save": "Save",
    }
    data.update(changes)
    return data


def assert_not_reachable(response: Any) -> None:
    """What the admin answers for an object outside the user's queryset: a redirect to the index
    (Django's "does not exist"), a 404 or a 403 — never the object's page."""
    assert response.status_code in {302, 403, 404}
    if response.status_code == 302:
        assert response["Location"] in {"/admin/", "/admin"}


# --- who may open the admin -------------------------------------------------------------------------


def test_nodal_officer_opens_the_admin(client_for: Any) -> None:
    response = client_for("dl.nodal").get("/admin/")
    assert response.status_code == 200
    page = html(response)
    assert "/admin/directory/agency/" in page
    assert "/admin/directory/user/" in page
    assert "/admin/directory/district/add/" not in page, "geography is the administrators'"


@pytest.mark.parametrize("username", ["dl.sho", "dl.sp", "dl.control", "dl.analyst", "analyst"])
@pytest.mark.parametrize("path", ["/admin/", "/admin/directory/agency/", "/admin/directory/user/"])
def test_users_without_open_admin_are_sent_to_log_in(client_for: Any, username: str, path: str) -> None:
    response = client_for(username).get(path)
    assert response.status_code in {302, 403}
    if response.status_code == 302:
        assert response["Location"].startswith("/admin/login/")


def test_anonymous_is_sent_to_log_in() -> None:
    response = Client().get("/admin/directory/agency/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_admin_opens_everything(client_for: Any) -> None:
    client = client_for("admin")
    for path in (
        "/admin/",
        "/admin/directory/agency/",
        "/admin/directory/user/",
        "/admin/directory/district/",
        "/admin/directory/district/add/",
        "/admin/audit/auditevent/",
    ):
        assert client.get(path).status_code == 200, path


# --- agencies: the nodal officer's State only -------------------------------------------------------


def test_nodal_officer_sees_delhi_agencies_only(client_for: Any) -> None:
    response = client_for("dl.nodal").get("/admin/directory/agency/")
    assert response.status_code == 200
    page = html(response)
    # Each listed agency's code is the link to its change page.
    for code in ("DL-HQ", "DL-CR", "DL-NEWDELHI-DPO", "DL-NEWDELHI-PS-001"):
        assert f">{code}</a>" in page, code
    for code in ("AS-HQ", "AS-KAMRUPMETRO-DPO", "AS-KAMRUPMETRO-PS-001", "HR-HQ", "NCRB", "CBI"):
        assert f">{code}</a>" not in page, code
    assert "AS-KAMRUPMETRO" not in page
    delhi = set(Agency.objects.filter(state__code="DL").values_list("code", flat=True))
    assert response.context["cl"].result_count == len(delhi)
    assert changelist_codes(response) == delhi


def test_nodal_officer_search_does_not_reach_assam(client_for: Any) -> None:
    response = client_for("dl.nodal").get("/admin/directory/agency/", {"q": "KAMRUPMETRO"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
    assert "AS-KAMRUPMETRO-DPO" not in html(response)


def test_admin_search_reaches_assam(client_for: Any) -> None:
    response = client_for("admin").get("/admin/directory/agency/", {"q": "KAMRUPMETRO"})
    assert "AS-KAMRUPMETRO-DPO" in html(response)
    assert changelist_codes(response) == set(
        Agency.objects.filter(code__contains="KAMRUPMETRO").values_list("code", flat=True)
    )


def test_nodal_officer_cannot_open_an_assam_agency(client_for: Any) -> None:
    client = client_for("dl.nodal")
    assam = ag("AS-KAMRUPMETRO-DPO")
    response = client.get(f"/admin/directory/agency/{assam.pk}/change/")
    assert_not_reachable(response)
    assert "AS-KAMRUPMETRO-DPO" not in html(response)


def test_nodal_officer_cannot_post_to_an_assam_agency(client_for: Any) -> None:
    assam = ag("AS-KAMRUPMETRO-PS-001")
    response = client_for("dl.nodal").post(
        f"/admin/directory/agency/{assam.pk}/change/", agency_form_data(assam, name="Hijacked")
    )
    assert_not_reachable(response)
    assert ag("AS-KAMRUPMETRO-PS-001").name == assam.name


def test_nodal_officer_opens_a_delhi_agency(client_for: Any) -> None:
    delhi = ag("DL-NEWDELHI-PS-001")
    response = client_for("dl.nodal").get(f"/admin/directory/agency/{delhi.pk}/change/")
    assert response.status_code == 200
    assert "DL-NEWDELHI-PS-001" in html(response)
    # The State choice offers only Delhi.
    state_field = response.context["adminform"].form.fields["state"]
    assert list(state_field.queryset) == [State.objects.get(code="DL")]


def test_nodal_officer_saves_a_delhi_agency_through_the_admin(client_for: Any) -> None:
    delhi = ag("DL-NEWDELHI-PS-002")
    response = client_for("dl.nodal").post(
        f"/admin/directory/agency/{delhi.pk}/change/",
        agency_form_data(delhi, name="Mandir Marg Police Station"),
    )
    assert response.status_code == 302
    assert ag("DL-NEWDELHI-PS-002").name == "Mandir Marg Police Station"
    [row] = AuditEvent.objects.filter(action="agency.update", object_id=str(delhi.pk))
    assert row.via == "admin"
    assert row.actor_name == "dl.nodal"
    assert row.detail["changes"] == {"name": [delhi.name, "Mandir Marg Police Station"]}


@pytest.mark.parametrize("username", ["dl.nodal", "admin"])
def test_district_of_another_state_is_a_form_error_not_a_500(client_for: Any, username: str) -> None:
    station = ag("DL-NEWDELHI-PS-002")
    kamrup = District.objects.get(state__code="AS", slug="KAMRUPMETRO")
    response = client_for(username).post(
        f"/admin/directory/agency/{station.pk}/change/", agency_form_data(station, district=kamrup.pk)
    )
    assert response.status_code == 200
    page = html(response)
    assert "Kamrup Metro is in Assam, not in Delhi" in page
    assert "errornote" in page
    assert ag("DL-NEWDELHI-PS-002").district_id == station.district_id
    assert not AuditEvent.objects.filter(action="agency.update", object_id=str(station.pk)).exists()


def test_moving_an_agency_under_its_own_child_is_a_form_error(client_for: Any) -> None:
    dpo = ag("DL-NEWDELHI-DPO")
    response = client_for("dl.nodal").post(
        f"/admin/directory/agency/{dpo.pk}/change/",
        agency_form_data(dpo, parent=ag("DL-NEWDELHI-PS-001").pk),
    )
    assert response.status_code == 200
    assert "cannot sit below itself" in html(response)
    assert ag("DL-NEWDELHI-DPO").parent_id == dpo.parent_id


def test_moving_an_office_away_from_its_stations_is_a_form_error(client_for: Any) -> None:
    dpo = ag("DL-NEWDELHI-DPO")
    east = District.objects.get(state__code="DL", slug="EAST")
    response = client_for("dl.nodal").post(
        f"/admin/directory/agency/{dpo.pk}/change/", agency_form_data(dpo, district=east.pk)
    )
    assert response.status_code == 200
    assert "district" in response.context["adminform"].form.errors
    assert "are in New Delhi; move them first" in html(response)
    assert ag("DL-NEWDELHI-DPO").district_id == dpo.district_id
    assert not AuditEvent.objects.filter(action="agency.update", object_id=str(dpo.pk)).exists()


def test_nodal_officer_adds_a_delhi_station_through_the_admin(client_for: Any) -> None:
    dpo = ag("DL-NEWDELHI-DPO")
    data = agency_form_data(
        Agency(
            code="DL-NEWDELHI-PS-901",
            name="Admin Station",
            kind="police_station",
            parent=dpo,
            state=dpo.state,
            district=dpo.district,
        )
    )
    response = client_for("dl.nodal").post("/admin/directory/agency/add/", data)
    assert response.status_code == 302
    created = ag("DL-NEWDELHI-PS-901")
    assert created.path == f"{dpo.path}{created.pk}/"
    assert AuditEvent.objects.filter(action="agency.create", object_id=str(created.pk), via="admin").exists()


# --- users ------------------------------------------------------------------------------------------


def test_nodal_officer_sees_only_delhi_users(client_for: Any) -> None:
    response = client_for("dl.nodal").get("/admin/directory/user/")
    assert response.status_code == 200
    usernames = {u.username for u in response.context["cl"].result_list}
    assert usernames == DELHI_USERS
    page = html(response)
    assert ">dl.sho</a>" in page
    for other in ("as.nodal", "as.sho", "hr.nodal", "admin", "analyst"):
        assert f">{other}</a>" not in page, other


def test_nodal_officer_cannot_open_an_assam_user(client_for: Any) -> None:
    assam = User.objects.get(username="as.sho")
    response = client_for("dl.nodal").get(f"/admin/directory/user/{assam.pk}/change/")
    assert_not_reachable(response)


def test_nodal_officer_cannot_open_the_superuser(client_for: Any) -> None:
    root = User.objects.get(username="admin")
    response = client_for("dl.nodal").get(f"/admin/directory/user/{root.pk}/change/")
    assert_not_reachable(response)


def test_admin_sees_every_person_but_no_system_account(client_for: Any) -> None:
    actions.create_api_key(ag("DL-HQ"), "CCTNS Delhi", actor=None)
    response = client_for("admin").get("/admin/directory/user/")
    usernames = {u.username for u in response.context["cl"].result_list}
    assert {"admin", "analyst", "as.nodal", "dl.sho"} <= usernames
    assert not any(name.startswith("system.") for name in usernames)


def test_role_choices_for_a_nodal_officer_leave_out_admin(client_for: Any) -> None:
    response = client_for("dl.nodal").get("/admin/directory/user/add/")
    assert response.status_code == 200
    choices = [value for value, _ in response.context["adminform"].form.fields["role"].choices if value]
    assert set(choices) == {Role.OFFICER, Role.SUPERVISOR, Role.NODAL_OFFICER, Role.ANALYST}
    assert 'value="admin"' not in html(response)
    assert 'value="nodal_officer"' in html(response)


def test_role_choices_for_the_admin_include_admin(client_for: Any) -> None:
    response = client_for("admin").get("/admin/directory/user/add/")
    choices = {value for value, _ in response.context["adminform"].form.fields["role"].choices if value}
    assert choices == set(Role.values)


def test_nodal_officer_adds_a_delhi_user_through_the_admin(client_for: Any) -> None:
    response = client_for("dl.nodal").post(
        "/admin/directory/user/add/", user_form_data("dl.newsi", "DL-NEWDELHI-PS-001", Role.OFFICER)
    )
    assert response.status_code == 302
    user = User.objects.get(username="dl.newsi")
    assert user.password.startswith("argon2")
    assert user.check_password(STRONG)
    [row] = AuditEvent.objects.filter(action="user.create", object_id=str(user.pk))
    assert row.via == "admin"
    assert row.detail["password_set"] is True
    assert STRONG not in str(row.detail)


def test_nodal_officer_posting_role_admin_gets_a_form_error(client_for: Any) -> None:
    response = client_for("dl.nodal").post(
        "/admin/directory/user/add/", user_form_data("dl.newadmin", "DL-HQ", Role.ADMIN)
    )
    assert response.status_code == 200
    assert "role" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="dl.newadmin").exists()


def test_weak_password_in_the_admin_is_a_form_error(client_for: Any) -> None:
    response = client_for("dl.nodal").post(
        "/admin/directory/user/add/",
        user_form_data("dl.weak", "DL-NEWDELHI-PS-001", Role.OFFICER, new_password="1234567890"),
    )
    assert response.status_code == 200
    assert "new_password" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="dl.weak").exists()


def test_case_variant_of_a_taken_username_in_the_admin_is_a_form_error(client_for: Any) -> None:
    response = client_for("dl.nodal").post(
        "/admin/directory/user/add/", user_form_data("DL.SHO", "DL-NEWDELHI-PS-001", Role.OFFICER)
    )
    assert response.status_code == 200
    assert "username" in response.context["adminform"].form.errors


def test_nodal_officer_cannot_take_over_an_admin_role_user_through_the_admin(client_for: Any) -> None:
    from tests.conftest import DEMO_PASSWORD, make_user

    state_admin = make_user("dl.admin", "DL-HQ", Role.ADMIN)
    response = client_for("dl.nodal").post(
        f"/admin/directory/user/{state_admin.pk}/change/",
        user_form_data("dl.admin", "DL-HQ", Role.NODAL_OFFICER),
    )
    assert response.status_code == 403, "refused by save_user: a 403, not a 500 and not a takeover"
    stored = User.objects.get(pk=state_admin.pk)
    assert stored.role == Role.ADMIN
    assert stored.check_password(DEMO_PASSWORD)


def test_password_like_the_username_in_the_admin_is_a_form_error(client_for: Any) -> None:
    response = client_for("dl.nodal").post(
        "/admin/directory/user/add/",
        user_form_data("dl.brahmaputra", "DL-NEWDELHI-PS-001", Role.OFFICER, new_password="dl.brahmaputra1"),
    )
    assert response.status_code == 200
    assert "new_password" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="dl.brahmaputra").exists()


# --- geography: the administrators' -----------------------------------------------------------------


def test_admin_adds_a_district_and_it_is_audited(client_for: Any) -> None:
    delhi = State.objects.get(code="DL")
    response = client_for("admin").post(
        "/admin/directory/district/add/",
        {
            "state": delhi.pk,
            "name": "OUTER NORTH",
            "lgd_code": 990001,
            "retired_at": "",
            "successor": "",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    district = District.objects.get(lgd_code=990001)
    assert district.state == delhi
    assert district.name == "Outer North"
    assert district.slug
    [row] = AuditEvent.objects.filter(action="district.create", object_id=str(district.pk))
    assert row.actor_name == "admin"
    assert row.via == "admin"
    assert row.outcome == "success"


def district_form_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "state": State.objects.get(code="DL").pk,
        "name": "OUTER NORTH",
        "lgd_code": 990001,
        "retired_at": "",
        "successor": "",
        "_save": "Save",
    }
    data.update(changes)
    return data


def assert_district_add_refused(client: Any, data: dict[str, Any], message: str) -> None:
    """The add form answers 200 with `message` on lgd_code, and nothing is written."""
    districts, events = District.objects.count(), AuditEvent.objects.count()
    response = client.post("/admin/directory/district/add/", data)
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors.get("lgd_code", []))
    assert message in html(response)
    assert "errornote" in html(response)
    assert District.objects.count() == districts
    assert AuditEvent.objects.count() == events
    assert not District.objects.filter(name="Outer North").exists()


def test_district_with_lgd_code_zero_is_a_form_error(client_for: Any) -> None:
    assert_district_add_refused(
        client_for("admin"), district_form_data(lgd_code=0), "LGD code must be a positive whole number, not 0"
    )


def test_district_with_a_taken_lgd_code_is_a_form_error(client_for: Any) -> None:
    taken = District.objects.get(state__code="DL", slug="NEWDELHI").lgd_code
    assert_district_add_refused(
        client_for("admin"),
        district_form_data(lgd_code=taken),
        f"LGD code {taken} is already used by another district",
    )


def test_retiring_a_district_into_itself_is_a_form_error(client_for: Any) -> None:
    east = District.objects.get(state__code="DL", slug="EAST")
    response = client_for("admin").post(
        f"/admin/directory/district/{east.pk}/change/",
        {"name": east.name, "retired_at": "2025-01-01", "successor": east.pk, "_save": "Save"},
    )
    assert response.status_code == 200
    assert "successor" in response.context["adminform"].form.errors
    assert District.objects.get(pk=east.pk).retired_at is None
    assert not AuditEvent.objects.filter(action="district.retire", object_id=str(east.pk)).exists()


def test_nodal_officer_cannot_add_a_district(client_for: Any) -> None:
    client = client_for("dl.nodal")
    assert client.get("/admin/directory/district/").status_code == 200, "geography is readable"
    assert client.get("/admin/directory/district/add/").status_code == 403
    response = client.post(
        "/admin/directory/district/add/",
        {"state": State.objects.get(code="DL").pk, "name": "Nodal Made", "lgd_code": 990002, "_save": "Save"},
    )
    assert response.status_code == 403
    assert not District.objects.filter(lgd_code=990002).exists()


# --- the audit trail --------------------------------------------------------------------------------


def _assam_audit_row(user_named: Any) -> AuditEvent:
    station = ag("AS-KAMRUPMETRO-PS-002")
    station.contact_phone = "+91 361 000 0000"
    actions.save_agency(station, actor=user_named("as.nodal"))
    return AuditEvent.objects.get(action="agency.update", object_id=str(station.pk))


def _delhi_audit_row(user_named: Any) -> AuditEvent:
    station = ag("DL-NEWDELHI-PS-002")
    station.contact_phone = "+91 11 0000 0000"
    actions.save_agency(station, actor=user_named("dl.nodal"))
    return AuditEvent.objects.get(action="agency.update", object_id=str(station.pk))


def test_nodal_officer_opens_the_audit_trail_and_sees_its_own_rows(client_for: Any, user_named: Any) -> None:
    row = _delhi_audit_row(user_named)
    response = client_for("dl.nodal").get("/admin/audit/auditevent/", {"q": "dl.nodal"})
    assert response.status_code == 200
    assert row.pk in {e.pk for e in response.context["cl"].result_list}
    assert client_for("dl.nodal").get(f"/admin/audit/auditevent/{row.pk}/change/").status_code == 200


@pytest.mark.parametrize("username", ["dl.sho", "dl.sp", "dl.analyst"])
def test_users_without_view_audit_cannot_open_the_audit_trail(client_for: Any, username: str) -> None:
    response = client_for(username).get("/admin/audit/auditevent/")
    assert response.status_code in {302, 403}


def test_nodal_officer_does_not_see_other_states_audit_rows(client_for: Any, user_named: Any) -> None:
    assam = _assam_audit_row(user_named)
    _delhi_audit_row(user_named)
    response = client_for("dl.nodal").get("/admin/audit/auditevent/")
    assert response.status_code == 200
    listed = {e.pk for e in response.context["cl"].queryset}
    assert assam.pk not in listed
    assert "as.nodal" not in html(response)
    # Every row listed was written by someone of a Delhi agency.
    assert listed
    assert set(AuditEvent.objects.filter(pk__in=listed).values_list("agency__state__code", flat=True)) == {
        "DL"
    }
    searched = client_for("dl.nodal").get("/admin/audit/auditevent/", {"q": "AS-HQ"})
    assert searched.context["cl"].result_count == 0


def test_nodal_officer_cannot_open_another_states_audit_row(client_for: Any, user_named: Any) -> None:
    assam = _assam_audit_row(user_named)
    response = client_for("dl.nodal").get(f"/admin/audit/auditevent/{assam.pk}/change/")
    assert_not_reachable(response)


def test_admin_sees_every_states_audit_rows(client_for: Any, user_named: Any) -> None:
    assam = _assam_audit_row(user_named)
    response = client_for("admin").get("/admin/audit/auditevent/")
    assert assam.pk in {e.pk for e in response.context["cl"].queryset}
    assert client_for("admin").get(f"/admin/audit/auditevent/{assam.pk}/change/").status_code == 200
