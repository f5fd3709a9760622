"""The match review page (/matches/) and the include for an alert's page: who sees what, confirm
and reject with their audit rows, refusals, and a query count that does not grow with the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.template import RequestContext, Template
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

from crimac.alerts.models import Alert
from crimac.audit.models import AuditEvent
from crimac.matching.models import Match
from crimac.matching.reveal import matches_for
from tests.matching.test_correlate import missing_girl, publish, rescued_minor

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(
    user_named: Callable[[str], Any], django_capture_on_commit_callbacks: Any
) -> tuple[Alert, Alert, Match]:
    jh = missing_girl(user_named("jh.sho"), django_capture_on_commit_callbacks)
    dl = rescued_minor(user_named("dl.sho"), django_capture_on_commit_callbacks)
    return jh, dl, Match.objects.get()


def test_anonymous_is_sent_to_log_in(pair: tuple[Alert, Alert, Match]) -> None:
    _, _, match = pair
    for method, url in [("get", "/matches/"), ("post", f"/matches/{match.pk}/confirm/")]:
        r = getattr(Client(), method)(url)
        assert r.status_code == 302 and "/login/" in r["Location"], url
    match.refresh_from_db()
    assert match.status == "new"


def test_the_page_shows_each_side_only_the_others_reference_and_origin(
    pair: tuple[Alert, Alert, Match], client_for: Callable[[str], Client]
) -> None:
    jh, dl, match = pair
    page = client_for("dl.sho").get("/matches/").content.decode()
    assert f'id="match-{match.pk}"' in page
    assert dl.reference in page and jh.reference in page and "JH-RANCHI-PS-001" in page
    assert "Missing person and rescued victim" in page and "Sunita Munda" in page
    assert "सुनीता" not in page and jh.title not in page  # the Jharkhand alert's contents
    assert f"/alerts/{jh.reference}/" not in page  # no link to an alert the user may not read
    assert "Confirm</button>" in page and "Reject</button>" in page
    analyst = client_for("analyst").get("/matches/").content.decode()
    assert jh.title in analyst and "सुनीता" in analyst and "Confirm</button>" not in analyst
    for who in ("as.sho", "dl.sho2"):
        assert f'id="match-{match.pk}"' not in client_for(who).get("/matches/").content.decode()


def test_confirm_and_reject_from_the_page_are_audited(
    pair: tuple[Alert, Alert, Match], client_for: Callable[[str], Client]
) -> None:
    _, _, match = pair
    r = client_for("jh.sho").post(f"/matches/{match.pk}/confirm/", {"note": "mother identified her photo"})
    assert r.status_code == 302 and r["Location"] == "/matches/"
    match.refresh_from_db()
    assert (
        match.status == "confirmed" and match.decided_by is not None and match.decided_by.username == "jh.sho"
    )
    assert (
        AuditEvent.objects.filter(action="match.confirm", outcome="success", actor_name="jh.sho").count() == 1
    )
    r = client_for("dl.sho").post(
        f"/matches/{match.pk}/reject/", {"next": "https://elsewhere.example/", "note": "no"}
    )
    assert r.status_code == 302 and r["Location"] == "/matches/"  # never redirected off-site
    match.refresh_from_db()
    assert match.status == "rejected"
    page = client_for("dl.sho").get("/matches/?status=rejected").content.decode()
    assert "Rejected by dl.sho" in page


def test_refusals_wrong_role_403_outsider_404(
    pair: tuple[Alert, Alert, Match], client_for: Callable[[str], Client]
) -> None:
    _, _, match = pair
    assert client_for("analyst").post(f"/matches/{match.pk}/confirm/").status_code == 403
    assert AuditEvent.objects.filter(action="match.confirm", outcome="denied").count() == 1
    assert client_for("as.nodal").post(f"/matches/{match.pk}/confirm/").status_code == 404
    assert client_for("dl.sho").post(f"/matches/{match.pk + 99}/reject/").status_code == 404
    assert client_for("dl.sho").get(f"/matches/{match.pk}/confirm/").status_code == 405
    match.refresh_from_db()
    assert match.status == "new"


def test_bad_filters_are_a_400_naming_the_field(client_for: Callable[[str], Client]) -> None:
    r = client_for("dl.sho").get("/matches/?status=maybe")
    assert r.status_code == 400 and "status: one of" in r.content.decode()


def test_the_include_for_the_alert_page(
    pair: tuple[Alert, Alert, Match], user_named: Callable[[str], Any]
) -> None:
    jh, dl, _match = pair
    request = RequestFactory().get(f"/alerts/{dl.reference}/")
    request.user = user_named("dl.sho")
    html = render_to_string("matching/_matches.html", {"matches": matches_for(dl, request.user)}, request)
    assert 'id="matches"' in html and jh.reference in html and "ask the originator for access" in html
    assert render_to_string("matching/_matches.html", {"matches": []}).strip() == ""
    # The tag the alert page uses: `{% load match_tags %}{% alert_matches alert %}`.
    tag = Template("{% load match_tags %}{% alert_matches alert %}")
    html = tag.render(RequestContext(request, {"alert": dl}))
    assert 'id="matches"' in html and jh.reference in html and "Confirm</button>" in html
    request.user = user_named("analyst")
    html = tag.render(RequestContext(request, {"alert": dl}))
    assert jh.title in html and "Confirm</button>" not in html
    # A recipient who is on neither side sees nothing of it.
    assert matches_for(dl, user_named("dl.sho2")) == []


def test_the_page_query_count_does_not_grow_with_the_matches(
    user_named: Callable[[str], Any],
    django_capture_on_commit_callbacks: Any,
    client_for: Callable[[str], Client],
    django_assert_max_num_queries: Any,
    django_assert_num_queries: Any,
) -> None:
    who = user_named("hr.sho")
    client = client_for("hr.sho")
    publish(who, django_capture_on_commit_callbacks, title="Calls 0", phones=[{"number": "9876543210"}])
    publish(who, django_capture_on_commit_callbacks, title="Calls 1", phones=[{"number": "9876543210"}])
    client.get("/matches/")
    with django_assert_max_num_queries(20) as few:
        assert client.get("/matches/").content.decode().count('class="row match"') == 1
    for i in range(2, 8):
        publish(
            who, django_capture_on_commit_callbacks, title=f"Calls {i}", phones=[{"number": "9876543210"}]
        )
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get("/matches/").content.decode().count('class="row match"') > 6
