"""Choices of the matching app."""

from __future__ import annotations

from django.db import models


class SubjectKind(models.TextChoices):
    PERSON = "person", "Person"
    PHONE = "phone", "Phone"
    VEHICLE = "vehicle", "Vehicle"
    IDENTIFIER = "identifier", "Identifier"


class MatchStatus(models.TextChoices):
    NEW = "new", "New"
    CONFIRMED = "confirmed", "Confirmed"
    REJECTED = "rejected", "Rejected"


class Pairing(models.TextChoices):
    """A missing person against someone found: the pairings raised at the highest priority."""

    NONE = "", "None"
    MISSING_RESCUED = "missing_rescued", "Missing person and rescued victim"
    MISSING_FOUND = "missing_found", "Missing person and unidentified found person"
    MISSING_BODY = "missing_body", "Missing person and unidentified dead body"
