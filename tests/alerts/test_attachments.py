"""Attachments through the API (POST /api/v1/alerts/{ref}/attachments, GET .../{id}) and the page
URL: the type comes from the content, photographs are re-encoded without their metadata (EXIF,
GPS, PNG text) and thumbnailed, PDFs are kept as documents, and only those who may see the alert
may download. A refused upload writes no row and no file."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image, ImageDraw, ImageOps
from PIL.PngImagePlugin import PngInfo

from crimac.alerts.models import Alert, Attachment
from crimac.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

API = "/api/v1"
PROBLEM = "application/problem+json"
MAKE, ORIENTATION, GPS_IFD = 0x010F, 0x0112, 0x8825
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


# --- files to upload ----------------------------------------------------------------------------


def picture(width: int = 800, height: int = 600) -> Image.Image:
    img = Image.new("RGB", (width, height), (200, 30, 30))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, width // 4, height // 4), fill=(20, 20, 220))  # a blue top-left corner
    return img


def jpeg_with_exif(*, orientation: int | None = None, size: tuple[int, int] = (800, 600)) -> bytes:
    exif = Image.Exif()
    exif[MAKE] = "SpyCam Inc"
    exif[GPS_IFD] = {1: "N", 2: (28.0, 36.0, 50.0), 3: "E", 4: (77.0, 12.0, 30.0)}
    if orientation is not None:
        exif[ORIENTATION] = orientation
    out = io.BytesIO()
    picture(*size).save(out, "JPEG", exif=exif.tobytes(), comment=b"secret comment")
    data = out.getvalue()
    # The precondition of every metadata test: the upload really carries it.
    with Image.open(io.BytesIO(data)) as check:
        assert check.getexif()[MAKE] == "SpyCam Inc"
        assert check.getexif().get_ifd(GPS_IFD)
    return data


def png_with_text() -> bytes:
    info = PngInfo()
    info.add_text("Comment", "taken at 28.61N 77.20E")
    out = io.BytesIO()
    picture(300, 200).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def encoded(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    picture(*size).save(out, fmt)
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def body_of(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:1000]
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert "Traceback" not in response.content.decode(errors="replace")
    return body


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    assert len(body["errors"]) == 1, body
    return body["errors"][0]


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def sho(client_for: Callable[[str], Client]) -> Client:
    return client_for("dl.sho")


def _create(client: Client, **extra: Any) -> dict[str, Any]:
    body = {
        "category": "missing_person",
        "title": "Two children missing from Paharganj",
        "persons": [
            {"role": "missing", "name": "Aman", "gender": "male", "age_min": 8, "age_max": 9},
            {"role": "missing", "name": "Anjali", "gender": "female", "age_min": 11, "age_max": 12},
        ],
        **extra,
    }
    r = client.post(f"{API}/alerts", json.dumps(body), content_type="application/json")
    assert r.status_code == 201, r.content
    return r.json()


@pytest.fixture
def alert(sho: Client) -> dict[str, Any]:
    """Published by dl.sho to Delhi: dl.sho2 can see it, as.sho cannot."""
    return _create(sho)


def attach(client: Client, ref: str, file: Any, **form: Any) -> Any:
    return client.post(f"{API}/alerts/{ref}/attachments", {"file": file, **form})


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()]


def refused(client: Client, ref: str, media: Path, file: Any, field: str, **form: Any) -> str:
    rows, audits = Attachment.objects.count(), AuditEvent.objects.filter(action="alert.attach").count()
    error = only_error(assert_problem(attach(client, ref, file, **form), 422))
    assert error["field"] == field, error
    assert Attachment.objects.count() == rows
    assert AuditEvent.objects.filter(action="alert.attach").count() == audits
    assert stored_files(media) == [], "a refused upload left a file behind"
    return str(error["message"])


# --- photographs --------------------------------------------------------------------------------


def test_jpeg_is_stored_without_exif_and_thumbnailed(sho: Client, alert: dict[str, Any], media: Path) -> None:
    original = jpeg_with_exif()
    r = attach(sho, alert["reference"], upload("IMG_0001.jpg", original, "image/jpeg"), caption="Aman, 2023")
    assert r.status_code == 201, r.content
    meta = r.json()
    assert (meta["kind"], meta["content_type"], meta["width"], meta["height"]) == (
        "image",
        "image/jpeg",
        800,
        600,
    )
    assert meta["name"] == "IMG_0001.jpg" and meta["caption"] == "Aman, 2023"
    assert meta["url"] == f"{API}/alerts/{alert['reference']}/attachments/{meta['id']}"
    assert meta["thumbnail_url"] == meta["url"] + "?thumbnail=1"

    download = sho.get(meta["url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "image/jpeg"
    assert download["Content-Disposition"].startswith("inline;")
    assert "no-store" in download["Cache-Control"]
    data = body_of(download)
    assert data != original
    assert hashlib.sha256(data).hexdigest() == meta["sha256"] and len(data) == meta["size"]
    assert b"SpyCam" not in data and b"secret comment" not in data
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG" and img.size == (800, 600)
        assert len(img.getexif()) == 0
        assert "exif" not in img.info and "comment" not in img.info
        assert img.getpixel((10, 10))[2] > 150  # still the picture: blue corner
        assert img.getpixel((700, 500))[0] > 150  # red elsewhere

    thumb = sho.get(meta["thumbnail_url"])
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(body_of(thumb))) as img:
        assert max(img.size) <= 320 and img.size == (320, 240)
        assert len(img.getexif()) == 0

    stored = Attachment.objects.get(pk=meta["id"])
    assert stored.thumbnail and stored.file.name.endswith(".jpg")
    assert Path(stored.file.path).is_relative_to(media)
    assert AuditEvent.objects.filter(action="alert.attach", object_id=str(alert["id"])).count() == 1


def test_exif_orientation_is_applied_before_it_is_dropped(
    sho: Client, alert: dict[str, Any], media: Path
) -> None:
    # Orientation 6: the camera was turned; viewers rotate 90 degrees clockwise.
    original = jpeg_with_exif(orientation=6)
    with Image.open(io.BytesIO(original)) as img:
        expected = ImageOps.exif_transpose(img).size
    assert expected == (600, 800)
    r = attach(sho, alert["reference"], upload("turned.jpg", original))
    assert r.status_code == 201, r.content
    assert (r.json()["width"], r.json()["height"]) == expected
    with Image.open(io.BytesIO(body_of(sho.get(r.json()["url"])))) as img:
        assert img.size == expected and len(img.getexif()) == 0


def test_png_is_accepted_without_its_text_chunks(sho: Client, alert: dict[str, Any], media: Path) -> None:
    r = attach(sho, alert["reference"], upload("face.png", png_with_text(), "image/png"))
    assert r.status_code == 201, r.content
    assert (r.json()["kind"], r.json()["content_type"]) == ("image", "image/png")
    data = body_of(sho.get(r.json()["url"]))
    assert b"28.61N" not in data
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "PNG" and img.size == (300, 200)
        assert "Comment" not in img.info and not getattr(img, "text", {})


@pytest.mark.parametrize(("fmt", "stored_as"), [("GIF", "image/png"), ("WEBP", "image/jpeg")])
def test_gif_and_webp_are_re_encoded(
    sho: Client, alert: dict[str, Any], media: Path, fmt: str, stored_as: str
) -> None:
    r = attach(sho, alert["reference"], upload(f"pic.{fmt.lower()}", encoded(fmt)))
    assert r.status_code == 201, r.content
    assert r.json()["content_type"] == stored_as
    download = sho.get(r.json()["url"])
    assert download["Content-Type"] == stored_as
    with Image.open(io.BytesIO(body_of(download))) as img:
        assert img.format == {"image/png": "PNG", "image/jpeg": "JPEG"}[stored_as]
        assert img.size == (64, 48)


def test_type_comes_from_content_not_name(sho: Client, alert: dict[str, Any], media: Path) -> None:
    png_named_pdf = upload("report.pdf", encoded("PNG"), "application/pdf")
    r = attach(sho, alert["reference"], png_named_pdf)
    assert r.status_code == 201
    assert (r.json()["kind"], r.json()["content_type"]) == ("image", "image/png")


# --- refusals -----------------------------------------------------------------------------------


def test_text_named_photo_jpg_is_refused(sho: Client, alert: dict[str, Any], media: Path) -> None:
    fake = upload("photo.jpg", b"just some text, honestly a photo\n" * 10, "image/jpeg")
    message = refused(sho, alert["reference"], media, fake, "file")
    assert "unsupported file type" in message
    assert "JPEG" in message and "PDF" in message


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff\xe0" + bytes(range(256)) * 20,
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00garbage" * 100,
        b"\x89PNG\r\n\x1a\n" + b"not really a png" * 50,
        b"GIF89a" + b"\x00" * 40,
        b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"junk" * 30,
    ],
    ids=["jpeg-magic-then-garbage", "jfif-header-then-garbage", "png-magic", "gif-magic", "webp-magic"],
)
def test_image_magic_then_garbage_is_refused(
    sho: Client, alert: dict[str, Any], media: Path, data: bytes
) -> None:
    message = refused(sho, alert["reference"], media, upload("photo.jpg", data), "file")
    assert "cannot be read" in message


def test_truncated_jpeg_is_refused(sho: Client, alert: dict[str, Any], media: Path) -> None:
    whole = encoded("JPEG", (400, 300))
    message = refused(sho, alert["reference"], media, upload("cut.jpg", whole[: len(whole) // 2]), "file")
    assert "cannot be read" in message


def test_empty_file_is_refused(sho: Client, alert: dict[str, Any], media: Path) -> None:
    assert "empty" in refused(sho, alert["reference"], media, upload("nothing.jpg", b""), "file")


def test_file_over_the_limit_is_refused(
    sho: Client, alert: dict[str, Any], media: Path, settings: Any
) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    too_big = PDF + b"%" * (1024 * 1024)
    message = refused(sho, alert["reference"], media, upload("scan.pdf", too_big), "file")
    assert "1 MB" in message
    just_right = PDF + b"%" * (1024 * 1024 - len(PDF))
    assert len(just_right) == settings.ATTACHMENT_MAX_BYTES
    assert attach(sho, alert["reference"], upload("scan.pdf", just_right)).status_code == 201


def test_missing_file_is_refused(sho: Client, alert: dict[str, Any], media: Path) -> None:
    r = sho.post(f"{API}/alerts/{alert['reference']}/attachments", {"caption": "no file"})
    assert only_error(assert_problem(r, 422))["field"] == "file"
    assert not Attachment.objects.exists()


def test_caption_over_200_is_refused(sho: Client, alert: dict[str, Any], media: Path) -> None:
    refused(sho, alert["reference"], media, upload("a.pdf", PDF), "caption", caption="x" * 201)


def test_closed_alert_takes_no_attachments(sho: Client, alert: dict[str, Any], media: Path) -> None:
    ref = alert["reference"]
    r = sho.post(
        f"{API}/alerts/{ref}/cancel", json.dumps({"reason": "found"}), content_type="application/json"
    )
    assert r.status_code == 200
    assert "cancelled" in refused(sho, ref, media, upload("a.pdf", PDF), "file")


# --- documents ----------------------------------------------------------------------------------


def test_pdf_is_kept_as_a_document(sho: Client, alert: dict[str, Any], media: Path) -> None:
    r = attach(sho, alert["reference"], upload("FIR 123.pdf", PDF, "application/pdf"), caption="FIR copy")
    assert r.status_code == 201, r.content
    meta = r.json()
    assert (meta["kind"], meta["content_type"], meta["width"], meta["thumbnail_url"]) == (
        "document",
        "application/pdf",
        None,
        None,
    )
    assert meta["sha256"] == hashlib.sha256(PDF).hexdigest() and meta["size"] == len(PDF)
    download = sho.get(meta["url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    disposition = download["Content-Disposition"]
    assert disposition == f'attachment; filename="{alert["reference"]}-{meta["id"]}.pdf"'
    assert body_of(download) == PDF
    assert_problem(sho.get(meta["url"] + "?thumbnail=1"), 404)


# --- linking to a person ------------------------------------------------------------------------


def test_person_index_links_the_photo(sho: Client, alert: dict[str, Any], media: Path) -> None:
    r = attach(sho, alert["reference"], upload("anjali.png", encoded("PNG")), person="1")
    assert r.status_code == 201, r.content
    assert r.json()["person"] == 1
    stored = Attachment.objects.select_related("person").get(pk=r.json()["id"])
    assert stored.person is not None and stored.person.name == "Anjali"
    detail = sho.get(f"{API}/alerts/{alert['reference']}").json()
    assert [(a["id"], a["person"]) for a in detail["attachments"]] == [(r.json()["id"], 1)]
    unlinked = attach(sho, alert["reference"], upload("scene.png", encoded("PNG")))
    assert unlinked.status_code == 201 and unlinked.json()["person"] is None


def test_person_photo_survives_a_revision_that_keeps_persons(
    sho: Client, alert: dict[str, Any], media: Path
) -> None:
    r = attach(sho, alert["reference"], upload("aman.png", encoded("PNG")), person="0")
    assert r.status_code == 201
    revise = {"summary": "raise priority", "priority": "flash"}
    url = f"{API}/alerts/{alert['reference']}/revise"
    assert sho.post(url, json.dumps(revise), content_type="application/json").status_code == 200
    detail = sho.get(f"{API}/alerts/{alert['reference']}").json()
    assert [a["person"] for a in detail["attachments"]] == [0]


@pytest.mark.parametrize(("person", "message"), [("5", "no person number 5"), ("-1", "no person number -1")])
def test_unknown_person_index_is_refused(
    sho: Client, alert: dict[str, Any], media: Path, person: str, message: str
) -> None:
    assert message in refused(
        sho, alert["reference"], media, upload("x.png", encoded("PNG")), "person", person=person
    )


def test_non_numeric_person_is_refused(sho: Client, alert: dict[str, Any], media: Path) -> None:
    refused(sho, alert["reference"], media, upload("x.png", encoded("PNG")), "person", person="the girl")


# --- who may upload and download ----------------------------------------------------------------


@pytest.fixture
def pdf_attachment(sho: Client, alert: dict[str, Any], media: Path) -> dict[str, Any]:
    r = attach(sho, alert["reference"], upload("fir.pdf", PDF))
    assert r.status_code == 201
    return r.json()


def test_download_by_who_may_see(
    client_for: Callable[[str], Client], alert: dict[str, Any], pdf_attachment: dict[str, Any]
) -> None:
    url = pdf_attachment["url"]
    reads = AuditEvent.objects.filter(action="alert.attachment.read", object_id=str(alert["id"]))
    for viewer in ("dl.sho", "dl.sho2", "dl.sp", "analyst"):
        r = client_for(viewer).get(url)
        assert r.status_code == 200, viewer
        assert body_of(r) == PDF
    assert reads.count() == 4
    assert set(reads.values_list("actor__username", flat=True)) == {"dl.sho", "dl.sho2", "dl.sp", "analyst"}
    outsider = assert_problem(client_for("as.sho").get(url), 404)
    assert outsider["detail"] == "no such object, or you may not see it"
    assert reads.count() == 4


def test_anonymous_download_is_401(alert: dict[str, Any], pdf_attachment: dict[str, Any]) -> None:
    r = Client().get(pdf_attachment["url"])
    assert_problem(r, 401)
    assert PDF not in r.content


def test_unknown_attachment_id_is_404(
    sho: Client, alert: dict[str, Any], pdf_attachment: dict[str, Any]
) -> None:
    assert_problem(
        sho.get(f"{API}/alerts/{alert['reference']}/attachments/{pdf_attachment['id'] + 999}"), 404
    )


def test_attachment_of_a_hidden_alert_is_not_reachable_through_a_visible_one(
    client_for: Callable[[str], Client], sho: Client, alert: dict[str, Any], pdf_attachment: dict[str, Any]
) -> None:
    national = _create(sho, title="Seen by everyone", audience={"national": True})
    outsider = client_for("as.sho")
    assert outsider.get(f"{API}/alerts/{national['reference']}").status_code == 200
    r = outsider.get(f"{API}/alerts/{national['reference']}/attachments/{pdf_attachment['id']}")
    assert_problem(r, 404)
    assert PDF not in r.content


def test_outsider_cannot_upload(client_for: Callable[[str], Client], sho: Client, media: Path) -> None:
    national = _create(sho, title="Seen by everyone", audience={"national": True})
    hidden = _create(sho, title="Seen by Delhi")
    outsider = client_for("as.sho")
    assert_problem(attach(outsider, national["reference"], upload("a.pdf", PDF)), 403)
    assert_problem(attach(outsider, hidden["reference"], upload("a.pdf", PDF)), 404)
    assert_problem(attach(client_for("dl.sho2"), national["reference"], upload("a.pdf", PDF)), 403)
    assert not Attachment.objects.exists()
    assert stored_files(media) == []
    supervisor = attach(client_for("dl.sp"), hidden["reference"], upload("a.pdf", PDF))
    assert supervisor.status_code == 201
    assert Attachment.objects.get().uploaded_by.username == "dl.sp"


def test_page_url_serves_viewers_only(
    client_for: Callable[[str], Client], alert: dict[str, Any], pdf_attachment: dict[str, Any]
) -> None:
    page = f"/alerts/{alert['reference']}/attachments/{pdf_attachment['id']}/"
    r = client_for("dl.sho2").get(page)
    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    assert body_of(r) == PDF
    assert client_for("as.sho").get(page).status_code == 404
    assert (
        client_for("dl.sho2")
        .get(f"/alerts/{alert['reference']}/attachments/{pdf_attachment['id'] + 9}/")
        .status_code
        == 404
    )
    anonymous = Client().get(page)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


def test_page_url_serves_the_thumbnail(sho: Client, alert: dict[str, Any], media: Path) -> None:
    r = attach(sho, alert["reference"], upload("big.jpg", encoded("JPEG", (1000, 500))))
    assert r.status_code == 201
    page = f"/alerts/{alert['reference']}/attachments/{r.json()['id']}/?thumbnail=1"
    thumb = sho.get(page)
    assert thumb.status_code == 200
    with Image.open(io.BytesIO(body_of(thumb))) as img:
        assert img.size == (320, 160)


def test_an_upload_leaves_the_alert_unchanged(sho: Client, alert: dict[str, Any], media: Path) -> None:
    """An upload does not change the alert itself (no revision, no status change)."""
    before = Alert.objects.values("revision", "status", "updated_at").get(pk=alert["id"])
    assert attach(sho, alert["reference"], upload("a.pdf", PDF)).status_code == 201
    after = Alert.objects.values("revision", "status", "updated_at").get(pk=alert["id"])
    assert before == after
