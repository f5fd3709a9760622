"""What dissemination does when an alert is published, revised, cancelled or resolved.

These run inside the alert's transaction (`hooks.subscribe(..., in_transaction=True)`): the
delivery rows commit with the alert or not at all.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils import timezone

from crimac.alerts import hooks
from crimac.alerts.choices import Priority, ack_deadline
from crimac.alerts.models import Alert, AudienceEntry
from crimac.directory.models import Agency
from crimac.dissemination import feed, outbox
from crimac.dissemination.models import Delivery
from crimac.dissemination.resolution import directory_index, recipients_for
from crimac.dissemination.subscriptions import active_rules
from crimac.fastinsert import insert_rows

DELIVERY_COLUMNS = (
    "alert",
    "agency",
    "reason",
    "muted",
    "revision",
    "created_at",
    "updated_at",
    "deadline",
    "escalate_at",
    "escalation_level",
)
# Deliveries of these climb the hierarchy when nobody acknowledges them in time.
ESCALATING = frozenset({Priority.FLASH, Priority.IMMEDIATE})

NOBODY = (
    "the audience resolves to no active agency: name a State, district, agency or kind that has "
    "units in the directory"
)


def deliver(event: hooks.AlertEvent) -> None:
    """Write one delivery per recipient agency; for revisions, add new recipients and bring
    every earlier recipient up to the new revision. Nobody is dropped."""
    now = timezone.now()
    # Alerts the action holds as it just wrote them (a new publication) are not read back.
    alerts = {pk: event.loaded[pk] for pk in event.alert_ids if pk in event.loaded}
    entries: dict[int, list[AudienceEntry]] = defaultdict(list)
    for alert in alerts.values():
        entries[alert.pk] = list(alert.audience.all())
    unread = [pk for pk in event.alert_ids if pk not in alerts]
    if unread:
        alerts.update(
            (a.pk, a) for a in Alert.objects.select_related("origin_agency", "state").filter(pk__in=unread)
        )
        for entry in AudienceEntry.objects.filter(alert_id__in=unread):
            entries[entry.alert_id].append(entry)
    existing: dict[int, set[int]] = defaultdict(set)
    if event.event != "published" or any(a.revision > 1 for a in alerts.values()):
        for alert_id, agency_id in Delivery.objects.filter(alert_id__in=event.alert_ids).values_list(
            "alert_id", "agency_id"
        ):
            existing[alert_id].add(agency_id)
    new_rows: list[tuple[Any, ...]] = []
    index, rules = directory_index(), active_rules()
    for alert_id in event.alert_ids:
        alert = alerts[alert_id]
        recipients = (
            recipients_for(alert, entries[alert_id], index=index, rules=rules)
            if event.event in {"published", "revised"}
            else {}
        )
        if event.event == "published" and not recipients and not existing[alert_id]:
            raise ValidationError({"audience": [NOBODY]})
        # A backdated (historical) alert counts as delivered when it was published.
        delivered = alert.published_at if event.event == "published" and alert.published_at else now
        deadline = delivered + ack_deadline(alert.priority)
        # History loaded with its past publishing time (the demo) is not escalated years later.
        escalate_at = deadline if alert.priority in ESCALATING and deadline > now else None
        new_rows += [
            (
                alert_id,
                agency_id,
                recipient.reason,
                recipient.muted,
                alert.revision,
                delivered,
                delivered,
                deadline,
                None if recipient.muted else escalate_at,
                0,
            )
            for agency_id, recipient in recipients.items()
            if agency_id not in existing[alert_id]
        ]
        if existing[alert_id]:
            Delivery.objects.filter(alert_id=alert_id).update(revision=alert.revision, updated_at=now)
            if alert.priority in ESCALATING:
                # Raised to flash or immediate: a mute no longer holds (they cannot be muted).
                Delivery.objects.filter(alert_id=alert_id, muted=True).update(
                    muted=False, escalate_at=escalate_at
                )
    # A national alert has one delivery per active agency (about 18,800 at national scale):
    # plain rows, not model instances.
    insert_rows(Delivery, DELIVERY_COLUMNS, new_rows)
    outbox.enqueue(event.event, list(event.alert_ids))
    # Last: the feed event takes a lock (cursor order = commit order) held until commit.
    feed.record_alert_events([alerts[alert_id] for alert_id in event.alert_ids], event.event)


def delivered_to(agency: Any) -> Exists:
    """The visibility rule dissemination gives alerts: an alert delivered to the agency."""
    return Exists(Delivery.objects.filter(alert=OuterRef("pk"), agency=agency))


def alerts_delivered_to(agency: Any) -> Any:
    """Ids of the alerts delivered to the agency (the rule's readers, as a subquery)."""
    return Delivery.objects.filter(agency=agency).values("alert_id")


def delivered_states(alert_ids: list[int]) -> set[tuple[int, int | None]]:
    """(alert id, State id) of the agencies these alerts were delivered to, each pair once. The
    States come from the directory index that publishing has just used (a join to the agencies
    cost a national alert about 30 ms, most of it hashing 18,834 agencies); an agency the index
    does not hold (made inactive since) is read."""
    index = directory_index()
    pairs: set[tuple[int, int | None]] = set()
    unplaced: dict[int, set[int]] = defaultdict(set)
    for alert_id, agency_id in (
        Delivery.objects.filter(alert_id__in=alert_ids).order_by().values_list("alert_id", "agency_id")
    ):
        if agency_id in index.state_of:
            pairs.add((alert_id, index.state_of[agency_id]))
        else:
            unplaced[agency_id].add(alert_id)
    if unplaced:
        for agency_id, state_id in Agency.objects.filter(pk__in=unplaced).values_list("pk", "state_id"):
            pairs.update((alert_id, state_id) for alert_id in unplaced[agency_id])
    return pairs


def connect() -> None:
    from crimac.alerts.models import alerts as alert_models
    from crimac.dissemination import escalation, hookups

    for name in ("published", "revised", "cancelled", "resolved"):
        hooks.subscribe(name, deliver, in_transaction=True)
    alert_models.set_audience_rule(
        delivered_to, alert_models.Readers(alerts_of=alerts_delivered_to, states_of=delivered_states)
    )
    # After `deliver`: recomputes deadlines of the deliveries it has just brought up to date.
    escalation.connect()
    hookups.connect()
