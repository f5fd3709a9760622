"""Escalation with a controllable clock: exact timing, the climb station -> district control room
-> State control room, who is told (and who is not), stopping on acknowledgement, several
workers, and deadlines recomputed when a revision changes the priority."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction

from crimac import clock
from crimac.alerts import hooks
from crimac.alerts.actions import cancel_alert, create_alert, revise_alert
from crimac.alerts.models import Alert
from crimac.alerts.schemas import AlertIn, AlertRevise
from crimac.audit.models import AuditEvent
from crimac.directory.models import Agency, User
from crimac.dissemination import actions, escalation, feed
from crimac.dissemination.models import Delivery, Escalation, FeedEvent
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

STATION = "DL-NEWDELHI-PS-002"  # dl.sho2
SIBLING = "DL-NEWDELHI-PS-001"  # dl.sho
DISTRICT_ROOM = "DL-NEWDELHI-DCR"
STATE_ROOM = "DL-CR"
ORIGIN = "HR-GURUGRAM-PS-001"
SECOND = timedelta(seconds=1)


@pytest.fixture(autouse=True)
def escalation_hooks() -> Iterator[None]:
    """Register escalation's hooks as `subscribers.connect()` will; undo only what we added."""
    added = [
        (name, fn)
        for name, fn in (
            ("revised", escalation.on_revised),
            ("cancelled", escalation.on_closed),
            ("resolved", escalation.on_closed),
        )
        if fn not in hooks._in_transaction[name]
    ]
    escalation.connect()
    yield
    for name, fn in added:
        hooks.unsubscribe(name, fn)  # type: ignore[arg-type]


def user(username: str) -> User:
    return User.objects.select_related("agency").get(username=username)


def minutes(priority: str) -> timedelta:
    return timedelta(minutes=settings.ACK_DEADLINE_MINUTES[priority])


def post(
    *agencies: str, priority: str = "flash", by: str = "hr.sho", title: str = "Girl missing from a market"
) -> Alert:
    data = AlertIn.model_validate(
        {
            "category": "missing_person",
            "title": title,
            "priority": priority,
            "persons": [{"role": "missing", "name": "Asha", "gender": "female", "age_min": 9, "age_max": 11}],
            "audience": {"agencies": list(agencies or [STATION])},
        }
    )
    return create_alert(data, actor=user(by), publish=True).alert


def delivery(alert: Alert, code: str = STATION) -> Delivery:
    return Delivery.objects.get(alert=alert, agency__code=code)


def notices(alert: Alert, kind: str = "escalated") -> list[FeedEvent]:
    return list(FeedEvent.objects.filter(alert=alert, kind=kind).order_by("id"))


def told(agency_code: str, alert: Alert, kind: str = "escalated") -> list[dict[str, Any]]:
    """The notices of `kind` about `alert` that `agency_code`'s feed carries."""
    agency = Agency.objects.get(code=agency_code)
    return [feed.message(e) for e in feed.events_for(agency).filter(alert=alert, kind=kind)]


def test_control_rooms_above_a_station_a_district_unit_and_a_state_unit() -> None:
    codes = lambda code: [a.code for a in escalation.control_rooms_above(Agency.objects.get(code=code))]  # noqa: E731
    assert codes(STATION) == [DISTRICT_ROOM, STATE_ROOM]
    assert codes("DL-NEWDELHI-AHTU") == [DISTRICT_ROOM, STATE_ROOM]
    assert codes(DISTRICT_ROOM) == [STATE_ROOM]
    assert codes("DL-NEWDELHI-DPO") == [STATE_ROOM]
    assert codes("DL-HQ") == []
    assert codes(STATE_ROOM) == []


def test_a_district_without_a_control_room_climbs_straight_to_the_state() -> None:
    Agency.objects.filter(code=DISTRICT_ROOM).update(active=False)
    rooms = escalation.control_rooms_above(Agency.objects.get(code=STATION))
    assert [a.code for a in rooms] == [STATE_ROOM]


