"""Exclusions: `audience.exclude` takes away whatever its terms reach, whatever else reached it.
The exact recipient set for each kind of exclusion, combinations, an audience excluded down to
nobody (refused at publish, nothing written), the originator keeping sight of its own alert, and
revisions adding exclusions without dropping anyone who already had the alert."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from crimac.alerts.actions import create_alert, revise_alert
from crimac.alerts.models import Alert, AudienceEntry
from crimac.alerts.schemas import AlertIn, AlertRevise
from crimac.directory.models import Agency, User
from crimac.dissemination.models import Delivery
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

NEW_DELHI = 79  # LGD code of New Delhi district (DL)
GURUGRAM_STATIONS = {"HR-GURUGRAM-PS-001", "HR-GURUGRAM-PS-002"}


def user(username: str) -> User:
    return User.objects.select_related("agency").get(username=username)


def post(username: str, audience: dict[str, Any] | None, **fields: Any) -> Alert:
    data: dict[str, Any] = {
        "category": "wanted_person",
        "title": "Absconder wanted in a robbery case",
        "persons": [{"role": "accused", "name": "Vikram Singh", "gender": "male"}],
        **fields,
    }
    if audience is not None:
        data["audience"] = audience
    return create_alert(AlertIn.model_validate(data), actor=user(username), publish=True).alert


def recipients(alert: Alert) -> set[str]:
    return set(Delivery.objects.filter(alert=alert).values_list("agency__code", flat=True))


def active() -> QuerySet[Agency]:
    return Agency.objects.filter(active=True)


def codes(qs: QuerySet[Agency]) -> set[str]:
    return set(qs.values_list("code", flat=True))


def test_excluding_a_state_from_national() -> None:
    alert = post("dl.sho", {"national": True, "exclude": {"states": ["AS"]}})
    expected = codes(active()) - codes(active().filter(state__code="AS"))
    assert recipients(alert) == expected
    assert "AS-HQ" not in recipients(alert) and "AS-KAMRUPMETRO-PS-001" not in recipients(alert)
    assert {"CBI", "HR-HQ", "JH-RANCHI-AHTU"} <= recipients(alert)
    # The exclusion is stored as written, marked as one.
    excluded = AudienceEntry.objects.get(alert=alert, exclude=True)
    assert (excluded.kind, excluded.state.code if excluded.state else None) == ("state", "AS")


def test_excluding_a_district_from_its_state() -> None:
    alert = post("dl.sho", {"states": ["DL"], "exclude": {"districts": [NEW_DELHI]}})
    expected = codes(active().filter(state__code="DL")) - codes(active().filter(district__lgd_code=NEW_DELHI))
    assert recipients(alert) == expected
    assert "DL-NEWDELHI-PS-001" not in recipients(alert)  # the originator itself: it still sees it
    assert "DL-HQ" in recipients(alert)


def test_excluding_agency_kinds_and_named_agencies() -> None:
    audience = {
        "states": ["HR"],
        "exclude": {"agency_kinds": ["police_station"], "agencies": ["HR-HQ"]},
    }
    alert = post("dl.sho", audience)
    expected = codes(active().filter(state__code="HR").exclude(kind="police_station")) - {"HR-HQ"}
    assert recipients(alert) == expected
    assert not recipients(alert) & (GURUGRAM_STATIONS | {"HR-HQ"})
    assert {"HR-CR", "HR-GURUGRAM-DPO", "HR-GURUGRAM-AHTU"} <= recipients(alert)


def test_excluding_kinds_within_one_state_only() -> None:
    audience = {
        "agency_kinds": ["ahtu"],
        "exclude": {"agency_kinds": ["ahtu"], "agency_kinds_in_states": ["JH"]},
    }
    alert = post("dl.sho", audience)
    expected = codes(active().filter(kind="ahtu")) - codes(active().filter(kind="ahtu", state__code="JH"))
    assert recipients(alert) == expected
    assert "JH-RANCHI-AHTU" not in recipients(alert) and "HR-GURUGRAM-AHTU" in recipients(alert)


def test_excluding_the_bordering_states() -> None:
    alert = post("jh.sho", {"national": True, "exclude": {"bordering_states": True}})
    neighbours = {"BR", "CG", "OD", "UP", "WB"}
    expected = codes(active()) - codes(active().filter(state__code__in=neighbours))
    assert recipients(alert) == expected
    assert "JH-HQ" in recipients(alert) and "BR-HQ" not in recipients(alert)


def test_a_combination_less_a_combination() -> None:
    audience = {
        "states": ["HR", "DL"],
        "agencies": ["CBI", "NIA"],
        "agency_kinds": ["ats"],
        "exclude": {"districts": [NEW_DELHI], "agencies": ["NIA", "AS-ATS"], "agency_kinds": ["cyber_cell"]},
    }
    alert = post("jh.sho", audience)
    positive = (
        codes(active().filter(state__code__in=["HR", "DL"]))
        | {"CBI", "NIA"}
        | codes(active().filter(kind="ats"))
    )
    negative = codes(active().filter(district__lgd_code=NEW_DELHI)) | {"NIA", "AS-ATS"}
    negative |= codes(active().filter(kind="cyber_cell"))
    assert recipients(alert) == positive - negative
    # Outsiders: an excluded one, an unnamed central agency, another State's station.
    assert not recipients(alert) & {"NIA", "AS-ATS", "DL-CYBER", "NCB", "JH-RANCHI-PS-001"}
    assert {"CBI", "HR-ATS", "JH-ATS", "DL-HQ"} <= recipients(alert)


def gurugram_lgd() -> int:
    agency = Agency.objects.select_related("district").get(code="HR-GURUGRAM-DPO")
    assert agency.district is not None
    return int(agency.district.lgd_code)


def test_exclusions_alone_leave_the_incident_state_less_them() -> None:
    alert = post("hr.sho", {"exclude": {"districts": [gurugram_lgd()]}})
    gurugram = codes(active().filter(district__lgd_code=gurugram_lgd()))
    assert gurugram >= GURUGRAM_STATIONS
    assert recipients(alert) == codes(active().filter(state__code="HR")) - gurugram


# --- refusals and the originator ----------------------------------------------------------------


def test_exclusions_removing_everyone_are_refused_and_nothing_is_written() -> None:
    before = (Alert.objects.count(), Delivery.objects.count(), AudienceEntry.objects.count())
    with pytest.raises(ValidationError) as refused:
        post("dl.sho", {"states": ["HR"], "exclude": {"states": ["HR"]}})
    assert list(refused.value.message_dict) == ["audience"]
    assert "no active agency" in refused.value.message_dict["audience"][0]
    assert (Alert.objects.count(), Delivery.objects.count(), AudienceEntry.objects.count()) == before


def test_an_unknown_excluded_code_is_a_field_error() -> None:
    with pytest.raises(ValidationError) as refused:
        post("dl.sho", {"states": ["HR"], "exclude": {"states": ["HR", "XX"], "agencies": ["NO-SUCH"]}})
    assert set(refused.value.message_dict) == {"audience.exclude.states.1", "audience.exclude.agencies.0"}


def test_the_originator_excluded_still_sees_its_alert_and_the_excluded_do_not() -> None:
    alert = post(
        "dl.sho", {"states": ["DL"], "exclude": {"agencies": ["DL-NEWDELHI-PS-001", "DL-NEWDELHI-PS-002"]}}
    )
    assert "DL-NEWDELHI-PS-001" not in recipients(alert)
    assert Alert.objects.visible_to(user("dl.sho")).filter(pk=alert.pk).exists()  # the originator
    assert not Alert.objects.visible_to(user("dl.sho2")).filter(pk=alert.pk).exists()  # excluded peer
    assert Alert.objects.visible_to(user("dl.control")).filter(pk=alert.pk).exists()
    assert not Alert.objects.visible_to(user("hr.sho")).filter(pk=alert.pk).exists()  # never addressed


# --- revisions -------------------------------------------------------------------------------------


def test_a_revision_adding_exclusions_drops_nobody_who_had_the_alert() -> None:
    alert = post("dl.sho", {"states": ["HR"]})
    first = recipients(alert)
    assert first >= GURUGRAM_STATIONS
    revise_alert(
        alert,
        AlertRevise.model_validate(
            {
                "summary": "not for the Gurugram stations, and Assam too",
                "audience": {"states": ["HR", "AS"], "exclude": {"agencies": sorted(GURUGRAM_STATIONS)}},
            }
        ),
        actor=user("dl.sho"),
    )
    now = recipients(alert)
    # Earlier recipients keep their delivery (and its updates); the new State is added.
    assert now == first | codes(active().filter(state__code="AS"))
    assert {d.revision for d in Delivery.objects.filter(alert=alert)} == {2}
    officer = make_user("v.hr.ps1", "HR-GURUGRAM-PS-001", "officer")
    assert Alert.objects.visible_to(officer).filter(pk=alert.pk).exists()


def test_a_revision_keeps_the_exclusions_it_does_not_touch() -> None:
    alert = post("dl.sho", {"states": ["HR"], "exclude": {"agencies": ["HR-HQ"]}})
    revise_alert(
        alert,
        AlertRevise.model_validate({"summary": "title", "title": "Absconder: photo added"}),
        actor=user("dl.sho"),
    )
    assert AudienceEntry.objects.filter(alert=alert, exclude=True, agency__code="HR-HQ").exists()
    assert "HR-HQ" not in recipients(alert)
