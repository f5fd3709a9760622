"""Agencies and their hierarchy.

The hierarchy is stored twice: as `parent` (the truth) and as `path`, the slash-separated ids from
the root down to the agency itself ("/1/40/977/"). `path` makes "this agency and everything under
it" one indexed prefix query and "everyone above it" a parse; `actions.move_agency` keeps it right.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

from crimac.directory.choices import AgencyKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from crimac.directory.models.users import User


class AgencyQuerySet(models.QuerySet["Agency"]):
    def active(self) -> AgencyQuerySet:
        return self.filter(active=True)

    def by_ref(self, ref: str) -> AgencyQuerySet:
        """The agency a user or system names: by id (ASCII digits) or by code (any case)."""
        return self.filter(pk=int(ref)) if ref.isascii() and ref.isdigit() else self.filter(code=ref.upper())

    def subtree(self, agency: Agency) -> AgencyQuerySet:
        """The agency and every agency below it."""
        return self.filter(path__startswith=agency.path)

    def visible_to(self, user: User | AnonymousUser) -> AgencyQuerySet:
        """Agencies a user may read. The directory of who is who is open to every signed-in
        user and API client: knowing whom to call is the point of a multi-agency centre."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.all()

    def manageable_by(self, user: User) -> AgencyQuerySet:
        from crimac.directory.permissions import Perm, scope_filter

        return self.filter(scope_filter(user, Perm.MANAGE_AGENCIES))


class Agency(models.Model):
    code = models.CharField(
        max_length=64, unique=True, help_text="stable short code, e.g. DL-HQ, DL-NEWDELHI-PS-003"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=AgencyKind.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    state = models.ForeignKey(
        "directory.State", null=True, blank=True, on_delete=models.PROTECT, related_name="agencies"
    )
    district = models.ForeignKey(
        "directory.District",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agencies",
    )
    latitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    contact_phone = models.CharField(max_length=32, blank=True, help_text="24x7 phone")
    contact_email = models.EmailField(blank=True, help_text="24x7 e-mail")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AgencyQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "agencies"
        indexes = [
            models.Index(fields=["state", "kind"]),
            models.Index(fields=["district", "kind"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        from crimac.directory.validation import check_agency

        check_agency(self)

    def ancestor_ids(self) -> list[int]:
        """Ids of the agencies above this one, nearest last."""
        return [int(part) for part in self.path.strip("/").split("/")[:-1] if part]

    def ancestors(self) -> AgencyQuerySet:
        return Agency.objects.filter(pk__in=self.ancestor_ids()).order_by("depth")

    def is_within(self, other: Agency) -> bool:
        """True if this agency is `other` or lies below it."""
        return self.path.startswith(other.path)
