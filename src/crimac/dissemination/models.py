"""Deliveries (one row per recipient agency of a published alert) and responses to alerts."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from crimac.dissemination.choices import ResponseOutcome


class Delivery(models.Model):
    """An alert reaching one agency. Written in the publishing transaction, so a committed alert
    always has its recipients; later revisions add recipients and never drop one."""

    alert = models.ForeignKey("alerts.Alert", on_delete=models.CASCADE, related_name="deliveries")
    agency = models.ForeignKey("directory.Agency", on_delete=models.PROTECT, related_name="deliveries")
    reason = models.CharField(max_length=60, help_text="the audience term that reached the agency")
    revision = models.PositiveIntegerField(help_text="the latest revision delivered")
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    deadline = models.DateTimeField(help_text="acknowledge by")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["alert", "agency"], name="delivery_unique")]
        indexes = [
            models.Index(fields=["agency", "id"]),
            models.Index(fields=["agency", "acknowledged_at"]),
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

    class Meta:
        ordering = ["alert", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.agency_id} {self.outcome}"


class FeedEvent(models.Model):
    """What the live feed sends, kept so a reconnecting client resumes from its cursor (the id).

    One row per event, not per recipient: `audience` says who gets it ("recipients" of the
    alert's deliveries, or its "originator" agency), and `feed.events_for(agency)` applies it.
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
        help_text="the agency that acknowledged or responded",
    )
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.pk} {self.kind} {self.alert_id}"
