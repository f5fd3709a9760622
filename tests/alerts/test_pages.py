"""The alert pages through Django's test client: the one-screen posting form (with rows and a
photograph), the alert page and its cancel/resolve forms, and the list with its filters."""

from __future__ import annotations

import io
import json
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image, ImageDraw

from crimac.alerts import actions
from crimac.alerts.models import Alert, AlertRevision, Attachment, Person, Phone, Vehicle
from crimac.alerts.schemas import AlertIn
from crimac.audit.models import AuditEvent
from crimac.directory.models import Agency, User

pytestmark = pytest.mark.django_db

STATION = "DL-NEWDELHI-PS-001"
REFERENCE = re.compile(r"^/alerts/(DL-\d{4}-\d{6})/$")


# --- helpers ------------------------------------------------------------------------------------


class FormState(HTMLParser):
    """What a browser would submit from a page: input values and selected options by name, and
    the label of each selected option."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.inputs: dict[str, list[str]] = {}
        self.selected: dict[str, list[str]] = {}
        self.selected_labels: dict[str, list[str]] = {}
        self.first_option: dict[str, str] = {}
        self.multiple: set[str] = set()
        self._select: str | None = None
        self._option: tuple[str, bool] | None = None
        self._label: list[str] = []
        self._textarea: str | None = None
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            self.inputs.setdefault(a["name"] or "", []).append(a.get("value") or "")
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a.get("name"), []
        elif tag == "select":
            self._select = a.get("name")
            if self._select and "multiple" in a:
                self.multiple.add(self._select)
        elif tag == "option" and self._select:
            self._option = (a.get("value") or "", "selected" in a)
            self.first_option.setdefault(self._select, self._option[0])
            self._label = []

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._label.append(data)
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None and self._select:
            value, selected = self._option
            if selected:
                self.selected.setdefault(self._select, []).append(value)
                self.selected_labels.setdefault(self._select, []).append("".join(self._label).strip())
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.inputs.setdefault(self._textarea, []).append(unescape("".join(self._text)).lstrip("\n"))
            self._textarea = None

    def submission(self) -> dict[str, Any]:
        """What a browser submits from this page as it stands (no file chosen, no button)."""
        data: dict[str, Any] = {k: v if len(v) > 1 else v[0] for k, v in self.inputs.items()}
        for name, first in self.first_option.items():
            chosen = self.selected.get(name)
            if name in self.multiple:
                if chosen:
                    data[name] = chosen
            else:
                data[name] = chosen[0] if chosen else first
        data.pop("csrfmiddlewaretoken", None)
        return data

    def value(self, name: str) -> str:
        values = self.inputs.get(name, [])
        assert len(values) == 1, f"{name}: {values}"
        return values[0]


def text(response: Any) -> str:
    return response.content.decode()


def errors_beside(html: str, field_id: str) -> list[str]:
    """The error messages in the same field block as the control with `field_id`."""
    match = re.search(rf'id="{re.escape(field_id)}"(.*?)</div>', html, re.S)
    assert match is not None, f"no field {field_id} on the page"
    return [unescape(m) for m in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


def jpeg(width: int = 640, height: int = 480, exif_make: str = "") -> bytes:
    """A real photograph-like JPEG (a gradient and a shape), optionally with an EXIF camera make."""
    img = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    for x in range(0, width, 8):
        draw.line([(x, 0), (x, height)], fill=(x % 256, 90, 255 - x % 256), width=8)
    draw.ellipse([width // 4, height // 4, 3 * width // 4, 3 * height // 4], fill=(230, 200, 160))
    buffer = io.BytesIO()
    if exif_make:
        exif = Image.Exif()
        exif[0x010F] = exif_make
        img.save(buffer, "JPEG", quality=85, exif=exif)
    else:
        img.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def new_delhi_lgd() -> str:
    agency = Agency.objects.select_related("district").get(code=STATION)
    assert agency.district is not None
    return str(agency.district.lgd_code)


def missing_person_form(**changes: Any) -> dict[str, Any]:
    """What an officer at DL-NEWDELHI-PS-001 submits for a missing child, field by field."""
    data: dict[str, Any] = {
        "category": "missing_person",
        "title": "Missing girl, 11, from Connaught Place",
        "narrative": "Left school at 14:00 and did not come home.",
        "priority": "",
        "action_requested": "",
        "state": "DL",
        "district": new_delhi_lgd(),
        "station": STATION,
        "address": "Near Palika Bazar gate 3",
        "sections": ["IPC 363", "", "", ""],
        "fir_number": "0123/2025",
        "handling_code": "H0",
        "audience_states": ["DL"],
        "audience_agencies": "",
        "persons-0-role": "missing",
        "persons-0-name": "Priya Sharma",
        "persons-0-aliases": "",
        "persons-0-gender": "female",
        "persons-0-age_min": "10",
        "persons-0-age_max": "12",
        "persons-0-marks": "mole on the left cheek",
        "persons-0-last_seen_place": "",
        "vehicles-0-registration": "dl 3c ab 1234",
        "vehicles-0-vehicle_type": "car",
        "vehicles-0-make": "",
        "vehicles-0-colour": "white",
        "vehicles-0-chassis_number": "",
        "vehicles-0-engine_number": "",
        "phones-0-number": "98765 43210",
        "phones-0-imei": "",
        "save_as": "publish",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def counts() -> dict[str, int]:
    return {
        "alerts": Alert.objects.count(),
        "persons": Person.objects.count(),
        "vehicles": Vehicle.objects.count(),
        "phones": Phone.objects.count(),
        "attachments": Attachment.objects.count(),
        "revisions": AlertRevision.objects.count(),
        "audit": AuditEvent.objects.filter(action__startswith="alert.").count(),
    }


def same_page(html: str) -> str:
    """The page without its per-response CSRF token."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def post_alert(client: Client, data: dict[str, Any]) -> str:
    response = client.post("/alerts/new/", data)
    assert response.status_code == 302, text(response)[:3000]
    match = REFERENCE.match(response["Location"])
    assert match, response["Location"]
    return match.group(1)


