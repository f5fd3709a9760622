"""Two officers in two browsers: one posts a flash alert, the other sees it appear in the inbox
without reloading and acknowledges it, and the first sees the acknowledgement arrive. The open
feed page survives the server restarting, and shows notices (a hit to confirm) as they arrive."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import LiveCrimac, free_port, running_crimac

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


def post_alert(base_url: str, bearer: str, title: str, agencies: list[str]) -> str:
    body = {
        "category": "missing_person",
        "title": title,
        "priority": "flash",
        "persons": [{"role": "missing", "name": "Asha", "gender": "female", "age_min": 9, "age_max": 11}],
        "audience": {"agencies": agencies},
    }
    r = httpx.post(f"{base_url}/api/v1/alerts", json=body, headers={"Authorization": f"Bearer {bearer}"})
    assert r.status_code == 201, r.text
    return str(r.json()["reference"])


@contextmanager
def serving(live: LiveCrimac, port: int) -> Iterator[str]:
    """`crimac serve` on `port` with `live`'s database and data directory, until the block ends."""
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "crimac.cli", "serve", "--port", str(port), "--log-level", "warning"],
        env=live.env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_open_feed_page_survives_a_server_restart_and_misses_nothing(
    browser: Any, tmp_path: Path
) -> None:
    with running_crimac(tmp_path, "--per-district", "1", "--alerts", "0") as live:
        bearer = live.crimac("apikey", "create", "--agency", "HR-HQ", "--name", "restart").stdout.strip()
        port = free_port()
        context = browser.new_context()
        try:
            with serving(live, port) as base:
                page = log_in(context, base, "dl.sho")
                page.goto(f"{base}/inbox/")
                page.wait_for_selector("body[data-feed-state=open]", timeout=10_000)
                first = post_alert(base, bearer, "Before the restart", ["DL-NEWDELHI-PS-001"])
                page.locator(f"#delivery-{first}").wait_for(timeout=10_000)
            # The server is down: the page keeps trying, and an alert is posted through another
            # process on the same database meanwhile.
            page.wait_for_selector("body[data-feed-state=reconnecting]", timeout=10_000)
            second = post_alert(live.base_url, bearer, "While it was down", ["DL-NEWDELHI-PS-001"])
            with serving(live, port) as base:
                page.locator(f"#delivery-{second}").wait_for(timeout=30_000)
                page.wait_for_selector("body[data-feed-state=open]", timeout=10_000)
                third = post_alert(base, bearer, "After the restart", ["DL-NEWDELHI-PS-001"])
                page.locator(f"#delivery-{third}").wait_for(timeout=10_000)
                # Nothing twice, and no reload: the first row is still the one added live.
                for reference in (first, second, third):
                    assert page.locator(f"#delivery-{reference}").count() == 1
                assert page.locator("#inbox tbody tr.live").count() == 3
                stored = page.evaluate(
                    "Object.keys(sessionStorage).filter(k => k.startsWith('crimac.feed.cursor'))"
                    ".map(k => Number(sessionStorage.getItem(k)))"
                )
                assert stored == [int(page.get_attribute("body", "data-feed-last") or 0)]
                assert stored[0] > 0
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "inbox-after-restart.png"), full_page=True)
        finally:
            context.close()


def test_a_hit_to_confirm_appears_as_a_notice_for_the_originator(browser: Any, live_crimac: Any) -> None:
    base = live_crimac.base_url
    recipient_key = live_crimac.crimac(
        "apikey", "create", "--agency", "DL-NEWDELHI-PS-001", "--name", "notice test"
    ).stdout.strip()
    originator_key = live_crimac.crimac(
        "apikey", "create", "--agency", "HR-HQ", "--name", "notice"
    ).stdout.strip()
    context = browser.new_context()
    try:
        # hr.nodal's agency is HR-HQ: it posted the alert, so the claimed hit is its to confirm.
        page = log_in(context, base, "hr.nodal")
        page.wait_for_selector("body[data-feed-state=open]", timeout=10_000)
        reference = post_alert(base, originator_key, "Boy, 9, missing from Sohna", ["DL-NEWDELHI-PS-001"])
        r = httpx.post(
            f"{base}/api/v1/alerts/{reference}/responses",
            json={"outcome": "detained", "message": "found at the railway station"},
            headers={"Authorization": f"Bearer {recipient_key}"},
        )
        assert r.status_code == 201, r.text
        notice = page.locator("#live-notices .hit_claimed", has_text=reference)
        notice.wait_for(timeout=10_000)
        assert "Hit to confirm" in notice.inner_text()
        assert "DL-NEWDELHI-PS-001 reports a hit" in notice.inner_text()
        responded = page.locator("#live-notices .ack", has_text=f"responded to {reference}")
        responded.wait_for(timeout=10_000)
        assert "detained" in responded.inner_text()
    finally:
        context.close()
