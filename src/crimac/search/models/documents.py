"""What the full-text index holds for each alert: its searchable text, grouped by weight.

The rows are the index's content. On SQLite the FTS5 table `search_alert_fts` reads them (external
content, kept in step by triggers); on PostgreSQL the row carries a generated `document` tsvector
with a GIN index. Both are created by this app's migration for their database only, so the model
does not declare them. Visibility and filters never come from here: searches join `Alert` through
`Alert.objects.visible_to(user)`.
"""

from __future__ import annotations

from django.db import models


class AlertDocument(models.Model):
    alert = models.OneToOneField(
        "alerts.Alert", primary_key=True, on_delete=models.CASCADE, related_name="search_document"
    )
    title = models.TextField(blank=True)
    names = models.TextField(blank=True, help_text="persons' names and aliases, with Latin transliterations")
    identifiers = models.TextField(
        blank=True, help_text="reference, FIR, registrations (as written and normalised), phones, IMEIs, ..."
    )
    places = models.TextField(blank=True)
    body = models.TextField(blank=True, help_text="narrative, identifying marks, vehicle descriptions")
    # PostgreSQL only: the words of each weight class as `text.tokens` cut them, so its parser sees
    # the same words as the query ('+91...' or 'DL-2026-...' would otherwise become signed numbers).
    terms_a = models.TextField(blank=True)
    terms_b = models.TextField(blank=True)
    terms_c = models.TextField(blank=True)
    revision = models.PositiveIntegerField(default=0)
    indexed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["indexed_at"])]

    def __str__(self) -> str:
        return f"document of alert {self.alert_id}"