def make_alert(username: str, **fields: Any) -> Alert:
    """An alert written through the action (for the pages that read alerts)."""
    payload: dict[str, Any] = {
        "category": "missing_person",
        "title": "A missing person",
        "persons": [{"role": "missing", "name": "Ravi Kumar", "age_min": 20, "age_max": 25}],
    }
    publish = fields.pop("publish", True)
    payload.update(fields)
    actor = User.objects.select_related("agency", "agency__state").get(username=username)
    return actions.create_alert(AlertIn.model_validate(payload), actor=actor, publish=publish).alert


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


# --- the posting form ---------------------------------------------------------------------------


def test_new_alert_form_is_filled_from_the_officers_agency(client_for: Any) -> None:
    response = client_for("dl.sho").get("/alerts/new/")

    assert response.status_code == 200
    form = FormState(text(response))
    assert form.selected["state"] == ["DL"]
    assert form.selected["district"] == [new_delhi_lgd()]
    assert form.selected_labels["district"] == ["New Delhi"]
    assert form.value("station") == STATION
    assert form.selected["category"] == ["missing_person"]
    assert form.selected["audience_states"] == ["DL"]
    assert "audience_national" not in form.inputs
    # one empty row of each, numbered 0, ready for the "Add a ..." buttons
    assert form.value("persons-0-name") == ""
    assert "persons-1-name" not in form.inputs
    assert form.value("vehicles-0-registration") == ""
    assert form.value("phones-0-number") == ""
    assert 'type="file"' in text(response) and 'name="persons-0-photo"' in text(response)
    assert 'enctype="multipart/form-data"' in text(response)


def test_a_state_officer_gets_the_state_but_no_station(client_for: Any) -> None:
    form = FormState(text(client_for("dl.control").get("/alerts/new/")))

    assert form.selected["state"] == ["DL"]
    assert "district" not in form.selected
    assert form.value("station") == ""


