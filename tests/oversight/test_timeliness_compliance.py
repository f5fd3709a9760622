"""Timeliness and compliance figures on small hand-built histories."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from crimac.alerts.models import Alert, Attachment, Citation, LegalSection
from crimac.directory.models import Agency, User
from crimac.dissemination.models import Delivery, Escalation, Response
from crimac.oversight.figures import compliance, timeliness
from crimac.oversight.figures.base import _interpolate
from crimac.oversight.period import Period
from tests.oversight.history import at, post, retally

pytestmark = pytest.mark.django_db

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


def _deliver(alert: Alert, code: str, minutes: float | None, *, level: int = 0) -> Delivery:
    sent = at("2026-03-10")
    return Delivery.objects.create(
        alert=alert,
        agency=Agency.objects.get(code=code),
        reason="test",
        revision=1,
        created_at=sent,
        updated_at=sent,
        deadline=sent + timedelta(hours=1),
        acknowledged_at=sent + timedelta(minutes=minutes) if minutes is not None else None,
        escalation_level=level,
    )


def test_recipients_share_median_p90_escalations_responses_hits() -> None:
    alerts = post("DL-NEWDELHI-PS-001", at("2026-03-10", 11), 5, priority="immediate")
    waits = [10, 20, 30, 40, None]  # minutes; one never acknowledged
    deliveries = [
        _deliver(a, "HR-GURUGRAM-PS-001", m, level=1 if m is None else 0)
        for a, m in zip(alerts, waits, strict=True)
    ]
    Escalation.objects.create(
        delivery=deliveries[4],
        alert=alerts[4],
        from_agency=deliveries[4].agency,
        to_agency=Agency.objects.get(code="HR-GURUGRAM-DCR"),
        level=1,
        created_at=at("2026-03-10", 14),
    )
    user = User.objects.get(username="hr.sho")
    Response.objects.create(
        alert=alerts[0], delivery=deliveries[0], agency=deliveries[0].agency, by=user, outcome="sighted",
        claims_hit=True, confirmation="confirmed", confirmed_at=at("2026-03-10", 23),
    )  # fmt: skip
    Response.objects.create(
        alert=alerts[1], delivery=deliveries[1], agency=deliveries[1].agency, by=user, outcome="no_trace"
    )
    Response.objects.filter(alert__in=alerts).update(created_at=at("2026-03-10", 13))

    rows = {r["code"]: r for r in timeliness.recipients(MARCH, level="state")}
    hr = rows["HR"]
    assert hr["deliveries"] == 5 and hr["acknowledged"] == 4
    assert hr["share_acknowledged"] == 0.8
    assert hr["ack_median_seconds"] == 25 * 60  # between 20 and 30 minutes
    assert hr["ack_p90_seconds"] == pytest.approx(37 * 60)  # 30 + 0.7 * 10 minutes
    assert hr["escalated_deliveries"] == 1 and hr["escalations"] == 1
    assert hr["responses"] == 2 and hr["hits_claimed"] == 1 and hr["hits_confirmed"] == 1
    assert "DL" not in rows  # DL received nothing

    districts = timeliness.recipients(MARCH, level="district")
    assert [d["name"] for d in districts if d["deliveries"]] == ["Gurugram"]

    origin = {r["code"]: r for r in timeliness.originators(MARCH, level="state")}
    assert origin["DL"]["hits_claimed"] == 1 and origin["DL"]["confirmed"] == 1
    assert origin["DL"]["answer_median_seconds"] == 10 * 3600  # 13:00 to 23:00


def test_interpolation_matches_percentile_cont() -> None:
    assert _interpolate([1.0], 0.9) == 1.0
    assert _interpolate([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert _interpolate([0.0, 10.0], 0.9) == 9.0


def test_compliance_counts_uncited_trafficking_missing_fir_and_photo() -> None:
    trafficking = post("JH-RANCHI-PS-001", at("2026-03-04"), 3, category="human_trafficking")
    rescued = post("JH-RANCHI-PS-002", at("2026-03-04"), 1, category="rescued_victim")
    heinous = post("JH-RANCHI-PS-001", at("2026-03-05"), 2, category="heinous_crime")
    post("JH-RANCHI-PS-001", at("2026-03-05"), 1, category="heinous_crime", fir_number="12/2026")
    missing = post("DL-NEWDELHI-PS-001", at("2026-03-06"), 2, category="missing_person")
    bns143 = LegalSection.objects.get(code="BNS", section="143")
    murder = LegalSection.objects.get(code="BNS", section="103(1)")
    Citation.objects.create(alert=trafficking[0], section=bns143)
    Citation.objects.create(alert=trafficking[1], section=murder)  # cites, but not a trafficking section
    Attachment.objects.create(
        alert=missing[0], kind="image", content_type="image/jpeg", file="x.jpg", size=1, sha256="0" * 64,
        uploaded_by=User.objects.get(username="dl.sho"),
    )  # fmt: skip
    retally()  # citations and attachments written directly, not through the actions
    del heinous, rescued

    rows, totals = compliance.compliance(MARCH, level="state")
    by = {r["code"]: r for r in rows}
    jh, dl = by["JH"], by["DL"]
    assert jh["trafficking_alerts"] == 4 and jh["trafficking_uncited"] == 3
    assert jh["share_trafficking_uncited"] == 0.75
    assert jh["heinous_alerts"] == 3 and jh["heinous_without_fir"] == 2
    assert dl["missing_person_alerts"] == 2 and dl["missing_without_photo"] == 1
    assert totals["trafficking_uncited"] == 3 and totals["missing_without_photo"] == 1
    districts, _ = compliance.compliance(MARCH, level="district", state_ids={jh_id()})
    assert [d["name"] for d in districts] == ["Ranchi"]
    assert (
        compliance.alerts_failing("trafficking_uncited").filter(origin_agency__state__code="JH").count() == 3
    )


def jh_id() -> int:
    return Agency.objects.get(code="JH-HQ").state_id or 0
