"""Subscriptions at publish: include rules adding recipients (agency and user rules), never over an
exclusion or an H2 alert; agency mutes marking routine deliveries muted but never flash or
immediate ones; user mutes as a read-time filter; and the rules' validation, permissions and
audit rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crimac.alerts.actions import create_alert, revise_alert
from crimac.alerts.models import Alert
from crimac.alerts.schemas import AlertIn, AlertRevise
from crimac.audit.models import AuditEvent
from crimac.directory.models import User
from crimac.dissemination import subscriptions
from crimac.dissemination.models import Delivery, Subscription
from crimac.dissemination.subscriptions import create_subscription, muted_for_user_q, remove_subscription
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def user(username: str) -> User:
    return User.objects.select_related("agency").get(username=username)


def post(username: str, audience: dict[str, Any], **fields: Any) -> Alert:
    data: dict[str, Any] = {
        "category": "missing_person",
        "title": "Missing girl, 14, from the railway colony",
        "persons": [{"role": "missing", "name": "Pooja", "gender": "female", "age_min": 13, "age_max": 15}],
        "audience": audience,
        **fields,
    }
    return create_alert(AlertIn.model_validate(data), actor=user(username), publish=True).alert


def deliveries(alert: Alert) -> dict[str, Delivery]:
    return {d.agency.code: d for d in Delivery.objects.filter(alert=alert).select_related("agency")}


def rule(by: str, kind: str = "include", **fields: str) -> Subscription:
    return create_subscription(actor=user(by), kind=kind, **fields)


# --- include rules ---------------------------------------------------------------------------------


def test_an_agency_include_rule_adds_it_for_matching_alerts_only() -> None:
    # Haryana's Gurugram control room wants Delhi's missing persons (a neighbouring State).
    rule("hr.nodal", agency="HR-GURUGRAM-DCR", category="missing_person", state="DL")
    matching = post("dl.sho", {"states": ["DL"]})
    got = deliveries(matching)
    assert got["HR-GURUGRAM-DCR"].reason == "subscription"
    assert not got["HR-GURUGRAM-DCR"].muted
    # Outsiders: other Haryana units without a rule; and other categories or States.
    assert "HR-GURUGRAM-PS-001" not in got and "HR-HQ" not in got
    other_category = post(
        "dl.sho",
        {"states": ["DL"]},
        category="stolen_vehicle",
        title="Stolen car, white Swift",
        persons=[],
        vehicles=[{"registration": "DL3CAB1234"}],
    )
    assert "HR-GURUGRAM-DCR" not in deliveries(other_category)
    other_state = post("as.sho", {"states": ["AS"]})
    assert "HR-GURUGRAM-DCR" not in deliveries(other_state)
    # The subscriber now sees the alert; an agency without the rule does not.
    assert (
        Alert.objects.visible_to(make_user("v.hr.dcr", "HR-GURUGRAM-DCR", "officer"))
        .filter(pk=matching.pk)
        .exists()
    )
    assert not Alert.objects.visible_to(user("hr.sho")).filter(pk=matching.pk).exists()


def test_every_flash_alert_nationally() -> None:
    rule("admin", agency="CBI", priority="flash")
    flash = post("as.sho", {"states": ["AS"]}, priority="flash")
    immediate = post("as.sho", {"states": ["AS"]}, priority="immediate")
    assert deliveries(flash)["CBI"].reason == "subscription"
    assert "CBI" not in deliveries(immediate)
    assert "NIA" not in deliveries(flash)


def test_a_subscription_never_overrides_an_exclusion_nor_widens_an_h2_alert() -> None:
    rule("admin", agency="CBI", category="missing_person")
    excluded = post("dl.sho", {"states": ["DL"], "exclude": {"agencies": ["CBI"]}})
    assert "CBI" not in deliveries(excluded)
    h2 = post("dl.sho", {"states": ["DL"]}, handling_code="H2")
    assert "CBI" not in deliveries(h2)
    plain = post("dl.sho", {"states": ["DL"]})
    assert deliveries(plain)["CBI"].reason == "subscription"


def test_a_named_recipient_keeps_its_own_reason() -> None:
    rule("admin", agency="CBI", category="missing_person")
    alert = post("dl.sho", {"agencies": ["CBI"]})
    assert deliveries(alert)["CBI"].reason == "named"


def test_subscribers_alone_do_not_make_an_audience_that_reaches_nobody_publishable() -> None:
    rule("admin", agency="CBI", category="missing_person")
    before = (Alert.objects.count(), Delivery.objects.count())
    with pytest.raises(ValidationError) as refused:
        post("dl.sho", {"states": ["HR"], "exclude": {"states": ["HR"]}})
    assert list(refused.value.message_dict) == ["audience"]
    assert (Alert.objects.count(), Delivery.objects.count()) == before


def test_a_user_include_rule_delivers_to_the_users_agency() -> None:
    rule("hr.sho", category="wanted_person", state="DL")  # hr.sho: HR-GURUGRAM-PS-001
    alert = post(
        "dl.sho",
        {"states": ["DL"]},
        category="wanted_person",
        title="Absconder wanted",
        persons=[{"role": "accused", "name": "Vikram"}],
    )
    got = deliveries(alert)
    assert got["HR-GURUGRAM-PS-001"].reason == "subscription (user)"
    assert "HR-GURUGRAM-PS-002" not in got


def test_a_user_rule_stops_counting_when_the_user_is_deactivated() -> None:
    rule("hr.sho", category="wanted_person")
    officer = user("hr.sho")
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    alert = post(
        "dl.sho",
        {"states": ["DL"]},
        category="wanted_person",
        title="Absconder wanted",
        persons=[{"role": "accused", "name": "Vikram"}],
    )
    assert "HR-GURUGRAM-PS-001" not in deliveries(alert)


def test_a_removed_rule_no_longer_adds_anyone() -> None:
    made = rule("admin", agency="CBI", category="missing_person")
    remove_subscription(made, actor=user("admin"))
    alert = post("dl.sho", {"states": ["DL"]})
    assert "CBI" not in deliveries(alert)


# --- mutes -----------------------------------------------------------------------------------------


def test_an_agency_mute_marks_routine_deliveries_muted_but_never_flash() -> None:
    rule("dl.sp", kind="mute", agency="DL-NEWDELHI-PS-002", category="general_advisory", priority="routine")
    advisory = {"category": "general_advisory", "title": "Festival traffic advisory", "persons": []}
    routine = post("dl.sho", {"states": ["DL"]}, **advisory)
    got = deliveries(routine)
    assert got["DL-NEWDELHI-PS-002"].muted is True
    assert got["DL-NEWDELHI-PS-002"].escalate_at is None
    assert got["DL-NEWDELHI-PS-001"].muted is False  # another station of the same district
    flash = post("dl.sho", {"states": ["DL"]}, priority="flash", **advisory)
    assert deliveries(flash)["DL-NEWDELHI-PS-002"].muted is False
    assert deliveries(flash)["DL-NEWDELHI-PS-002"].escalate_at is not None
    immediate = post("dl.sho", {"states": ["DL"]}, priority="immediate", **advisory)
    assert deliveries(immediate)["DL-NEWDELHI-PS-002"].muted is False
    other = post("dl.sho", {"states": ["DL"]}, priority="routine")  # a routine missing person
    assert deliveries(other)["DL-NEWDELHI-PS-002"].muted is False


def test_a_user_mute_hides_routine_from_that_user_only() -> None:
    first = make_user("v.dl.ps2.a", "DL-NEWDELHI-PS-002", "officer")
    second = make_user("v.dl.ps2.b", "DL-NEWDELHI-PS-002", "officer")
    create_subscription(actor=first, kind="mute", priority="routine")
    advisory = {"category": "general_advisory", "title": "Festival traffic advisory", "persons": []}
    routine = post("dl.sho", {"states": ["DL"]}, **advisory)
    flash = post("dl.sho", {"states": ["DL"]}, priority="flash", **advisory)
    inbox = Delivery.objects.filter(agency=first.agency, alert__in=[routine, flash])
    assert set(inbox.exclude(muted_for_user_q(first)).values_list("alert_id", flat=True)) == {flash.pk}
    assert set(inbox.exclude(muted_for_user_q(second)).values_list("alert_id", flat=True)) == {
        routine.pk,
        flash.pk,
    }
    # The agency's delivery itself is not muted: the other officer still gets it.
    assert not Delivery.objects.get(alert=routine, agency=first.agency).muted
    rules = list(Subscription.objects.filter(user=first))
    routine_delivery = Delivery.objects.select_related("alert").get(alert=routine, agency=first.agency)
    assert subscriptions.delivery_muted_for_user(routine_delivery, rules)


@pytest.mark.parametrize("priority", ["", "flash", "immediate"])
def test_a_mute_rule_must_name_routine_or_priority(priority: str) -> None:
    with pytest.raises(ValidationError) as refused:
        rule("dl.sp", kind="mute", agency="DL-NEWDELHI-PS-002", priority=priority)
    assert "never muted" in refused.value.message_dict["priority"][0]
    assert not Subscription.objects.exists()


def test_a_revision_keeps_earlier_recipients_muted_or_not() -> None:
    rule("dl.sp", kind="mute", agency="DL-NEWDELHI-PS-002", priority="routine")
    alert = post("dl.sho", {"states": ["DL"]}, priority="routine")
    assert deliveries(alert)["DL-NEWDELHI-PS-002"].muted
    revise_alert(
        alert,
        AlertRevise.model_validate({"summary": "wider", "audience": {"states": ["DL", "HR"]}}),
        actor=user("dl.sho"),
    )
    got = deliveries(alert)
    assert got["DL-NEWDELHI-PS-002"].revision == 2 and got["HR-HQ"].revision == 2


# --- validation, permissions, audit ---------------------------------------------------------------


def test_include_rules_are_validated_naming_each_field() -> None:
    with pytest.raises(ValidationError) as refused:
        rule("dl.nodal", agency="DL-CR", category="picnics", priority="urgent", state="XX")
    assert set(refused.value.message_dict) == {"category", "priority", "state"}
    with pytest.raises(ValidationError) as refused:
        rule("dl.nodal", agency="DL-CR")
    assert "name a category, a priority or a State" in refused.value.message_dict["__all__"][0]
    with pytest.raises(ValidationError) as refused:
        rule("dl.nodal", agency="NO-SUCH-UNIT", priority="flash")
    assert list(refused.value.message_dict) == ["agency"]
    rule("dl.nodal", agency="DL-CR", priority="flash")
    with pytest.raises(ValidationError) as refused:
        rule("dl.nodal", agency="DL-CR", priority="flash")
    assert "exists already" in refused.value.message_dict["__all__"][0]


def test_who_may_make_agency_rules() -> None:
    # The nodal officer: agencies of their State; the supervisor: their subtree; the admin: any.
    rule("dl.nodal", agency="DL-NEWDELHI-PS-001", priority="flash")
    rule("dl.sp", agency="DL-NEWDELHI-DCR", priority="flash")
    rule("admin", agency="AS-HQ", priority="flash")
    for who, agency in [
        ("dl.nodal", "AS-HQ"),
        ("dl.sp", "DL-HQ"),
        ("dl.sho", "DL-NEWDELHI-PS-001"),
        ("analyst", "NCRB"),
    ]:
        before = AuditEvent.objects.filter(action="subscription.create", outcome="denied").count()
        with pytest.raises(PermissionDenied):
            rule(who, agency=agency, priority="flash")
        assert (
            AuditEvent.objects.filter(action="subscription.create", outcome="denied").count() == before + 1
        ), who
    assert Subscription.objects.count() == 3


def test_who_may_make_their_own_rules() -> None:
    rule("dl.sho", kind="mute", priority="routine")
    rule("dl.nodal", state="HR", category="missing_person")
    for who in ["analyst", "dl.analyst"]:  # their roles receive no alerts
        with pytest.raises(PermissionDenied):
            rule(who, kind="mute", priority="routine")
    assert AuditEvent.objects.filter(action="subscription.create", outcome="denied").count() == 2


def test_making_and_removing_a_rule_is_audited() -> None:
    made = rule("dl.nodal", agency="DL-CR", category="missing_person", state="HR")
    created = AuditEvent.objects.get(action="subscription.create", outcome="success")
    assert created.actor_name == "dl.nodal" and created.object_id == str(made.pk)
    assert created.detail == {
        "kind": "include",
        "for": "DL-CR",
        "category": "missing_person",
        "priority": "",
        "state": "HR",
    }
    with pytest.raises(PermissionDenied):
        remove_subscription(made, actor=user("dl.sho"))  # an officer elsewhere in the State
    remove_subscription(made, actor=user("dl.nodal"))
    remove_subscription(made, actor=user("dl.nodal"))  # again: nothing more happens
    made.refresh_from_db()
    assert made.active is False
    assert AuditEvent.objects.filter(action="subscription.remove", outcome="success").count() == 1
    assert AuditEvent.objects.filter(action="subscription.remove", outcome="denied").count() == 1


def test_who_sees_which_rules() -> None:
    own = rule("dl.sho", kind="mute", priority="routine")
    station = rule("dl.sp", agency="DL-NEWDELHI-PS-001", priority="flash")
    other_state = rule("as.nodal", agency="AS-HQ", priority="flash")
    seen = {
        u: set(subscriptions.visible_subscriptions(user(u)).values_list("pk", flat=True))
        for u in ["dl.sho", "dl.sho2", "dl.sp", "dl.nodal", "as.nodal", "admin"]
    }
    assert seen["dl.sho"] == {own.pk, station.pk}  # its own, and its agency's
    assert seen["dl.sho2"] == set()  # another station: neither
    assert seen["dl.sp"] == {station.pk}  # its subtree's agency rules, not officers' own rules
    assert seen["dl.nodal"] == {station.pk}
    assert seen["as.nodal"] == {other_state.pk}
    assert seen["admin"] == {station.pk, other_state.pk}
