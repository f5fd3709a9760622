"""Users: `actions.save_user` — who may create and change whom, validation, password hashing, audit."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.core.exceptions import PermissionDenied, ValidationError

from crimac.audit.models import AuditEvent
from crimac.directory import actions
from crimac.directory.actions import AUDITED_USER_FIELDS
from crimac.directory.choices import Role
from crimac.directory.models import Agency, User
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

STRONG = "Brahmaputra-Ghat-2024"


def ag(code: str) -> Agency:
    return Agency.objects.get(code=code)


def new_user(username: str = "dl.newuser", agency: str = "DL-NEWDELHI-PS-001", **fields: Any) -> User:
    values: dict[str, Any] = {"role": Role.OFFICER, "full_name": "New Officer", "rank": "SI"}
    values.update(fields)
    return User(username=username, agency=ag(agency), **values)


def fresh(user: User) -> User:
    return User.objects.select_related("agency").get(pk=user.pk)


def assert_denied(user: User, actor: Any, action: str, password: str | None = None) -> AuditEvent:
    """`save_user` refuses with PermissionDenied, writes nothing but one "denied" audit row."""
    users = User.objects.count()
    denied = AuditEvent.objects.filter(action=action, outcome="denied").count()
    before = User.objects.filter(pk=user.pk).values().first() if user.pk else None
    with pytest.raises(PermissionDenied):
        actions.save_user(user, actor=actor, password=password)
    assert User.objects.count() == users
    if before is not None:
        assert User.objects.filter(pk=user.pk).values().first() == before
    rows = list(AuditEvent.objects.filter(action=action, outcome="denied").order_by("-id"))
    assert len(rows) == denied + 1
    assert rows[0].actor == actor
    assert rows[0].detail == {"username": user.username}
    if password:
        assert password not in json.dumps(rows[0].detail)
    return rows[0]


def assert_invalid(user: User, actor: Any, field: str, password: str | None = None) -> list[str]:
    """`save_user` refuses with a ValidationError on `field` and writes nothing."""
    users, events = User.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        actions.save_user(user, actor=actor, password=password)
    errors = excinfo.value.message_dict
    assert field in errors, errors
    assert User.objects.count() == users
    assert AuditEvent.objects.count() == events
    return errors[field]


@pytest.fixture
def nodal(user_named: Any) -> User:
    return user_named("dl.nodal")


@pytest.fixture
def admin(user_named: Any) -> User:
    return user_named("admin")


# --- what a nodal officer may do --------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR, Role.ANALYST, Role.NODAL_OFFICER])
@pytest.mark.parametrize("agency", ["DL-NEWDELHI-PS-001", "DL-HQ", "DL-EAST-DPO"])
def test_nodal_officer_creates_users_in_its_states_agencies(nodal: User, role: str, agency: str) -> None:
    user = actions.save_user(new_user(role=role, agency=agency), actor=nodal, password=STRONG)
    saved = fresh(user)
    assert (saved.role, saved.agency.code) == (role, agency)
    assert saved.check_password(STRONG)
    assert not saved.is_superuser


def test_nodal_officer_cannot_create_an_admin(nodal: User) -> None:
    row = assert_denied(new_user(role=Role.ADMIN, agency="DL-HQ"), nodal, "user.create", password=STRONG)
    assert row.outcome == "denied"
    assert not User.objects.filter(username="dl.newuser").exists()


def test_nodal_officer_cannot_promote_a_user_to_admin(nodal: User, user_named: Any) -> None:
    sho = user_named("dl.sho2")
    sho.role = Role.ADMIN
    assert_denied(sho, nodal, "user.update")
    assert fresh(sho).role == Role.OFFICER


def test_nodal_officer_may_change_a_role_it_may_grant(nodal: User, user_named: Any) -> None:
    sho = user_named("dl.sho2")
    sho.role = Role.SUPERVISOR
    actions.save_user(sho, actor=nodal)
    assert fresh(sho).role == Role.SUPERVISOR


@pytest.mark.parametrize("agency", ["AS-HQ", "AS-KAMRUPMETRO-PS-001", "NCRB", "CBI"])
def test_nodal_officer_cannot_create_users_outside_its_state(nodal: User, agency: str) -> None:
    assert_denied(new_user(agency=agency), nodal, "user.create", password=STRONG)


def test_nodal_officer_cannot_edit_another_states_user(nodal: User, user_named: Any) -> None:
    sho = user_named("as.sho")
    sho.full_name = "Renamed by Delhi"
    assert_denied(sho, nodal, "user.update")
    assert fresh(sho).full_name == "Assam SHO"


def test_nodal_officer_cannot_move_a_user_into_another_state(nodal: User, user_named: Any) -> None:
    sho = user_named("dl.sho2")
    sho.agency = ag("AS-KAMRUPMETRO-PS-001")
    assert_denied(sho, nodal, "user.update")
    assert fresh(sho).agency.code == "DL-NEWDELHI-PS-002"


def test_nodal_officer_cannot_pull_a_user_from_another_state(nodal: User, user_named: Any) -> None:
    sho = user_named("as.sho2")
    sho.agency = ag("DL-NEWDELHI-PS-002")
    assert_denied(sho, nodal, "user.update")
    assert fresh(sho).agency.code == "AS-KAMRUPMETRO-PS-002"


def test_nodal_officer_cannot_edit_a_superuser_even_in_its_state(nodal: User) -> None:
    root = make_user("dl.root", "DL-HQ", Role.ADMIN, is_superuser=True)
    root.full_name = "Renamed"
    assert_denied(root, nodal, "user.update", password=STRONG)
    assert fresh(root).check_password("crimac-demo")


def test_nodal_officer_cannot_edit_the_demo_admin(nodal: User, user_named: Any) -> None:
    root = user_named("admin")
    root.full_name = "Renamed"
    assert_denied(root, nodal, "user.update", password=STRONG)


def test_nodal_officer_cannot_take_over_an_admin_role_user(nodal: User) -> None:
    state_admin = make_user("dl.admin", "DL-HQ", Role.ADMIN)
    assert state_admin.is_staff and not state_admin.is_superuser
    with pytest.raises(PermissionDenied):
        actions.save_user(state_admin, actor=nodal, password=STRONG)
    assert fresh(state_admin).check_password("crimac-demo")


def test_nodal_officer_cannot_create_a_superuser(nodal: User) -> None:
    with pytest.raises(PermissionDenied):
        actions.save_user(new_user(is_superuser=True), actor=nodal, password=STRONG)
    assert not User.objects.filter(username="dl.newuser", is_superuser=True).exists()


@pytest.mark.parametrize("username", ["dl.sho", "dl.sp", "dl.control", "dl.analyst", "analyst"])
def test_users_without_manage_users_cannot_create_anyone(user_named: Any, username: str) -> None:
    assert_denied(new_user(), user_named(username), "user.create", password=STRONG)


def test_officer_cannot_change_its_own_role(user_named: Any) -> None:
    actor, sho = user_named("dl.sho"), user_named("dl.sho")
    sho.role = Role.NODAL_OFFICER
    assert_denied(sho, actor, "user.update")
    assert fresh(sho).role == Role.OFFICER


def test_nodal_officer_of_a_national_agency_manages_nobody() -> None:
    # save_user refuses such a user; create_user does not validate, so the permission is checked alone.
    national_nodal = make_user("ncrb.nodal", "NCRB", Role.NODAL_OFFICER)
    assert_denied(new_user(), national_nodal, "user.create", password=STRONG)


def test_admin_creates_an_admin_anywhere(admin: User) -> None:
    user = actions.save_user(new_user(role=Role.ADMIN, agency="AS-HQ"), actor=admin, password=STRONG)
    assert fresh(user).role == Role.ADMIN


def test_admin_role_without_superuser_may_grant_admin() -> None:
    operator = make_user("ops.admin", "NCRB", Role.ADMIN)
    user = actions.save_user(new_user(role=Role.ADMIN, agency="DL-HQ"), actor=operator, password=STRONG)
    assert fresh(user).role == Role.ADMIN


def test_admin_role_without_superuser_cannot_edit_a_superuser(user_named: Any) -> None:
    operator = make_user("ops.admin", "NCRB", Role.ADMIN)
    root = user_named("admin")
    root.full_name = "Renamed"
    assert_denied(root, operator, "user.update")


def test_superuser_edits_a_superuser(admin: User) -> None:
    root = make_user("dl.root", "DL-HQ", Role.ADMIN, is_superuser=True)
    root.full_name = "Root of Delhi"
    actions.save_user(root, actor=admin)
    assert fresh(root).full_name == "Root of Delhi"


def test_superuser_creates_a_superuser(admin: User) -> None:
    user = new_user(role=Role.ADMIN, agency="DL-HQ", is_superuser=True)
    actions.save_user(user, actor=admin, password=STRONG)
    assert fresh(user).is_superuser


def test_system_creates_a_superuser() -> None:
    user = new_user(role=Role.ADMIN, agency="DL-HQ", is_superuser=True)
    actions.save_user(user, actor=None, password=STRONG, via="cli")
    assert fresh(user).is_superuser


def test_nodal_officer_cannot_make_a_user_superuser(nodal: User, user_named: Any) -> None:
    sho = user_named("dl.sho2")
    sho.is_superuser = True
    assert_denied(sho, nodal, "user.update")
    assert not fresh(sho).is_superuser


def test_admin_role_without_superuser_cannot_make_a_superuser(user_named: Any) -> None:
    operator = make_user("ops.admin", "NCRB", Role.ADMIN)
    assert_denied(
        new_user(role=Role.ADMIN, agency="DL-HQ", is_superuser=True), operator, "user.create", STRONG
    )
    sho = user_named("dl.sho2")
    sho.is_superuser = True
    assert_denied(sho, operator, "user.update")


def test_superuser_may_take_superuser_status_away(admin: User) -> None:
    root = make_user("dl.root", "DL-HQ", Role.ADMIN, is_superuser=True)
    root.is_superuser = False
    actions.save_user(root, actor=admin)
    assert not fresh(root).is_superuser


@pytest.mark.parametrize("username", ["dl.nodal", "dl.sho"])
def test_a_user_passed_as_its_own_actor_cannot_raise_its_role(user_named: Any, username: str) -> None:
    # The same object as user and actor: authorising with its in-memory fields would let it grant
    # itself what it is asking for.
    me = user_named(username)
    me.role = Role.ADMIN
    assert_denied(me, me, "user.update")
    assert fresh(me).role != Role.ADMIN


@pytest.mark.parametrize("username", ["dl.nodal", "dl.sho"])
def test_a_user_passed_as_its_own_actor_cannot_make_itself_superuser(user_named: Any, username: str) -> None:
    me = user_named(username)
    me.is_superuser = True
    assert_denied(me, me, "user.update")
    assert not fresh(me).is_superuser


def test_nodal_officer_may_still_edit_its_own_details(nodal: User) -> None:
    nodal.full_name = "Delhi Nodal Officer (renamed)"
    actions.save_user(nodal, actor=nodal)
    assert fresh(nodal).full_name == "Delhi Nodal Officer (renamed)"


def test_actor_is_authorised_as_stored_not_as_held_in_memory(admin: User, user_named: Any) -> None:
    User.objects.filter(pk=admin.pk).update(is_active=False)
    assert admin.is_active, "the in-memory actor still says active"
    sho = user_named("dl.sho2")
    sho.full_name = "Renamed by a deactivated superuser"
    assert_denied(sho, admin, "user.update")


# --- validation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "short1A!",  # too short
        "password123",  # common
        "98765432109876",  # numeric
        "dl.newuser.2",  # too close to the username
    ],
)
def test_weak_password_is_refused(nodal: User, password: str) -> None:
    messages = assert_invalid(new_user(), nodal, "password", password=password)
    assert messages
    assert not User.objects.filter(username="dl.newuser").exists()


def test_weak_password_on_update_keeps_the_old_one(nodal: User, user_named: Any) -> None:
    sho = user_named("dl.sho2")
    assert_invalid(sho, nodal, "password", password="1234567890")
    assert fresh(sho).check_password("crimac-demo")


@pytest.mark.parametrize("username", ["dl.sho", "DL.SHO", "Dl.Sho", "ADMIN"])
def test_duplicate_username_is_refused_case_insensitively(nodal: User, username: str) -> None:
    messages = assert_invalid(new_user(username=username), nodal, "username", password=STRONG)
    assert messages == [f"{username} is already taken"]


def test_renaming_a_user_to_a_case_variant_of_its_own_name_is_allowed(nodal: User, user_named: Any) -> None:
    sho = user_named("dl.sho2")
    sho.username = "DL.SHO2"
    actions.save_user(sho, actor=nodal)
    assert fresh(sho).username == "DL.SHO2"


@pytest.mark.parametrize("username", ["", "   ", "with space", "semi;colon", "slash/name"])
def test_bad_username_is_refused(nodal: User, username: str) -> None:
    assert_invalid(new_user(username=username), nodal, "username", password=STRONG)


def test_nodal_officer_in_a_national_agency_is_refused(admin: User) -> None:
    messages = assert_invalid(
        new_user(role=Role.NODAL_OFFICER, agency="NCRB"), admin, "role", password=STRONG
    )
    assert messages == ["a State nodal officer belongs to an agency of that State"]


def test_unknown_role_is_refused(admin: User) -> None:
    assert_invalid(new_user(role="root"), admin, "role", password=STRONG)


def test_active_user_in_an_inactive_agency_is_refused(admin: User) -> None:
    station = Agency.objects.get(code="DL-NEWDELHI-PS-002")
    station.active = False
    actions.save_agency(station, actor=admin)
    assert_invalid(new_user(agency="DL-NEWDELHI-PS-002"), admin, "agency", password=STRONG)


# --- passwords --------------------------------------------------------------------------------------


def test_password_is_hashed_with_argon2(nodal: User) -> None:
    user = actions.save_user(new_user(), actor=nodal, password=STRONG)
    stored = fresh(user).password
    assert stored.startswith("argon2")
    assert STRONG not in stored
    assert identify_hasher(stored).algorithm == "argon2"
    assert fresh(user).check_password(STRONG)
    assert not fresh(user).check_password(STRONG + "x")


def test_settings_put_argon2_first() -> None:
    """The suite swaps in a fast Argon2 hasher; the project's own settings module must still ask
    for Django's Argon2 hasher first (new hashes) and keep PBKDF2 (old hashes still verify)."""
    project_settings = importlib.import_module("crimac.settings")
    hashers = project_settings.PASSWORD_HASHERS
    assert hashers[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in hashers


def test_user_created_without_a_password_cannot_log_in(nodal: User) -> None:
    user = actions.save_user(new_user(), actor=nodal)
    assert not fresh(user).has_usable_password()


def test_update_without_a_password_keeps_the_hash(nodal: User, user_named: Any) -> None:
    sho = user_named("dl.sho2")
    old_hash = sho.password
    sho.phone = "+91 98100 00000"
    actions.save_user(sho, actor=nodal)
    assert fresh(sho).password == old_hash


def test_update_with_a_password_replaces_it(nodal: User, user_named: Any) -> None:
    sho = user_named("dl.sho2")
    actions.save_user(sho, actor=nodal, password=STRONG)
    assert fresh(sho).check_password(STRONG)
    assert not fresh(sho).check_password("crimac-demo")
    assert fresh(sho).password.startswith("argon2")


# --- audit ------------------------------------------------------------------------------------------


def test_create_is_audited_with_every_field_and_password_set_but_no_password(nodal: User) -> None:
    user = actions.save_user(new_user(), actor=nodal, password=STRONG, via="test")
    [row] = AuditEvent.objects.filter(action="user.create", object_id=str(user.pk))
    assert (row.actor, row.agency_code, row.outcome, row.via) == (nodal, "DL-HQ", "success", "test")
    assert row.object_type == "directory.user"
    changes = row.detail["changes"]
    assert set(changes) == set(AUDITED_USER_FIELDS)
    assert changes["username"] == [None, "dl.newuser"]
    assert changes["role"] == [None, "officer"]
    assert changes["agency_id"] == [None, ag("DL-NEWDELHI-PS-001").pk]
    assert row.detail["password_set"] is True
    dumped = json.dumps(row.detail)
    assert STRONG not in dumped
    assert fresh(user).password not in dumped
    assert "argon2" not in dumped


def test_update_audits_only_changed_fields(nodal: User, user_named: Any) -> None:
    sho = user_named("dl.sho2")
    sho.role = Role.SUPERVISOR
    sho.rank = "Inspector"
    actions.save_user(sho, actor=nodal)
    [row] = AuditEvent.objects.filter(action="user.update", object_id=str(sho.pk))
    assert row.detail == {"changes": {"role": ["officer", "supervisor"], "rank": ["SI", "Inspector"]}}
    assert "password_set" not in row.detail


def test_password_change_is_audited_as_a_flag_only(nodal: User, user_named: Any) -> None:
    sho = user_named("dl.sho2")
    actions.save_user(sho, actor=nodal, password=STRONG)
    [row] = AuditEvent.objects.filter(action="user.update", object_id=str(sho.pk))
    assert row.detail == {"changes": {}, "password_set": True}
    assert STRONG not in json.dumps(row.detail)


def test_refused_save_writes_no_success_row(nodal: User) -> None:
    with pytest.raises(ValidationError):
        actions.save_user(new_user(username="DL.SHO"), actor=nodal, password=STRONG)
    assert not AuditEvent.objects.filter(action="user.create", outcome="success", actor=nodal).exists()
