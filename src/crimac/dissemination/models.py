"""Deliveries (one row per recipient agency of a published alert) and responses to alerts."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from crimac.dissemination.choices import (
    ChannelKind,
    Confirmation,
    OutboxStatus,
    ResponseOutcome,
    SubscriptionKind,
)


class Delivery(models.Model):
    """An alert reaching one agency. Written in the publishing transaction, so a committed alert
    always has its recipients; later revisions add recipients and never drop one."""

    # A national alert writes a delivery per active agency (about 18,800) in its transaction. The
    # database's foreign-key checks on these two columns ran once per row at commit (PostgreSQL
    # locks the referenced agency row for each) and took longer than writing the rows, so the
    # links are kept by the application instead: deliveries are written only by `deliver`, for
    # the alert it has just saved and agencies it has just read; Django's delete still cascades
    # from the alert and still refuses to delete an agency that has deliveries (PROTECT). Neither
    # gets a single-column index: the unique (alert, agency) and (agency, id) indexes cover them.
    alert = models.ForeignKey(
        "alerts.Alert",
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_constraint=False,
        db_index=False,
    )
    agency = models.ForeignKey(
        "directory.Agency",
        on_delete=models.PROTECT,
        related_name="deliveries",
        db_constraint=False,
        db_index=False,
    )
    reason = models.CharField(max_length=60, help_text="the audience term that reached the agency")
    revision = models.PositiveIntegerField(help_text="the latest revision delivered")
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    deadline = models.DateTimeField(help_text="acknowledge by")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # indexed only where set: see Meta
    )
    muted = models.BooleanField(
        default=False, help_text="the agency muted alerts like this: no push, not counted unread"
    )
    escalate_at = models.DateTimeField(
        null=True, blank=True, help_text="when an unacknowledged delivery next climbs (none: never)"
    )
    escalation_level = models.PositiveSmallIntegerField(default=0, help_text="how often it has climbed")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["alert", "agency"], name="delivery_unique")]
        # Every index is written once per recipient: the partial ones cost nothing for the rows
        # they leave out (unacknowledged deliveries; those that never escalate).
        indexes = [
            models.Index(fields=["agency", "id"]),
            models.Index(fields=["agency", "acknowledged_at"]),
            models.Index(
                fields=["escalate_at"],
                name="delivery_escalate_due",
                condition=models.Q(escalate_at__isnull=False),
            ),
            models.Index(
                fields=["acknowledged_by"],
                name="delivery_acknowledged_by",
                condition=models.Q(acknowledged_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} -> {self.agency_id}"


class Response(models.Model):
    """What a recipient reports back: a sighting, an arrest, a trace, a recovery, or nothing."""

    alert = models.ForeignKey("alerts.Alert", on_delete=models.CASCADE, related_name="responses")
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="responses")
    agency = models.ForeignKey("directory.Agency", on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=16, choices=ResponseOutcome.choices)
    message = models.TextField(blank=True)
    claims_hit = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Hit confirmation (NCIC): a response claiming a hit asks the originator to confirm it.
    confirm_by = models.DateTimeField(null=True, blank=True, help_text="the originator confirms by")
    confirmation = models.CharField(max_length=16, choices=Confirmation.choices, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmation_note = models.TextField(blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    next_reminder_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["alert", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.agency_id} {self.outcome}"


class FeedEvent(models.Model):
    """What the live feed sends, kept so a reconnecting client resumes from its cursor (the id).

    One row per event, not per recipient: `audience` says who gets it ("recipients" of the
    alert's deliveries, its "originator" agency, or one "agency": `agency`), and
    `feed.events_for(agency)` applies it.
    """

    alert = models.ForeignKey("alerts.Alert", on_delete=models.CASCADE, related_name="feed_events")
    kind = models.CharField(max_length=20)
    audience = models.CharField(max_length=12)
    agency = models.ForeignKey(
        "directory.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the agency that acknowledged or responded; for audience 'agency', the recipient",
    )
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.pk} {self.kind} {self.alert_id}"


class DeliveryRead(models.Model):
    """One officer has opened one delivered alert (per-user unread counts)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["delivery", "user"], name="delivery_read_unique")]

    def __str__(self) -> str:
        return f"{self.delivery_id} read by {self.user_id}"


class Escalation(models.Model):
    """An unacknowledged flash or immediate delivery climbing to the parent control room."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="escalations")
    alert = models.ForeignKey("alerts.Alert", on_delete=models.CASCADE, related_name="escalations")
    from_agency = models.ForeignKey("directory.Agency", on_delete=models.PROTECT, related_name="+")
    to_agency = models.ForeignKey("directory.Agency", on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.alert_id}: {self.from_agency_id} -> {self.to_agency_id}"


class Subscription(models.Model):
    """An agency or one officer asking for more than the default (include) or less (mute).

    Empty category / priority / state mean "any". Flash and immediate alerts addressed to an
    agency are never muted.
    """

    kind = models.CharField(max_length=8, choices=SubscriptionKind.choices)
    agency = models.ForeignKey(
        "directory.Agency", null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    category = models.CharField(max_length=40, blank=True)
    priority = models.CharField(max_length=16, blank=True)
    state = models.ForeignKey(
        "directory.State", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(agency__isnull=False, user__isnull=True)
                | models.Q(agency__isnull=True, user__isnull=False),
                name="subscription_agency_xor_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.category or '*'}/{self.priority or '*'}/{self.state_id or '*'}"


class Endpoint(models.Model):
    """Where an agency also wants its alerts outside crimac: an e-mail address, a webhook, an SMS number."""

    agency = models.ForeignKey("directory.Agency", on_delete=models.CASCADE, related_name="endpoints")
    kind = models.CharField(max_length=8, choices=ChannelKind.choices)
    target = models.CharField(max_length=500, help_text="address, https URL or E.164 number")
    secret = models.CharField(max_length=128, blank=True, help_text="webhook signing secret")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.agency_id} {self.kind} {self.target}"


class OutboxMessage(models.Model):
    """One message to send through one endpoint, written with the event it tells of.

    The worker claims due rows (SKIP LOCKED on PostgreSQL), sends, and records the attempt.
    `key` travels with a webhook so a receiver can drop duplicates.
    """

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="messages")
    delivery = models.ForeignKey(Delivery, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    alert = models.ForeignKey(
        "alerts.Alert", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    event = models.CharField(max_length=32)
    key = models.UUIDField(unique=True)
    payload = models.JSONField()
    status = models.CharField(max_length=8, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.key} {self.event} {self.status}"
