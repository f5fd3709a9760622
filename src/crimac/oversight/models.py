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