def test_flash_escalates_exactly_at_its_deadline_and_not_a_second_before() -> None:
    alert = post()
    d = delivery(alert)
    assert d.escalate_at == d.deadline == d.created_at + minutes("flash")
    assert escalation.run_due(d.deadline - SECOND) == 0
    assert not Escalation.objects.filter(alert=alert).exists()
    assert escalation.run_due(d.deadline) == 1
    [step] = Escalation.objects.filter(alert=alert).select_related("from_agency", "to_agency")
    assert (step.from_agency.code, step.to_agency.code, step.level) == (STATION, DISTRICT_ROOM, 1)
    assert step.created_at == d.deadline
    d.refresh_from_db()
    assert d.escalation_level == 1
    assert d.escalate_at == d.deadline + minutes("flash")
    room = delivery(alert, DISTRICT_ROOM)
    assert room.reason == "escalation"
    assert room.created_at == d.deadline
    assert room.deadline == room.escalate_at == d.deadline + minutes("flash")
    [audit] = AuditEvent.objects.filter(action="alert.escalate", object_id=str(alert.pk))
    assert audit.actor is None and audit.agency_code == DISTRICT_ROOM
    assert audit.detail["level"] == 1 and audit.detail["recipient"] == STATION


def test_running_again_at_the_same_time_changes_nothing() -> None:
    alert = post()
    at = delivery(alert).deadline
    assert escalation.run_due(at) == 1
    assert escalation.run_due(at) == 0
    assert escalation.run_due(at + SECOND) == 0
    assert Escalation.objects.filter(alert=alert).count() == 1
    assert len(notices(alert)) == 2


def test_it_climbs_to_the_state_control_room_at_the_next_step_and_stops_at_the_top() -> None:
    alert = post()
    first = delivery(alert).deadline
    second = first + minutes("flash")
    escalation.run_due(first)
    assert escalation.run_due(second - SECOND) == 0
    assert escalation.run_due(second) == 1
    rows = Escalation.objects.filter(alert=alert).order_by("level")
    assert [(e.from_agency.code, e.to_agency.code, e.level) for e in rows] == [
        (STATION, DISTRICT_ROOM, 1),
        (DISTRICT_ROOM, STATE_ROOM, 2),
    ]
    d = delivery(alert)
    assert (d.escalation_level, d.escalate_at) == (2, None)
    assert delivery(alert, STATE_ROOM).reason == "escalation"
    # Nothing above the State control room: later runs record nothing more.
    assert escalation.run_due(second + 10 * minutes("flash")) == 0
    assert Escalation.objects.filter(alert=alert).count() == 2
    assert Delivery.objects.filter(alert=alert, escalate_at__isnull=False).count() == 0


def test_immediate_escalates_at_its_own_deadline_and_priority_and_routine_never() -> None:
    urgent = post(priority="immediate")
    calm = post(priority="routine")
    assert delivery(calm).escalate_at is None
    at = delivery(urgent).deadline
    assert at == delivery(urgent).created_at + minutes("immediate")
    assert escalation.run_due(at + timedelta(days=10)) == 1
    assert not Escalation.objects.filter(alert=calm).exists()


def test_acknowledging_stops_the_climb() -> None:
    alert = post()
    with clock.frozen(delivery(alert).deadline - SECOND):
        actions.acknowledge(alert, actor=user("dl.sho2"))
    d = delivery(alert)
    assert d.escalate_at is None
    assert escalation.run_due(d.deadline + timedelta(hours=5)) == 0
    assert not Escalation.objects.filter(alert=alert).exists()


def test_acknowledging_after_the_first_step_stops_the_next() -> None:
    alert = post()
    first = delivery(alert).deadline
    escalation.run_due(first)
    with clock.frozen(first + SECOND):
        actions.acknowledge(alert, actor=user("dl.sho2"))
    assert escalation.run_due(first + 3 * minutes("flash")) == 0
    assert Escalation.objects.filter(alert=alert).count() == 1
    assert Delivery.objects.filter(alert=alert, escalate_at__isnull=False).count() == 0


def test_the_district_control_room_acknowledging_stops_the_climb_to_the_state() -> None:
    alert = post()
    first = delivery(alert).deadline
    escalation.run_due(first)
    officer = make_user("dcr.officer", DISTRICT_ROOM, "officer")
    with clock.frozen(first + SECOND):
        actions.acknowledge(alert, actor=officer)
    assert escalation.run_due(first + 3 * minutes("flash")) == 0
    assert not Escalation.objects.filter(alert=alert, to_agency__code=STATE_ROOM).exists()
    assert delivery(alert).acknowledged_at is None  # the station still has to acknowledge


