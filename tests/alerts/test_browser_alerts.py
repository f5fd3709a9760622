"""Posting an alert from a phone, in a real browser (Debian's Chromium) against `crimac serve`."""

from __future__ import annotations

import io
import json
import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from tests.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.server]

PHONE = {"width": 375, "height": 812}
SCROLL_TOLERANCE = 2  # px: sub-pixel rounding, not a scroll bar
REFERENCE = re.compile(r"^DL-\d{4}-\d{6}$")


def photo(path: Path) -> Path:
    """A real JPEG photograph-like image on disk."""
    img = Image.new("RGB", (480, 640), (200, 210, 220))
    draw = ImageDraw.Draw(img)
    draw.ellipse([120, 120, 360, 420], fill=(205, 160, 120))
    draw.rectangle([100, 430, 380, 640], fill=(40, 70, 160))
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=85)
    path.write_bytes(buffer.getvalue())
    return path


def artifacts_dir(request: pytest.FixtureRequest) -> Path:
    path = Path(request.config.rootpath) / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def phone_page(browser: Any, live_crimac: Any) -> Iterator[tuple[Any, list[str]]]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        yield page, requests
    finally:
        context.close()


def log_in(page: Any, base_url: str, username: str) -> None:
    page.goto(base_url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]:has-text('Log in')")
    assert page.url == base_url + "/", page.url


def horizontal_overflow(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth")) - int(
        page.evaluate("window.innerWidth")
    )


def test_an_officer_posts_a_missing_person_alert_with_a_photo_from_a_phone(
    phone_page: tuple[Any, list[str]], live_crimac: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    page, requests = phone_page
    base = live_crimac.base_url
    artifacts = artifacts_dir(request)
    picture = photo(tmp_path / "priya.jpg")
    log_in(page, base, "dl.sho")

    started = time.monotonic()
    page.goto(base + "/alerts/new/")
    assert page.evaluate("window.innerWidth") == 375
    # the form is filled from the officer's station
    assert page.input_value("#state") == "DL"
    assert page.locator("#district option:checked").inner_text() == "New Delhi"
    assert page.input_value("#station") == "DL-NEWDELHI-PS-001"

    page.fill("#title", "Missing girl, 11, from Connaught Place")
    page.select_option("#category", label="Missing person")
    page.select_option("#persons-0-role", "missing")
    page.fill("#persons-0-name", "Priya Sharma")
    page.fill("#persons-0-age_min", "10")
    page.fill("#persons-0-age_max", "12")
    page.select_option("#persons-0-gender", "female")

    assert page.locator("[data-row=persons]").count() == 1
    page.click("button[data-add-row=persons]")
    rows = page.locator("[data-row=persons]")
    assert rows.count() == 2
    second = rows.nth(1)
    assert second.locator("[data-row-number]").inner_text() == "2"
    names = second.locator("input, select").evaluate_all("els => els.map(e => e.name)")
    assert "persons-1-name" in names and "persons-1-photo" in names
    assert all(n.startswith("persons-1-") for n in names), names
    assert second.locator("label[for='persons-1-name']").count() == 1
    assert page.input_value("#persons-1-name") == "", "the new row starts empty"
    assert page.input_value("#persons-0-name") == "Priya Sharma", "the first row is untouched"
    page.select_option("#persons-1-role", "suspect")
    page.fill("#persons-1-name", "Mohan Lal")
    page.select_option("#persons-1-gender", "male")

    page.fill("#vehicles-0-registration", "dl 3c ab 1234")
    page.select_option("#vehicles-0-vehicle_type", "car")
    page.fill("#phones-0-number", "98765 43210")
    page.set_input_files("#persons-0-photo", str(picture))

    overflow = horizontal_overflow(page)
    page.screenshot(path=str(artifacts / "alert-form.png"), full_page=True)
    assert overflow <= SCROLL_TOLERANCE, f"the form scrolls sideways by {overflow}px on a 375px phone"

    with page.expect_navigation():
        page.click("button[name=save_as][value=publish]")
    thumb = page.locator("#persons .thumbs img")
    thumb.first.wait_for()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#persons .thumbs img')].every(i => i.complete)"
    )
    elapsed = time.monotonic() - started
    print(f"\nposting the alert from a phone took {elapsed:.2f}s (open form -> alert page with photo)")

    match = re.match(re.escape(base) + r"/alerts/([^/]+)/$", page.url)
    assert match, page.url
    ref = match.group(1)
    assert REFERENCE.match(ref), ref
    assert page.inner_text("#alert-reference") == ref
    assert f"Published {ref}." in page.inner_text("main")
    persons = page.inner_text("#persons")
    assert "Priya Sharma" in persons and "Mohan Lal" in persons
    assert "DL 03 CAB 1234" in page.inner_text("#vehicles")
    assert "+919876543210" in page.inner_text("#phones")
    assert thumb.count() == 1
    assert thumb.get_attribute("alt") == "photograph of Priya Sharma"
    natural = thumb.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert natural[0] > 0 and natural[1] > 0, natural
    assert max(natural) <= 320, natural
    alert_overflow = horizontal_overflow(page)
    print(f"alert page horizontal overflow at 375px: {alert_overflow}px")
    page.screenshot(path=str(artifacts / "alert-page.png"), full_page=True)

    # The photograph belongs to the first person, as the API tells a State system.
    key = live_crimac.crimac("apikey", "create", "--agency", "DL-NEWDELHI-PS-001", "--name", "browser test")
    call = urllib.request.Request(
        f"{base}/api/v1/alerts/{ref}", headers={"Authorization": f"Bearer {key.stdout.strip()}"}
    )
    with urllib.request.urlopen(call, timeout=10) as response:
        body = json.load(response)
    assert [p["name"] for p in body["persons"]] == ["Priya Sharma", "Mohan Lal"]
    assert [(a["kind"], a["person"], a["width"], a["height"]) for a in body["attachments"]] == [
        ("image", 0, 480, 640)
    ]
    assert body["vehicles"][0]["registration_normalised"] == "DL03CAB1234"

    outside = [url for url in requests if not url.startswith("http://127.0.0.1:")]
    assert outside == []
    assert any(url.endswith("/static/crimac/alert-form.js") or "alert-form" in url for url in requests)
    for name in ("alert-form.png", "alert-page.png"):
        assert (artifacts / name).stat().st_size > 5000
