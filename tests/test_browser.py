"""The log-in flow in a real browser (Debian's Chromium) against a real `crimac serve`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.server]

WRONG_PASSWORD_TEXT = "Please enter a correct username and password"


class Visit:
    """A browser tab on the live server that remembers every URL it requested."""

    def __init__(self, context: Any, base_url: str) -> None:
        self.base_url = base_url
        self.page = context.new_page()
        self.requests: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))

    def goto(self, path: str) -> Any:
        return self.page.goto(self.base_url + path)

    def log_in(self, username: str, password: str) -> None:
        self.goto("/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        with self.page.expect_navigation():
            self.page.click("button[type=submit]:has-text('Log in')")

    def path(self) -> str:
        url: str = self.page.url
        assert url.startswith(self.base_url), url
        return url[len(self.base_url) :]


@pytest.fixture
def visit(browser: Any, live_crimac: Any) -> Iterator[Visit]:
    context = browser.new_context()
    try:
        yield Visit(context, live_crimac.base_url)
    finally:
        context.close()


@pytest.fixture
def phone(browser: Any, live_crimac: Any) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
    try:
        yield Visit(context, live_crimac.base_url)
    finally:
        context.close()


def test_login_lands_on_home_with_agency_and_role(visit: Visit, request: pytest.FixtureRequest) -> None:
    visit.log_in("dl.sho", DEMO_PASSWORD)

    assert visit.path() == "/"
    page = visit.page
    assert "DL-NEWDELHI-PS-001" in page.inner_text("#agency-card")
    assert page.inner_text("#role").strip() == "Officer"
    assert "DL-NEWDELHI-PS-001" in page.inner_text("header .who")
    nav = [a.strip() for a in page.locator("nav[aria-label=main] a").all_inner_texts()]
    assert nav[:1] == ["Home"]
    assert "Directory" in nav
    assert "API keys" not in nav and "Administration" not in nav

    artifacts = Path(request.config.rootpath) / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shot = artifacts / "home.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 1000


def test_wrong_password_shows_the_error_and_stays_on_login(visit: Visit) -> None:
    visit.log_in("dl.sho", "not-the-password")

    assert visit.path() == "/login/"
    alert = visit.page.locator("[role=alert]")
    assert alert.count() == 1
    assert WRONG_PASSWORD_TEXT in alert.inner_text()
    assert visit.page.input_value("#id_username") == "dl.sho"
    assert visit.page.input_value("#id_password") == ""
    # Still anonymous: home sends back to the log-in page.
    visit.goto("/")
    assert visit.path().startswith("/login/")


def test_pages_load_nothing_from_outside_the_server(visit: Visit) -> None:
    visit.log_in("dl.nodal", DEMO_PASSWORD)
    visit.goto("/directory/agencies/?state=DL")
    visit.goto("/directory/apikeys/")
    visit.page.wait_for_load_state("networkidle")

    assert any(url.endswith(".css") for url in visit.requests), "the stylesheet was requested"
    outside = [url for url in visit.requests if not url.startswith(visit.base_url + "/")]
    assert outside == []


def test_stylesheet_is_served(visit: Visit) -> None:
    visit.goto("/login/")
    color = visit.page.evaluate("getComputedStyle(document.querySelector('header.top')).backgroundColor")

    assert color == "rgb(11, 61, 145)"  # --brand from app.css: the stylesheet really applied


def test_login_page_fits_a_phone(phone: Visit) -> None:
    phone.goto("/login/")

    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert phone.page.evaluate("window.innerWidth") == 375
    assert width <= 375
    box = phone.page.locator("button[type=submit]:has-text('Log in')").bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375


def test_home_page_fits_a_phone(phone: Visit) -> None:
    phone.log_in("dl.nodal", DEMO_PASSWORD)

    assert phone.path() == "/"
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 375


def test_logout_button_returns_to_login(visit: Visit) -> None:
    visit.log_in("dl.sho", DEMO_PASSWORD)
    assert visit.path() == "/"

    with visit.page.expect_navigation():
        visit.page.click("header form button:has-text('Log out')")

    assert visit.path() == "/login/"
    assert visit.page.locator("#id_username").is_visible()
    assert visit.page.locator("header form button:has-text('Log out')").count() == 0
    visit.goto("/")
    assert visit.path() == "/login/?next=/"
