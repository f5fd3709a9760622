"""The delayed inquiry: a person, phone or vehicle searched in the last 72 hours that a newly
published alert carries is told to the agency that searched, and to nobody else."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from crimac.audit.models import AuditEvent
from crimac.directory.models import Agency
from crimac.dissemination import feed
from crimac.dissemination.models import FeedEvent
from crimac.search.models import SearchRecord
from tests.matching.test_correlate import missing_girl, publish, revise

pytestmark = pytest.mark.django_db

HR_STATION = "HR-GURUGRAM-PS-001"


def inquiries() -> list[FeedEvent]:
    return list(FeedEvent.objects.filter(kind="delayed_inquiry").order_by("id"))


def test_a_phone_searched_yesterday_is_told_to_the_searching_agency_when_an_alert_carries_it(
    user_named: Callable[[str], Any],
    client_for: Callable[[str], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    r = client_for("hr.sho").get("/api/v1/phones/search?number=098765%2043210")
    assert r.status_code == 200 and r.json()["count"] == 0
    assert SearchRecord.objects.filter(kind="phone", value="+919876543210").exists()
    alert = publish(
        user_named("dl.sho"),
        django_capture_on_commit_callbacks,
        title="Extortion calls to a trader",
        phones=[{"number": "+91 98765 43210"}],
    )
    [event] = inquiries()
    assert (event.alert_id, event.audience, event.agency.code) == (alert.pk, "agency", HR_STATION)
    message = feed.message(event)
    assert message["type"] == "delayed_inquiry" and message["reference"] == alert.reference
    assert message["related_origin"] == "DL-NEWDELHI-PS-001" and "+919876543210" in message["message"]
    assert "Extortion" not in message["message"]  # the alert's contents are not the searcher's to read
    # The exact recipient set: the searching station only.
    hr = Agency.objects.get(code=HR_STATION)
    assert [e.pk for e in feed.events_for(hr).filter(kind="delayed_inquiry")] == [event.pk]
    for other in ("DL-NEWDELHI-PS-001", "HR-HQ", "HR-GURUGRAM-PS-002", "AS-HQ"):
        assert not feed.events_for(Agency.objects.get(code=other)).filter(kind="delayed_inquiry").exists()
    audit = AuditEvent.objects.get(action="match.delayed_inquiry")
    assert audit.detail["agencies"] == [hr.pk]


def test_a_vehicle_and_a_person_searched_are_told_too(
    user_named: Callable[[str], Any],
    client_for: Callable[[str], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    assert client_for("as.sho").get("/api/v1/vehicles/search?registration=hr26ab1234").status_code == 200
    r = client_for("dl.sho").get("/api/v1/persons/search?name=Sunita%20Munda&gender=female&age=14")
    assert r.status_code == 200, r.content
    publish(
        user_named("hr.sho"),
        django_capture_on_commit_callbacks,
        category="stolen_vehicle",
        title="Car stolen",
        vehicles=[{"registration": "HR 26 AB 1234"}],
    )
    missing_girl(user_named("jh.sho"), django_capture_on_commit_callbacks)
    told = {(e.agency.code, e.alert.category) for e in inquiries()}
    assert told == {("AS-KAMRUPMETRO-PS-001", "stolen_vehicle"), ("DL-NEWDELHI-PS-001", "missing_person")}


def test_nothing_is_told_for_old_searches_other_values_a_revision_or_the_originator_itself(
    user_named: Callable[[str], Any],
    client_for: Callable[[str], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client_for("as.sho").get("/api/v1/phones/search?number=9876543210")
    SearchRecord.objects.update(created_at=timezone.now() - timedelta(hours=73))
    client_for("as.sho2").get("/api/v1/phones/search?number=9811111111")
    client_for("dl.sho2").get("/api/v1/persons/search?name=Mohammad%20Irfan")
    client_for("dl.sho").get("/api/v1/phones/search?number=9822222222")  # the originator itself
    alert = publish(
        user_named("dl.sho"),
        django_capture_on_commit_callbacks,
        title="Calls",
        phones=[{"number": "9876543210"}, {"number": "9822222222"}],
        persons=[{"role": "suspect", "name": "Sunita Munda"}],
    )
    assert inquiries() == []
    client_for("as.sho2").get("/api/v1/phones/search?number=9833333333")
    revise(alert, user_named("dl.sho"), django_capture_on_commit_callbacks, phones=[{"number": "9833333333"}])
    assert inquiries() == []  # a revision is not a new publication