def test_one_submit_creates_the_alert_with_subjects_and_the_persons_photo(
    client_for: Any, media: Path
) -> None:
    client = client_for("dl.sho")
    before = counts()

    response = client.post(
        "/alerts/new/",
        missing_person_form(**{"persons-0-photo": upload(jpeg(exif_make="SecretCam"), "priya.jpg")}),
    )

    assert response.status_code == 302, text(response)[:3000]
    match = REFERENCE.match(response["Location"])
    assert match, response["Location"]
    ref = match.group(1)
    after = counts()
    assert after["alerts"] == before["alerts"] + 1
    assert after["attachments"] == before["attachments"] + 1

    alert = Alert.objects.get(reference=ref)
    assert alert.status == "published"
    assert alert.origin_agency.code == STATION
    assert alert.origin_user.username == "dl.sho"
    assert alert.state.code == "DL"
    assert alert.district is not None and str(alert.district.lgd_code) == new_delhi_lgd()
    assert alert.station is not None and alert.station.code == STATION
    assert alert.priority == "immediate" and alert.action_requested == "trace_and_inform"
    assert [c.section.citation for c in alert.citations.all()] == ["IPC 363"]

    [person] = alert.persons.all()
    assert (person.role, person.name, person.gender, person.age_min, person.age_max) == (
        "missing",
        "Priya Sharma",
        "female",
        10,
        12,
    )
    [vehicle] = alert.vehicles.all()
    assert vehicle.registration_normalised == "DL03CAB1234"
    assert vehicle.vehicle_type == "car"
    [phone] = alert.phones.all()
    assert phone.e164 == "+919876543210"

    [attachment] = alert.attachments.all()
    assert attachment.person_id == person.pk
    assert attachment.kind == "image" and attachment.content_type == "image/jpeg"
    assert (attachment.width, attachment.height) == (640, 480)
    assert attachment.original_name == "priya.jpg"
    stored = Path(attachment.file.path)
    assert stored.is_file() and media in stored.parents
    with Image.open(stored) as img:
        assert img.size == (640, 480)
        assert not img.getexif(), "the camera's metadata is stripped"
    assert attachment.thumbnail and Path(attachment.thumbnail.path).is_file()

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = text(page)
    assert f"Published {ref}." in html
    assert f'<strong id="alert-reference">{ref}</strong>' in html
    assert "DL 03 CAB 1234" in html
    assert "Priya Sharma" in html
    assert "+919876543210" in html
    thumb_url = f"/alerts/{ref}/attachments/{attachment.pk}/?thumbnail=1"
    full_url = f"/alerts/{ref}/attachments/{attachment.pk}/"
    persons_card = html.split('id="persons"', 1)[1].split('id="vehicles"', 1)[0]
    assert (
        f'<a href="{full_url}"><img src="{thumb_url}" alt="photograph of Priya Sharma"></a>' in persons_card
    )

    thumb = client.get(thumb_url)
    assert thumb.status_code == 200
    assert thumb["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(b"".join(thumb.streaming_content))) as img:
        assert max(img.size) <= 320 and img.size[0] > 0
    full = client.get(full_url)
    assert full.status_code == 200 and full["Content-Type"] == "image/jpeg"


def test_the_photo_of_the_second_person_row_goes_to_that_person(client_for: Any, media: Path) -> None:
    """Row 0 left empty, rows 1 and 2 filled, a photo on row 2: it belongs to the second person."""
    ref = post_alert(
        client_for("dl.sho"),
        missing_person_form(
            **{
                "persons-0-name": "",
                "persons-0-gender": "unknown",
                "persons-0-age_min": "",
                "persons-0-age_max": "",
                "persons-0-marks": "",
                "persons-0-role": "",
                "persons-1-role": "missing",
                "persons-1-name": "Asha Devi",
                "persons-1-gender": "female",
                "persons-2-role": "suspect",
                "persons-2-name": "Mohan Lal",
                "persons-2-gender": "male",
                "persons-2-photo": upload(jpeg(200, 300), "mohan.jpg"),
            }
        ),
    )

    alert = Alert.objects.get(reference=ref)
    assert [p.name for p in alert.persons.all()] == ["Asha Devi", "Mohan Lal"]
    [attachment] = alert.attachments.all()
    assert attachment.person is not None and attachment.person.name == "Mohan Lal"


def test_a_refused_submit_shows_the_errors_beside_the_fields_keeps_the_input_and_writes_nothing(
    client_for: Any, media: Path
) -> None:
    client = client_for("dl.sho")
    before = counts()

    response = client.post(
        "/alerts/new/",
        missing_person_form(
            **{
                "persons-0-age_min": "12",
                "persons-0-age_max": "10",
                "vehicles-0-registration": "XYZ 12",
                "persons-0-photo": upload(jpeg(), "priya.jpg"),
            }
        ),
    )

    assert response.status_code == 422
    html = text(response)
    assert 'id="form-errors"' in html and "Nothing has been saved" in html
    assert errors_beside(html, "persons-0-age_max") == ["must not be less than age_min"]
    [reg_error] = errors_beside(html, "vehicles-0-registration")
    assert "not an Indian registration number" in reg_error
    assert errors_beside(html, "persons-0-name") == []
    assert errors_beside(html, "title") == []

    form = FormState(html)
    assert form.value("title") == "Missing girl, 11, from Connaught Place"
    assert form.value("persons-0-name") == "Priya Sharma"
    assert form.value("persons-0-age_min") == "12"
    assert form.value("persons-0-age_max") == "10"
    assert form.value("persons-0-marks") == "mole on the left cheek"
    assert form.selected["persons-0-gender"] == ["female"]
    assert form.selected["persons-0-role"] == ["missing"]
    assert form.value("vehicles-0-registration") == "XYZ 12"
    assert form.value("phones-0-number") == "98765 43210"
    assert form.selected["district"] == [new_delhi_lgd()]
    assert form.value("station") == STATION
    assert form.value("address") == "Near Palika Bazar gate 3"

    assert counts() == before
    assert files_under(media) == []


def test_errors_on_a_later_row_are_shown_on_that_row(client_for: Any, media: Path) -> None:
    response = client_for("dl.sho").post(
        "/alerts/new/",
        missing_person_form(
            **{
                "persons-0-name": "",
                "persons-0-gender": "unknown",
                "persons-0-age_min": "",
                "persons-0-age_max": "",
                "persons-0-marks": "",
                "persons-0-role": "",
                "persons-3-role": "missing",
                "persons-3-name": "Kiran",
                "persons-3-age_min": "30",
                "persons-3-age_max": "20",
            }
        ),
    )

    assert response.status_code == 422
    html = text(response)
    assert errors_beside(html, "persons-3-age_max") == ["must not be less than age_min"]
    assert errors_beside(html, "persons-0-age_max") == []
    assert FormState(html).value("persons-3-name") == "Kiran"


def test_correcting_a_refused_page_and_sending_it_again_publishes_what_was_typed(
    client_for: Any, media: Path
) -> None:
    """The officer fixes the one bad field on the returned page and presses Publish again."""
    client = client_for("dl.sho")
    refused = client.post("/alerts/new/", missing_person_form(**{"persons-0-age_max": "9"}))
    assert refused.status_code == 422

    again = FormState(text(refused)).submission()
    assert again["narrative"] == "Left school at 14:00 and did not come home."
    again["persons-0-age_max"] = "12"
    ref = post_alert(client, {**again, "save_as": "publish"})

    alert = Alert.objects.get(reference=ref)
    assert alert.title == "Missing girl, 11, from Connaught Place"
    assert alert.narrative == "Left school at 14:00 and did not come home."
    assert alert.address == "Near Palika Bazar gate 3" and alert.fir_number == "0123/2025"
    assert alert.station is not None and alert.station.code == STATION
    assert [(p.name, p.age_min, p.age_max, p.gender) for p in alert.persons.all()] == [
        ("Priya Sharma", 10, 12, "female")
    ]
    assert [v.registration_normalised for v in alert.vehicles.all()] == ["DL03CAB1234"]
    assert [p.e164 for p in alert.phones.all()] == ["+919876543210"]


def test_a_refused_submit_keeps_the_cited_sections_and_named_units(client_for: Any, media: Path) -> None:
    response = client_for("dl.sho").post(
        "/alerts/new/",
        missing_person_form(
            sections=["IPC 363", "BNS 137(2)", "", ""],
            audience_agencies="DL-CR",
            **{"persons-0-age_max": "9"},
        ),
    )

    assert response.status_code == 422
    form = FormState(text(response))
    assert [v for v in form.inputs["sections"] if v] == ["IPC 363", "BNS 137(2)"]
    assert form.value("audience_agencies") == "DL-CR"


def test_confirming_the_trafficking_warning_on_the_page_publishes_the_cited_sections(
    client_for: Any, media: Path
) -> None:
    client = client_for("dl.sho")
    warned = client.post(
        "/alerts/new/",
        missing_person_form(
            category="human_trafficking", sections=["IPC 363", "", "", ""], **{"persons-0-role": "victim"}
        ),
    )
    assert warned.status_code == 422

    ref = post_alert(
        client, {**FormState(text(warned)).submission(), "confirm_warnings": "on", "save_as": "publish"}
    )

    alert = Alert.objects.get(reference=ref)
    assert alert.category == "human_trafficking"
    assert [c.section.citation for c in alert.citations.all()] == ["IPC 363"]


@pytest.mark.parametrize(
    ("changes", "field_id", "message"),
    [
        ({"district": "abc"}, "district", "integer"),
        ({"district": "9999999"}, "district", "unknown LGD district code 9999999"),
        ({"station": "DL-NOWHERE-PS-9"}, "station", "unknown police station 'DL-NOWHERE-PS-9'"),
        ({"station": "AS-KAMRUPMETRO-PS-001"}, "station", "is not in Delhi"),
        ({"title": "ab"}, "title", "at least 3 characters"),
        ({"phones-0-number": "12345"}, "phones-0-number", "not a valid phone number"),
    ],
)
def test_bad_place_and_subject_fields_are_refused_beside_the_field(
    client_for: Any, media: Path, changes: dict[str, str], field_id: str, message: str
) -> None:
    before = counts()
    response = client_for("dl.sho").post("/alerts/new/", missing_person_form(**changes))

    assert response.status_code == 422
    [error] = errors_beside(text(response), field_id)
    assert message in error
    assert counts() == before


def test_a_person_row_without_a_role_is_refused_beside_the_role(client_for: Any, media: Path) -> None:
    before = counts()
    response = client_for("dl.sho").post("/alerts/new/", missing_person_form(**{"persons-0-role": ""}))

    assert response.status_code == 422
    assert errors_beside(text(response), "persons-0-role") != []
    assert counts() == before


def test_an_out_of_range_age_from_is_explained_on_the_page(client_for: Any, media: Path) -> None:
    before = counts()
    response = client_for("dl.sho").post("/alerts/new/", missing_person_form(**{"persons-0-age_min": "150"}))

    assert response.status_code == 422
    assert counts() == before
    html = text(response)
    assert "Nothing has been saved" in html
    # the rule (at most 120) must be said on the page, beside "Age from" or in a summary
    shown = " ".join(re.findall(r'<ul class="errorlist">(.*?)</ul>', html, re.S))
    assert "120" in shown, "no error message is shown anywhere"


def test_occurred_at_from_the_datetime_local_input_is_accepted(client_for: Any, media: Path) -> None:
    client = client_for("dl.sho")
    response = client.post("/alerts/new/", missing_person_form(occurred_at="2025-01-05T10:30"))

    assert response.status_code == 302
    alert = Alert.objects.get(reference=REFERENCE.match(response["Location"]).group(1))  # type: ignore[union-attr]
    assert alert.occurred_at is not None and alert.occurred_at.utcoffset() is not None


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"%!PS-Adobe not a photograph at all, just text " * 20, "photo.jpg", "unsupported file type"),
        (b"\xff\xd8\xff\xe0" + b"\x00garbage" * 300, "photo.jpg", "cannot be read as one"),
        (b"", "empty.jpg", "the file is empty"),
    ],
    ids=["text", "broken-jpeg", "empty"],
)
def test_a_photo_that_is_not_an_image_is_refused_and_nothing_is_written(
    client_for: Any, media: Path, content: bytes, name: str, message: str
) -> None:
    client = client_for("dl.sho")
    before = counts()

    response = client.post("/alerts/new/", missing_person_form(**{"persons-0-photo": upload(content, name)}))

    assert response.status_code == 422
    html = text(response)
    [error] = errors_beside(html, "persons-0-photo")
    assert message in error
    assert FormState(html).value("persons-0-name") == "Priya Sharma"
    assert counts() == before
    assert files_under(media) == []


