"""Notices: what oversight tells people in the app (the weekly digest): to one user (a State
nodal officer), or to every user of one agency (a district control room). Written by
`actions.send_digests`, never edited."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class NoticeKind(models.TextChoices):
    STATE_DIGEST = "state_digest", "Weekly digest for a State"
    DISTRICT_DIGEST = "district_digest", "Weekly digest for a district"


class Notice(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notices",
        help_text="one user; empty: every user of the agency (a control room)",
    )
    agency = models.ForeignKey("directory.Agency", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField()
    data = models.JSONField(default=dict, help_text="the figures behind the text")
    period_start = models.DateField()
    period_end = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"]), models.Index(fields=["agency", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "agency", "kind", "period_end"],
                condition=models.Q(user__isnull=False),
                name="notice_once_per_user_digest",
            ),
            models.UniqueConstraint(
                fields=["agency", "kind", "period_end"],
                condition=models.Q(user__isnull=True),
                name="notice_once_per_agency_digest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.title}"


# --- figures kept up to date at publish --------------------------------------------------------
# The dashboard must not count a million alerts each time it is drawn. What every published alert
# adds to the figures is kept here, written in the alert's own transaction (`tally.count`), and
# the figures sum these rows (at most agencies x months) instead of the alerts. `crimac
# oversight-tally` rebuilds all three tables from the alerts (after loading history with SQL, or
# to check them).


class AlertTally(models.Model):
    """What one published alert contributes, as last counted: the deltas of a revision (a new
    category, a section cited, a photograph attached) are taken against this row."""

    alert = models.OneToOneField("alerts.Alert", primary_key=True, on_delete=models.CASCADE, related_name="+")
    agency_id = models.IntegerField(help_text="the originating agency")
    state_key = models.IntegerField(help_text="the originating agency's State when counted; 0: none")
    month = models.DateField(help_text="first day of the month of publication, in the centre's time zone")
    category = models.CharField(max_length=32)
    priority = models.CharField(max_length=12)
    trafficking = models.BooleanField()
    trafficking_uncited = models.BooleanField()
    heinous = models.BooleanField()
    no_fir = models.BooleanField()
    missing = models.BooleanField()
    no_photo = models.BooleanField()

    def __str__(self) -> str:
        return f"alert {self.alert_id} in {self.month:%Y-%m}"


class AgencyMonth(models.Model):
    """Alerts one agency published in one month, and how many of them fail each compliance check."""

    agency_id = models.IntegerField()
    month = models.DateField()
    alerts = models.IntegerField(default=0)
    trafficking = models.IntegerField(default=0)
    trafficking_uncited = models.IntegerField(default=0)
    heinous = models.IntegerField(default=0)
    no_fir = models.IntegerField(default=0)
    missing = models.IntegerField(default=0)
    no_photo = models.IntegerField(default=0)
    first_at = models.DateTimeField(null=True)
    last_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency_id", "month"], name="agency_month_once")]
        indexes = [models.Index(fields=["month", "agency_id"])]

    def __str__(self) -> str:
        return f"agency {self.agency_id} {self.month:%Y-%m}: {self.alerts}"


class StateMonth(models.Model):
    """Alerts published in one month by the agencies of one State (0: agencies of no State), per
    category and priority: the breakdowns and the monthly trend."""

    state_key = models.IntegerField()
    month = models.DateField()
    category = models.CharField(max_length=32)
    priority = models.CharField(max_length=12)
    alerts = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["state_key", "month", "category", "priority"], name="state_month_once"
            )
        ]
        indexes = [models.Index(fields=["month", "state_key"])]

    def __str__(self) -> str:
        return f"State {self.state_key} {self.month:%Y-%m} {self.category}/{self.priority}: {self.alerts}"
