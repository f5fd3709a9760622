"""States/UTs, districts and land borders, keyed by their LGD codes."""

from __future__ import annotations

from django.db import models


class StateKind(models.TextChoices):
    STATE = "S", "State"
    UNION_TERRITORY = "U", "Union Territory"


class State(models.Model):
    lgd_code = models.PositiveIntegerField(unique=True)
    code = models.CharField(max_length=2, unique=True, help_text="two-letter code, e.g. DL, AS")
    name = models.CharField(max_length=100)
    lgd_name = models.CharField(max_length=100, help_text="the name as LGD spells it")
    kind = models.CharField(max_length=1, choices=StateKind.choices)
    census_2011_code = models.PositiveIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def bordering_states(self) -> models.QuerySet[State]:
        return State.objects.filter(borders_from__state=self).order_by("name")


class DistrictQuerySet(models.QuerySet["District"]):
    def active(self) -> DistrictQuerySet:
        return self.filter(retired_at__isnull=True)


class District(models.Model):
    """A district. Retired districts stay, so the alerts and agencies that name them still do."""

    lgd_code = models.PositiveIntegerField(unique=True)
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="districts")
    name = models.CharField(max_length=100)
    lgd_name = models.CharField(max_length=100, blank=True)
    slug = models.CharField(max_length=40, help_text="upper-case letters used in agency codes")
    retired_at = models.DateField(null=True, blank=True)
    successor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="predecessors"
    )

    objects = DistrictQuerySet.as_manager()

    class Meta:
        ordering = ["state__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["state", "slug"], name="district_slug_unique_in_state")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.state.code})"

    @property
    def active(self) -> bool:
        return self.retired_at is None


class StateBorder(models.Model):
    """A land border between two States/UTs, stored once from each side."""

    state = models.ForeignKey(State, on_delete=models.CASCADE, related_name="borders_to")
    neighbour = models.ForeignKey(State, on_delete=models.CASCADE, related_name="borders_from")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["state", "neighbour"], name="state_border_unique"),
            models.CheckConstraint(
                condition=~models.Q(state=models.F("neighbour")), name="state_border_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.state.code}-{self.neighbour.code}"


class ForeignBorder(models.Model):
    state = models.ForeignKey(State, on_delete=models.CASCADE, related_name="foreign_borders")
    country = models.CharField(max_length=40)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["state", "country"], name="foreign_border_unique")]

    def __str__(self) -> str:
        return f"{self.state.code}-{self.country}"
