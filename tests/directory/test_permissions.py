"""The role table of `crimac.directory.permissions`: what each role may do, over which agencies.

The expected table below is written out by hand, not read from `ROLE_PERMISSIONS`, so a change to
the table that nobody meant shows up here.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from crimac.directory.choices import Role
from crimac.directory.models import Agency, User
from crimac.directory.permissions import (
    Perm,
    Scope,
    has_perm,
    may_act_on,
    may_grant_role,
    scope_filter,
    scope_of,
)

P = Perm
S = Scope

# For each role: perm -> (scope for a user of a State agency, scope for a user of a national one).
# Perms not listed are NONE for both.
EXPECTED: dict[str, dict[Perm, tuple[Scope, Scope]]] = {
    Role.OFFICER: {
        P.VIEW_DIRECTORY: (S.NATIONAL, S.NATIONAL),
        P.POST_ALERT: (S.AGENCY, S.AGENCY),
        P.ACKNOWLEDGE: (S.AGENCY, S.AGENCY),
    },
    Role.SUPERVISOR: {
        P.VIEW_DIRECTORY: (S.NATIONAL, S.NATIONAL),
        P.POST_ALERT: (S.AGENCY, S.AGENCY),
        P.ACKNOWLEDGE: (S.SUBTREE, S.SUBTREE),
        P.REVISE_ALERT: (S.SUBTREE, S.SUBTREE),
        P.VIEW_OVERSIGHT: (S.SUBTREE, S.SUBTREE),
    },
    Role.NODAL_OFFICER: {
        P.VIEW_DIRECTORY: (S.NATIONAL, S.NATIONAL),
        # A nodal officer is a State's: in a national agency the State-wide powers reach nothing.
        P.OPEN_ADMIN: (S.STATE, S.NONE),
        P.MANAGE_AGENCIES: (S.STATE, S.NONE),
        P.MANAGE_USERS: (S.STATE, S.NONE),
        P.MANAGE_API_KEYS: (S.STATE, S.NONE),
        P.MANAGE_CHANNELS: (S.STATE, S.NONE),
        P.VIEW_AUDIT: (S.STATE, S.NONE),
        P.VIEW_OVERSIGHT: (S.STATE, S.NONE),
        P.POST_ALERT: (S.AGENCY, S.AGENCY),
        P.ACKNOWLEDGE: (S.SUBTREE, S.SUBTREE),
        P.REVISE_ALERT: (S.SUBTREE, S.SUBTREE),
    },
    Role.ANALYST: {
        P.VIEW_DIRECTORY: (S.NATIONAL, S.NATIONAL),
        # JURISDICTION: the State for a State analyst, the nation for NCRB's.
        P.VIEW_ALL_ALERTS: (S.STATE, S.NATIONAL),
        P.VIEW_OVERSIGHT: (S.STATE, S.NATIONAL),
    },
    Role.ADMIN: {
        P.VIEW_DIRECTORY: (S.NATIONAL, S.NATIONAL),
        P.OPEN_ADMIN: (S.NATIONAL, S.NATIONAL),
        P.MANAGE_AGENCIES: (S.NATIONAL, S.NATIONAL),
        P.MANAGE_USERS: (S.NATIONAL, S.NATIONAL),
        P.MANAGE_API_KEYS: (S.NATIONAL, S.NATIONAL),
        P.MANAGE_CHANNELS: (S.NATIONAL, S.NATIONAL),
        P.MANAGE_GEOGRAPHY: (S.NATIONAL, S.NATIONAL),
        P.VIEW_AUDIT: (S.NATIONAL, S.NATIONAL),
        P.VIEW_OVERSIGHT: (S.NATIONAL, S.NATIONAL),
    },
}

TABLE = [(role, perm) for role in Role.values for perm in Perm]

DELHI_DEMO_USERS = {"dl.nodal", "dl.analyst", "dl.control", "dl.sp", "dl.sho", "dl.sho2"}
NEWDELHI_SUBTREE = {
    "DL-NEWDELHI-DPO",
    "DL-NEWDELHI-DCR",
    "DL-NEWDELHI-AHTU",
    "DL-NEWDELHI-PS-001",
    "DL-NEWDELHI-PS-002",
}


def agency(code: str) -> Agency:
    return Agency.objects.get(code=code)


def unsaved_user(role: str, agency_code: str, **fields: Any) -> User:
    """A user that is never saved: the permission functions read only role, agency and flags."""
    return User(username=f"t.{role}", role=role, agency=agency(agency_code), **fields)


def codes(user: Any, perm: Perm) -> set[str]:
    return set(Agency.objects.filter(scope_filter(user, perm)).values_list("code", flat=True))


def usernames(user: Any, perm: Perm) -> set[str]:
    qs = User.objects.filter(scope_filter(user, perm, "agency__")).filter(is_system=False)
    return set(qs.values_list("username", flat=True))


# --- the table ------------------------------------------------------------------------------------


def test_expected_table_covers_every_role() -> None:
    assert set(EXPECTED) == set(Role.values)


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "perm"), TABLE, ids=[f"{r}-{p}" for r, p in TABLE])
def test_role_table(role: str, perm: Perm) -> None:
    at_state, at_national = EXPECTED[role].get(perm, (S.NONE, S.NONE))
    state_user = unsaved_user(role, "DL-NEWDELHI-DPO")
    national_user = unsaved_user(role, "NCRB")

    assert scope_of(state_user, perm) == at_state
    assert has_perm(state_user, perm) is (at_state != S.NONE)
    assert scope_of(national_user, perm) == at_national
    assert has_perm(national_user, perm) is (at_national != S.NONE)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "role", "agency_code"),
    [
        ("admin", Role.ADMIN, "NCRB"),
        ("analyst", Role.ANALYST, "NCRB"),
        ("dl.nodal", Role.NODAL_OFFICER, "DL-HQ"),
        ("dl.analyst", Role.ANALYST, "DL-HQ"),
        ("dl.control", Role.OFFICER, "DL-CR"),
        ("dl.sp", Role.SUPERVISOR, "DL-NEWDELHI-DPO"),
        ("dl.sho", Role.OFFICER, "DL-NEWDELHI-PS-001"),
        ("as.nodal", Role.NODAL_OFFICER, "AS-HQ"),
    ],
)
def test_demo_logins_have_the_roles_the_tests_rely_on(
    user_named: Any, username: str, role: str, agency_code: str
) -> None:
    user = user_named(username)
    assert (user.role, user.agency.code) == (role, agency_code)
    assert user.is_superuser is (username == "admin")


# --- analyst: national at NCRB, State-scoped at a State HQ ----------------------------------------


@pytest.mark.django_db
def test_analyst_at_ncrb_is_national(user_named: Any) -> None:
    analyst = user_named("analyst")
    for perm in (P.VIEW_ALL_ALERTS, P.VIEW_OVERSIGHT):
        assert scope_of(analyst, perm) == S.NATIONAL
        assert Agency.objects.filter(scope_filter(analyst, perm)).count() == Agency.objects.count()
        for code in ("DL-NEWDELHI-PS-001", "AS-KAMRUPMETRO-DPO", "CBI", "NCRB"):
            assert may_act_on(analyst, perm, agency(code))
    for perm in (P.MANAGE_AGENCIES, P.MANAGE_USERS, P.OPEN_ADMIN, P.POST_ALERT, P.VIEW_AUDIT):
        assert not has_perm(analyst, perm)
    assert not analyst.is_staff


@pytest.mark.django_db
def test_analyst_at_state_hq_is_state_scoped(user_named: Any) -> None:
    analyst = user_named("dl.analyst")
    delhi = set(Agency.objects.filter(state__code="DL").values_list("code", flat=True))
    for perm in (P.VIEW_ALL_ALERTS, P.VIEW_OVERSIGHT):
        assert scope_of(analyst, perm) == S.STATE
        assert codes(analyst, perm) == delhi
        assert may_act_on(analyst, perm, agency("DL-SOUTH-PS-002"))
        assert not may_act_on(analyst, perm, agency("AS-KAMRUPMETRO-DPO"))
        assert not may_act_on(analyst, perm, agency("NCRB"))
        assert not may_act_on(analyst, perm, None)
    assert "AS-HQ" not in delhi and "DL-HQ" in delhi


# --- nodal officer: its State only ------------------------------------------------------------------


@pytest.mark.django_db
def test_nodal_officer_reaches_only_its_state(user_named: Any) -> None:
    nodal = user_named("dl.nodal")
    delhi = set(Agency.objects.filter(state__code="DL").values_list("code", flat=True))
    assert len(delhi) > 50
    for perm in (P.MANAGE_AGENCIES, P.MANAGE_USERS, P.MANAGE_API_KEYS, P.VIEW_AUDIT, P.OPEN_ADMIN):
        assert scope_of(nodal, perm) == S.STATE
        assert codes(nodal, perm) == delhi
        assert may_act_on(nodal, perm, agency("DL-HQ"))
        assert may_act_on(nodal, perm, agency("DL-NORTHWEST-PS-001"))
        assert not may_act_on(nodal, perm, agency("AS-HQ"))
        assert not may_act_on(nodal, perm, agency("AS-KAMRUPMETRO-PS-001"))
        assert not may_act_on(nodal, perm, agency("CBI")), "a national agency is in no State"
        assert not may_act_on(nodal, perm, None)
    assert not has_perm(nodal, P.MANAGE_GEOGRAPHY)
    assert not has_perm(nodal, P.VIEW_ALL_ALERTS)
    assert set(Agency.objects.manageable_by(nodal).values_list("code", flat=True)) == delhi
    assert nodal.is_staff


@pytest.mark.django_db
def test_nodal_officer_manages_only_its_states_users(user_named: Any) -> None:
    assert usernames(user_named("dl.nodal"), P.MANAGE_USERS) == DELHI_DEMO_USERS
    assert usernames(user_named("as.nodal"), P.MANAGE_USERS) == {
        u.replace("dl.", "as.") for u in DELHI_DEMO_USERS
    }


@pytest.mark.django_db
def test_nodal_officer_of_a_national_agency_reaches_nothing() -> None:
    nodal = unsaved_user(Role.NODAL_OFFICER, "NCRB")
    for perm in (P.MANAGE_AGENCIES, P.MANAGE_USERS, P.OPEN_ADMIN, P.VIEW_AUDIT):
        assert not has_perm(nodal, perm)
        assert codes(nodal, perm) == set()
        assert not may_act_on(nodal, perm, agency("NCRB"))
        assert not may_act_on(nodal, perm, agency("DL-HQ"))
    assert not nodal.is_staff
    assert not may_grant_role(nodal, Role.OFFICER)
    # What does not depend on a State still works.
    assert scope_of(nodal, P.POST_ALERT) == S.AGENCY
    assert codes(nodal, P.POST_ALERT) == {"NCRB"}


# --- supervisor: its subtree ------------------------------------------------------------------------


@pytest.mark.django_db
def test_supervisor_reaches_its_subtree(user_named: Any) -> None:
    sp = user_named("dl.sp")
    for perm in (P.ACKNOWLEDGE, P.REVISE_ALERT, P.VIEW_OVERSIGHT):
        assert scope_of(sp, perm) == S.SUBTREE
        assert codes(sp, perm) == NEWDELHI_SUBTREE
        assert may_act_on(sp, perm, agency("DL-NEWDELHI-DPO"))
        assert may_act_on(sp, perm, agency("DL-NEWDELHI-PS-002"))
        assert not may_act_on(sp, perm, agency("DL-HQ")), "above the supervisor"
        assert not may_act_on(sp, perm, agency("DL-EAST-PS-001")), "a sibling district"
        assert not may_act_on(sp, perm, agency("AS-KAMRUPMETRO-PS-001"))
    assert codes(sp, P.POST_ALERT) == {"DL-NEWDELHI-DPO"}
    assert not may_act_on(sp, P.POST_ALERT, agency("DL-NEWDELHI-PS-001"))
    assert usernames(sp, P.ACKNOWLEDGE) == {"dl.sp", "dl.sho", "dl.sho2"}
    assert not has_perm(sp, P.MANAGE_USERS)
    assert not sp.is_staff


@pytest.mark.django_db
def test_subtree_is_a_path_prefix_on_whole_ids_only() -> None:
    """A supervisor at MHA (path "/1/") must not reach "/16/..." or "/12/...": the prefix match
    works on whole path segments."""
    sp = unsaved_user(Role.SUPERVISOR, "MHA")
    mha = agency("MHA")
    national = set(Agency.objects.filter(state__isnull=True).values_list("code", flat=True))
    look_alikes = [
        a for a in Agency.objects.exclude(state__isnull=True) if a.path.startswith(mha.path.rstrip("/"))
    ]
    assert look_alikes, "the demo directory has agencies whose path starts with MHA's id digits"
    assert codes(sp, P.ACKNOWLEDGE) == national
    for a in look_alikes:
        assert not may_act_on(sp, P.ACKNOWLEDGE, a)


# --- officer: its own agency ------------------------------------------------------------------------


@pytest.mark.django_db
def test_officer_reaches_its_own_agency(user_named: Any) -> None:
    sho = user_named("dl.sho")
    for perm in (P.POST_ALERT, P.ACKNOWLEDGE):
        assert scope_of(sho, perm) == S.AGENCY
        assert codes(sho, perm) == {"DL-NEWDELHI-PS-001"}
        assert may_act_on(sho, perm, agency("DL-NEWDELHI-PS-001"))
        assert not may_act_on(sho, perm, agency("DL-NEWDELHI-PS-002"))
        assert not may_act_on(sho, perm, agency("DL-NEWDELHI-DPO"))
    assert usernames(sho, P.POST_ALERT) == {"dl.sho"}
    assert scope_of(sho, P.VIEW_DIRECTORY) == S.NATIONAL
    for perm in (P.MANAGE_AGENCIES, P.MANAGE_USERS, P.OPEN_ADMIN, P.VIEW_AUDIT, P.REVISE_ALERT):
        assert not has_perm(sho, perm)
        assert codes(sho, perm) == set()
    assert not sho.is_staff


# --- admin role and superuser -----------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_role_without_superuser_is_national_for_management_only() -> None:
    admin_role = unsaved_user(Role.ADMIN, "DL-HQ")
    assert scope_of(admin_role, P.MANAGE_AGENCIES) == S.NATIONAL
    assert may_act_on(admin_role, P.MANAGE_AGENCIES, agency("AS-KAMRUPMETRO-PS-001"))
    assert may_act_on(admin_role, P.MANAGE_USERS, agency("CBI"))
    assert admin_role.is_staff
    assert not has_perm(admin_role, P.POST_ALERT)
    assert all(may_grant_role(admin_role, role) for role in Role.values)


@pytest.mark.django_db
def test_superuser_has_everything(user_named: Any) -> None:
    root = user_named("admin")
    assert root.is_superuser
    for perm in Perm:
        assert scope_of(root, perm) == S.NATIONAL
        assert may_act_on(root, perm, agency("AS-KAMRUPMETRO-PS-001"))
        assert may_act_on(root, perm, None)
    assert codes(root, P.MANAGE_AGENCIES) == set(Agency.objects.values_list("code", flat=True))
    assert all(may_grant_role(root, role) for role in Role.values)
    assert root.is_staff


@pytest.mark.django_db
def test_superuser_flag_beats_a_weak_role() -> None:
    root = unsaved_user(Role.OFFICER, "DL-NEWDELHI-PS-001", is_superuser=True)
    assert scope_of(root, P.MANAGE_GEOGRAPHY) == S.NATIONAL
    assert may_grant_role(root, Role.ADMIN)


# --- nobody: inactive, anonymous, unknown role ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["admin", "analyst", "dl.nodal", "dl.sp", "dl.sho"])
def test_inactive_user_has_nothing(user_named: Any, username: str) -> None:
    user = user_named(username)
    user.is_active = False
    for perm in Perm:
        assert scope_of(user, perm) == S.NONE
        assert not has_perm(user, perm)
        assert codes(user, perm) == set()
        assert not may_act_on(user, perm, user.agency)
    assert not user.is_staff
    assert Agency.objects.visible_to(user).count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["analyst", "dl.nodal"])
def test_inactive_user_may_grant_no_role(user_named: Any, username: str) -> None:
    user = user_named(username)
    user.is_active = False
    assert not any(may_grant_role(user, role) for role in Role.values)


@pytest.mark.django_db
def test_inactive_superuser_may_grant_no_role(user_named: Any) -> None:
    root = user_named("admin")
    root.is_active = False
    assert not has_perm(root, P.MANAGE_USERS)
    assert not may_grant_role(root, Role.ADMIN)


@pytest.mark.django_db
def test_anonymous_user_has_nothing() -> None:
    anon = AnonymousUser()
    for perm in Perm:
        assert scope_of(anon, perm) == S.NONE
        assert not has_perm(anon, perm)
        assert codes(anon, perm) == set()
        assert User.objects.filter(scope_filter(anon, perm, "agency__")).count() == 0
        assert not may_act_on(anon, perm, agency("DL-HQ"))
    assert not any(may_grant_role(anon, role) for role in Role.values)
    assert Agency.objects.visible_to(anon).count() == 0


@pytest.mark.django_db
def test_unknown_role_has_nothing() -> None:
    user = unsaved_user("root", "DL-HQ")
    assert not any(has_perm(user, perm) for perm in Perm)
    assert not may_grant_role(user, Role.OFFICER)


# --- may_grant_role ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "grantable"),
    [
        ("admin", set(Role.values)),
        ("dl.nodal", {Role.OFFICER, Role.SUPERVISOR, Role.NODAL_OFFICER, Role.ANALYST}),
        ("analyst", set()),
        ("dl.analyst", set()),
        ("dl.sp", set()),
        ("dl.sho", set()),
    ],
)
def test_may_grant_role(user_named: Any, username: str, grantable: set[str]) -> None:
    user = user_named(username)
    assert {role for role in Role.values if may_grant_role(user, role)} == grantable


@pytest.mark.django_db
def test_nobody_but_an_administrator_makes_an_administrator(user_named: Any) -> None:
    for username in ("dl.nodal", "as.nodal", "analyst", "dl.sp"):
        assert not may_grant_role(user_named(username), Role.ADMIN)


# --- the two ways of asking agree ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["analyst", "dl.nodal", "dl.analyst", "dl.sp", "dl.sho", "as.nodal"])
def test_may_act_on_agrees_with_scope_filter(user_named: Any, username: str) -> None:
    user = user_named(username)
    everything = list(Agency.objects.all())
    for perm in Perm:
        by_query = codes(user, perm)
        by_rule = {a.code for a in everything if may_act_on(user, perm, a)}
        assert by_query == by_rule, perm


@pytest.mark.django_db
def test_scope_filter_with_prefix_on_users(user_named: Any) -> None:
    assert usernames(user_named("admin"), P.MANAGE_USERS) == set(
        User.objects.filter(is_system=False).values_list("username", flat=True)
    )
    assert usernames(user_named("dl.analyst"), P.VIEW_ALL_ALERTS) == DELHI_DEMO_USERS
    assert usernames(user_named("dl.sho"), P.MANAGE_USERS) == set()
