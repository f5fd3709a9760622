"""The dashboards, the alerts behind a figure and the notices page."""

from __future__ import annotations

import re
from typing import Any

import pytest

from crimac.oversight.svg import TILES
from tests.oversight.history import at, post

pytestmark = pytest.mark.django_db

MARCH = "from=2026-03-01&to=2026-03-31"


@pytest.fixture
def history(db: Any) -> None:
    post("DL-NEWDELHI-PS-001", at("2026-03-02"), 3)
    post("AS-KAMRUPMETRO-PS-001", at("2026-03-05"), 2, category="human_trafficking")
    post("HR-GURUGRAM-PS-002", at("2026-03-07"), 1)


def test_tile_grid_has_36_distinct_places() -> None:
    assert len(TILES) == 36
    assert len(set(TILES.values())) == 36


def test_national_dashboard_draws_map_charts_and_silent_list(client_for: Any, history: None) -> None:
    response = client_for("analyst").get(f"/oversight/?{MARCH}")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="tile"') == 36
    assert 'data-state="DL" data-value="3"' in html
    assert 'class="bar-chart"' in html and 'class="trend-chart"' in html
    assert "West Bengal" in html.split('id="silent-states"')[1].split("</table>")[0]
    # Tiles of a State the analyst may open lead to that State's dashboard.
    assert "/oversight/state/DL/?from=2026-03-01" in html
    assert "/oversight/alerts/?from=2026-03-01&amp;to=2026-03-31&amp;state=DL" in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # no external assets


def test_map_colours_by_the_chosen_figure(client_for: Any, history: None) -> None:
    html = client_for("analyst").get(f"/oversight/?{MARCH}&figure=silent_stations").content.decode()
    assert re.search(r'data-state="DL" data-value="\d+"', html)
    assert "Silent police stations by State/UT" in html


def test_nodal_officer_dashboard_links_own_state_only(client_for: Any, history: None) -> None:
    html = client_for("dl.nodal").get(f"/oversight/?{MARCH}").content.decode()
    assert "/oversight/state/DL/" in html
    assert "/oversight/state/AS/" not in html


def test_state_dashboard_and_refusal(client_for: Any, history: None) -> None:
    client = client_for("dl.nodal")
    page = client.get(f"/oversight/state/DL/?{MARCH}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "DL-NEWDELHI-PS-002" in html.split('id="silent-stations"')[1]
    assert client.get(f"/oversight/state/AS/?{MARCH}").status_code == 403
    assert client.get(f"/oversight/state/ZZ/?{MARCH}").status_code == 404


@pytest.mark.parametrize("who", ["dl.sho", "dl.control"])
def test_officers_are_refused(client_for: Any, who: str) -> None:
    assert client_for(who).get("/oversight/").status_code == 403
    assert client_for(who).get("/oversight/alerts/").status_code == 403


def test_anonymous_is_sent_to_log_in(client: Any) -> None:
    response = client.get("/oversight/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_bad_period_on_the_page_is_a_400_with_the_field(client_for: Any) -> None:
    response = client_for("analyst").get("/oversight/?from=2026-03-10&to=2026-03-01")
    assert response.status_code == 400
    assert "to: the period ends before it starts" in response.content.decode()


def test_alerts_behind_a_figure_respect_visibility(client_for: Any, history: None) -> None:
    everything = client_for("analyst").get(f"/oversight/alerts/?{MARCH}&state=AS")
    assert "2 alerts" in everything.content.decode()
    # The DL nodal officer sees the AS figure but not AS's alerts (not delivered to DL here).
    hidden = client_for("dl.nodal").get(f"/oversight/alerts/?{MARCH}&state=AS")
    assert hidden.status_code == 200 and "0 alerts" in hidden.content.decode()
    uncited = client_for("analyst").get(f"/oversight/alerts/?{MARCH}&check=trafficking_uncited")
    assert "2 alerts" in uncited.content.decode()


def test_dashboard_query_count_is_fixed(
    client_for: Any, history: None, django_assert_max_num_queries: Any
) -> None:
    client = client_for("analyst")
    with django_assert_max_num_queries(30) as first:
        client.get(f"/oversight/?{MARCH}")
    post("UP-LUCKNOW-PS-001", at("2026-03-09"), 30)
    post("KA-BENGALURUURBAN-PS-001", at("2026-03-09"), 30)
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(f"/oversight/?{MARCH}")
