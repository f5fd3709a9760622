"""Photographs and documents attached to an alert (optionally to one person of it).

Files live under MEDIA_ROOT and are served only through a view that checks the alert's
visibility; the stored type comes from the content, never from the name.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from crimac.alerts.choices import AttachmentKind


class Attachment(models.Model):
    alert = models.ForeignKey("alerts.Alert", on_delete=models.CASCADE, related_name="attachments")
    person = models.ForeignKey(
        "alerts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="photos"
    )
    kind = models.CharField(max_length=10, choices=AttachmentKind.choices)
    content_type = models.CharField(max_length=60)
    original_name = models.CharField(max_length=200, blank=True)
    caption = models.CharField(max_length=200, blank=True)
    file = models.FileField(upload_to="attachments/%Y/%m/")
    thumbnail = models.FileField(upload_to="thumbnails/%Y/%m/", blank=True)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["alert", "id"]

    def __str__(self) -> str:
        return self.original_name or f"attachment {self.pk}"
