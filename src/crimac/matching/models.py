"""Blocking keys per subject, match records, and the correlation queue."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from crimac.alerts.choices import Priority
from crimac.matching.choices import MatchStatus, Pairing, SubjectKind


class SubjectKey(models.Model):
    """One blocking key of one subject of a published alert ("tel:+919876543210", "reg:DL03CAB1234",
    a phonetic name key ...). Written in the publishing transaction, so that finding the candidates
    for a new alert is an indexed look-up by key, never a scan of every person."""

    alert = models.ForeignKey("alerts.Alert", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=SubjectKind.choices)
    position = models.PositiveSmallIntegerField(help_text="the subject's position in its list on the alert")
    key = models.CharField(max_length=200)

    class Meta:
        # Covering: correlation and person search read the newest rows of a key (alert, kind,
        # position) from the index alone, without a table row fetched for each (at a million
        # alerts, a common name's key has tens of thousands of rows, scattered over the table).
        indexes = [models.Index(fields=["key", "alert", "kind", "position"], name="matching_key_lookup")]

    def __str__(self) -> str:
        return f"{self.alert_id}/{self.kind}{self.position}: {self.key}"


class PersonProfile(models.Model):
    """A person of a published alert as correlation and person search compare it: the facts scoring
    reads (`keys.profile_data`), its label, and its names already parsed (`names.pack`).

    Written with the person's keys in the publishing transaction. A candidate is then one narrow
    row read by its alert, rather than a person row and an alert row read, and its names
    transliterated and parsed again, for every new alert it is a candidate of. A profile made by
    other code than the running one (`keys.PROFILE_VERSION`) is ignored and the person read
    whole; `crimac matching_backfill --profiles` rewrites those."""

    alert = models.ForeignKey("alerts.Alert", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(help_text="the person's position in its list on the alert")
    data = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["alert", "position"], name="person_profile_unique")]

    def __str__(self) -> str:
        return f"profile {self.alert_id}/{self.position}"


class MatchQuerySet(models.QuerySet["Match"]):
    def visible_to(self, user: Any) -> MatchQuerySet:
        """Matches one of whose alerts was originated by the user's agency or an agency below it;
        analysts: matches touching their jurisdiction (national analysts: all)."""
        from crimac.directory.permissions import Perm, Scope, scope_of

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        agency = user.agency
        q = Q(alert_a__origin_agency__path__startswith=agency.path) | Q(
            alert_b__origin_agency__path__startswith=agency.path
        )
        analyst = scope_of(user, Perm.VIEW_ALL_ALERTS)
        if analyst == Scope.NATIONAL:
            return self.all()
        if analyst == Scope.STATE:
            for side in ("alert_a__", "alert_b__"):
                q |= Q(**{f"{side}origin_agency__state_id": agency.state_id})
                q |= Q(**{f"{side}state_id": agency.state_id})
        return self.filter(q)


class Match(models.Model):
    """Two subjects of two alerts that are likely the same person, phone, vehicle or document.

    `alert_a` is always the alert with the lower id, so a pair has one row whichever alert is
    correlated (or revised) first; the unique constraint makes correlation idempotent."""

    alert_a = models.ForeignKey("alerts.Alert", on_delete=models.CASCADE, related_name="matches_as_a")
    alert_b = models.ForeignKey("alerts.Alert", on_delete=models.CASCADE, related_name="matches_as_b")
    kind = models.CharField(max_length=12, choices=SubjectKind.choices)
    position_a = models.PositiveSmallIntegerField()
    position_b = models.PositiveSmallIntegerField()
    label_a = models.CharField(max_length=200, blank=True, help_text="the subject on alert A, described")
    label_b = models.CharField(max_length=200, blank=True, help_text="the subject on alert B, described")
    score = models.FloatField()
    exact = models.BooleanField(default=False, help_text="an identifier both alerts carry")
    reasons = models.JSONField(default=list)
    pairing = models.CharField(max_length=16, choices=Pairing.choices, blank=True, default="")
    priority = models.CharField(max_length=12, choices=Priority.choices)
    status = models.CharField(max_length=12, choices=MatchStatus.choices, default=MatchStatus.NEW)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MatchQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert_a", "alert_b", "kind", "position_a", "position_b"], name="match_unique"
            ),
            models.CheckConstraint(condition=Q(alert_a__lt=models.F("alert_b")), name="match_ordered"),
        ]
        indexes = [
            models.Index(fields=["alert_a", "kind", "position_a"], name="match_subject_a"),
            models.Index(fields=["alert_b", "kind", "position_b"], name="match_subject_b"),
            models.Index(fields=["status", "id"], name="match_status"),
        ]

    def __str__(self) -> str:
        a, b = f"{self.alert_a_id}/{self.position_a}", f"{self.alert_b_id}/{self.position_b}"
        return f"{self.kind} match {self.pk}: {a} ~ {b}"


class PendingCorrelation(models.Model):
    """An alert whose correlation has not run yet. Written in the publishing transaction and
    removed by the correlation that follows commit: a crash in between leaves the row, and
    `crimac matching_backfill` (or the worker) correlates it later. Nothing is lost silently."""

    alert = models.OneToOneField("alerts.Alert", on_delete=models.CASCADE, related_name="+")
    revision = models.PositiveIntegerField()
    published = models.BooleanField(default=False, help_text="newly published: run the delayed inquiry")
    queued_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"pending {self.alert_id} r{self.revision}"
