"""Two officers in two browsers: one posts a flash alert, the other sees it appear in the inbox
without reloading and acknowledges it, and the first sees the acknowledgement arrive."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.server]

PASSWORD = "crimac-demo"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def log_in(context: Any, base_url: str, username: str) -> Any:
    page = context.new_page()
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    return page


def test_flash_alert_appears_live_is_acknowledged_and_the_originator_sees_it(
    browser: Any, live_crimac: Any
) -> None:
    base = live_crimac.base_url
    originator_ctx = browser.new_context()
    recipient_ctx = browser.new_context()
    try:
        recipient = log_in(recipient_ctx, base, "dl.sho")
        recipient.goto(f"{base}/inbox/")
        recipient.wait_for_selector("body[data-feed-state=open]", timeout=10_000)
        rows_before = recipient.locator("#inbox tbody tr:not(#inbox-empty)").count()

        originator = log_in(originator_ctx, base, "hr.sho")
        originator.goto(f"{base}/alerts/new/")
        originator.select_option("#category", "missing_person")
        originator.select_option("#priority", "flash")
        originator.fill("#title", "Girl, 10, missing from Gurugram bus stand")
        originator.select_option("#persons-0-role", "missing")
        originator.fill("#persons-0-name", "Asha Yadav")
        originator.select_option("#persons-0-gender", "female")
        originator.fill("#persons-0-age_min", "9")
        originator.fill("#persons-0-age_max", "11")
        originator.fill("#audience_agencies", "DL-NEWDELHI-PS-001")
        originator.click("button[value=publish]")
        originator.wait_for_url(re.compile(r".*/alerts/HR-\d{4}-\d{6}/$"))
        reference = originator.locator("#alert-reference").inner_text()
        originator.wait_for_selector("body[data-feed-state=open]", timeout=10_000)

        # The recipient's open inbox shows it without a reload, with a notice for the flash alert.
        row = recipient.locator(f"#delivery-{reference}")
        row.wait_for(timeout=10_000)
        assert recipient.locator("#inbox tbody tr").count() == rows_before + 1
        assert recipient.locator("#inbox-empty").count() == 0
        assert "flash" in recipient.locator("#live-notices").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        recipient.screenshot(path=str(ARTIFACTS / "inbox-live.png"), full_page=True)

        row.locator("button", has_text="Acknowledge").click()
        recipient.wait_for_url(f"{base}/inbox/")
        assert "acknowledged" in recipient.locator(f"#delivery-{reference}").inner_text()

        notice = originator.locator("#live-notices .ack", has_text=reference)
        notice.wait_for(timeout=10_000)
        assert "DL-NEWDELHI-PS-001 acknowledged" in notice.inner_text()
        originator.screenshot(path=str(ARTIFACTS / "originator-ack.png"), full_page=True)
    finally:
        originator_ctx.close()
        recipient_ctx.close()
