"""Attachments: the type comes from the content, images are re-encoded (which drops EXIF and
every other metadata, GPS included) and thumbnailed, and files are served only to users who may
see the alert."""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest
from PIL import Image, ImageOps, UnidentifiedImageError

from crimac.alerts import hooks
from crimac.alerts.actions import _require_change
from crimac.alerts.choices import AttachmentKind, Status
from crimac.alerts.models import Alert, Attachment
from crimac.audit.actions import record

THUMBNAIL_SIZE = (320, 320)
SIGNATURES = [
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
]
ACCEPTED = "JPEG, PNG, GIF or WebP photographs and PDF documents"


def sniff(head: bytes) -> str | None:
    """The content type from the first bytes, or None. Names and declared types are ignored."""
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _reencode(data: bytes, content_type: str) -> tuple[bytes, str, bytes, int, int]:
    """Decode and re-encode an image: returns (file, content type, thumbnail, width, height)."""
    Image.MAX_IMAGE_PIXELS = settings.ATTACHMENT_MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            img: Image.Image = ImageOps.exif_transpose(opened)
            keep_png = content_type in {"image/png", "image/gif"}
            if keep_png:
                img = img.convert("RGBA" if "A" in img.getbands() or "transparency" in img.info else "RGB")
                out_type, fmt = "image/png", "PNG"
                opts: dict[str, Any] = {"optimize": True}
            else:
                img = img.convert("RGB")
                out_type, fmt = "image/jpeg", "JPEG"
                opts = {"quality": 88}
            clean = Image.new(img.mode, img.size)
            clean.paste(img)
            buffer = io.BytesIO()
            clean.save(buffer, fmt, **opts)
            thumb = clean.convert("RGB")
            thumb.thumbnail(THUMBNAIL_SIZE)
            thumb_buffer = io.BytesIO()
            thumb.save(thumb_buffer, "JPEG", quality=80)
            return buffer.getvalue(), out_type, thumb_buffer.getvalue(), clean.width, clean.height
    except Image.DecompressionBombError:
        raise ValidationError({"file": ["the image is too large to process"]}) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            {"file": ["the file claims to be an image but cannot be read as one"]}
        ) from None


@dataclass
class Prepared:
    """An upload that passed every check, ready to store."""

    data: bytes
    content_type: str
    kind: str
    original_name: str
    thumbnail: bytes | None = None
    width: int | None = None
    height: int | None = None


def prepare(upload: Any, field: str = "file") -> Prepared:
    """Check an upload (size, type by content) and re-encode images. Writes nothing."""
    size = getattr(upload, "size", None) or 0
    limit = settings.ATTACHMENT_MAX_BYTES
    mb = limit // (1024 * 1024)
    if size > limit:
        raise ValidationError({field: [f"the file is {size // 1024} KB; the limit is {mb} MB"]})
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError({field: [f"the file is over the limit of {mb} MB"]})
    if not data:
        raise ValidationError({field: ["the file is empty"]})
    content_type = sniff(data[:16])
    if content_type is None:
        raise ValidationError({field: [f"unsupported file type: send {ACCEPTED}"]})
    original = (getattr(upload, "name", "") or "")[:200]
    if not content_type.startswith("image/"):
        return Prepared(data, content_type, AttachmentKind.DOCUMENT, original)
    try:
        data, content_type, thumb, width, height = _reencode(data, content_type)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None
    return Prepared(data, content_type, AttachmentKind.IMAGE, original, thumb, width, height)


def add_attachment(
    alert: Alert,
    upload: Any,
    *,
    actor: Any,
    caption: str = "",
    person_position: int | None = None,
    request: HttpRequest | None = None,
    via: str = "",
) -> Attachment:
    """Attach a photograph or document. Only the originator (and its supervisors) may."""
    _require_change(actor, alert, "alert.attach", request)
    return attach(
        alert,
        prepare(upload),
        actor=actor,
        caption=caption,
        person_position=person_position,
        request=request,
        via=via,
    )


def attach(
    alert: Alert,
    prepared: Prepared,
    *,
    actor: Any,
    caption: str = "",
    person_position: int | None = None,
    request: HttpRequest | None = None,
    via: str = "",
) -> Attachment:
    """Store a prepared upload. Precondition: the actor may change the alert."""
    if alert.status not in {Status.DRAFT, Status.PUBLISHED}:
        raise ValidationError({"file": [f"a {alert.status} alert takes no more attachments"]})
    if len(caption) > 200:
        raise ValidationError({"caption": ["at most 200 characters"]})
    person = None
    if person_position is not None:
        person = alert.persons.filter(position=person_position).first()
        if person is None:
            raise ValidationError({"person": [f"the alert has no person number {person_position}"]})
    extension = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}[prepared.content_type]
    stem = uuid.uuid4().hex
    with transaction.atomic():
        attachment = Attachment(
            alert=alert,
            person=person,
            kind=prepared.kind,
            content_type=prepared.content_type,
            original_name=prepared.original_name,
            caption=caption,
            size=len(prepared.data),
            sha256=hashlib.sha256(prepared.data).hexdigest(),
            width=prepared.width,
            height=prepared.height,
            uploaded_by=actor,
        )
        attachment.file.save(f"{stem}.{extension}", ContentFile(prepared.data), save=False)
        if prepared.thumbnail is not None:
            attachment.thumbnail.save(f"{stem}.jpg", ContentFile(prepared.thumbnail), save=False)
        attachment.save()
        record(
            "alert.attach",
            actor=actor,
            obj=alert,
            request=request,
            via=via,
            detail={
                "attachment": attachment.pk,
                "content_type": prepared.content_type,
                "size": len(prepared.data),
            },
        )
        if alert.published_at is not None:
            hooks.emit("attached", [alert.pk], actor_id=actor.pk, revision=alert.revision)
    return attachment


def serve(
    alert: Alert, attachment_id: int, *, thumbnail: bool, actor: Any, request: HttpRequest
) -> FileResponse:
    """Precondition: the caller may see `alert` (it came from `visible_to`)."""
    attachment = Attachment.objects.filter(alert=alert, pk=attachment_id).first()
    if attachment is None or (thumbnail and not attachment.thumbnail):
        raise Http404
    record(
        "alert.attachment.read", actor=actor, obj=alert, request=request, detail={"attachment": attachment.pk}
    )
    stored = attachment.thumbnail if thumbnail else attachment.file
    content_type = "image/jpeg" if thumbnail else attachment.content_type
    response = FileResponse(stored.open("rb"), content_type=content_type)
    disposition = "inline" if content_type.startswith("image/") else "attachment"
    filename = f"{alert.reference}-{attachment.pk}.{(stored.name or '').rsplit('.', 1)[-1]}"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
