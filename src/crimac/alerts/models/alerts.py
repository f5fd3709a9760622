"""The alert, its audience as written, its revisions, and the reference-number sequences."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q

from crimac.alerts.choices import (
    CATEGORY_BY_VALUE,
    CATEGORY_CHOICES,
    ActionRequested,
    AudienceKind,
    HandlingCode,
    Outcome,
    Priority,
    Status,
)


def _audience_as_written(agency: Any) -> Any:
    """Reached by a positive term and by no exclusion (a radius needs dissemination to resolve it)."""
    mine = AudienceEntry.objects.filter(alert=OuterRef("pk")).filter(AudienceEntry.reaching(agency))
    return Exists(mine.filter(exclude=False)) & ~Exists(mine.filter(exclude=True))


# Which published alerts reach an agency: the audience as written, until dissemination (which
# resolves audiences into deliveries) installs its own rule with `set_audience_rule`.
_audience_rule: Callable[[Any], Any] = _audience_as_written


# The other side of that rule, for narrowing searches by State before checking `visible_to` (see
# `AlertQuerySet.reach`): the ids of the alerts it lets an agency read, and, for alert ids, pairs
# (alert id, State id or None) of the agencies it lets read them. None: the rule cannot say.
@dataclass(frozen=True)
class Readers:
    alerts_of: Callable[[Any], Any]
    states_of: Callable[[list[int]], Iterable[tuple[int, int | None]]]


_readers: Readers | None = None


def set_audience_rule(rule: Callable[[Any], Any], readers: Readers | None = None) -> None:
    global _audience_rule, _readers
    _audience_rule, _readers = rule, readers


# The State of an agency that has none (a central agency), in `reach` and `reach_of`.
NO_STATE = 0


class AlertQuerySet(models.QuerySet["Alert"]):
    def visible_to(self, user: Any) -> AlertQuerySet:
        """What `user` may read. The one place that decides; every read goes through it.

        - a draft, or a draft cancelled before it went out: its originating agency only;
        - otherwise: the originating agency and every agency above it; every agency its
          audience reaches; analysts within their jurisdiction (national analysts: all).
        """
        from crimac.directory.permissions import Perm, Scope, scope_of

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        agency = user.agency
        own: Q = Q(origin_agency_id=agency.pk)
        above = Q(origin_agency__path__startswith=agency.path)
        audience = _audience_rule(agency)
        went_out = ~Q(status="draft") & ~Q(status="cancelled", published_at__isnull=True)
        published: Any = went_out & (above | audience)
        analyst = scope_of(user, Perm.VIEW_ALL_ALERTS)
        if analyst == Scope.NATIONAL:
            published = went_out
        elif analyst == Scope.STATE:
            published = published | (
                went_out & (Q(origin_agency__state_id=agency.state_id) | Q(state_id=agency.state_id))
            )
        return self.filter(own | published)

    def reach(self, alert_ids: Iterable[int]) -> dict[int, frozenset[int]] | None:
        """For each alert, the States it reaches (`NO_STATE` for an agency of none): its incident's,
        its originating agency's, and those of every agency the audience rule lets read it. Whoever
        may read an alert (`visible_to`) is in one of these States or above an agency of one of
        them, so `reach_of(user)` meets it. None when the audience rule cannot say (no readers)."""
        if _readers is None:
            return None
        ids = list(alert_ids)
        found: dict[int, set[int]] = {}
        for pk, state_id, origin_state_id in self.filter(pk__in=ids).values_list(
            "pk", "state_id", "origin_agency__state_id"
        ):
            found[pk] = {state_id or NO_STATE, origin_state_id or NO_STATE}
        for pk, state_id in _readers.states_of(ids):
            if pk in found:
                found[pk].add(state_id or NO_STATE)
        return {pk: frozenset(states) for pk, states in found.items()}

    def reaching(self, agency: Any) -> AlertQuerySet:
        """Alerts whose `reach` counts the agency's State: originated by it, or that the audience
        rule lets it read (to bring their reach up to date when the agency changes State)."""
        if _readers is None:
            return self.filter(origin_agency=agency)
        return self.filter(Q(origin_agency=agency) | Q(pk__in=_readers.alerts_of(agency)))

    def reach_of(self, user: Any) -> frozenset[int] | None:
        """States one of which every alert `user` may read reaches (`reach`): those of its agency
        and of every agency below it (an agency sees what it was sent and what was originated at or
        below it; a State analyst what happened in, or came from, its State). Empty for nobody;
        None when there is no such bound (a national analyst, or an audience rule that cannot say)."""
        from crimac.directory.models import Agency
        from crimac.directory.permissions import Perm, Scope, scope_of

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return frozenset()
        if _readers is None or scope_of(user, Perm.VIEW_ALL_ALERTS) == Scope.NATIONAL:
            return None
        below = Agency.objects.subtree(user.agency).order_by().values_list("state_id", flat=True).distinct()
        return frozenset({user.agency.state_id or NO_STATE, *(s or NO_STATE for s in below)})

    def published(self) -> AlertQuerySet:
        return self.exclude(status=Status.DRAFT)


class Alert(models.Model):
    reference = models.CharField(max_length=20, unique=True, help_text="e.g. DL-2026-000123")
    origin_agency = models.ForeignKey(
        "directory.Agency", on_delete=models.PROTECT, related_name="alerts_originated"
    )
    origin_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=32, choices=CATEGORY_CHOICES, db_index=True)
    title = models.CharField(max_length=200)
    narrative = models.TextField(blank=True)
    priority = models.CharField(max_length=12, choices=Priority.choices, db_index=True)
    action_requested = models.CharField(max_length=24, choices=ActionRequested.choices)
    occurred_at = models.DateTimeField(null=True, blank=True)
    reported_at = models.DateTimeField()
    state = models.ForeignKey("directory.State", on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(
        "directory.District", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    station = models.ForeignKey(
        "directory.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(max_length=300, blank=True)
    latitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    fir_number = models.CharField(max_length=40, blank=True)
    fir_date = models.DateField(null=True, blank=True)
    handling_code = models.CharField(max_length=2, choices=HandlingCode.choices, default=HandlingCode.H0)
    expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    revision = models.PositiveIntegerField(default=1)
    missing_trafficking_sections = models.BooleanField(
        default=False, help_text="a trafficking alert citing none of the trafficking sections"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["state", "reported_at"]),
            models.Index(fields=["district", "reported_at"]),
            models.Index(fields=["origin_agency", "reported_at"]),
            models.Index(fields=["category", "reported_at"]),
            # An agency's drafts (every search first indexes the searcher's changed ones: a
            # station that published 70,000 alerts made SQLite read them all, 135 ms a search).
            models.Index(fields=["origin_agency", "status"], name="alerts_origin_status"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def category_info(self) -> Any:
        return CATEGORY_BY_VALUE.get(self.category)

    def category_label(self) -> str:
        info = CATEGORY_BY_VALUE.get(self.category)
        return info.label if info else self.category


class AudienceEntry(models.Model):
    """One term of an alert's audience as written: national, a State, a district, an agency or
    an agency kind (optionally within one State). "States bordering the incident State" is kept
    as written and also expanded into State entries (`derived=True`) when the alert is saved.
    Dissemination resolves these into deliveries; until then visibility reads them directly.
    """

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="audience")
    kind = models.CharField(max_length=20, choices=AudienceKind.choices)
    state = models.ForeignKey(
        "directory.State", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    district = models.ForeignKey(
        "directory.District", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "directory.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agency_kind = models.CharField(max_length=32, blank=True)
    radius_km = models.PositiveIntegerField(null=True, blank=True, help_text="for a radius term")
    exclude = models.BooleanField(default=False, help_text="an exclusion: agencies this term reaches do not")
    derived = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "state"]),
            models.Index(fields=["kind", "district"]),
            models.Index(fields=["kind", "agency"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.state_id or self.district_id or self.agency_id or self.agency_kind}"

    @staticmethod
    def reaching(agency: Any) -> Q:
        """Entries whose audience includes `agency`."""
        q = Q(kind=AudienceKind.NATIONAL) | Q(kind=AudienceKind.AGENCY, agency_id=agency.pk)
        q |= Q(kind=AudienceKind.AGENCY_KIND, agency_kind=agency.kind) & (
            Q(state__isnull=True) | Q(state_id=agency.state_id)
        )
        if agency.state_id is not None:
            q |= Q(kind=AudienceKind.STATE, state_id=agency.state_id)
        if agency.district_id is not None:
            q |= Q(kind=AudienceKind.DISTRICT, district_id=agency.district_id)
        return q


class AlertRevision(models.Model):
    """What the alert was after each change, and what changed. Never edited."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    event = models.CharField(max_length=16)
    summary = models.TextField(blank=True)
    changes = models.JSONField(default=dict)
    snapshot = models.JSONField(default=dict)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["alert", "number", "id"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "number", "event"], name="alert_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} r{self.number} {self.event}"


class AlertSequence(models.Model):
    """The last reference number used per (prefix, year): DL-2026-000123."""

    prefix = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="alert_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"
