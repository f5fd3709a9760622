"""The search box on every page, the results page at /search/, and the index rebuild command."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from crimac.audit.models import AuditEvent
from crimac.search.models import AlertDocument

pytestmark = pytest.mark.django_db


def test_the_search_box_is_on_every_page_for_signed_in_users(client_for: Any) -> None:
    client = client_for("dl.sho")
    for url in ["/", "/alerts/", "/search/persons/"]:
        page = client.get(url)
        assert page.status_code == 200, url
        assert b'role="search"' in page.content and b'action="/search/"' in page.content, url
    assert b'action="/search/"' not in Client().get("/login/").content


def test_results_are_highlighted_and_escaped(post: Any, client_for: Any) -> None:
    alert = post("dl.sho", title="<script>alert(1)</script> Dwarka chain snatching")
    page = client_for("dl.sho").get("/search/", {"q": "dwarka snatching"})
    assert page.status_code == 200
    html = page.content.decode()
    assert alert.reference in html and "1 alert found" in html
    assert "<mark>Dwarka</mark>" in html and "<mark>snatching</mark>" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    row = AuditEvent.objects.filter(action="search.alerts").latest("id")
    assert row.via == "page" and row.detail["q"] == "dwarka snatching"


def test_filters_and_paging_on_the_page(post: Any, client_for: Any) -> None:
    for n in range(22):
        post("dl.sho", title=f"Okhla theft {n}")
    client = client_for("dl.sho")
    first = client.get("/search/", {"q": "okhla", "sort": "newest"}).content.decode()
    assert "22 alerts found" in first and "page=2" in first
    second = client.get("/search/", {"q": "okhla", "sort": "newest", "page": "2"}).content.decode()
    assert second.count('class="card"') == 2
    assert "0 alerts found" in client.get("/search/", {"q": "okhla", "state": "AS"}).content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "a"}, "at least 2 characters"),
        ({"q": "x" * 10_000}, "at most 500 characters"),
        ({"q": "okhla", "category": "nope"}, "unknown category"),
        ({"q": "okhla", "from": "yesterday"}, "give a date"),
        ({"q": "okhla", "district": "Delhi"}, "LGD district code"),
    ],
)
def test_bad_input_on_the_page_is_a_400_with_the_reason(
    client_for: Any, params: dict[str, str], message: str
) -> None:
    page = client_for("dl.sho").get("/search/", params)
    assert page.status_code == 400
    assert message in page.content.decode()


def test_the_empty_page_invites_a_search(client_for: Any) -> None:
    page = client_for("dl.sho").get("/search/")
    assert page.status_code == 200 and b"Type a name" in page.content


def test_htmx_gets_only_the_results(post: Any, client_for: Any) -> None:
    post("dl.sho", title="Saket burglary")
    partial = client_for("dl.sho").get("/search/", {"q": "saket"}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert b"<html" not in partial.content and b"1 alert found" in partial.content


@override_settings(SEARCH_RATE_LIMIT=(1, 60))
def test_the_page_is_rate_limited_too(client_for: Any) -> None:
    client = client_for("dl.sho")
    assert client.get("/search/", {"q": "saket"}).status_code == 200
    refused = client.get("/search/", {"q": "saket"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert b"Too many searches" in refused.content


def test_anonymous_is_sent_to_log_in() -> None:
    response = Client().get("/search/", {"q": "saket"})
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_reindex_rebuilds_documents(post: Any) -> None:
    alert = post("dl.sho", title="Lajpat Nagar fraud")
    AlertDocument.objects.filter(alert=alert).delete()
    out = StringIO()
    call_command("search_reindex", stdout=out)
    assert "indexed" in out.getvalue()
    assert AlertDocument.objects.get(alert=alert).title == "Lajpat Nagar fraud"
    from crimac.directory.models import User
    from crimac.search.service import search_alerts
    from crimac.search.text import parse_query

    found = search_alerts(User.objects.get(username="dl.sho"), parse_query("Lajpat"))
    assert [r.alert.pk for r in found.results] == [alert.pk]
