"""The catalogue of legal sections (IPC, BNS, special Acts) and what each alert cites."""

from __future__ import annotations

from django.db import models


class LegalSection(models.Model):
    code = models.CharField(max_length=8, help_text="IPC, BNS, ITPA, POCSO, UAPA, ARMS, NDPS")
    section = models.CharField(max_length=16, help_text="e.g. 370, 376D, 103(1)")
    title = models.CharField(max_length=200)
    counterpart = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="the same offence in the other code (IPC <-> BNS)",
    )
    counterpart_uncertain = models.BooleanField(default=False)
    trafficking = models.BooleanField(default=False, help_text="one of the trafficking sections MHA asks for")

    class Meta:
        ordering = ["code", "id"]
        constraints = [models.UniqueConstraint(fields=["code", "section"], name="legal_section_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.section}"

    @property
    def citation(self) -> str:
        return f"{self.code} {self.section}"


class Citation(models.Model):
    """A section an alert cites, as the officer cited it."""

    alert = models.ForeignKey("alerts.Alert", on_delete=models.CASCADE, related_name="citations")
    section = models.ForeignKey(LegalSection, on_delete=models.PROTECT, related_name="citations")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["alert", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["alert", "section"], name="citation_unique")]

    def __str__(self) -> str:
        return str(self.section)
