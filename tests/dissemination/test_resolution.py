"""Resolving an alert's audience to recipient agencies and writing the deliveries: the exact
recipient set of each audience term (compared with the directory queried independently), inactive
agencies, refusals, bulk, revisions, and visibility that now follows the deliveries."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from crimac.alerts import hooks
from crimac.alerts.actions import cancel_alert, create_alert, create_many, resolve_alert, revise_alert
from crimac.alerts.hooks import AlertEvent
from crimac.alerts.models import Alert, AlertSequence, AudienceEntry
from crimac.alerts.schemas import AlertIn, AlertRevise
from crimac.audit.models import AuditEvent
from crimac.directory.actions import save_agency
from crimac.directory.models import Agency, District, User
from crimac.dissemination.models import Delivery
from tests.conftest import assert_reach_holds, make_user

pytestmark = pytest.mark.django_db

NEW_DELHI = 79  # LGD code of New Delhi district (DL)
CENTRAL_DELHI = 77  # LGD code of Central district (DL)
RANCHI = 339  # LGD code of Ranchi district (JH)
JH_NEIGHBOURS = {"BR", "CG", "OD", "UP", "WB"}


def user(username: str) -> User:
    return User.objects.select_related("agency").get(username=username)


def alert_in(audience: dict[str, Any] | None = None, **fields: Any) -> AlertIn:
    data: dict[str, Any] = {
        "category": "wanted_person",
        "title": "Absconder wanted in a robbery case",
        "persons": [{"role": "accused", "name": "Vikram Singh", "gender": "male"}],
    }
    if audience is not None:
        data["audience"] = audience
    data.update(fields)
    return AlertIn.model_validate(data)


def post(username: str, audience: dict[str, Any] | None = None, **fields: Any) -> Alert:
    return create_alert(alert_in(audience, **fields), actor=user(username), publish=True).alert


def recipients(alert: Alert) -> set[str]:
    return set(Delivery.objects.filter(alert=alert).values_list("agency__code", flat=True))


def reasons(alert: Alert) -> dict[str, str]:
    return dict(Delivery.objects.filter(alert=alert).values_list("agency__code", "reason"))


def active() -> QuerySet[Agency]:
    return Agency.objects.filter(active=True)


def codes(qs: QuerySet[Agency]) -> set[str]:
    return set(qs.values_list("code", flat=True))


def deactivate(code: str) -> Agency:
    agency = Agency.objects.get(code=code)
    agency.active = False
    return save_agency(agency, actor=None)


def written() -> tuple[int, int, int, int]:
    return (
        Alert.objects.count(),
        Delivery.objects.count(),
        AudienceEntry.objects.count(),
        AuditEvent.objects.filter(action="alert.publish").count(),
    )


# --- one audience term at a time ---------------------------------------------------------------


def test_national_reaches_every_active_agency_and_only_them() -> None:
    alert = post("dl.sho", {"national": True})
    expected = codes(active())
    assert len(expected) > 1000  # the demo directory, not an empty one
    assert recipients(alert) == expected
    assert set(reasons(alert).values()) == {"national"}
    assert Delivery.objects.filter(alert=alert).count() == len(expected)


def test_a_state_reaches_every_active_agency_of_that_state_only() -> None:
    alert = post("dl.sho", {"states": ["HR"]})
    expected = codes(active().filter(state__code="HR"))
    assert {"HR-HQ", "HR-CR", "HR-GURUGRAM-PS-001", "HR-GURUGRAM-AHTU"} <= expected
    assert recipients(alert) == expected
    assert set(reasons(alert).values()) == {"State"}
    # The originator is not a recipient of an alert it sent elsewhere, nor is any national body.
    assert "DL-NEWDELHI-PS-001" not in recipients(alert)
    assert not recipients(alert) & {"CBI", "NCRB", "MHA", "DL-HQ"}


def test_a_district_reaches_the_agencies_of_that_district_not_of_its_state() -> None:
    alert = post("hr.sho", {"districts": [NEW_DELHI]})
    expected = codes(active().filter(district__lgd_code=NEW_DELHI))
    assert {"DL-NEWDELHI-DPO", "DL-NEWDELHI-DCR", "DL-NEWDELHI-PS-001", "DL-NEWDELHI-PS-002"} <= expected
    assert recipients(alert) == expected
    assert "DL-HQ" not in recipients(alert)
    assert not any(code.startswith("DL-CENTRAL") for code in recipients(alert))
    assert set(reasons(alert).values()) == {"district"}


def test_named_agencies_reach_exactly_those_agencies() -> None:
    alert = post("dl.sho", {"agencies": ["AS-HQ", "CBI"]})
    assert recipients(alert) == {"AS-HQ", "CBI"}
    assert reasons(alert) == {"AS-HQ": "named", "CBI": "named"}


def test_an_agency_kind_reaches_every_unit_of_that_kind_everywhere() -> None:
    alert = post("dl.sho", {"agency_kinds": ["ahtu"]})
    expected = codes(active().filter(kind="ahtu"))
    assert recipients(alert) == expected
    states = set(Agency.objects.filter(code__in=expected).values_list("state__code", flat=True))
    assert {"DL", "HR", "AS", "JH"} <= states
    kinds = set(Agency.objects.filter(code__in=recipients(alert)).values_list("kind", flat=True))
    assert kinds == {"ahtu"}
    assert set(reasons(alert).values()) == {"every ahtu"}


def test_agency_kinds_limited_to_a_state() -> None:
    alert = post("dl.sho", {"agency_kinds": ["ahtu", "cyber_cell"], "agency_kinds_in_states": ["JH"]})
    expected = codes(active().filter(kind__in=["ahtu", "cyber_cell"], state__code="JH"))
    assert "JH-CYBER" in expected and "JH-RANCHI-AHTU" in expected
    assert recipients(alert) == expected
    # Cyber cells and AHTUs of other States (and any national cyber cell) are not reached.
    assert "DL-CYBER" not in recipients(alert)
    assert "JH-HQ" not in recipients(alert)


def test_bordering_states_reach_the_neighbours_only() -> None:
    alert = post("jh.sho", {"bordering_states": True})
    expected = codes(active().filter(state__code__in=JH_NEIGHBOURS))
    assert recipients(alert) == expected
    states = set(Agency.objects.filter(code__in=recipients(alert)).values_list("state__code", flat=True))
    assert states == JH_NEIGHBOURS
    assert set(reasons(alert).values()) == {"bordering State"}


def test_a_combination_reaches_the_union_and_each_agency_once() -> None:
    audience = {
        "states": ["HR"],
        "districts": [RANCHI],
        "agencies": ["CBI", "HR-HQ"],
        "agency_kinds": ["ats"],
    }
    alert = post("dl.sho", audience)
    expected = (
        codes(active().filter(state__code="HR"))
        | codes(active().filter(district__lgd_code=RANCHI))
        | {"CBI"}
        | codes(active().filter(kind="ats"))
    )
    assert recipients(alert) == expected
    assert Delivery.objects.filter(alert=alert).count() == len(expected)
    got = reasons(alert)
    # The first term that reaches an agency is its reason.
    assert got["HR-HQ"] == "State"
    assert got["HR-ATS"] == "State"
    assert got["JH-RANCHI-PS-001"] == "district"
    assert got["CBI"] == "named"
    assert got["AS-ATS"] == "every ats"
    # Outsiders: a Delhi station, another Jharkhand district's station, a national body.
    assert not recipients(alert) & {"DL-NEWDELHI-PS-001", "JH-HQ", "NCRB"}


def test_the_default_audience_is_the_incident_state() -> None:
    alert = post("as.sho")
    assert recipients(alert) == codes(active().filter(state__code="AS"))


# --- inactive agencies ---------------------------------------------------------------------------


def test_inactive_agencies_never_get_a_delivery_even_after_the_index_was_built() -> None:
    before = post("dl.sho", {"states": ["HR"]})  # builds the per-process index
    assert "HR-GURUGRAM-PS-002" in recipients(before)
    deactivate("HR-GURUGRAM-PS-002")
    after = post("dl.sho", {"states": ["HR"]})
    assert "HR-GURUGRAM-PS-002" not in recipients(after)
    assert recipients(after) == codes(active().filter(state__code="HR"))
    assert recipients(after) == recipients(before) - {"HR-GURUGRAM-PS-002"}
    national = post("dl.sho", {"national": True})
    assert "HR-GURUGRAM-PS-002" not in recipients(national)
    kind = post("dl.sho", {"agency_kinds": ["police_station"], "agency_kinds_in_states": ["HR"]})
    assert "HR-GURUGRAM-PS-002" not in recipients(kind)
    assert "HR-GURUGRAM-PS-001" in recipients(kind)


def test_a_reactivated_agency_is_reached_again() -> None:
    deactivate("HR-GURUGRAM-PS-002")
    assert "HR-GURUGRAM-PS-002" not in recipients(post("dl.sho", {"states": ["HR"]}))
    agency = Agency.objects.get(code="HR-GURUGRAM-PS-002")
    agency.active = True
    save_agency(agency, actor=None)
    assert "HR-GURUGRAM-PS-002" in recipients(post("dl.sho", {"states": ["HR"]}))


# --- written in the publishing transaction ----------------------------------------------------


def test_deliveries_exist_when_create_alert_returns() -> None:
    checked = create_alert(alert_in({"agencies": ["AS-HQ"]}), actor=user("dl.sho"), publish=True)
    rows = list(Delivery.objects.filter(alert_id=checked.alert.pk))
    assert [(d.agency.code, d.revision, d.acknowledged_at) for d in rows] == [("AS-HQ", 1, None)]
    assert rows[0].deadline > rows[0].created_at


def test_deliveries_are_written_inside_the_transaction_and_undone_with_it() -> None:
    seen: list[int] = []

    def count_then_refuse(event: AlertEvent) -> None:
        # Runs after `deliver` (subscribed first), inside the same transaction.
        seen.append(Delivery.objects.filter(alert_id__in=event.alert_ids).count())
        raise ValidationError({"title": ["refused by a later subscriber"]})

    hooks.subscribe("published", count_then_refuse, in_transaction=True)
    before = written()
    try:
        with pytest.raises(ValidationError) as refused:
            create_alert(alert_in({"agencies": ["AS-HQ", "CBI"]}), actor=user("dl.sho"), publish=True)
    finally:
        hooks.unsubscribe("published", count_then_refuse)
    assert seen == [2]
    assert "title" in refused.value.message_dict
    assert written() == before


def test_a_draft_has_no_deliveries() -> None:
    draft = create_alert(alert_in({"states": ["HR"]}), actor=user("dl.sho"), publish=False).alert
    assert recipients(draft) == set()


# --- refusals ------------------------------------------------------------------------------------


def _empty_district(lgd_code: int) -> None:
    agencies = list(Agency.objects.filter(district__lgd_code=lgd_code).order_by("-depth", "code"))
    assert agencies
    for agency in agencies:
        agency.active = False
        save_agency(agency, actor=None)
    assert not active().filter(district__lgd_code=lgd_code).exists()


def test_an_audience_resolving_to_no_active_agency_is_refused_and_nothing_is_written() -> None:
    _empty_district(CENTRAL_DELHI)
    post("dl.sho", {"states": ["HR"]})  # the index is warm
    before = written()
    sequences = list(AlertSequence.objects.values_list("prefix", "year", "last"))
    with pytest.raises(ValidationError) as refused:
        post("dl.sho", {"districts": [CENTRAL_DELHI]})
    assert list(refused.value.message_dict) == ["audience"]
    assert "no active agency" in refused.value.message_dict["audience"][0]
    assert written() == before
    assert list(AlertSequence.objects.values_list("prefix", "year", "last")) == sequences


def test_naming_only_an_inactive_agency_is_refused() -> None:
    deactivate("AS-HQ")
    before = written()
    with pytest.raises(ValidationError) as refused:
        post("dl.sho", {"agencies": ["AS-HQ"]})
    assert any(field.startswith("audience") for field in refused.value.message_dict)
    assert written() == before


def test_a_draft_to_nobody_may_be_saved_but_not_published() -> None:
    _empty_district(CENTRAL_DELHI)
    draft = create_alert(alert_in({"districts": [CENTRAL_DELHI]}), actor=user("dl.sho"), publish=False).alert
    from crimac.alerts.actions import publish_alert

    with pytest.raises(ValidationError) as refused:
        publish_alert(draft, actor=user("dl.sho"))
    assert "audience" in refused.value.message_dict
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert recipients(draft) == set()


def test_bulk_creates_the_good_ones_with_deliveries_and_reports_the_one_reaching_nobody() -> None:
    _empty_district(CENTRAL_DELHI)
    before = Alert.objects.count()
    items = [
        alert_in({"states": ["HR"]}, title="First of four"),
        alert_in({"agencies": ["CBI"]}, title="Second of four"),
        alert_in({"districts": [CENTRAL_DELHI]}, title="Third of four"),
        alert_in({"districts": [NEW_DELHI]}, title="Fourth of four"),
    ]
    results = create_many(items, actor=user("dl.sho"), publish=True)
    assert [r.index for r in results] == [0, 1, 2, 3]
    assert [r.checked is not None for r in results] == [True, True, False, True]
    assert results[2].errors is not None and list(results[2].errors) == ["audience"]
    assert Alert.objects.count() == before + 3
    assert not Alert.objects.filter(title="Third of four").exists()
    created = [r.checked.alert for r in results if r.checked is not None]
    assert {a.title for a in created} == {"First of four", "Second of four", "Fourth of four"}
    assert recipients(created[0]) == codes(active().filter(state__code="HR"))
    assert recipients(created[1]) == {"CBI"}
    assert recipients(created[2]) == codes(active().filter(district__lgd_code=NEW_DELHI))
    # Every stored delivery belongs to one of the three.
    assert set(
        Delivery.objects.filter(alert__title__endswith="of four").values_list("alert_id", flat=True)
    ) == {a.pk for a in created}


def test_bulk_with_only_good_items_delivers_all_of_them() -> None:
    items = [alert_in({"agencies": ["AS-HQ"]}, title=f"Bulk item {n}") for n in range(3)]
    results = create_many(items, actor=user("dl.sho"), publish=True)
    assert all(r.checked is not None for r in results)
    for r in results:
        assert r.checked is not None
        assert recipients(r.checked.alert) == {"AS-HQ"}


# --- revisions -------------------------------------------------------------------------------------


def revise(alert: Alert, username: str = "dl.sho", **fields: Any) -> Alert:
    return revise_alert(
        alert, AlertRevise.model_validate({"summary": "audience widened", **fields}), actor=user(username)
    ).alert


def snapshot(alert: Alert) -> dict[str, tuple[int, Any, int]]:
    return {
        d.agency.code: (d.pk, d.created_at, d.revision)
        for d in Delivery.objects.filter(alert=alert).select_related("agency")
    }


def test_a_revision_adding_a_state_adds_its_agencies_and_keeps_the_old_rows() -> None:
    alert = post("dl.sho", {"states": ["HR"]})
    first = snapshot(alert)
    revised = revise(alert, audience={"states": ["HR", "JH"]})
    assert revised.revision == 2
    now = snapshot(alert)
    hr, jh = codes(active().filter(state__code="HR")), codes(active().filter(state__code="JH"))
    assert set(now) == hr | jh
    for code, (pk, created_at, _) in first.items():
        assert now[code][:2] == (pk, created_at), code  # the same row, not a new one
    assert {rev for _, _, rev in now.values()} == {2}
    assert reasons(alert)["JH-HQ"] == "State"


def test_a_revision_removing_a_state_drops_nobody() -> None:
    alert = post("dl.sho", {"states": ["HR", "JH"]})
    first = snapshot(alert)
    revise(alert, audience={"states": ["JH"]})
    now = snapshot(alert)
    assert set(now) == set(first)
    assert {rev for _, _, rev in now.values()} == {2}
    hr_officer = make_user("v.hr.hq", "HR-HQ", "officer")
    assert Alert.objects.visible_to(hr_officer).filter(pk=alert.pk).exists()


def test_a_revision_not_touching_the_audience_bumps_every_delivery() -> None:
    alert = post("dl.sho", {"agencies": ["AS-HQ", "CBI"]})
    revise(alert, title="Absconder wanted: photograph added")
    assert {d.revision for d in Delivery.objects.filter(alert=alert)} == {2}
    assert recipients(alert) == {"AS-HQ", "CBI"}


def test_cancel_bumps_every_delivery_and_adds_none() -> None:
    alert = post("dl.sho", {"agencies": ["AS-HQ", "CBI"]})
    first = snapshot(alert)
    cancelled = cancel_alert(alert, actor=user("dl.sho"), reason="posted in error")
    now = snapshot(alert)
    assert set(now) == set(first) == {"AS-HQ", "CBI"}
    assert {rev for _, _, rev in now.values()} == {cancelled.revision} == {2}


def test_resolve_bumps_every_delivery_after_a_revision() -> None:
    alert = post("dl.sho", {"agencies": ["AS-HQ"]})
    revise(alert, audience={"agencies": ["AS-HQ", "CBI"]})
    resolved = resolve_alert(alert, actor=user("dl.sho"), outcome="arrested", note="held at Ranchi")
    assert resolved.revision == 3
    assert {d.agency.code: d.revision for d in Delivery.objects.filter(alert=alert)} == {
        "AS-HQ": 3,
        "CBI": 3,
    }


def test_a_revision_adding_an_agency_that_is_now_inactive_adds_nothing_for_it() -> None:
    alert = post("dl.sho", {"states": ["AS"]})
    deactivate("HR-GURUGRAM-PS-001")
    revise(alert, audience={"states": ["AS", "HR"]})
    got = recipients(alert)
    assert "HR-GURUGRAM-PS-001" not in got
    assert got == codes(active().filter(state__code__in=["AS", "HR"]))


def test_a_named_recipient_deactivated_later_does_not_block_a_revision() -> None:
    alert = post("dl.sho", {"agencies": ["AS-HQ", "CBI"]})
    deactivate("CBI")
    revise(alert, title="Absconder wanted: photograph added")
    # The deactivated agency keeps its delivery (nobody is dropped) and everyone is at revision 2.
    assert {d.agency.code: d.revision for d in Delivery.objects.filter(alert=alert)} == {
        "AS-HQ": 2,
        "CBI": 2,
    }


# --- visibility follows the deliveries --------------------------------------------------------------


VIEWERS = [
    "admin",
    "analyst",
    *[f"{s}.{r}" for s in ("dl", "as", "hr", "jh") for r in ("nodal", "control", "sp", "sho", "sho2")],
]


def who_sees(alert: Alert) -> set[str]:
    users = User.objects.select_related("agency").filter(username__in=VIEWERS)
    for user in users:
        assert_reach_holds(user, [alert.pk])
    return {u.username for u in users if Alert.objects.visible_to(u).filter(pk=alert.pk).exists()}


def test_a_recipient_sees_the_alert_and_its_neighbour_station_does_not() -> None:
    alert = post("hr.sho", {"agencies": ["DL-NEWDELHI-PS-002"]})
    assert recipients(alert) == {"DL-NEWDELHI-PS-002"}
    seen = who_sees(alert)
    assert "dl.sho2" in seen  # the recipient
    assert "dl.sho" not in seen  # same district, not a recipient
    assert {"dl.sp", "dl.nodal", "dl.control"}.isdisjoint(seen)  # above the recipient: not told
    assert {"hr.sho", "hr.sp", "hr.nodal"} <= seen  # the origin and its ancestors
    assert "hr.sho2" not in seen  # a peer of the origin
    assert {"as.sho", "jh.sho", "as.nodal"}.isdisjoint(seen)
    assert "analyst" in seen  # a national analyst
    assert seen == {"dl.sho2", "hr.sho", "hr.sp", "hr.nodal", "analyst", "admin"}


def test_an_agency_added_after_publishing_does_not_see_the_alert() -> None:
    alert = post("hr.sho", {"states": ["DL"]})
    dpo = Agency.objects.get(code="DL-NEWDELHI-DPO")
    new = save_agency(
        Agency(
            code="DL-NEWDELHI-PS-099",
            name="New Delhi PS 99",
            kind="police_station",
            parent=dpo,
            state=dpo.state,
            district=dpo.district,
        ),
        actor=None,
    )
    newcomer = make_user("v.newcomer", new.code, "officer")
    old = make_user("v.oldtimer", "DL-NEWDELHI-PS-001", "officer")
    assert Alert.objects.visible_to(old).filter(pk=alert.pk).exists()
    assert not Alert.objects.visible_to(newcomer).filter(pk=alert.pk).exists()
    # A later alert to Delhi reaches it (the index noticed the new agency).
    later = post("hr.sho", {"states": ["DL"]})
    assert new.code in recipients(later)
    assert Alert.objects.visible_to(newcomer).filter(pk=later.pk).exists()


def test_a_draft_is_seen_by_its_originating_agency_only() -> None:
    draft = create_alert(
        alert_in({"agencies": ["DL-NEWDELHI-PS-002"]}), actor=user("hr.sho"), publish=False
    ).alert
    assert who_sees(draft) == {"hr.sho"}


def test_district_names_are_what_the_directory_says() -> None:
    # Guards the LGD constants above against a directory change.
    assert District.objects.get(lgd_code=NEW_DELHI).state.code == "DL"
    assert District.objects.get(lgd_code=CENTRAL_DELHI).state.code == "DL"
    assert District.objects.get(lgd_code=RANCHI).state.code == "JH"