def test_no_file_chosen_is_not_an_error(client_for: Any, media: Path) -> None:
    """A browser sends an empty part with an empty filename when no photograph was chosen."""
    from django.test.client import encode_multipart

    form = missing_person_form()
    body = encode_multipart("BoUnDaRy", form).replace(
        b"\r\n--BoUnDaRy--",
        b'\r\n--BoUnDaRy\r\nContent-Disposition: form-data; name="persons-0-photo"; filename=""\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n\r\n--BoUnDaRy--",
    )
    assert b'filename=""' in body
    response = client_for("dl.sho").post(
        "/alerts/new/", body, content_type="multipart/form-data; boundary=BoUnDaRy"
    )

    assert response.status_code == 302
    alert = Alert.objects.get(reference=REFERENCE.match(response["Location"]).group(1))  # type: ignore[union-attr]
    assert alert.attachments.count() == 0
    assert files_under(media) == []


def test_a_pdf_as_the_persons_photograph_is_refused(client_for: Any, media: Path) -> None:
    before = counts()
    response = client_for("dl.sho").post(
        "/alerts/new/",
        missing_person_form(**{"persons-0-photo": upload(b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n", "id.pdf")}),
    )

    assert response.status_code == 422
    assert counts() == before
    assert files_under(media) == []


def test_trafficking_without_trafficking_sections_warns_first_then_publishes_when_confirmed(
    client_for: Any, media: Path
) -> None:
    client = client_for("dl.sho")
    form = missing_person_form(
        category="human_trafficking",
        title="Three girls taken towards Anand Vihar ISBT",
        sections=["IPC 363", "", "", ""],
        **{"persons-0-role": "victim"},
    )
    before = counts()

    warned = client.post("/alerts/new/", form)

    assert warned.status_code == 422
    html = text(warned)
    warning = html.split('id="warnings"', 1)[1].split("</div>", 1)[0]
    assert "A trafficking alert should cite a trafficking section" in unescape(warning)
    assert 'name="confirm_warnings"' in warning and 'form="alert-form"' in warning
    assert "tick the box to publish anyway" in warning
    assert counts() == before
    again = FormState(html)
    assert again.selected["category"] == ["human_trafficking"]
    assert again.value("title") == "Three girls taken towards Anand Vihar ISBT"

    ref = post_alert(client, {**form, "confirm_warnings": "on"})

    alert = Alert.objects.get(reference=ref)
    assert alert.status == "published"
    assert alert.missing_trafficking_sections is True
    assert counts()["alerts"] == before["alerts"] + 1
    page = text(client.get(f"/alerts/{ref}/"))
    assert "cites none of the trafficking sections" in page


def test_trafficking_with_a_trafficking_section_publishes_without_a_warning(
    client_for: Any, media: Path
) -> None:
    ref = post_alert(
        client_for("dl.sho"),
        missing_person_form(
            category="human_trafficking",
            sections=["IPC 370", "BNS 143", "", ""],
            **{"persons-0-role": "victim"},
        ),
    )
    alert = Alert.objects.get(reference=ref)
    assert alert.missing_trafficking_sections is False
    assert [c.section.citation for c in alert.citations.order_by("position")] == ["IPC 370", "BNS 143"]


def test_save_as_draft_creates_a_draft_only_the_station_sees(client_for: Any, media: Path) -> None:
    client = client_for("dl.sho")

    ref = post_alert(client, missing_person_form(save_as="draft"))

    alert = Alert.objects.get(reference=ref)
    assert alert.status == "draft"
    assert alert.published_at is None
    assert AuditEvent.objects.filter(action="alert.create", object_id=str(alert.pk)).count() == 1
    page = text(client.get(f"/alerts/{ref}/"))
    assert f"Saved draft {ref}." in page
    assert '<span class="badge draft" id="alert-status">Draft</span>' in page
    assert f'action="/alerts/{ref}/publish/"' in page
    # the same district's other station and the district office do not see a draft
    assert client_for("dl.sho2").get(f"/alerts/{ref}/").status_code == 404

    published = client.post(f"/alerts/{ref}/publish/")
    assert published.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "published" and alert.published_at is not None
    assert client_for("dl.sho2").get(f"/alerts/{ref}/").status_code == 200


@pytest.mark.parametrize("username", ["analyst", "dl.analyst"])
def test_an_analyst_may_not_post(client_for: Any, media: Path, username: str) -> None:
    client = client_for(username)
    before = counts()

    assert client.get("/alerts/new/").status_code == 403
    assert client.post("/alerts/new/", missing_person_form()).status_code == 403
    assert counts() == before


def test_anonymous_users_are_sent_to_log_in() -> None:
    response = Client().get("/alerts/new/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/alerts/new/")


# --- the alert page -----------------------------------------------------------------------------


def test_an_alert_the_user_may_not_see_is_404_like_one_that_does_not_exist(
    client_for: Any, media: Path
) -> None:
    assam = make_alert("as.sho", title="Missing boy in Guwahati")
    attachment_client = client_for("as.sho")
    # a photo on it, to check the file URL does not leak either
    from crimac.alerts import attachments

    as_sho = User.objects.select_related("agency").get(username="as.sho")
    att = attachments.add_attachment(assam, upload(jpeg(100, 100)), actor=as_sho, person_position=0)
    assert attachment_client.get(f"/alerts/{assam.reference}/").status_code == 200

    client = client_for("dl.sho")
    hidden = client.get(f"/alerts/{assam.reference}/")
    missing = client.get("/alerts/AS-1999-999999/")

    assert hidden.status_code == 404
    assert missing.status_code == 404
    assert "Missing boy in Guwahati" not in text(hidden)
    assert same_page(text(hidden).replace(assam.reference, "X")) == same_page(
        text(missing).replace("AS-1999-999999", "X")
    )
    assert client.get(f"/alerts/{assam.reference}/attachments/{att.pk}/").status_code == 404
    assert client.get(f"/alerts/{assam.reference}/attachments/{att.pk}/?thumbnail=1").status_code == 404
    # a national analyst sees it; the lower-case reference works too
    assert client_for("analyst").get(f"/alerts/{assam.reference.lower()}/").status_code == 200


def test_an_attachment_of_another_alert_is_404_through_a_visible_alert(client_for: Any, media: Path) -> None:
    from crimac.alerts import attachments

    as_sho = User.objects.select_related("agency").get(username="as.sho")
    assam = make_alert("as.sho")
    att = attachments.add_attachment(assam, upload(jpeg(50, 50)), actor=as_sho)
    delhi = make_alert("dl.sho")

    response = client_for("dl.sho").get(f"/alerts/{delhi.reference}/attachments/{att.pk}/")
    assert response.status_code == 404


# --- the list page ------------------------------------------------------------------------------


LIST_ROW = re.compile(r'<tr><td><a href="/alerts/([^/"]+)/">')
LIST_COUNT = re.compile(r"(\d+) alerts</p>")


def listed(response: Any) -> list[str]:
    return LIST_ROW.findall(text(response))


def test_the_list_filters_by_category_and_state_and_shows_only_visible_alerts(client_for: Any) -> None:
    delhi_missing = make_alert("dl.sho", title="Delhi missing")
    delhi_vehicle = make_alert(
        "dl.sho",
        category="stolen_vehicle",
        title="Delhi stolen car",
        persons=[],
        vehicles=[{"registration": "DL 8C AA 1111", "vehicle_type": "car"}],
    )
    assam_missing = make_alert("as.sho", title="Assam missing")
    delhi_draft = make_alert("dl.sho2", title="Delhi draft", publish=False)
    national = make_alert("hr.sho", title="Haryana, to everyone", audience={"national": True})

    dl = client_for("dl.sho")
    everything = dl.get("/alerts/")
    assert everything.status_code == 200
    seen = set(listed(everything))
    assert {delhi_missing.reference, delhi_vehicle.reference, national.reference} <= seen
    assert assam_missing.reference not in seen
    assert delhi_draft.reference not in seen
    assert LIST_COUNT.search(text(everything)).group(1) == str(len(seen))  # type: ignore[union-attr]

    only_missing = dl.get("/alerts/", {"category": "missing_person"})
    assert only_missing.status_code == 200
    assert delhi_missing.reference in listed(only_missing)
    assert national.reference in listed(only_missing)
    assert delhi_vehicle.reference not in listed(only_missing)
    assert FormState(text(only_missing)).selected["category"] == ["missing_person"]

    only_dl = dl.get("/alerts/", {"state": "DL"})
    assert set(listed(only_dl)) == {delhi_missing.reference, delhi_vehicle.reference}
    both = dl.get("/alerts/", {"state": "DL", "category": "stolen_vehicle"})
    assert listed(both) == [delhi_vehicle.reference]
    assert dl.get("/alerts/", {"state": "AS"}).status_code == 200
    assert listed(dl.get("/alerts/", {"state": "AS"})) == []

    analyst = client_for("analyst").get("/alerts/", {"state": "AS"})
    assert listed(analyst) == [assam_missing.reference]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"district": "abc"}, "district: give the LGD district code (a number)"),
        ({"district": "9999999"}, "unknown LGD district code 9999999"),
        ({"state": "ZZ"}, "unknown State/UT code 'ZZ'"),
        ({"category": "jaywalking"}, "unknown category 'jaywalking'"),
        ({"status": "lost"}, "unknown status 'lost'"),
        ({"from": "2025-02-01", "to": "2025-01-01"}, "the period ends before it starts"),
    ],
)
def test_bad_list_filters_are_400_with_a_message(
    client_for: Any, query: dict[str, str], message: str
) -> None:
    make_alert("dl.sho")
    response = client_for("dl.sho").get("/alerts/", query)

    assert response.status_code == 400
    html = unescape(text(response))
    assert '<p class="error" role="alert">' in html
    assert message in html
    assert listed(response) == []


