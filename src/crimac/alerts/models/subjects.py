"""Who and what an alert is about: persons, vehicles, phones and other identifiers.

Each keeps what the officer wrote and a normalised form that matching and search use.
"""

from __future__ import annotations

from django.db import models

from crimac.alerts.choices import Build, Gender, IdentifierType, PersonRole, VehicleType


class Person(models.Model):
    alert = models.ForeignKey("alerts.Alert", on_delete=models.CASCADE, related_name="persons")
    position = models.PositiveSmallIntegerField(default=0)
    role = models.CharField(max_length=16, choices=PersonRole.choices)
    name = models.CharField(max_length=200, blank=True, help_text="as written, in any script")
    aliases = models.JSONField(default=list, blank=True)
    gender = models.CharField(max_length=12, choices=Gender.choices, default=Gender.UNKNOWN)
    age_min = models.PositiveSmallIntegerField(null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(null=True, blank=True)
    birth_date_from = models.DateField(null=True, blank=True)
    birth_date_to = models.DateField(null=True, blank=True)
    height_cm_min = models.PositiveSmallIntegerField(null=True, blank=True)
    height_cm_max = models.PositiveSmallIntegerField(null=True, blank=True)
    build = models.CharField(max_length=10, choices=Build.choices, default=Build.UNKNOWN)
    marks = models.TextField(blank=True, help_text="identifying marks")
    languages = models.JSONField(default=list, blank=True)
    last_seen_place = models.CharField(max_length=300, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["alert", "position", "id"]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.name or 'unnamed'}"


class Vehicle(models.Model):
    alert = models.ForeignKey("alerts.Alert", on_delete=models.CASCADE, related_name="vehicles")
    position = models.PositiveSmallIntegerField(default=0)
    registration = models.CharField(max_length=20, blank=True, help_text="as written")
    registration_normalised = models.CharField(max_length=16, blank=True, db_index=True)
    vehicle_type = models.CharField(max_length=16, choices=VehicleType.choices, default=VehicleType.OTHER)
    make = models.CharField(max_length=60, blank=True)
    model = models.CharField(max_length=60, blank=True)
    colour = models.CharField(max_length=40, blank=True)
    chassis_number = models.CharField(max_length=30, blank=True, db_index=True)
    engine_number = models.CharField(max_length=30, blank=True, db_index=True)

    class Meta:
        ordering = ["alert", "position", "id"]

    def __str__(self) -> str:
        return self.registration_normalised or self.chassis_number or "vehicle"


class Phone(models.Model):
    alert = models.ForeignKey("alerts.Alert", on_delete=models.CASCADE, related_name="phones")
    position = models.PositiveSmallIntegerField(default=0)
    number = models.CharField(max_length=32, blank=True, help_text="as written")
    e164 = models.CharField(max_length=16, blank=True, db_index=True)
    imei = models.CharField(max_length=15, blank=True, db_index=True)

    class Meta:
        ordering = ["alert", "position", "id"]

    def __str__(self) -> str:
        return self.e164 or self.imei


class Identifier(models.Model):
    alert = models.ForeignKey("alerts.Alert", on_delete=models.CASCADE, related_name="identifiers")
    position = models.PositiveSmallIntegerField(default=0)
    type = models.CharField(max_length=20, choices=IdentifierType.choices)
    value = models.CharField(max_length=120, help_text="as written")
    normalised = models.CharField(max_length=120, db_index=True)

    class Meta:
        ordering = ["alert", "position", "id"]
        indexes = [models.Index(fields=["type", "normalised"])]

    def __str__(self) -> str:
        return f"{self.type}:{self.normalised}"