def test_each_escalation_notice_reaches_the_control_room_and_the_originator_only() -> None:
    alert = post(STATION, SIBLING)
    at = delivery(alert).deadline
    # The sibling acknowledges in time; only the station escalates.
    with clock.frozen(at - SECOND):
        actions.acknowledge(alert, actor=user("dl.sho"))
    assert escalation.run_due(at) == 1
    [to_room] = told(DISTRICT_ROOM, alert)
    assert to_room["type"] == "escalated" and to_room["agency"] == STATION and to_room["level"] == 1
    assert to_room["deadline"] == (at + minutes("flash")).isoformat()
    [to_origin] = told(ORIGIN, alert)
    assert to_origin["cursor"] != to_room["cursor"]
    assert to_origin["agency"] == STATION
    assert told(SIBLING, alert) == []
    assert told(STATION, alert) == []
    assert told(STATE_ROOM, alert) == []
    assert told("DL-NEWDELHI-PS-001", alert) == []
    escalation.run_due(at + minutes("flash"))
    [to_state] = told(STATE_ROOM, alert)
    assert to_state["level"] == 2
    assert len(told(ORIGIN, alert)) == 2
    assert len(told(DISTRICT_ROOM, alert)) == 1
    assert told(SIBLING, alert) == []


def test_the_control_room_now_sees_the_alert() -> None:
    alert = post()
    control = user("dl.control")  # the State control room
    assert not Alert.objects.visible_to(control).filter(pk=alert.pk).exists()
    first = delivery(alert).deadline
    escalation.run_due(first)
    assert not Alert.objects.visible_to(control).filter(pk=alert.pk).exists()
    escalation.run_due(first + minutes("flash"))
    assert Alert.objects.visible_to(control).filter(pk=alert.pk).exists()


def test_a_control_room_that_already_had_the_alert_keeps_its_delivery() -> None:
    alert = post(STATION, DISTRICT_ROOM)
    officer = make_user("dcr.officer2", DISTRICT_ROOM, "officer")
    own = delivery(alert, DISTRICT_ROOM)
    at = delivery(alert).deadline
    # The room acknowledged its own copy; the station did not: the room is still told.
    with clock.frozen(at - SECOND):
        actions.acknowledge(alert, actor=officer)
    assert escalation.run_due(at) == 1
    kept = delivery(alert, DISTRICT_ROOM)
    assert (kept.pk, kept.reason, kept.created_at) == (own.pk, own.reason, own.created_at)
    # ...and having acknowledged, the climb stops there.
    assert escalation.run_due(at + minutes("flash")) == 0


def test_two_climbs_reaching_the_same_room_tell_it_once() -> None:
    alert = post(STATION, SIBLING)
    at = delivery(alert).deadline
    assert escalation.run_due(at) == 1
    assert Escalation.objects.filter(alert=alert, to_agency__code=DISTRICT_ROOM).count() == 1
    assert {delivery(alert).escalation_level, delivery(alert, SIBLING).escalation_level} == {1}
    assert len(told(DISTRICT_ROOM, alert)) == 1
    assert escalation.run_due(at + minutes("flash")) == 1
    assert Escalation.objects.filter(alert=alert, to_agency__code=STATE_ROOM).count() == 1


def test_a_cancelled_alert_climbs_no_further() -> None:
    alert = post()
    cancel_alert(alert, reason="found safe at home", actor=user("hr.sho"))
    assert delivery(alert).escalate_at is None
    assert escalation.run_due(delivery(alert).deadline + timedelta(days=1)) == 0


def test_a_stale_due_row_of_a_cancelled_alert_is_dropped() -> None:
    """Even without the hook (an older worker), the worker drops climbs of closed alerts."""
    alert = post()
    at = delivery(alert).deadline
    Alert.objects.filter(pk=alert.pk).update(status="cancelled")
    assert escalation.run_due(at) == 0
    assert delivery(alert).escalate_at is None


def test_the_originator_sees_escalations_on_the_deliveries_view(client_for: Any) -> None:
    alert = post()
    escalation.run_due(delivery(alert).deadline)
    body = client_for("hr.sho").get(f"/api/v1/alerts/{alert.reference}/deliveries").json()
    [row] = [d for d in body["deliveries"] if d["agency"] == STATION]
    assert row["escalation_level"] == 1
    assert body["escalations"] == [
        {
            "from": STATION,
            "to": DISTRICT_ROOM,
            "recipient": STATION,
            "level": 1,
            "at": delivery(alert).deadline.isoformat(),
        }
    ]
    assert body["escalated"] == 1


