"""Where dissemination's parts meet: opening an alert marks it read for the officer, the originator
finds the receipts from the alert page, an escalation reaches the control room's outside channels,
an officer's own mutes hide deliveries from their inbox, and raising a muted alert to flash unmutes
it."""

from __future__ import annotations

from typing import Any

import pytest

from crimac import clock
from crimac.alerts.actions import create_alert, revise_alert
from crimac.alerts.models import Alert
from crimac.alerts.schemas import AlertIn, AlertRevise
from crimac.directory.models import Agency, User
from crimac.dissemination import escalation
from crimac.dissemination.choices import ChannelKind, SubscriptionKind
from crimac.dissemination.models import Delivery, DeliveryRead, Endpoint, OutboxMessage, Subscription

pytestmark = pytest.mark.django_db

STATION = "DL-NEWDELHI-PS-002"
DISTRICT_ROOM = "DL-NEWDELHI-DCR"


def user(username: str) -> User:
    return User.objects.select_related("agency").get(username=username)


def post(*, priority: str = "routine", by: str = "hr.sho", agencies: tuple[str, ...] = (STATION,)) -> Alert:
    data = AlertIn.model_validate(
        {
            "category": "missing_person",
            "title": "Boy missing from the bus stand",
            "priority": priority,
            "persons": [{"role": "missing", "name": "Arif", "gender": "male", "age_min": 12, "age_max": 13}],
            "audience": {"agencies": list(agencies)},
        }
    )
    return create_alert(data, actor=user(by), publish=True).alert


def test_opening_the_alert_page_marks_it_read_for_that_officer_only(client_for: Any) -> None:
    alert = post()
    delivery = Delivery.objects.get(alert=alert, agency__code=STATION)
    assert not DeliveryRead.objects.filter(delivery=delivery).exists()
    assert client_for("dl.sho2").get(f"/alerts/{alert.reference}/").status_code == 200
    readers = set(DeliveryRead.objects.filter(delivery=delivery).values_list("user__username", flat=True))
    assert readers == {"dl.sho2"}


def test_reading_by_api_marks_read_and_an_outsider_marks_nothing(client_for: Any) -> None:
    alert = post()
    delivery = Delivery.objects.get(alert=alert, agency__code=STATION)
    assert client_for("as.sho").get(f"/api/v1/alerts/{alert.reference}").status_code == 404
    assert not DeliveryRead.objects.exists()
    assert client_for("dl.sho2").get(f"/api/v1/alerts/{alert.reference}").status_code == 200
    assert DeliveryRead.objects.filter(delivery=delivery, user__username="dl.sho2").count() == 1


def test_the_originator_sees_the_receipts_link_and_a_recipient_does_not(client_for: Any) -> None:
    alert = post()
    link = f"/inbox/{alert.reference}/receipts/"
    assert link in client_for("hr.sho").get(f"/alerts/{alert.reference}/").content.decode()
    assert link not in client_for("dl.sho2").get(f"/alerts/{alert.reference}/").content.decode()


def test_an_escalation_goes_out_on_the_control_rooms_endpoints() -> None:
    room = Agency.objects.get(code=DISTRICT_ROOM)
    Endpoint.objects.create(
        agency=room, kind=ChannelKind.WEBHOOK, target="https://hooks.example/dcr", created_by=user("admin")
    )
    alert = post(priority="flash")
    assert not OutboxMessage.objects.filter(endpoint__agency=room).exists()
    due = Delivery.objects.get(alert=alert, agency__code=STATION).escalate_at
    assert due is not None
    with clock.frozen(due):
        assert escalation.run_due(due) >= 1
    messages = OutboxMessage.objects.filter(endpoint__agency=room)
    assert [(m.event, m.alert_id) for m in messages] == [("escalated", alert.pk)]


def test_an_officers_own_mute_hides_routine_deliveries_from_their_inbox_only(client_for: Any) -> None:
    alert = post(priority="routine")
    Subscription.objects.create(
        kind=SubscriptionKind.MUTE,
        user=user("dl.sho2"),
        category="missing_person",
        priority="routine",
        created_by=user("dl.sho2"),
    )
    refs = lambda who: [i["reference"] for i in client_for(who).get("/api/v1/inbox").json()["results"]]  # noqa: E731
    assert alert.reference not in refs("dl.sho2")
    muted = client_for("dl.sho2").get("/api/v1/inbox?muted=true").json()["results"]
    assert alert.reference in [i["reference"] for i in muted]
    flash = post(priority="flash")
    assert flash.reference in refs("dl.sho2")


def test_raising_a_muted_alert_to_flash_unmutes_it_and_lets_it_climb() -> None:
    station = Agency.objects.get(code=STATION)
    Subscription.objects.create(
        kind=SubscriptionKind.MUTE,
        agency=station,
        category="missing_person",
        priority="routine",
        created_by=user("admin"),
    )
    alert = post(priority="routine")
    delivery = Delivery.objects.get(alert=alert, agency=station)
    assert delivery.muted and delivery.escalate_at is None
    revise_alert(
        alert,
        AlertRevise.model_validate({"priority": "flash", "summary": "raised to flash"}),
        actor=user("hr.sho"),
    )
    delivery.refresh_from_db()
    assert not delivery.muted
    assert delivery.escalate_at is not None
