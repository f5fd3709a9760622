"""Idempotency keys of API writes: a State system that retries a create gets the first answer."""

from __future__ import annotations

from django.db import models


class IdempotencyRecord(models.Model):
    agency = models.ForeignKey("directory.Agency", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    endpoint = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "key"], name="idempotency_key_unique_per_agency")
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}:{self.key}"