def test_an_unreadable_date_filter_is_400_not_ignored(client_for: Any) -> None:
    make_alert("dl.sho")
    response = client_for("dl.sho").get("/alerts/", {"from": "2025-13-45"})

    assert response.status_code == 400
    assert "from" in unescape(text(response)).split('role="alert">', 1)[1]
    assert listed(response) == []


def test_the_list_filters_by_district(client_for: Any) -> None:
    delhi = make_alert("dl.sho", district=int(new_delhi_lgd()))
    elsewhere = make_alert("dl.control", title="Elsewhere in Delhi")
    response = client_for("dl.sho").get("/alerts/", {"district": new_delhi_lgd()})

    assert response.status_code == 200
    assert delhi.reference in listed(response)
    assert elsewhere.reference not in listed(response)


def test_list_query_count_does_not_grow_with_rows(
    client_for: Any, django_assert_max_num_queries: Any
) -> None:
    client = client_for("dl.sho")
    make_alert("dl.sho")
    make_alert("dl.sho", district=int(new_delhi_lgd()))
    client.get("/alerts/")  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        response = client.get("/alerts/")
    assert len(listed(response)) == 2

    sho = User.objects.select_related("agency", "agency__state").get(username="dl.sho")
    items: list[Any] = [
        AlertIn.model_validate(
            {
                "category": "stolen_vehicle" if n % 2 else "missing_person",
                "title": f"Alert number {n}",
                "district": int(new_delhi_lgd()) if n % 3 else None,
                "station": STATION if n % 3 == 1 else None,
            }
        )
        for n in range(30)
    ]
    assert all(r.checked for r in actions.create_many(items, actor=sho))

    with django_assert_max_num_queries(len(few)):
        response = client.get("/alerts/")
    assert len(listed(response)) == 25
    assert "Page 1 of 2" in text(response)


