"""Full-text search over alerts (`GET /api/v1/search`), on whichever database the suite runs:
the index kept by the alert hooks, ranking, highlighting, visibility, the list filters, paging,
bad input, permissions, the audit row, the rate limit and the query count."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from crimac.alerts.actions import cancel_alert, publish_alert, revise_alert
from crimac.alerts.schemas import AlertRevise
from crimac.audit.models import AuditEvent, Outcome
from crimac.search.models import AlertDocument

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
NEW_DELHI = 79  # LGD code (DL)


def search(client: Client, **params: Any) -> Any:
    return client.get("/api/v1/search", params)


def refs(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [r["reference"] for r in response.json()["results"]]


def problem_field(response: Any, status: int = 422) -> str:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    return str(body["errors"][0]["field"]) if "errors" in body else ""


# --- the index itself ---------------------------------------------------------------------------


def test_the_database_has_its_own_index_structures() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'search_alert_fts'")
            made = cursor.fetchone()[0].lower()
            assert "fts5" in made and "facets" in made  # migration 0005's
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search_%'"
            )
            assert cursor.fetchone()[0] == 3
        else:
            cursor.execute("SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'")
            assert cursor.fetchone() == ("pg_trgm",)
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'search_alertdocument' ORDER BY indexname"
            )
            defs = " ".join(r[0] for r in cursor.fetchall())
            assert "gin (document)" in defs and "gin_trgm_ops" in defs
            cursor.execute("SELECT similarity('Kumari', 'Kumary') > 0.3")
            assert cursor.fetchone() == (True,)


def test_publishing_indexes_the_alert_with_its_subjects(post: Any) -> None:
    alert = post(
        "dl.sho",
        title="Girl missing from Kotwali",
        vehicles=[{"registration": "dl 3c ab 1234", "vehicle_type": "car", "make": "Maruti"}],
        phones=[{"number": "098765 43210"}],
        persons=[{"role": "missing", "name": "आशा कुमारी", "aliases": ["Munni"], "gender": "female"}],
    )
    doc = AlertDocument.objects.get(alert=alert)
    assert doc.revision == alert.revision
    assert "DL03CAB1234" in doc.identifiers and "dl 3c ab 1234" in doc.identifiers
    assert "919876543210" in doc.identifiers and alert.reference in doc.identifiers
    assert "आशा कुमारी" in doc.names and "Munni" in doc.names
    assert "asha" in doc.names.lower()  # the Latin transliteration is indexed too


def test_revising_reindexes_and_cancelling_keeps_it_findable(
    post: Any, client_for: Any, user_named: Any
) -> None:
    alert = post("dl.sho", title="Boy missing near Yamuna ghat")
    client = client_for("dl.sho")
    assert refs(search(client, q="Yamuna")) == [alert.reference]
    revise_alert(
        alert, AlertRevise(title="Boy missing near Kalindi Kunj", summary="place"), actor=user_named("dl.sho")
    )
    assert refs(search(client, q="Yamuna")) == []
    assert refs(search(client, q="Kalindi")) == [alert.reference]
    cancel_alert(alert, actor=user_named("dl.sho"), reason="posted twice")
    assert refs(search(client, q="Kalindi", status="cancelled")) == [alert.reference]


def test_drafts_are_found_by_their_agency_only_until_published(
    post: Any, client_for: Any, user_named: Any
) -> None:
    draft = post("dl.sho", publish=False, title="Draft about Seelampur gang")
    assert refs(search(client_for("dl.sho"), q="Seelampur")) == [draft.reference]
    assert refs(search(client_for("dl.sho2"), q="Seelampur")) == []
    assert refs(search(client_for("analyst"), q="Seelampur")) == []
    publish_alert(draft, actor=user_named("dl.sho"))
    assert refs(search(client_for("analyst"), q="Seelampur")) == [draft.reference]


def test_a_draft_cancelled_before_any_search_is_still_found_by_its_agency(
    post: Any, client_for: Any, user_named: Any
) -> None:
    draft = post("dl.sho", publish=False, title="Draft about Jaitpur theft")
    cancel_alert(draft, actor=user_named("dl.sho"), reason="wrong station")
    assert refs(search(client_for("dl.sho"), q="Jaitpur", status="cancelled")) == [draft.reference]
    assert refs(search(client_for("as.sho"), q="Jaitpur")) == []


def test_openapi_describes_the_search_endpoints() -> None:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for path in [
        "/api/v1/search",
        "/api/v1/vehicles/search",
        "/api/v1/phones/search",
        "/api/v1/persons/search",
    ]:
        assert "get" in paths[path], path
    names = {p["name"] for p in paths["/api/v1/search"]["get"]["parameters"]}
    assert {"q", "category", "state", "district", "from", "to", "sort", "limit", "cursor"} <= names


# --- ranking and highlighting -------------------------------------------------------------------


def test_title_matches_rank_above_narrative_matches(post: Any, client_for: Any) -> None:
    in_body = post("dl.sho", title="Missing boy from Narela", narrative="Last seen with a Bawana contractor.")
    in_title = post("dl.sho", title="Bawana brick kiln raid", narrative="Nine labourers rescued.")
    both = post("dl.sho", title="Bawana contractor absconding", narrative="The Bawana contractor fled.")
    response = search(client_for("dl.sho"), q="bawana")
    assert refs(response)[0] == both.reference
    assert refs(response).index(in_title.reference) < refs(response).index(in_body.reference)
    ranks = [r["rank"] for r in response.json()["results"]]
    assert ranks == sorted(ranks, reverse=True)


def test_every_word_must_match_and_newest_first_is_offered(post: Any, client_for: Any) -> None:
    old = post("dl.sho", title="Mehrauli scooter theft", reported_at=timezone.now() - timedelta(days=3))
    new = post("dl.sho", title="Mehrauli scooter theft again")
    post("dl.sho", title="Mehrauli chain snatching")
    client = client_for("dl.sho")
    assert set(refs(search(client, q="Mehrauli scooter"))) == {old.reference, new.reference}
    assert refs(search(client, q="Mehrauli scooter", sort="newest")) == [new.reference, old.reference]


def test_stemmed_words_and_highlights(post: Any, client_for: Any) -> None:
    post("dl.sho", title="Trafficked girls rescued at <b>Paharganj</b>", narrative="Two girls & a boy.")
    hit = search(client_for("dl.sho"), q="trafficking girl").json()["results"][0]
    assert hit["title_highlighted"] == (
        "<mark>Trafficked</mark> <mark>girls</mark> rescued at &lt;b&gt;Paharganj&lt;/b&gt;"
    )
    assert "<mark>" in hit["snippet"] and "<b>" not in hit["snippet"]
    assert "<mark>" not in hit["snippet_text"]


def test_scripts_and_transliterations_find_each_other(post: Any, client_for: Any) -> None:
    alert = post("dl.sho", title="Missing woman", persons=[{"role": "missing", "name": "राजेश कुमार"}])
    client = client_for("dl.sho")
    for q in ["राजेश", "Rajesh", "rajesh kumar", "राजेश Kumar"]:
        assert refs(search(client, q=q)) == [alert.reference], q


@pytest.mark.parametrize("q", ["DL 3C AB 1234", "dl3cab1234", "DL-03-CAB-1234", "DL03CAB1234"])
def test_a_registration_however_written(post: Any, client_for: Any, q: str) -> None:
    alert = post(
        "dl.sho", title="Stolen car", vehicles=[{"registration": "DL 3C AB 1234", "vehicle_type": "car"}]
    )
    assert refs(search(client_for("dl.sho"), q=q)) == [alert.reference]


@pytest.mark.parametrize("q", ["9876543210", "+91 98765 43210", "098765-43210", "919876543210"])
def test_a_phone_however_written(post: Any, client_for: Any, q: str) -> None:
    alert = post("dl.sho", title="Extortion calls", phones=[{"number": "+91 98765 43210"}])
    assert refs(search(client_for("dl.sho"), q=q)) == [alert.reference]


# --- visibility ---------------------------------------------------------------------------------


def test_outsiders_find_nothing_not_even_a_count(post: Any, client_for: Any) -> None:
    alert = post("dl.sho", title="Chandni Chowk jewellery robbery")
    for who in ["as.sho", "as.nodal", "jh.analyst", "hr.sp"]:
        body = search(client_for(who), q="Chandni jewellery").json()
        assert body == {"count": 0, "capped": False, "next": None, "results": []}, who
    for who in ["dl.sho", "dl.nodal", "dl.analyst", "analyst"]:
        assert refs(search(client_for(who), q="Chandni jewellery")) == [alert.reference], who


# --- filters and paging -------------------------------------------------------------------------


def test_the_alert_list_filters_apply(post: Any, client_for: Any) -> None:
    kid = post("dl.sho", title="Gokulpuri child missing", priority="flash", district=NEW_DELHI)
    car = post(
        "dl.sho",
        category="stolen_vehicle",
        title="Gokulpuri car stolen",
        persons=[],
        vehicles=[{"registration": "DL 8C 1234", "vehicle_type": "car"}],
        reported_at=timezone.now() - timedelta(days=10),
    )
    client = client_for("dl.sho")
    assert refs(search(client, q="Gokulpuri", category="stolen_vehicle")) == [car.reference]
    assert refs(search(client, q="Gokulpuri", priority="flash")) == [kid.reference]
    assert refs(search(client, q="Gokulpuri", district=NEW_DELHI)) == [kid.reference]
    assert set(refs(search(client, q="Gokulpuri", state="DL"))) == {kid.reference, car.reference}
    assert refs(search(client, q="Gokulpuri", state="AS")) == []
    since = (timezone.localdate() - timedelta(days=2)).isoformat()
    assert refs(search(client, q="Gokulpuri", **{"from": since})) == [kid.reference]
    assert refs(search(client, q="Gokulpuri", to=since)) == [car.reference]
    assert refs(search(client, q="Gokulpuri", status="resolved")) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"category": "nope"}, "category"),
        ({"priority": "urgent"}, "priority"),
        ({"state": "XX"}, "state"),
        ({"district": 0}, "district"),
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-05-02", "to": "2026-05-01"}, "to"),
        ({"sort": "oldest"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
    ],
)
def test_bad_filters_are_422_naming_the_field(client_for: Any, params: dict[str, Any], field: str) -> None:
    assert problem_field(search(client_for("dl.sho"), q="girl", **params)) == field


def test_paging_with_a_cursor(post: Any, client_for: Any) -> None:
    made = {post("dl.sho", title=f"Dwarka burglary {n}").reference for n in range(3)}
    client = client_for("dl.sho")
    first = search(client, q="Dwarka", limit=2).json()
    assert first["count"] == 3 and len(first["results"]) == 2 and first["next"]
    second = client.get(first["next"]).json()
    assert second["next"] is None
    assert {r["reference"] for r in first["results"] + second["results"]} == made
    assert problem_field(search(client, q="Dwarka", cursor="bm9wZQ"), 400) == ""
    assert problem_field(search(client, q="Dwarka", cursor="!!"), 400) == ""


def test_the_query_count_does_not_grow_with_the_page(
    post: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    # One rate-limit window throughout: the first search of a new window also deletes old ones (one
    # more query), which made this test fail when a minute ended between its searches.
    from crimac import clock

    with clock.frozen():
        client = client_for("dl.sho")
        post("dl.sho", title="Rohini snatching 0")
        search(client, q="Rohini")  # warm the session and the caches
        # The scope is measured (`Scope.size`); both read the States of the searcher's agency and
        # those below it (`Alert.objects.reach_of`); SQLite ranks in a query of its own
        # (`_ranks`); PostgreSQL sets the search's work_mem in a transaction of its own (`session`).
        from django.db import connection

        with django_assert_max_num_queries(15 if connection.vendor == "sqlite" else 16) as short:
            assert len(refs(search(client, q="Rohini"))) == 1
        for n in range(1, 8):
            post("dl.sho", title=f"Rohini snatching {n}")
        with django_assert_max_num_queries(len(short.captured_queries)) as long:
            assert len(refs(search(client, q="Rohini"))) == 8
        assert len(long.captured_queries) == len(short.captured_queries)


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("", "type what to search for"),
        ("a", "at least 2 characters"),
        ("x" * 10_000, "at most 500 characters"),
        ("and the or", "only common words"),
        ("\x01\x02", "type what to search for"),
        ("**", "no letters or digits"),
        ('"', "at least 2 characters"),
    ],
)
def test_bad_queries_are_422_naming_q(client_for: Any, q: str, message: str) -> None:
    response = search(client_for("dl.sho"), q=q)
    assert problem_field(response) == "q"
    assert message in response.json()["errors"][0]["message"]


def test_missing_q_is_422(client_for: Any) -> None:
    assert problem_field(client_for("dl.sho").get("/api/v1/search")) == "q"


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ('asha"', True),
        ("asha*", True),
        ("-asha", True),
        ("(asha", True),
        ("asha)", True),
        ("{asha}", True),
        ("asha\\", True),
        ("^asha", True),
        ("%_asha%", True),
        ("asha & !kumari | <->", True),
        ("asha AND kumari", True),  # AND is a common word, not an operator
        ("asha\x0bkumari\x1f", True),
        ("😀 asha", True),
        ("NEAR(asha kumari)", False),  # 'near' is a word the alert does not have
        ("title:asha", False),  # 'title' too: no column filters
        ("asha OR rani", False),  # OR is not an operator: both words must match
        ("asha'; DROP TABLE alerts_alert; --", False),
        ("आशा Asha আশা ਆਸ਼ਾ ஆஷா", False),
    ],
)
def test_search_syntax_is_searched_as_text(post: Any, client_for: Any, q: str, found: bool) -> None:
    alert = post("dl.sho", title="Asha Kumari missing", persons=[{"role": "missing", "name": "Asha Kumari"}])
    response = search(client_for("dl.sho"), q=q)
    assert refs(response) == ([alert.reference] if found else [])
    assert refs(search(client_for("dl.sho"), q="asha")) == [alert.reference]  # nothing was harmed


def test_nul_is_refused_before_the_search(client_for: Any) -> None:
    assert client_for("dl.sho").get("/api/v1/search", {"q": "asha\x00"}).status_code == 400


# --- who may search -----------------------------------------------------------------------------


def test_anonymous_is_401() -> None:
    response = Client().get("/api/v1/search", {"q": "asha"})
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


def test_a_bad_api_key_is_401() -> None:
    response = Client().get("/api/v1/search", {"q": "asha"}, HTTP_AUTHORIZATION="Bearer cmk_nope")
    assert response.status_code == 401


def test_an_api_key_searches_what_its_agency_sees(post: Any, api_key_for: Any) -> None:
    alert = post("dl.sho", title="Shahdara arms haul")
    for code, expected in [("DL-HQ", [alert.reference]), ("AS-HQ", [])]:
        response = Client().get(
            "/api/v1/search", {"q": "Shahdara"}, HTTP_AUTHORIZATION=f"Bearer {api_key_for(code)}"
        )
        assert refs(response) == expected, code


def test_an_inactive_user_cannot_search(client_for: Any, user_named: Any) -> None:
    client = client_for("dl.sho")
    user = user_named("dl.sho")
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert search(client, q="asha").status_code == 401


# --- audit and rate limit -----------------------------------------------------------------------


def test_every_search_is_audited_with_what_was_sought(post: Any, client_for: Any) -> None:
    post("dl.sho", title="Janakpuri kidnapping")
    search(client_for("dl.sho"), q="  Janakpuri   kidnapping ", priority="immediate")
    row = AuditEvent.objects.filter(action="search.alerts").latest("id")
    assert row.actor_name == "dl.sho" and row.agency_code.startswith("DL-")
    assert row.detail["q"] == "Janakpuri kidnapping"
    assert row.detail["filters"] == {"priority": ["immediate"]}
    assert row.via == "api" and row.outcome == Outcome.SUCCESS


def test_a_refused_query_is_not_audited_as_a_search(client_for: Any) -> None:
    before = AuditEvent.objects.filter(action="search.alerts").count()
    search(client_for("dl.sho"), q="a")
    assert AuditEvent.objects.filter(action="search.alerts").count() == before


@override_settings(SEARCH_RATE_LIMIT=(2, 60))
def test_the_rate_limit_is_per_user_with_retry_after(client_for: Any) -> None:
    officer = client_for("dl.sho")
    assert search(officer, q="asha").status_code == 200
    assert search(officer, q="asha").status_code == 200
    refused = search(officer, q="asha")
    assert refused.status_code == 429
    assert refused["Content-Type"] == PROBLEM
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "too many searches" in refused.json()["detail"]
    search(officer, q="asha")  # still refused; audited once per window
    denied = AuditEvent.objects.filter(action="search.alerts", outcome=Outcome.DENIED, actor_name="dl.sho")
    assert denied.count() == 1
    assert search(client_for("dl.sho2"), q="asha").status_code == 200  # another user: own window
    assert officer.get("/api/v1/vehicles/search", {"registration": "DL3CAB1234"}).status_code == 429


def test_the_window_resets(user_named: Any) -> None:
    from crimac.search import ratelimit

    user = user_named("dl.sho")
    with override_settings(SEARCH_RATE_LIMIT=(1, 60)):
        assert ratelimit.hit(user, "search", now=6000.0).allowed
        second = ratelimit.hit(user, "search", now=6010.0)
        assert not second.allowed and second.retry_after == 50 and second.first_refusal
        assert not ratelimit.hit(user, "search", now=6011.0).first_refusal
        assert ratelimit.hit(user, "search", now=6060.0).allowed


def test_the_window_follows_the_shared_clock(user_named: Any) -> None:
    from datetime import UTC, datetime

    from crimac import clock
    from crimac.search import ratelimit

    user = user_named("dl.sho")
    with (
        override_settings(SEARCH_RATE_LIMIT=(1, 60)),
        clock.frozen(datetime(2026, 12, 1, 10, 0, 5, tzinfo=UTC)) as at,
    ):
        assert ratelimit.hit(user, "search").allowed
        at.advance(50)
        refused = ratelimit.hit(user, "search")
        assert not refused.allowed and refused.retry_after == 5
        at.advance(5)
        assert ratelimit.hit(user, "search").allowed


def test_the_searchers_stale_drafts_are_found_through_the_agency_and_status_index(user_named: Any) -> None:
    """Every search first indexes the searcher's agency's changed drafts (`refresh_drafts`): that
    look-up reads the agency's drafts only, not every alert it published (SQLite, whose
    statistics know no skew, read a station's 70,000 published alerts: 135 ms a search)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's planner (PostgreSQL's knows that few alerts are drafts)")
    from crimac.search.indexing import stale_drafts

    sql, params = stale_drafts(user_named("dl.sho").agency_id).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "alerts_origin_status" in plan, plan
