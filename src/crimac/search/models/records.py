"""Who searched for which person, phone or vehicle (kept 72 hours for the delayed inquiry), and
the per-user counters of the search rate limit."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from crimac.search.choices import SearchKind


class SearchRecordQuerySet(models.QuerySet["SearchRecord"]):
    def recent(self, kind: str, since: object) -> SearchRecordQuerySet:
        return self.filter(kind=kind, created_at__gte=since)


class SearchRecord(models.Model):
    """One person, phone or vehicle search. Matching reads these when an alert is published: a
    match notifies the agency that searched ("delayed inquiry"). Not shown to users; removed after
    `SEARCH_RECORD_HOURS`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey("directory.Agency", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=SearchKind.choices)
    value = models.CharField(max_length=200, help_text="the normalised value: E.164, registration, name")
    facts = models.JSONField(default=dict, blank=True, help_text="the rest of the search, normalised")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = SearchRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["kind", "created_at"]),
            models.Index(fields=["kind", "value"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class RateWindow(models.Model):
    """Searches a user made in one fixed window of one limit ('alerts' or 'persons')."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    bucket = models.CharField(max_length=16)
    window_start = models.BigIntegerField(help_text="start of the window, seconds since the epoch")
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "bucket", "window_start"], name="search_rate_window_unique"
            )
        ]
        indexes = [models.Index(fields=["window_start"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.bucket} {self.window_start}: {self.hits}"
