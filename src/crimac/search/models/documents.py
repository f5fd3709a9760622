"""What the full-text index holds for each alert: its searchable text, grouped by weight.

The rows are the index's content. On SQLite the FTS5 table `search_alert_fts` reads them (external
content, kept in step by triggers); on PostgreSQL the row carries a generated `document` tsvector
with a GIN index. Both are created by this app's migration for their database only, so the model
does not declare them. Visibility and filters never come from here: searches join `Alert` through
`Alert.objects.visible_to(user)`.

The place, category and reported time are copied too, only so that a filtered search can narrow
the full-text matches in the index (`category`, `state`, `district`, `reported_at`: the list
filters of `alerts.api.PLACE_AND_TIME`) before it reads any row: a word in a quarter of a million
alerts is in a few dozen of one State's last 90 days. The alert's own columns stay the truth: the
search checks its scope on `Alert` as well.
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
    # Copies of the alert's columns (nullable: added to a filled table without rewriting it).
    category = models.CharField(max_length=32, null=True, blank=True)
    state = models.ForeignKey(
        "directory.State", models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    district = models.ForeignKey(
        "directory.District", models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    reported_at = models.DateTimeField(null=True, blank=True)
    # The States the alert reaches (`Alert.objects.reach`) as words of their own, "zzr7 zzr12"
    # (`indexing.reach_words`); NULL: not known, which every search treats as a match. PostgreSQL
    # keeps them in the tsvector, so that a word's matches are narrowed to the searcher's States
    # (`Alert.objects.reach_of`) inside the GIN index, before each is checked against `visible_to`.
    reach = models.TextField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=0)
    indexed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["indexed_at"]),
            # With the full-text index (a bitmap AND on PostgreSQL): one State's categories and
            # period, or the newest period of all (a common word's newest matches).
            models.Index(fields=["state", "category", "reported_at"], name="search_doc_state_category"),
            models.Index(fields=["reported_at"], name="search_doc_reported"),
        ]

    def __str__(self) -> str:
        return f"document of alert {self.alert_id}"
