"""The write actions of `crimac.alerts.actions`: checking, creating (published or draft, one or
many), revising, publishing, cancelling, resolving and expiring alerts, with their revisions, audit
rows and after-commit hooks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from crimac.alerts import hooks
from crimac.alerts.actions import (
    allocate_references,
    cancel_alert,
    create_alert,
    create_draft,
    create_many,
    expire_due_alerts,
    may_change,
    publish_alert,
    resolve_alert,
    revise_alert,
)
from crimac.alerts.hooks import AlertEvent
from crimac.alerts.models import (
    Alert,
    AlertRevision,
    AlertSequence,
    AudienceEntry,
    Citation,
    Person,
    Vehicle,
)
from crimac.alerts.schemas import AlertIn, AlertRevise
from crimac.audit.models import AuditEvent, Outcome
from crimac.directory.choices import Role
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

NEW_DELHI = 79  # LGD code of New Delhi district (DL)
CENTRAL_DELHI = 77  # LGD code of Central district (DL)
GURUGRAM = 62  # LGD code of Gurugram district (HR)
RANCHI = 339  # LGD code of Ranchi district (JH)


def year() -> int:
    return timezone.localdate().year


def alert_in(**fields: Any) -> AlertIn:
    """A valid alert as a client writes it; `fields` replace the defaults."""
    data: dict[str, Any] = {
        "category": "missing_person",
        "title": "Missing girl, 14, from Kotwali",
        "narrative": "Left school at 2 pm and did not reach home.",
        "persons": [
            {"role": "missing", "name": "Asha Kumari", "gender": "female", "age_min": 13, "age_max": 15}
        ],
    }
    data.update(fields)
    return AlertIn.model_validate(data)


def counts() -> tuple[int, int, int, int]:
    return (
        Alert.objects.count(),
        Person.objects.count(),
        AuditEvent.objects.count(),
        AlertRevision.objects.count(),
    )


def last_number(prefix: str) -> int:
    row = AlertSequence.objects.filter(prefix=prefix, year=year()).first()
    return row.last if row else 0


def number_of(reference: str) -> int:
    return int(reference.rsplit("-", 1)[1])


def reload(alert: Alert) -> Alert:
    return Alert.objects.get(pk=alert.pk)


def audits(alert: Alert, **filters: Any) -> Any:
    """The audit rows about `alert`."""
    return AuditEvent.objects.filter(object_type="alerts.alert", object_id=str(alert.pk), **filters)


def revisions(alert: Alert) -> list[AlertRevision]:
    return list(AlertRevision.objects.filter(alert=alert).order_by("number", "id"))


class Recorder:
    """Subscribes to every alert event and keeps what it received, in order."""

    def __init__(self) -> None:
        self.events: list[AlertEvent] = []

    def __call__(self, event: AlertEvent) -> None:
        self.events.append(event)

    def seen(self) -> list[tuple[str, list[int]]]:
        return [(e.event, list(e.alert_ids)) for e in self.events]


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    for name in hooks.EVENTS:
        hooks.subscribe(name, rec)
    try:
        yield rec
    finally:
        for name in hooks.EVENTS:
            hooks.unsubscribe(name, rec)


@pytest.fixture
def published(user_named: Any) -> Alert:
    """A published alert of DL-NEWDELHI-PS-001 (dl.sho), with subjects of every kind."""
    checked = create_alert(
        alert_in(
            station="DL-NEWDELHI-PS-001",
            vehicles=[{"registration": "DL 3C AB 1234", "vehicle_type": "car"}],
            phones=[{"number": "98765 43210"}],
            identifiers=[{"type": "aadhaar_last4", "value": "1234"}],
            audience={"states": ["HR"]},
        ),
        actor=user_named("dl.sho"),
        publish=True,
    )
    return checked.alert


# --- creating -----------------------------------------------------------------------------------


def test_create_published_writes_the_alert_its_subjects_revision_and_audit_row(user_named: Any) -> None:
    sho = user_named("dl.sho")
    before_number = last_number("DL")
    data = alert_in(
        category="human_trafficking",
        title="Two girls trafficked from Ranchi, seen at New Delhi station",
        occurred_at=timezone.now() - timedelta(days=1),
        station="DL-NEWDELHI-PS-001",
        address="Platform 16, New Delhi railway station",
        latitude="28.64290",
        longitude="77.21910",
        sections=["IPC 370", "u/s 363 IPC"],
        fir_number="123/2026",
        fir_date=timezone.localdate(),
        persons=[
            {"role": "victim", "name": "Sunita", "gender": "female", "age_min": 15, "age_max": 16},
            {"role": "suspect", "name": "Ramesh alias Rocky", "gender": "male", "marks": "scar on chin"},
        ],
        vehicles=[{"registration": "dl-3c-ab-1234", "vehicle_type": "car", "colour": "white"}],
        phones=[{"number": "098765 43210"}, {"imei": "490154203237518"}],
        identifiers=[
            {"type": "aadhaar_last4", "value": "XXXX XXXX 4321"},
            {"type": "upi_id", "value": "Rocky@okbank"},
        ],
        audience={"states": ["HR", "JH"], "agency_kinds": ["ahtu"]},
    )

    checked = create_alert(data, actor=sho, publish=True)

    alert = reload(checked.alert)
    assert re.fullmatch(rf"DL-{year()}-\d{{6}}", alert.reference)
    assert number_of(alert.reference) == before_number + 1
    assert alert.status == "published"
    assert alert.published_at is not None
    assert alert.revision == 1
    assert alert.origin_agency.code == "DL-NEWDELHI-PS-001"
    assert alert.origin_user == sho
    assert alert.state.code == "DL"
    assert alert.district.lgd_code == NEW_DELHI  # taken from the station
    assert alert.station.code == "DL-NEWDELHI-PS-001"
    assert alert.latitude == Decimal("28.64290")
    # Defaults from the category.
    assert (alert.priority, alert.action_requested) == ("immediate", "trace_and_inform")
    assert alert.missing_trafficking_sections is False
    assert checked.warnings == []

    persons = list(alert.persons.order_by("position"))
    assert [(p.position, p.role, p.name) for p in persons] == [
        (0, "victim", "Sunita"),
        (1, "suspect", "Ramesh alias Rocky"),
    ]
    vehicle = alert.vehicles.get()
    assert (vehicle.registration, vehicle.registration_normalised) == ("dl-3c-ab-1234", "DL03CAB1234")
    assert [(p.e164, p.imei) for p in alert.phones.order_by("position")] == [
        ("+919876543210", ""),
        ("", "490154203237518"),
    ]
    idents = list(alert.identifiers.order_by("position"))
    # The Aadhaar is kept as its last four digits only, even "as written".
    assert [(i.type, i.value, i.normalised) for i in idents] == [
        ("aadhaar_last4", "4321", "4321"),
        ("upi_id", "Rocky@okbank", "rocky@okbank"),
    ]
    assert [c.section.citation for c in Citation.objects.filter(alert=alert).order_by("position")] == [
        "IPC 370",
        "IPC 363",
    ]
    audience = {
        (e.kind, e.state.code if e.state else None, e.agency_kind)
        for e in AudienceEntry.objects.filter(alert=alert)
    }
    assert audience == {("state", "HR", ""), ("state", "JH", ""), ("agency_kind", None, "ahtu")}

    [revision] = revisions(alert)
    assert (revision.number, revision.event, revision.by_id) == (1, "published", sho.pk)
    assert revision.snapshot["title"] == "Two girls trafficked from Ranchi, seen at New Delhi station"
    assert revision.snapshot["reference"] == alert.reference
    assert len(revision.snapshot["persons"]) == 2

    [event] = audits(alert)
    assert (event.action, event.outcome, event.actor_id) == ("alert.publish", Outcome.SUCCESS, sho.pk)
    assert event.agency_code == "DL-NEWDELHI-PS-001"
    assert event.detail == {"reference": alert.reference, "warnings": []}


def test_create_draft_is_a_draft_with_a_created_revision_and_audit_row(user_named: Any) -> None:
    sho = user_named("jh.sho")
    checked = create_draft(alert_in(), actor=sho)

    alert = reload(checked.alert)
    assert alert.status == "draft"
    assert alert.published_at is None
    assert re.fullmatch(rf"JH-{year()}-\d{{6}}", alert.reference)
    assert alert.state.code == "JH"  # the agency's State by default
    assert alert.persons.count() == 1
    # The default audience: the incident's State.
    assert [(e.kind, e.state.code) for e in alert.audience.all()] == [("state", "JH")]
    [revision] = revisions(alert)
    assert (revision.number, revision.event) == (1, "created")
    actions = list(audits(alert))
    assert [e.action for e in actions] == ["alert.create"]


def test_explicit_priority_and_action_override_the_category_defaults(user_named: Any) -> None:
    checked = create_alert(
        alert_in(category="stolen_vehicle", priority="flash", action_requested="locate", persons=[]),
        actor=user_named("hr.sho"),
        publish=True,
    )
    alert = reload(checked.alert)
    assert (alert.priority, alert.action_requested) == ("flash", "locate")

    default = reload(
        create_alert(
            alert_in(category="stolen_vehicle", persons=[]), actor=user_named("hr.sho"), publish=True
        ).alert
    )
    assert (default.priority, default.action_requested) == ("priority", "recover")


def test_references_are_consecutive_per_state(user_named: Any) -> None:
    jh_start, dl_start = last_number("JH"), last_number("DL")

    first = create_alert(alert_in(), actor=user_named("jh.sho"), publish=True).alert
    delhi = create_alert(alert_in(), actor=user_named("dl.sho"), publish=True).alert
    draft = create_draft(alert_in(), actor=user_named("jh.sho2")).alert
    second = create_alert(alert_in(), actor=user_named("jh.nodal"), publish=True).alert

    assert [first.reference, draft.reference, second.reference] == [
        f"JH-{year()}-{jh_start + 1:06d}",
        f"JH-{year()}-{jh_start + 2:06d}",
        f"JH-{year()}-{jh_start + 3:06d}",
    ]
    assert delhi.reference == f"DL-{year()}-{dl_start + 1:06d}"


def test_a_national_agency_gets_in_references_and_must_name_the_state(user_named: Any) -> None:
    cbi = make_user("cbi.officer", "CBI", Role.OFFICER)
    before = counts()

    with pytest.raises(ValidationError) as excinfo:
        create_alert(alert_in(), actor=cbi, publish=True)
    assert set(excinfo.value.message_dict) == {"state"}
    assert counts() == before

    start = last_number("IN")
    alert = reload(create_alert(alert_in(state="JH"), actor=cbi, publish=True).alert)
    assert alert.reference == f"IN-{year()}-{start + 1:06d}"
    assert alert.state.code == "JH"
    assert alert.origin_agency.code == "CBI"


def test_published_hook_runs_only_after_commit(
    user_named: Any, recorder: Recorder, django_capture_on_commit_callbacks: Any
) -> None:
    sho = user_named("dl.sho")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        alert = create_alert(alert_in(), actor=sho, publish=True).alert
        assert recorder.events == []  # not before commit
    assert len(callbacks) >= 1
    assert recorder.seen() == [("published", [alert.pk])]
    [event] = recorder.events
    assert (event.actor_id, event.revision) == (sho.pk, 1)


def test_a_draft_emits_no_hook(
    user_named: Any, recorder: Recorder, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        create_draft(alert_in(), actor=user_named("dl.sho"))
    assert recorder.events == []


def test_a_failing_hook_does_not_stop_the_others_nor_undo_the_alert(
    user_named: Any, django_capture_on_commit_callbacks: Any
) -> None:
    def broken(event: AlertEvent) -> None:
        raise RuntimeError("subscriber down")

    after = Recorder()
    hooks.subscribe("published", broken)
    hooks.subscribe("published", after)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            alert = create_alert(alert_in(), actor=user_named("dl.sho"), publish=True).alert
    finally:
        hooks.unsubscribe("published", broken)
        hooks.unsubscribe("published", after)
    assert after.seen() == [("published", [alert.pk])]
    assert Alert.objects.filter(pk=alert.pk, status="published").exists()


# --- bad input ----------------------------------------------------------------------------------


def _bad_inputs() -> list[Any]:
    hour = timedelta(hours=1)
    return [
        pytest.param(
            lambda now: {"occurred_at": now, "reported_at": now - hour},
            "occurred_at",
            id="occurred-after-reported",
        ),
        pytest.param(lambda now: {"reported_at": now + hour}, "reported_at", id="reported-in-future"),
        pytest.param(lambda now: {"district": GURUGRAM}, "district", id="district-outside-state"),
        pytest.param(lambda now: {"district": 999999}, "district", id="unknown-district"),
        pytest.param(
            lambda now: {"district": CENTRAL_DELHI, "station": "DL-NEWDELHI-PS-001"},
            "station",
            id="station-in-another-district",
        ),
        pytest.param(lambda now: {"station": "HR-GURUGRAM-PS-001"}, "station", id="station-in-another-state"),
        pytest.param(lambda now: {"station": "DL-NEWDELHI-DPO"}, "station", id="station-not-a-station"),
        pytest.param(
            lambda now: {"persons": [{"role": "missing", "name": "Asha", "age_min": 30, "age_max": 20}]},
            "persons.0.age_max",
            id="age-range-upside-down",
        ),
        pytest.param(
            lambda now: {"vehicles": [{"registration": "ZZ 12 AB 1234"}]},
            "vehicles.0.registration",
            id="registration-unknown-state-code",
        ),
        pytest.param(
            lambda now: {"vehicles": [{"registration": "not a plate"}]},
            "vehicles.0.registration",
            id="registration-malformed",
        ),
        pytest.param(lambda now: {"phones": [{"number": "12345"}]}, "phones.0.number", id="bad-phone"),
        pytest.param(lambda now: {"phones": [{"imei": "490154203237519"}]}, "phones.0.imei", id="bad-imei"),
        pytest.param(lambda now: {"sections": ["IPC 999"]}, "sections.0", id="unknown-section"),
        pytest.param(lambda now: {"sections": ["whatever"]}, "sections.0", id="unreadable-section"),
        pytest.param(lambda now: {"sections": ["IPC 370", "370 IPC"]}, "sections.1", id="section-twice"),
        pytest.param(
            lambda now: {"identifiers": [{"type": "aadhaar_last4", "value": "2345 6789 0123"}]},
            "identifiers.0.value",
            id="full-aadhaar",
        ),
        pytest.param(
            lambda now: {"fir_number": "12/2026", "fir_date": timezone.localdate(now) + timedelta(days=2)},
            "fir_date",
            id="fir-date-in-future",
        ),
        pytest.param(
            lambda now: {"reported_at": now - hour, "expires_at": now - 2 * hour},
            "expires_at",
            id="expires-before-reported",
        ),
        pytest.param(
            lambda now: {"audience": {"states": ["HR", "XX"]}}, "audience.states.1", id="unknown-state"
        ),
        pytest.param(
            lambda now: {"audience": {"agencies": ["NO-SUCH-AGENCY"]}},
            "audience.agencies.0",
            id="unknown-agency",
        ),
        pytest.param(
            lambda now: {"state": "AN", "audience": {"bordering_states": True}},
            "audience.bordering_states",
            id="island-borders-nobody",
        ),
    ]


@pytest.mark.parametrize(("fields", "path"), _bad_inputs())
@pytest.mark.parametrize("publish", [True, False], ids=["publish", "draft"])
def test_bad_input_is_refused_with_its_field_path_and_nothing_written(
    user_named: Any, fields: Any, path: str, publish: bool
) -> None:
    sho = user_named("dl.sho")
    data = alert_in(**fields(timezone.now()))
    before = counts()

    with pytest.raises(ValidationError) as excinfo:
        create_alert(data, actor=sho, publish=publish)

    assert path in excinfo.value.message_dict, excinfo.value.message_dict
    assert counts() == before


def test_every_bad_field_is_reported_at_once(user_named: Any) -> None:
    data = alert_in(
        district=GURUGRAM,
        persons=[{"role": "missing", "name": "A", "age_min": 9, "age_max": 3}],
        phones=[{"number": "12"}],
        sections=["IPC 999"],
    )
    with pytest.raises(ValidationError) as excinfo:
        create_alert(data, actor=user_named("dl.sho"), publish=True)
    assert {"district", "persons.0.age_max", "phones.0.number", "sections.0"} <= set(
        excinfo.value.message_dict
    )


def test_bordering_states_of_a_land_state_expand_into_derived_state_entries(user_named: Any) -> None:
    alert = create_alert(
        alert_in(audience={"bordering_states": True}), actor=user_named("jh.sho"), publish=True
    ).alert
    entries = list(AudienceEntry.objects.filter(alert=alert).select_related("state"))
    assert sorted((e.kind, e.state.code if e.state else None, e.derived) for e in entries) == [
        ("bordering_states", None, False),
        ("state", "BR", True),
        ("state", "CG", True),
        ("state", "OD", True),
        ("state", "UP", True),
        ("state", "WB", True),
    ]


def test_agency_kinds_in_states_without_kinds_is_refused(user_named: Any) -> None:
    before = counts()
    with pytest.raises(ValidationError) as excinfo:
        create_alert(
            alert_in(audience={"agency_kinds_in_states": ["JH"]}), actor=user_named("dl.sho"), publish=True
        )
    assert "audience.agency_kinds" in excinfo.value.message_dict
    assert counts() == before


@pytest.mark.parametrize("username", ["analyst", "dl.analyst"])
def test_roles_without_post_may_not_post_and_the_refusal_is_audited(user_named: Any, username: str) -> None:
    user = user_named(username)
    before = counts()
    denied_before = AuditEvent.objects.filter(
        action="alert.create", outcome=Outcome.DENIED, actor=user
    ).count()

    with pytest.raises(PermissionDenied):
        create_alert(alert_in(state="DL"), actor=user, publish=True)

    assert Alert.objects.count() == before[0]
    assert Person.objects.count() == before[1]
    denied = AuditEvent.objects.filter(action="alert.create", outcome=Outcome.DENIED, actor=user)
    assert denied.count() == denied_before + 1
    assert AuditEvent.objects.count() == before[2] + 1


# --- the trafficking warning --------------------------------------------------------------------


@pytest.mark.parametrize("category", ["human_trafficking", "rescued_victim"])
def test_trafficking_alert_without_a_trafficking_section_is_warned_and_flagged(
    user_named: Any, category: str
) -> None:
    checked = create_alert(
        alert_in(category=category, sections=["IPC 363"]), actor=user_named("jh.sho"), publish=True
    )
    assert [w["code"] for w in checked.warnings] == ["trafficking_sections"]
    assert checked.warnings[0]["field"] == "sections"
    alert = reload(checked.alert)
    assert alert.missing_trafficking_sections is True
    event = audits(alert, action="alert.publish").get()
    assert event.detail["warnings"] == ["trafficking_sections"]


def test_trafficking_alert_citing_no_section_at_all_is_warned(user_named: Any) -> None:
    checked = create_alert(alert_in(category="human_trafficking"), actor=user_named("jh.sho"), publish=True)
    assert [w["code"] for w in checked.warnings] == ["trafficking_sections"]
    assert reload(checked.alert).missing_trafficking_sections is True


@pytest.mark.parametrize("sections", [["IPC 370"], ["BNS 143"], ["IPC 363", "u/s 370A IPC"], ["BNS 96"]])
def test_trafficking_alert_citing_a_trafficking_section_is_not_warned(
    user_named: Any, sections: list[str]
) -> None:
    checked = create_alert(
        alert_in(category="human_trafficking", sections=sections), actor=user_named("jh.sho"), publish=True
    )
    assert checked.warnings == []
    assert reload(checked.alert).missing_trafficking_sections is False


@pytest.mark.parametrize("category", ["missing_person", "heinous_crime", "general_advisory"])
def test_other_categories_are_never_warned(user_named: Any, category: str) -> None:
    checked = create_alert(
        alert_in(category=category, sections=["IPC 363"]), actor=user_named("jh.sho"), publish=True
    )
    assert checked.warnings == []
    assert reload(checked.alert).missing_trafficking_sections is False


# --- revising -----------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["dl.sho", "dl.sp", "dl.nodal"])
def test_origin_and_supervisors_up_the_hierarchy_may_revise(
    user_named: Any, published: Alert, username: str
) -> None:
    actor = user_named(username)
    assert may_change(actor, published)
    checked = revise_alert(
        published, AlertRevise(summary="new lead", title="Missing girl seen at ISBT"), actor=actor
    )
    alert = reload(checked.alert)
    assert alert.title == "Missing girl seen at ISBT"
    assert alert.revision == 2
    last = revisions(alert)[-1]
    assert (last.number, last.event, last.by_id, last.summary) == (2, "revised", actor.pk, "new lead")
    audit = audits(alert, action="alert.revise").get()
    assert (audit.actor_id, audit.outcome) == (actor.pk, Outcome.SUCCESS)
    assert audit.detail == {"revision": 2, "changed": ["title"]}


@pytest.mark.parametrize("username", ["dl.sho2", "as.nodal", "dl.control", "dl.analyst", "hr.sp", "analyst"])
def test_others_may_not_revise_and_the_refusal_is_audited(
    user_named: Any, published: Alert, username: str
) -> None:
    actor = user_named(username)
    assert not may_change(actor, published)
    rows = AlertRevision.objects.count()

    with pytest.raises(PermissionDenied):
        revise_alert(published, AlertRevise(summary="hijack", title="Not my alert"), actor=actor)

    assert reload(published).title == "Missing girl, 14, from Kotwali"
    assert reload(published).revision == 1
    assert AlertRevision.objects.count() == rows
    denied = AuditEvent.objects.get(action="alert.revise", actor=actor)
    assert denied.outcome == Outcome.DENIED
    assert denied.object_id == str(published.pk)


@pytest.mark.parametrize(
    "action",
    [
        lambda alert, actor: cancel_alert(alert, actor=actor, reason="duplicate of another alert"),
        lambda alert, actor: resolve_alert(alert, actor=actor, outcome="traced"),
    ],
    ids=["cancel", "resolve"],
)
def test_others_may_not_cancel_or_resolve(user_named: Any, published: Alert, action: Any) -> None:
    actor = user_named("dl.sho2")
    with pytest.raises(PermissionDenied):
        action(published, actor)
    assert reload(published).status == "published"
    assert audits(published, actor=actor, outcome=Outcome.DENIED).count() == 1


def test_changes_name_exactly_the_changed_fields_and_old_snapshots_stay(
    user_named: Any, published: Alert
) -> None:
    sho = user_named("dl.sho")
    revise_alert(
        published, AlertRevise(summary="upgraded", title="Missing girl: urgent", priority="flash"), actor=sho
    )
    revise_alert(
        published, AlertRevise(summary="more detail", narrative="Seen boarding a bus to Jaipur."), actor=sho
    )

    alert = reload(published)
    assert (alert.revision, alert.title, alert.priority) == (3, "Missing girl: urgent", "flash")
    assert alert.narrative == "Seen boarding a bus to Jaipur."
    first, second, third = revisions(alert)
    assert [r.number for r in (first, second, third)] == [1, 2, 3]
    assert first.snapshot["title"] == "Missing girl, 14, from Kotwali"
    assert first.snapshot["priority"] == "immediate"
    assert set(second.changes) == {"title", "priority"}
    assert second.changes["title"] == ["Missing girl, 14, from Kotwali", "Missing girl: urgent"]
    assert second.changes["priority"] == ["immediate", "flash"]
    assert second.snapshot["title"] == "Missing girl: urgent"
    assert second.snapshot["narrative"] == "Left school at 2 pm and did not reach home."
    assert set(third.changes) == {"narrative"}
    assert third.snapshot["narrative"] == "Seen boarding a bus to Jaipur."


def test_a_revision_of_a_rich_alert_changes_only_what_was_given(user_named: Any) -> None:
    """Everything the alert holds survives the round trip through the revision unchanged."""
    sho = user_named("jh.sho")
    alert = create_alert(
        alert_in(
            category="human_trafficking",
            occurred_at=timezone.now() - timedelta(days=2),
            reported_at=timezone.now() - timedelta(days=1),
            expires_at=timezone.now() + timedelta(days=30),
            district=RANCHI,
            station="JH-RANCHI-PS-002",
            latitude="23.34410",
            longitude="85.30960",
            sections=["BNS 143", "POCSO 6"],
            fir_number="7/2026",
            fir_date=timezone.localdate() - timedelta(days=1),
            handling_code="H1",
            persons=[
                {
                    "role": "victim",
                    "name": "Sunita",
                    "aliases": ["Sunu"],
                    "gender": "female",
                    "age_min": 15,
                    "age_max": 16,
                    "height_cm_min": 140,
                    "height_cm_max": 150,
                    "languages": ["Hindi", "Nagpuri"],
                    "last_seen_at": (timezone.now() - timedelta(days=2)).isoformat(),
                }
            ],
            vehicles=[{"registration": "jh 01 ab 0042", "chassis_number": "MA3-ERL-12345"}],
            phones=[{"number": "+91 98765-43210"}],
            identifiers=[
                {"type": "aadhaar_last4", "value": "xxxx 9876"},
                {"type": "passport", "value": "k 1234567"},
            ],
            audience={
                "states": ["DL"],
                "agencies": ["HR-GURUGRAM-AHTU"],
                "districts": [GURUGRAM],
                "agency_kinds": ["ahtu"],
                "agency_kinds_in_states": ["WB", "BR"],
                "bordering_states": True,
            },
        ),
        actor=sho,
        publish=True,
    ).alert

    revise_alert(alert, AlertRevise(summary="typo", title="Minor trafficked from Ranchi"), actor=sho)

    assert set(revisions(alert)[-1].changes) == {"title"}
    with pytest.raises(ValidationError) as excinfo:
        revise_alert(alert, AlertRevise(summary="again", title="Minor trafficked from Ranchi"), actor=sho)
    assert excinfo.value.message_dict == {"__all__": ["nothing changed"]}


def test_nothing_changed_is_refused_and_writes_nothing(user_named: Any, published: Alert) -> None:
    sho = user_named("dl.sho")
    rows, events = AlertRevision.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        revise_alert(published, AlertRevise(summary="no change", title=published.title), actor=sho)
    assert "__all__" in excinfo.value.message_dict
    with pytest.raises(ValidationError):
        revise_alert(published, AlertRevise(summary="no change at all"), actor=sho)
    assert reload(published).revision == 1
    assert (AlertRevision.objects.count(), AuditEvent.objects.count()) == (rows, events)


def test_subjects_given_replace_the_lists_and_those_not_given_are_kept(
    user_named: Any, published: Alert
) -> None:
    sho = user_named("dl.sho")
    person_ids = list(published.persons.values_list("pk", flat=True))

    revise_alert(
        published,
        AlertRevise(
            summary="car identified", vehicles=[{"registration": "HR 26 DK 0001"}, {"registration": "UP16Z9"}]
        ),
        actor=sho,
    )
    alert = reload(published)
    assert [v.registration_normalised for v in alert.vehicles.order_by("position")] == [
        "HR26DK0001",
        "UP16Z0009",
    ]
    # Persons not given: the very same rows (their photographs stay attached).
    assert list(alert.persons.values_list("pk", flat=True)) == person_ids
    assert [p.e164 for p in alert.phones.all()] == ["+919876543210"]
    assert [(i.type, i.value) for i in alert.identifiers.all()] == [("aadhaar_last4", "1234")]
    assert set(revisions(alert)[-1].changes) == {"vehicles"}

    revise_alert(
        published,
        AlertRevise(
            summary="second girl",
            persons=[{"role": "missing", "name": "Rani"}, {"role": "missing", "name": "Asha"}],
        ),
        actor=sho,
    )
    alert = reload(published)
    assert [p.name for p in alert.persons.order_by("position")] == ["Rani", "Asha"]
    assert Person.objects.filter(pk__in=person_ids).count() == 0
    assert alert.vehicles.count() == 2
    assert set(revisions(alert)[-1].changes) == {"persons"}


def test_a_bad_revision_is_refused_with_its_field_path_and_nothing_written(
    user_named: Any, published: Alert
) -> None:
    sho = user_named("dl.sho")
    before = counts()
    with pytest.raises(ValidationError) as excinfo:
        revise_alert(
            published, AlertRevise(summary="phone", phones=[{"number": "12"}], title="New title"), actor=sho
        )
    assert "phones.0.number" in excinfo.value.message_dict
    assert counts() == before
    alert = reload(published)
    assert (alert.title, alert.revision) == ("Missing girl, 14, from Kotwali", 1)
    assert [p.e164 for p in alert.phones.all()] == ["+919876543210"]


def test_adding_a_trafficking_section_clears_the_flag(user_named: Any) -> None:
    sho = user_named("jh.sho")
    alert = create_alert(alert_in(category="human_trafficking"), actor=sho, publish=True).alert
    assert reload(alert).missing_trafficking_sections is True

    checked = revise_alert(alert, AlertRevise(summary="sections added", sections=["IPC 370"]), actor=sho)

    assert checked.warnings == []
    assert reload(alert).missing_trafficking_sections is False
    assert set(revisions(alert)[-1].changes) == {"sections", "missing_trafficking_sections"}


def test_moving_the_place_to_another_district_of_the_state_keeps_the_audience(user_named: Any) -> None:
    sho = user_named("dl.sho")
    alert = create_alert(alert_in(audience={"national": True}), actor=sho, publish=True).alert
    revise_alert(alert, AlertRevise(summary="place corrected", district=CENTRAL_DELHI), actor=sho)
    assert reload(alert).district.lgd_code == CENTRAL_DELHI
    assert [e.kind for e in AudienceEntry.objects.filter(alert=alert)] == ["national"]
    assert set(revisions(alert)[-1].changes) == {"place"}


def test_correcting_the_state_keeps_an_explicit_audience(user_named: Any) -> None:
    sho = user_named("dl.sho")
    alert = create_alert(alert_in(audience={"national": True}), actor=sho, publish=True).alert

    revise_alert(alert, AlertRevise(summary="it happened in Haryana", state="HR"), actor=sho)

    assert reload(alert).state.code == "HR"
    assert AudienceEntry.objects.filter(alert=alert, kind="national").exists()
    assert "audience" not in revisions(alert)[-1].changes


def test_the_same_audience_in_another_order_is_no_change(user_named: Any) -> None:
    sho = user_named("jh.sho")
    audience = {"agency_kinds": ["ahtu", "police_station"], "agency_kinds_in_states": ["WB", "BR"]}
    alert = create_alert(alert_in(audience=audience), actor=sho, publish=True).alert
    reordered = {"agency_kinds": ["police_station", "ahtu"], "agency_kinds_in_states": ["BR", "WB"]}

    with pytest.raises(ValidationError) as excinfo:
        revise_alert(alert, AlertRevise(summary="same audience", audience=reordered), actor=sho)
    assert excinfo.value.message_dict == {"__all__": ["nothing changed"]}


def test_a_cancelled_alert_cannot_be_revised(user_named: Any, published: Alert) -> None:
    sho = user_named("dl.sho")
    cancel_alert(published, actor=sho, reason="posted twice")
    with pytest.raises(ValidationError) as excinfo:
        revise_alert(published, AlertRevise(summary="late edit", title="Changed"), actor=sho)
    assert "status" in excinfo.value.message_dict
    assert reload(published).title == "Missing girl, 14, from Kotwali"


def test_revised_hook_fires_for_published_alerts_only(
    user_named: Any, published: Alert, recorder: Recorder, django_capture_on_commit_callbacks: Any
) -> None:
    sho = user_named("dl.sho")
    draft = create_draft(alert_in(), actor=sho).alert
    with django_capture_on_commit_callbacks(execute=True):
        revise_alert(published, AlertRevise(summary="update", title="Updated title"), actor=sho)
        revise_alert(draft, AlertRevise(summary="update", title="Draft title"), actor=sho)
        assert recorder.events == []
    assert recorder.seen() == [("revised", [published.pk])]
    assert recorder.events[0].revision == 2
    assert reload(draft).status == "draft"
    assert reload(draft).revision == 2


# --- publishing, cancelling, resolving, expiring ------------------------------------------------


def test_publish_a_draft(
    user_named: Any, recorder: Recorder, django_capture_on_commit_callbacks: Any
) -> None:
    sho = user_named("dl.sho")
    draft = create_draft(alert_in(), actor=sho).alert
    with django_capture_on_commit_callbacks(execute=True):
        publish_alert(draft, actor=sho)
        assert recorder.events == []
    alert = reload(draft)
    assert alert.status == "published"
    assert alert.published_at is not None
    assert [(r.number, r.event) for r in revisions(alert)] == [(1, "created"), (1, "published")]
    assert [e.action for e in audits(alert).order_by("id")] == [
        "alert.create",
        "alert.publish",
    ]
    assert recorder.seen() == [("published", [alert.pk])]


def test_publishing_a_published_alert_is_refused(user_named: Any, published: Alert) -> None:
    with pytest.raises(ValidationError) as excinfo:
        publish_alert(published, actor=user_named("dl.sho"))
    assert "status" in excinfo.value.message_dict
    assert len(revisions(published)) == 1


def test_publish_needs_permission(user_named: Any) -> None:
    draft = create_draft(alert_in(), actor=user_named("dl.sho")).alert
    with pytest.raises(PermissionDenied):
        publish_alert(draft, actor=user_named("dl.sho2"))
    assert reload(draft).status == "draft"
    assert AuditEvent.objects.filter(action="alert.publish", outcome=Outcome.DENIED).count() == 1


@pytest.mark.parametrize("reason", ["", "  ", "no", " x "])
def test_cancel_needs_a_reason(user_named: Any, published: Alert, reason: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        cancel_alert(published, actor=user_named("dl.sho"), reason=reason)
    assert "reason" in excinfo.value.message_dict
    assert reload(published).status == "published"
    assert len(revisions(published)) == 1


def test_cancel_writes_revision_audit_and_hook(
    user_named: Any, published: Alert, recorder: Recorder, django_capture_on_commit_callbacks: Any
) -> None:
    sp = user_named("dl.sp")
    with django_capture_on_commit_callbacks(execute=True):
        cancel_alert(published, actor=sp, reason="  posted twice by mistake ")
    alert = reload(published)
    assert (alert.status, alert.cancel_reason, alert.revision) == ("cancelled", "posted twice by mistake", 2)
    assert alert.closed_at is not None
    last = revisions(alert)[-1]
    assert (last.number, last.event, last.by_id) == (2, "cancelled", sp.pk)
    assert last.changes == {"status": ["published", "cancelled"]}
    assert revisions(alert)[0].snapshot["title"] == "Missing girl, 14, from Kotwali"
    audit = audits(alert, action="alert.cancel").get()
    assert (audit.actor_id, audit.detail) == (sp.pk, {"reason": "posted twice by mistake"})
    assert recorder.seen() == [("cancelled", [alert.pk])]
    assert recorder.events[0].revision == 2

    with pytest.raises(ValidationError):
        cancel_alert(alert, actor=sp, reason="again")


def test_cancelling_a_draft_emits_no_hook(
    user_named: Any, recorder: Recorder, django_capture_on_commit_callbacks: Any
) -> None:
    sho = user_named("dl.sho")
    draft = create_draft(alert_in(), actor=sho).alert
    with django_capture_on_commit_callbacks(execute=True):
        cancel_alert(draft, actor=sho, reason="not needed")
    assert reload(draft).status == "cancelled"
    assert revisions(draft)[-1].changes == {"status": ["draft", "cancelled"]}
    assert recorder.events == []


def test_resolve_records_the_outcome(
    user_named: Any, published: Alert, recorder: Recorder, django_capture_on_commit_callbacks: Any
) -> None:
    nodal = user_named("dl.nodal")
    with django_capture_on_commit_callbacks(execute=True):
        resolve_alert(published, actor=nodal, outcome="traced", note="found at Gurugram bus stand")
    alert = reload(published)
    assert (alert.status, alert.outcome, alert.outcome_note, alert.revision) == (
        "resolved",
        "traced",
        "found at Gurugram bus stand",
        2,
    )
    assert alert.closed_at is not None
    last = revisions(alert)[-1]
    assert (last.number, last.event, last.by_id) == (2, "resolved", nodal.pk)
    assert last.summary == "traced: found at Gurugram bus stand"
    assert last.changes == {"status": ["published", "resolved"], "outcome": [None, "traced"]}
    audit = audits(alert, action="alert.resolve").get()
    assert (audit.actor_id, audit.detail) == (nodal.pk, {"outcome": "traced"})
    assert recorder.seen() == [("resolved", [alert.pk])]


def test_resolve_refuses_an_unknown_outcome(user_named: Any, published: Alert) -> None:
    with pytest.raises(ValidationError) as excinfo:
        resolve_alert(published, actor=user_named("dl.sho"), outcome="vanished")
    assert "outcome" in excinfo.value.message_dict
    assert reload(published).status == "published"


def test_only_published_alerts_resolve(user_named: Any, published: Alert) -> None:
    sho = user_named("dl.sho")
    draft = create_draft(alert_in(), actor=sho).alert
    with pytest.raises(ValidationError) as excinfo:
        resolve_alert(draft, actor=sho, outcome="traced")
    assert "status" in excinfo.value.message_dict
    assert reload(draft).status == "draft"

    resolve_alert(published, actor=sho, outcome="arrested")
    with pytest.raises(ValidationError):
        resolve_alert(published, actor=sho, outcome="traced")
    assert reload(published).outcome == "arrested"


def test_expire_due_alerts_marks_published_alerts_past_their_expiry(user_named: Any) -> None:
    sho = user_named("dl.sho")
    now = timezone.now()
    old = {"reported_at": now - timedelta(days=3), "expires_at": now - timedelta(days=1)}
    due = create_alert(alert_in(**old), actor=sho, publish=True).alert
    draft = create_draft(alert_in(**old), actor=sho).alert
    live = create_alert(alert_in(expires_at=now + timedelta(days=1)), actor=sho, publish=True).alert
    forever = create_alert(alert_in(), actor=sho, publish=True).alert

    expired = expire_due_alerts(now=now)

    assert expired == 1
    assert reload(due).status == "expired"
    assert reload(due).closed_at == now
    assert [reload(a).status for a in (draft, live, forever)] == ["draft", "published", "published"]
    assert audits(due, action="alert.expire").count() == 1
    assert expire_due_alerts(now=now) == 0
    assert expire_due_alerts(now=now + timedelta(days=2)) == 1
    assert reload(live).status == "expired"


# --- many at once -------------------------------------------------------------------------------


def test_create_many_inserts_the_good_and_reports_the_bad(
    user_named: Any, recorder: Recorder, django_capture_on_commit_callbacks: Any
) -> None:
    sho = user_named("hr.sho")
    start = last_number("HR")
    items: list[Any] = [
        alert_in(title="First good one", vehicles=[{"registration": "HR 26 DK 0001"}]),
        # A good person but a bad phone: the whole item is refused, person included.
        alert_in(title="Bad phone", phones=[{"number": "12"}]),
        {"title": ["String should have at least 3 characters"]},
        alert_in(
            title="Second good one",
            persons=[{"role": "suspect", "name": "A"}, {"role": "suspect", "name": "B"}],
        ),
        alert_in(title="Bad district", district=NEW_DELHI),
    ]
    before = counts()
    vehicles = Vehicle.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        results = create_many(items, actor=sho)

    assert [r.index for r in results] == [0, 1, 2, 3, 4]
    assert [r.checked is not None for r in results] == [True, False, False, True, False]
    assert set(results[1].errors or {}) == {"phones.0.number"}
    assert results[2].errors == {"title": ["String should have at least 3 characters"]}
    assert set(results[4].errors or {}) == {"district"}
    good = [r.checked.alert for r in results if r.checked is not None]
    assert [a.reference for a in good] == [f"HR-{year()}-{start + 1:06d}", f"HR-{year()}-{start + 2:06d}"]
    assert Alert.objects.count() == before[0] + 2
    assert Person.objects.count() == before[1] + 1 + 2
    assert Vehicle.objects.count() == vehicles + 1
    assert AuditEvent.objects.count() == before[2] + 2
    assert AlertRevision.objects.count() == before[3] + 2
    assert set(Alert.objects.filter(pk__in=[a.pk for a in good]).values_list("title", flat=True)) == {
        "First good one",
        "Second good one",
    }
    assert not Alert.objects.filter(title__in=["Bad phone", "Bad district"]).exists()
    assert recorder.seen() == [("published", [a.pk for a in good])]


def test_create_many_as_drafts(
    user_named: Any, recorder: Recorder, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        results = create_many(
            [alert_in(), alert_in(title="Another")], actor=user_named("hr.sho"), publish=False
        )
    assert all(r.checked is not None for r in results)
    assert {reload(r.checked.alert).status for r in results if r.checked} == {"draft"}
    assert recorder.events == []


def test_create_many_with_nothing_good_writes_nothing(user_named: Any) -> None:
    before = counts()
    results = create_many([alert_in(district=NEW_DELHI)], actor=user_named("hr.sho"))
    assert results[0].checked is None
    assert counts() == before


def test_create_many_needs_permission(user_named: Any) -> None:
    before = Alert.objects.count()
    with pytest.raises(PermissionDenied):
        create_many([alert_in(state="HR")], actor=user_named("hr.analyst"))
    assert Alert.objects.count() == before
    assert AuditEvent.objects.filter(action="alert.create", outcome=Outcome.DENIED).count() == 1


# --- reference numbers --------------------------------------------------------------------------


def test_allocate_references_never_repeats_and_is_consecutive() -> None:
    first = allocate_references("ZZ", 2031, 3)
    second = allocate_references("ZZ", 2031, 1)
    third = allocate_references("ZZ", 2031, 2)
    other_year = allocate_references("ZZ", 2032, 1)

    assert first == ["ZZ-2031-000001", "ZZ-2031-000002", "ZZ-2031-000003"]
    assert second == ["ZZ-2031-000004"]
    assert third == ["ZZ-2031-000005", "ZZ-2031-000006"]
    assert other_year == ["ZZ-2032-000001"]
    every = first + second + third
    assert len(set(every)) == len(every)
    assert AlertSequence.objects.get(prefix="ZZ", year=2031).last == 6