# --- deadlines after a revision -------------------------------------------------------------


def revise(alert: Alert, **fields: Any) -> Alert:
    data = AlertRevise.model_validate({"summary": "priority changed", **fields})
    return revise_alert(alert, data, actor=user("hr.sho")).alert


def test_raising_the_priority_recomputes_deadline_and_escalation() -> None:
    alert = post(STATION, SIBLING, priority="routine")
    created = delivery(alert).created_at
    assert delivery(alert).escalate_at is None
    actions.acknowledge(alert, actor=user("dl.sho"))
    acked = delivery(alert, SIBLING)
    revise(alert, priority="flash")
    d = delivery(alert)
    assert d.deadline == d.escalate_at == created + minutes("flash")
    # The acknowledged delivery keeps its deadline and never climbs.
    sibling = delivery(alert, SIBLING)
    assert (sibling.deadline, sibling.escalate_at) == (acked.deadline, None)
    assert escalation.run_due(d.deadline) == 1


def test_lowering_the_priority_stops_the_climb() -> None:
    alert = post()
    created = delivery(alert).created_at
    revise(alert, priority="priority")
    d = delivery(alert)
    assert d.deadline == created + minutes("priority")
    assert d.escalate_at is None
    assert escalation.run_due(created + timedelta(days=5)) == 0


def test_flash_to_immediate_after_a_step_moves_the_next_step() -> None:
    alert = post()
    first = delivery(alert).deadline
    escalation.run_due(first)
    revise(alert, priority="immediate")
    d = delivery(alert)
    assert d.deadline == d.created_at + minutes("immediate")
    assert d.escalation_level == 1
    assert d.escalate_at == first + minutes("immediate")


def test_a_revision_that_keeps_the_priority_leaves_deadlines_alone() -> None:
    alert = post()
    before = delivery(alert)
    revise(alert, title="Girl missing from the main market")
    after = delivery(alert)
    assert (after.deadline, after.escalate_at) == (before.deadline, before.escalate_at)


def test_a_second_worker_holding_a_stale_row_does_nothing() -> None:
    """Two workers read the same due row; the one that comes second finds it moved on."""
    alert = post()
    at = delivery(alert).deadline
    stale = delivery(alert)
    assert escalation.run_due(at) == 1
    with transaction.atomic():
        assert escalation._escalate(stale, alert, at) == 0
    assert Escalation.objects.filter(alert=alert).count() == 1
    assert len(notices(alert)) == 2
    assert delivery(alert).escalation_level == 1


def test_the_escalate_command_runs_both_once(capsys: Any) -> None:
    alert = post()
    at = delivery(alert).deadline
    with clock.frozen(at):
        call_command("escalate", "--once")
    assert Escalation.objects.filter(alert=alert).count() == 1
    assert "1 escalation" in capsys.readouterr().out


def test_the_receipts_page_shows_the_escalation(client_for: Any) -> None:
    alert = post()
    escalation.run_due(delivery(alert).deadline)
    html = client_for("hr.sho").get(f"/inbox/{alert.reference}/receipts/").content.decode()
    assert 'id="escalations"' in html
    assert f"{STATION} did not acknowledge; level 1" in html and f"<strong>{DISTRICT_ROOM}</strong>" in html


def test_the_control_room_inbox_marks_an_escalated_delivery(client_for: Any) -> None:
    alert = post()
    escalation.run_due(delivery(alert).deadline)
    escalation.run_due(delivery(alert).deadline + minutes("flash"))
    html = client_for("dl.control").get("/inbox/").content.decode()
    assert f'id="delivery-{alert.reference}"' in html and "escalated to you" in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--once", "--at", "tomorrow"], "--at: not an ISO 8601 time"),
        (["--once", "--at", "2026-01-01T10:00:00"], "--at: give a time zone"),
        (["--at", "2026-01-01T10:00:00Z"], "--at: only with --once"),
        (["--once", "--interval", "0"], "--interval"),
    ],
)
def test_the_escalate_command_refuses_bad_options(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("escalate", *args)
