"""Who may read an alert: `Alert.objects.visible_to(user)`, the one place that decides, and the API
that answers an alert one may not see exactly as one that does not exist."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from crimac.alerts.actions import cancel_alert, create_alert, publish_alert, resolve_alert
from crimac.alerts.models import Alert, AlertSequence
from crimac.alerts.schemas import AlertIn
from crimac.directory.choices import Role
from crimac.directory.models import Agency, User
from tests.conftest import assert_reach_holds, make_user

pytestmark = pytest.mark.django_db

GURUGRAM = 62  # LGD code of Gurugram district (HR)
RANCHI = 339  # LGD code of Ranchi district (JH)


def post(username: str, *, publish: bool = True, **fields: Any) -> Alert:
    data: dict[str, Any] = {
        "category": "wanted_person",
        "title": "Absconder wanted in a robbery case",
        "persons": [{"role": "accused", "name": "Vikram Singh", "gender": "male"}],
    }
    data.update(fields)
    actor = User.objects.select_related("agency").get(username=username)
    return create_alert(AlertIn.model_validate(data), actor=actor, publish=publish).alert


def viewer(code: str, role: str = Role.OFFICER) -> User:
    """A user of the agency `code` (created, since most agencies have no demo log-in)."""
    return make_user(f"v.{code.lower()}.{role}", code, role)


def first_agency(state: str, kind: str, *, not_in_district: int | None = None) -> str:
    """The first active agency of `kind` in `state`, optionally outside one district."""
    agencies = Agency.objects.filter(state__code=state, kind=kind, active=True).order_by("code")
    if not_in_district is not None:
        agencies = agencies.exclude(district__lgd_code=not_in_district)
    return str(agencies.values_list("code", flat=True)[0])


def sees(user: Any, alert: Alert) -> bool:
    if isinstance(user, str):
        user = User.objects.select_related("agency").get(username=user)
    assert_reach_holds(user, [alert.pk])
    return Alert.objects.visible_to(user).filter(pk=alert.pk).exists()


def who_sees(alert: Alert, users: list[Any]) -> set[str]:
    out = set()
    for user in users:
        if isinstance(user, str):
            user = User.objects.select_related("agency").get(username=user)
        if sees(user, alert):
            out.add(user.username)
    return out


DEMO = [
    "admin",
    "analyst",
    *[
        f"{s}.{r}"
        for s in ("dl", "as", "hr", "jh")
        for r in ("nodal", "analyst", "control", "sp", "sho", "sho2")
    ],
]


# --- one alert, every demo user -----------------------------------------------------------------


@pytest.fixture
def to_haryana(db: Any) -> Alert:
    """From DL-NEWDELHI-PS-001 (dl.sho), for Haryana."""
    return post("dl.sho", station="DL-NEWDELHI-PS-001", audience={"states": ["HR"]})


@pytest.mark.parametrize(
    ("username", "why"),
    [
        ("dl.sho", "the originating station"),
        ("dl.sp", "the district office above it"),
        ("dl.nodal", "the State headquarters above it"),
        ("dl.analyst", "a State analyst of the State it came from"),
        ("hr.sho", "a station of the audience State"),
        ("hr.nodal", "the headquarters of the audience State"),
        ("hr.analyst", "a State analyst whose headquarters is in the audience"),
        ("analyst", "a national analyst"),
        ("admin", "a superuser"),
    ],
)
def test_who_sees_an_alert_for_another_state(to_haryana: Alert, username: str, why: str) -> None:
    assert sees(username, to_haryana), why


@pytest.mark.parametrize(
    ("username", "why"),
    [
        ("dl.sho2", "a sibling station: not in the audience, not above the origin"),
        ("dl.control", "the State control room sits beside, not above, the station"),
        ("as.sho", "an outsider"),
        ("as.nodal", "another State's headquarters"),
        ("jh.analyst", "a State analyst of another State"),
        ("jh.sp", "a district office of another State"),
    ],
)
def test_who_does_not_see_an_alert_for_another_state(to_haryana: Alert, username: str, why: str) -> None:
    assert not sees(username, to_haryana), why


def test_the_whole_demo_cast_for_an_alert_for_another_state(to_haryana: Alert) -> None:
    hr = {f"hr.{r}" for r in ("nodal", "analyst", "control", "sp", "sho", "sho2")}
    assert who_sees(to_haryana, DEMO) == {
        "admin",
        "analyst",
        "dl.sho",
        "dl.sp",
        "dl.nodal",
        "dl.analyst",
        *hr,
    }


def test_a_closed_alert_stays_visible_to_its_audience(to_haryana: Alert) -> None:
    cancel_alert(to_haryana, actor=User.objects.get(username="dl.sho"), reason="posted twice")
    assert sees("hr.sho", to_haryana)
    assert not sees("as.sho", to_haryana)


def test_a_state_analyst_sees_alerts_from_or_about_the_state(db: Any) -> None:
    """Analysts of the State control rooms sit above no station, so only the analyst rule can let
    them see an alert: here one from Delhi about Gurugram, for Assam."""
    alert = post("dl.sho", state="HR", district=GURUGRAM, audience={"states": ["AS"]})
    from_state = viewer("DL-CR", Role.ANALYST)
    about_state = viewer("HR-CR", Role.ANALYST)
    elsewhere = viewer("JH-CR", Role.ANALYST)

    assert sees(from_state, alert)
    assert sees(about_state, alert)
    assert not sees(elsewhere, alert)
    assert who_sees(alert, ["dl.analyst", "hr.analyst", "jh.analyst", "as.analyst"]) == {
        "dl.analyst",
        "hr.analyst",
        "as.analyst",
    }
    # Officers beside the origin, or in the incident's State, are not analysts.
    assert who_sees(alert, ["dl.control", "hr.control", "hr.sho"]) == set()


def test_inactive_and_anonymous_users_see_nothing(to_haryana: Alert) -> None:
    sho = User.objects.select_related("agency").get(username="dl.sho")
    sho.is_active = False
    assert not Alert.objects.visible_to(sho).exists()
    assert not Alert.objects.visible_to(AnonymousUser()).exists()


# --- drafts -------------------------------------------------------------------------------------


def test_a_draft_is_visible_to_its_originating_agency_only(db: Any) -> None:
    draft = post("dl.sho", publish=False, audience={"national": True})
    colleague = viewer("DL-NEWDELHI-PS-001")

    assert who_sees(draft, [*DEMO, colleague]) == {"dl.sho", colleague.username}

    publish_alert(draft, actor=User.objects.get(username="dl.sho"))
    assert {"dl.sp", "dl.nodal", "analyst", "as.sho", "jh.sho2"} <= who_sees(draft, DEMO)


# --- each kind of audience ----------------------------------------------------------------------


def test_national_audience_reaches_everyone(db: Any) -> None:
    alert = post("jh.sho", audience={"national": True})
    cbi = viewer("CBI")
    island = viewer("AN-HQ")
    bsf = viewer("BSF", Role.SUPERVISOR)
    assert who_sees(alert, [*DEMO, cbi, island, bsf]) == {*DEMO, cbi.username, island.username, bsf.username}


def test_district_audience_reaches_only_agencies_in_that_district(db: Any) -> None:
    alert = post("dl.sho", audience={"districts": [GURUGRAM]})
    inside = [viewer("HR-GURUGRAM-AHTU"), viewer("HR-GURUGRAM-DCR")]
    other_district = viewer(first_agency("HR", "police_station", not_in_district=GURUGRAM))

    assert {u.username for u in inside} <= who_sees(alert, inside)
    assert who_sees(alert, ["hr.sho", "hr.sho2", "hr.sp"]) == {"hr.sho", "hr.sho2", "hr.sp"}
    assert not sees(other_district, alert)
    # The State level of Haryana sits above the district but is not in it.
    assert who_sees(alert, ["hr.nodal", "hr.control", "hr.analyst"]) == set()
    assert not sees("dl.sho2", alert)


def test_agency_audience_reaches_exactly_those_agencies(db: Any) -> None:
    alert = post("dl.sho", audience={"agencies": ["HR-GURUGRAM-PS-002", "CBI"]})
    cbi = viewer("CBI")
    nia = viewer("NIA")

    assert sees("hr.sho2", alert)
    assert sees(cbi, alert)
    assert not sees(nia, alert)
    # Neither the named station's neighbours nor the offices above it.
    assert who_sees(alert, ["hr.sho", "hr.sp", "hr.nodal", "hr.control", "dl.sho2"]) == set()


def test_agency_kind_audience_reaches_every_agency_of_that_kind(db: Any) -> None:
    alert = post(
        "dl.sho", category="human_trafficking", sections=["BNS 143"], audience={"agency_kinds": ["ahtu"]}
    )
    ahtus = [viewer(code) for code in ("DL-NEWDELHI-AHTU", "JH-RANCHI-AHTU", "AS-KAMRUPMETRO-AHTU")]
    ahtus.append(viewer(first_agency("KL", "ahtu")))

    assert who_sees(alert, ahtus) == {u.username for u in ahtus}
    assert who_sees(alert, ["hr.sho", "jh.sho", "as.sho2", "dl.sho2", "jh.sp", "jh.nodal"]) == set()


def test_agency_kind_audience_within_a_state(db: Any) -> None:
    alert = post(
        "dl.sho",
        category="human_trafficking",
        sections=["BNS 143"],
        audience={"agency_kinds": ["ahtu"], "agency_kinds_in_states": ["JH"]},
    )
    jharkhand = [viewer("JH-RANCHI-AHTU"), viewer(first_agency("JH", "ahtu", not_in_district=RANCHI))]
    elsewhere = [viewer("DL-NEWDELHI-AHTU"), viewer("HR-GURUGRAM-AHTU"), viewer(first_agency("WB", "ahtu"))]

    assert who_sees(alert, jharkhand) == {u.username for u in jharkhand}
    assert who_sees(alert, elsewhere) == set()
    assert who_sees(alert, ["jh.sho", "jh.sp", "jh.nodal"]) == set()


def test_bordering_states_audience_reaches_the_neighbours_of_the_incident_state(db: Any) -> None:
    alert = post("jh.sho", audience={"bordering_states": True})
    neighbours = [viewer(f"{code}-HQ") for code in ("BR", "CG", "OD", "UP", "WB")]
    neighbours.append(viewer(first_agency("WB", "police_station")))
    neighbours.append(viewer(first_agency("UP", "ahtu")))
    not_neighbours = [viewer("HR-HQ"), viewer("MP-HQ"), viewer("AS-HQ")]

    assert who_sees(alert, neighbours) == {u.username for u in neighbours}
    assert who_sees(alert, not_neighbours) == set()
    assert who_sees(alert, ["hr.sho", "dl.sho", "as.nodal"]) == set()


def test_terms_of_an_audience_add_up(db: Any) -> None:
    alert = post("dl.sho", audience={"states": ["AS"], "agencies": ["JH-RANCHI-PS-002"]})
    assert who_sees(alert, ["as.sho", "as.nodal", "jh.sho2"]) == {"as.sho", "as.nodal", "jh.sho2"}
    assert who_sees(alert, ["jh.sho", "hr.sho"]) == set()


# --- through the API ----------------------------------------------------------------------------


def next_reference(prefix: str) -> str:
    year = timezone.localdate().year
    row = AlertSequence.objects.filter(prefix=prefix, year=year).first()
    return f"{prefix}-{year}-{(row.last if row else 0) + 1:06d}"


def test_an_invisible_alert_is_the_same_404_as_a_missing_one(client_for: Any) -> None:
    outsider = client_for("as.sho")
    ref = next_reference("DL")
    missing = outsider.get(f"/api/v1/alerts/{ref}")
    assert missing.status_code == 404

    alert = post("dl.sho", audience={"states": ["HR"]})
    assert alert.reference == ref

    hidden = outsider.get(f"/api/v1/alerts/{ref}")
    assert hidden.status_code == 404
    assert hidden["Content-Type"] == missing["Content-Type"] == "application/problem+json"
    assert hidden.content == missing.content
    assert ref not in json.loads(hidden.content)["detail"]

    seen = client_for("hr.sho").get(f"/api/v1/alerts/{ref}")
    assert seen.status_code == 200
    assert seen.json()["reference"] == ref


def test_an_invisible_alert_by_id_and_its_revisions_are_404s(client_for: Any) -> None:
    alert = post("dl.sho", audience={"states": ["HR"]})
    outsider = client_for("jh.analyst")

    def body(path: str) -> dict[str, Any]:
        response = outsider.get(path)
        assert response.status_code == 404, path
        data = json.loads(response.content)
        assert data.pop("instance") == path
        return data

    missing = body("/api/v1/alerts/999999999")
    assert body(f"/api/v1/alerts/{alert.pk}") == missing
    assert body(f"/api/v1/alerts/{alert.reference}/revisions") == body(
        "/api/v1/alerts/DL-1999-000001/revisions"
    )
    assert client_for("dl.sp").get(f"/api/v1/alerts/{alert.pk}").status_code == 200


def test_a_draft_is_a_404_for_the_supervisor_through_the_api(client_for: Any) -> None:
    draft = post("dl.sho", publish=False)
    assert client_for("dl.sho").get(f"/api/v1/alerts/{draft.reference}").status_code == 200
    assert client_for("dl.sp").get(f"/api/v1/alerts/{draft.reference}").status_code == 404


def test_the_list_holds_only_what_the_caller_may_see(client_for: Any) -> None:
    mine = post("dl.sho", audience={"states": ["HR"]})
    theirs = post("as.sho", audience={"states": ["AS"]})
    resolve_alert(theirs, actor=User.objects.get(username="as.sho"), outcome="arrested")

    def refs(username: str) -> set[str]:
        response = client_for(username).get("/api/v1/alerts?limit=100")
        assert response.status_code == 200
        return {a["reference"] for a in response.json()["results"]}

    assert refs("hr.sho") >= {mine.reference}
    assert theirs.reference not in refs("hr.sho")
    assert refs("as.sho2") >= {theirs.reference}
    assert mine.reference not in refs("as.sho2")
    assert {mine.reference, theirs.reference} <= refs("analyst")


def test_a_draft_cancelled_before_it_went_out_stays_with_its_agency(db: Any) -> None:
    """Found by the search work: cancelling a draft must not publish it to analysts or supervisors."""
    author = User.objects.select_related("agency").get(username="dl.sho")
    data = AlertIn.model_validate(
        {"category": "missing_person", "title": "Draft never sent", "priority": "routine"}
    )
    alert = create_alert(data, actor=author, publish=False).alert
    cancel_alert(alert, reason="typed by mistake", actor=author)
    alert.refresh_from_db()
    assert alert.status == "cancelled" and alert.published_at is None
    for who, sees in (
        ("dl.sho", True),
        ("dl.sho2", False),
        ("dl.sp", False),
        ("analyst", False),
        ("dl.nodal", False),
    ):
        viewer = User.objects.select_related("agency").get(username=who)
        assert_reach_holds(viewer, [alert.pk])
        assert Alert.objects.visible_to(viewer).filter(pk=alert.pk).exists() is sees, who