# --- cancel and resolve -------------------------------------------------------------------------


def test_the_originator_resolves_from_the_alert_page(client_for: Any) -> None:
    alert = make_alert("dl.sho")
    client = client_for("dl.sho")
    page = text(client.get(f"/alerts/{alert.reference}/"))
    assert f'action="/alerts/{alert.reference}/resolve/"' in page
    assert f'action="/alerts/{alert.reference}/cancel/"' in page

    response = client.post(
        f"/alerts/{alert.reference}/resolve/", {"outcome": "traced", "note": "found at her aunt's"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/alerts/{alert.reference}/"
    alert.refresh_from_db()
    assert (alert.status, alert.outcome, alert.outcome_note) == ("resolved", "traced", "found at her aunt's")
    assert alert.revision == 2
    shown = text(client.get(response["Location"]))
    assert "Resolved." in shown
    assert "Resolved (Traced): found at her aunt&#x27;s" in shown
    assert f'action="/alerts/{alert.reference}/resolve/"' not in shown
    assert f'action="/alerts/{alert.reference}/cancel/"' not in shown


def test_the_originator_cancels_from_the_alert_page(client_for: Any) -> None:
    alert = make_alert("dl.sho")
    client = client_for("dl.sho")

    response = client.post(f"/alerts/{alert.reference}/cancel/", {"reason": "posted twice by mistake"})

    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "cancelled" and alert.cancel_reason == "posted twice by mistake"
    assert "Cancelled: posted twice by mistake" in text(client.get(f"/alerts/{alert.reference}/"))


def test_a_bad_resolve_or_cancel_is_refused_with_a_message_and_changes_nothing(client_for: Any) -> None:
    alert = make_alert("dl.sho")
    client = client_for("dl.sho")

    no_reason = client.post(f"/alerts/{alert.reference}/cancel/", {"reason": " "}, follow=True)
    bad_outcome = client.post(f"/alerts/{alert.reference}/resolve/", {"outcome": "vanished"}, follow=True)

    assert "say why the alert is cancelled" in text(no_reason)
    assert "must be one of: arrested, traced, recovered, no_longer_sought" in text(bad_outcome)
    alert.refresh_from_db()
    assert alert.status == "published" and alert.revision == 1
    assert client.get(f"/alerts/{alert.reference}/cancel/").status_code == 405


@pytest.mark.parametrize(("username", "status"), [("dl.sho2", 403), ("dl.control", 403), ("as.sho", 404)])
def test_others_may_not_cancel_or_resolve(client_for: Any, username: str, status: int) -> None:
    alert = make_alert("dl.sho")
    client = client_for(username)
    if status == 403:
        page = text(client.get(f"/alerts/{alert.reference}/"))
        assert f'action="/alerts/{alert.reference}/cancel/"' not in page
        assert f'action="/alerts/{alert.reference}/resolve/"' not in page

    assert client.post(f"/alerts/{alert.reference}/cancel/", {"reason": "not mine"}).status_code == status
    assert client.post(f"/alerts/{alert.reference}/resolve/", {"outcome": "traced"}).status_code == status

    alert.refresh_from_db()
    assert alert.status == "published" and alert.revision == 1
    assert AlertRevision.objects.filter(alert=alert).count() == 1
    if status == 403:
        denied = AuditEvent.objects.filter(object_id=str(alert.pk), outcome="denied")
        assert sorted(denied.values_list("action", flat=True)) == ["alert.cancel", "alert.resolve"]


def test_the_district_sp_above_the_station_may_resolve(client_for: Any) -> None:
    alert = make_alert("dl.sho")
    response = client_for("dl.sp").post(f"/alerts/{alert.reference}/resolve/", {"outcome": "traced"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "resolved"


# --- the page and the API give the same alert ----------------------------------------------------


DROP = {"id", "reference", "links", "reported_at", "published_at", "attachments", "closed_at", "expires_at"}


def comparable(body: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in body.items() if k not in DROP}
    out["origin"] = {k: v for k, v in body["origin"].items() if k != "officer"}
    return out


def test_the_same_alert_posted_by_page_and_by_api_shows_up_identically(
    client_for: Any, api_key_for: Any
) -> None:
    lgd = int(new_delhi_lgd())
    page_ref = post_alert(
        client_for("dl.sho"),
        missing_person_form(
            audience_states=["DL", "HR"],
            audience_bordering="on",
            **{
                "persons-1-role": "suspect",
                "persons-1-name": "Unknown man",
                "persons-1-gender": "male",
                "persons-1-aliases": "Chhotu, Kalu",
                "vehicles-1-registration": "22 BH 1234 AA",
                "vehicles-1-vehicle_type": "motorcycle",
            },
        ),
    )
    key = api_key_for(STATION)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    created = api.post(
        "/api/v1/alerts",
        json.dumps(
            {
                "category": "missing_person",
                "title": "Missing girl, 11, from Connaught Place",
                "narrative": "Left school at 14:00 and did not come home.",
                "state": "DL",
                "district": lgd,
                "station": STATION,
                "address": "Near Palika Bazar gate 3",
                "sections": ["IPC 363"],
                "fir_number": "0123/2025",
                "handling_code": "H0",
                "audience": {"states": ["DL", "HR"], "bordering_states": True},
                "persons": [
                    {
                        "role": "missing",
                        "name": "Priya Sharma",
                        "gender": "female",
                        "age_min": 10,
                        "age_max": 12,
                        "marks": "mole on the left cheek",
                    },
                    {
                        "role": "suspect",
                        "name": "Unknown man",
                        "gender": "male",
                        "aliases": ["Chhotu", "Kalu"],
                    },
                ],
                "vehicles": [
                    {"registration": "dl 3c ab 1234", "vehicle_type": "car", "colour": "white"},
                    {"registration": "22 BH 1234 AA", "vehicle_type": "motorcycle"},
                ],
                "phones": [{"number": "98765 43210"}],
            }
        ),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    api_ref = created.json()["reference"]
    assert api_ref != page_ref

    from_page = api.get(f"/api/v1/alerts/{page_ref}")
    from_api = api.get(f"/api/v1/alerts/{api_ref}")
    assert from_page.status_code == from_api.status_code == 200
    a, b = comparable(from_page.json()), comparable(from_api.json())
    assert a == b
    # and the comparison is not vacuous
    assert a["vehicles"][0]["registration_display"] == "DL 03 CAB 1234"
    assert a["persons"][1]["aliases"] == ["Chhotu", "Kalu"]
    assert a["audience"]["bordering_states"] is True and a["audience"]["resolved_states"]
    assert a["status"] == "published" and a["origin"]["agency"] == STATION
