from __future__ import annotations

from django.db import models


class SearchKind(models.TextChoices):
    PERSON = "person", "person"
    PHONE = "phone", "phone"
    VEHICLE = "vehicle", "vehicle"


class Sort(models.TextChoices):
    RANK = "rank", "best match first"
    NEWEST = "newest", "newest first"
