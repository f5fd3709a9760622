"""The national dashboard in a real browser against a real `crimac serve` with the demo history:
the map, the charts and the silent list render, nothing is fetched from outside, and a
screenshot is kept in test-artifacts/."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEMO_PASSWORD, LiveCrimac, running_crimac

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture(scope="module")
def with_history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCrimac]:
    with running_crimac(
        tmp_path_factory.mktemp("oversight"), "--per-district", "1", "--alerts", "150"
    ) as live:
        yield live


def _log_in(page: Any, base: str) -> None:
    """Log in as the national analyst. Right after start-up the embedded worker is still busy
    with the demo history and SQLite may answer "database is locked": try again a few times."""
    for _ in range(6):
        page.goto(f"{base}/login/")
        page.fill("#id_username", "analyst")
        page.fill("#id_password", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]:has-text('Log in')")
        if "/login/" not in page.url:
            return
        time.sleep(5)
    raise AssertionError(f"could not log in: {page.url}")


def test_national_dashboard_renders_map_and_charts(
    browser: Any, with_history: LiveCrimac, request: pytest.FixtureRequest
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requested: list[str] = []
    try:
        page = context.new_page()
        page.on("request", lambda r: requested.append(r.url))
        base = with_history.base_url
        _log_in(page, base)
        today = date.today()
        start = today - timedelta(days=366)
        page.goto(f"{base}/oversight/?from={start.isoformat()}&to={today.isoformat()}")

        assert page.locator("svg.tile-map g.tile").count() == 36
        box = page.locator("svg.tile-map").bounding_box()
        assert box is not None and box["width"] > 400 and box["height"] > 300
        # The demo history: Delhi posts the most; West Bengal never posts.
        assert page.locator("#top-states").inner_text().startswith("DL")
        assert "West Bengal" in page.locator("#silent-states").inner_text()
        assert page.locator("svg.bar-chart g.bar").count() >= 3
        assert page.locator("svg.trend-chart g.bucket").count() >= 12
        wb_fill = page.locator('svg.tile-map g.tile[data-state="WB"] rect').get_attribute("fill")
        dl_fill = page.locator('svg.tile-map g.tile[data-state="DL"] rect').get_attribute("fill")
        assert wb_fill != dl_fill

        artifacts = Path(request.config.rootpath) / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        shot = artifacts / "oversight-dashboard.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000

        # A tile leads to the State's dashboard, with its silent stations.
        with page.expect_navigation():
            page.click('svg.tile-map g.tile[data-state="DL"]')
        assert "/oversight/state/DL/" in page.url
        assert page.locator("#silent-stations").count() == 1
        assert all(url.startswith(base) or url.startswith("data:") for url in requested), requested
    finally:
        context.close()
