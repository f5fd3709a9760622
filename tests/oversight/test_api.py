"""GET /api/v1/oversight/participation, /timeliness and /compliance: shape, roles, bad input,
query counts."""

from __future__ import annotations

from typing import Any

import pytest

from crimac.audit.models import AuditEvent
from tests.conftest import make_user
from tests.oversight.history import at, post

pytestmark = pytest.mark.django_db

URL = "/api/v1/oversight/participation"
MARCH = "from=2026-03-01&to=2026-03-31"


@pytest.fixture
def history(db: Any) -> None:
    post("DL-NEWDELHI-PS-001", at("2026-03-02"), 3)
    post("AS-KAMRUPMETRO-PS-001", at("2026-03-05"), 2)
    post("HR-GURUGRAM-PS-002", at("2026-03-07"), 1)


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def test_national_analyst_sees_states_districts_and_totals(client_for: Any, history: None) -> None:
    body = client_for("analyst").get(f"{URL}?{MARCH}").json()
    assert body["period"] == {"from": "2026-03-01", "to": "2026-03-31"}
    assert body["national"]["alerts"] == 6
    assert body["national"]["states"] == 36
    assert body["top_states"] == ["DL", "AS", "HR"]
    dl = next(r for r in body["states"] if r["code"] == "DL")
    assert set(dl) >= {
        "code", "name", "agencies", "stations", "alerts", "silent_stations", "first_alert_at", "last_alert_at"
    }  # fmt: skip
    assert dl["alerts"] == 3
    assert {d["state"] for d in body["districts"]} >= {"DL", "AS", "WB"}
    newdelhi = next(d for d in body["districts"] if d["state"] == "DL" and d["alerts"])
    assert newdelhi["alerts"] == 3 and newdelhi["stations"] == 2 and newdelhi["silent_stations"] == 1
    assert {"WB", "BR"} <= {s["code"] for s in body["silent_states"]}
    assert len(body["silent_states"]) == 33


def test_state_parameter_adds_that_states_stations(client_for: Any, history: None) -> None:
    body = client_for("admin").get(f"{URL}?{MARCH}&state=as").json()
    assert body["level"] == "state"
    assert body["state"]["code"] == "AS" and body["state"]["alerts"] == 2
    assert {d["state"] for d in body["districts"]} == {"AS"}
    posted = [s for s in body["stations"] if s["alerts"]]
    assert [s["code"] for s in posted] == ["AS-KAMRUPMETRO-PS-001"]
    assert all(s["silent"] for s in body["silent_stations"])
    assert len(body["states"]) == 36  # the national figures by State stay


def test_nodal_officer_sees_own_state_in_full_and_others_by_state(client_for: Any, history: None) -> None:
    client = client_for("dl.nodal")
    body = client.get(f"{URL}?{MARCH}").json()
    assert len(body["states"]) == 36
    assert {d["state"] for d in body["districts"]} == {"DL"}
    own = client.get(f"{URL}?{MARCH}&state=DL")
    assert own.status_code == 200 and own.json()["state"]["alerts"] == 3


def test_nodal_officer_asking_another_states_detail_is_refused_and_audited(
    client_for: Any, history: None
) -> None:
    body = _problem(client_for("dl.nodal").get(f"{URL}?{MARCH}&state=AS"), 403)
    assert "by State only" in body["detail"]
    assert "KAMRUP" not in str(body)
    assert AuditEvent.objects.filter(
        action="oversight.view", outcome="denied", actor_name="dl.nodal"
    ).exists()
    for endpoint in ("timeliness", "compliance"):
        _problem(client_for("dl.nodal").get(f"/api/v1/oversight/{endpoint}?{MARCH}&state=AS"), 403)


def test_supervisor_sees_own_district_only(client_for: Any, history: None) -> None:
    body = client_for("dl.sp").get(f"{URL}?{MARCH}").json()
    assert len(body["districts"]) == 1 and body["districts"][0]["state"] == "DL"
    assert len(body["states"]) == 36


@pytest.mark.parametrize("who", ["dl.sho", "dl.control"])
def test_officers_may_not_see_oversight(client_for: Any, who: str) -> None:
    body = _problem(client_for(who).get(f"{URL}?{MARCH}"), 403)
    assert body["detail"] == "you may not see oversight figures"


def test_anonymous_gets_401(client: Any) -> None:
    _problem(client.get(f"{URL}?{MARCH}"), 401)


def test_api_key_of_a_national_agency_is_refused(client: Any, api_key_for: Any) -> None:
    """An agency's machine account has the officer role: no oversight."""
    key = api_key_for("NCRB")
    response = client.get(f"{URL}?{MARCH}", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("from=2026-03-10&to=2026-03-01", "to", "ends before it starts"),
        ("from=2026-13-01", "from", "YYYY-MM-DD"),
        ("to=yesterday", "to", "YYYY-MM-DD"),
        ("from=1800-01-01", "from", "1900"),
        ("state=XX", "state", "unknown State/UT code"),
        ("state=" + "A" * 20, "state", "at most"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client_for: Any, query: str, field: str, words: str) -> None:
    for endpoint in ("participation", "timeliness", "compliance"):
        body = _problem(client_for("analyst").get(f"/api/v1/oversight/{endpoint}?{query}"), 422)
        assert body["errors"][0]["field"] == field, body
        assert words in body["errors"][0]["message"], body


def test_query_count_does_not_grow_with_alerts(client_for: Any, django_assert_max_num_queries: Any) -> None:
    client = client_for("analyst")
    post("DL-NEWDELHI-PS-001", at("2026-03-02"), 1)
    with django_assert_max_num_queries(20) as small:
        client.get(f"{URL}?{MARCH}")
    for code in ("AS-KAMRUPMETRO-PS-001", "HR-GURUGRAM-PS-002", "JH-RANCHI-PS-001", "UP-LUCKNOW-PS-001"):
        post(code, at("2026-03-03"), 20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(f"{URL}?{MARCH}")
    with django_assert_max_num_queries(26):
        client.get(f"{URL}?{MARCH}&state=UP")


def test_timeliness_and_compliance_shapes(client_for: Any, history: None) -> None:
    t = client_for("analyst").get(f"/api/v1/oversight/timeliness?{MARCH}").json()
    assert set(t) >= {"recipients", "originators", "period"}
    c = client_for("analyst").get(f"/api/v1/oversight/compliance?{MARCH}").json()
    assert set(c["totals"]) >= {"trafficking_alerts", "trafficking_uncited", "heinous_without_fir"}


def test_state_analyst_is_scoped_to_the_state(client_for: Any, history: None) -> None:
    make_user("hr.analyst2", "HR-HQ", "analyst")
    body = client_for("hr.analyst2").get(f"{URL}?{MARCH}").json()
    assert {d["state"] for d in body["districts"]} == {"HR"}
