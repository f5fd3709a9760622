"""A document keeps the States its alert reaches (`AlertDocument.reach`), and a search narrows a
word's matches to the searcher's States in the index (PostgreSQL's GIN, SQLite's FTS5 facets)
before it checks `visible_to`.

Narrowing may only ever drop what the searcher could not read: every reader of an alert must be in
one of its States, through every way of reading it (delivered, originated at or below, a State
analyst's jurisdiction), also when readers are added later (an escalation to a control room of
another State) or an agency moves to another State. `tests.conftest.assert_reach_holds` checks
that rule wherever visibility is tested (`tests/alerts/test_visibility.py`,
`tests/dissemination/test_resolution.py`); here are the cases those do not reach, and the search.
"""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection

from crimac.alerts.actions import create_alert, revise_alert
from crimac.alerts.models import Alert
from crimac.alerts.models.alerts import NO_STATE
from crimac.alerts.schemas import AlertIn, AlertRevise
from crimac.directory.actions import save_agency
from crimac.directory.models import Agency, District, State, User
from crimac.dissemination import escalation
from crimac.dissemination.models import Delivery
from crimac.search.backends import postgres, sqlite
from crimac.search.indexing import reach_words, refresh_reach
from crimac.search.models import AlertDocument
from crimac.search.service import search_alerts
from crimac.search.text import parse_query
from tests.conftest import assert_reach_holds, make_user

pytestmark = pytest.mark.django_db

ON_POSTGRES = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL's backend",
)


@pytest.fixture(autouse=True)
def large_scopes(monkeypatch: pytest.MonkeyPatch) -> None:
    # A handful of alerts is a small scope, checked alert by alert: search them as a large one,
    # through the index, where the reach narrows.
    monkeypatch.setattr(postgres.PostgresBackend, "small", 0)
    monkeypatch.setattr(sqlite.SqliteBackend, "small", 0)


def user(username: str) -> User:
    return User.objects.select_related("agency").get(username=username)


def post(by: str | User, audience: dict[str, Any], title: str, **fields: Any) -> Alert:
    data: dict[str, Any] = {
        "category": "missing_person",
        "title": title,
        "persons": [{"role": "missing", "name": "Asha", "gender": "female", "age_min": 9, "age_max": 11}],
        "audience": audience,
        **fields,
    }
    actor = user(by) if isinstance(by, str) else by
    return create_alert(AlertIn.model_validate(data), actor=actor, publish=True).alert


def found(who: User, words: str) -> set[int]:
    page = search_alerts(who, parse_query(words), limit=100)
    return {r.alert.pk for r in page.results}


def kept(alert: Alert) -> set[str]:
    return set((AlertDocument.objects.get(alert=alert).reach or "").split())


def state(code: str) -> int:
    return int(State.objects.get(code=code).pk)


def unit(code: str, kind: str, parent: str, state_code: str | None = None, **fields: Any) -> Agency:
    agency = Agency(
        code=code,
        name=code.title(),
        kind=kind,
        parent=Agency.objects.get(code=parent),
        state=State.objects.get(code=state_code) if state_code else None,
        **fields,
    )
    return save_agency(agency, actor=None)


# --- what a document keeps ------------------------------------------------------------------------


def test_a_document_keeps_the_states_of_its_incident_origin_and_recipients() -> None:
    alert = post("hr.sho", {"agencies": ["DL-NEWDELHI-PS-002", "JH-HQ"]}, "Rajdhani Express theft")
    assert kept(alert) == {f"zzr{state(c)}" for c in ("HR", "DL", "JH")}
    national = post("dl.sho", {"national": True}, "Counterfeit notes racket")
    states_with_agencies = set(
        Agency.objects.filter(active=True).values_list("state_id", flat=True).distinct()
    )
    assert kept(national) == {f"zzr{s or NO_STATE}" for s in states_with_agencies}
    assert "zzr0" in kept(national)  # the central agencies, which have no State


def test_a_draft_keeps_its_origins_state_only() -> None:
    data = {"category": "missing_person", "title": "Draft about Asha", "audience": {"national": True}}
    draft = create_alert(AlertIn.model_validate(data), actor=user("dl.sho"), publish=False).alert
    search_alerts(user("dl.sho"), parse_query("Asha"))  # a search indexes its agency's drafts
    assert kept(draft) == {f"zzr{state('DL')}"}


def test_a_revision_that_adds_recipients_adds_their_states() -> None:
    alert = post("dl.sho", {"states": ["DL"]}, "Kidnapping near Karol Bagh")
    assert kept(alert) == {f"zzr{state('DL')}"}
    revise_alert(
        alert,
        AlertRevise.model_validate({"audience": {"states": ["DL", "AS"]}, "summary": "Assam too"}),
        actor=user("dl.sho"),
    )
    assert kept(alert) == {f"zzr{state('DL')}", f"zzr{state('AS')}"}
    assert found(user("as.sho"), "Karol Bagh") == {alert.pk}


def test_the_bound_of_a_searcher() -> None:
    assert Alert.objects.reach_of(user("analyst")) is None  # a national analyst reads everything
    assert Alert.objects.reach_of(user("dl.sho")) == {state("DL")}
    assert Alert.objects.reach_of(user("hr.analyst")) == {state("HR")}
    from django.contrib.auth.models import AnonymousUser

    assert Alert.objects.reach_of(AnonymousUser()) == frozenset()  # reads nothing
    # MHA is above every State's ... nothing in the demo: the State HQs have no parent. The central
    # agencies sit under it: their States are none.
    assert Alert.objects.reach_of(make_user("v.nia", "NIA", "officer")) == {NO_STATE}


def test_a_recipient_made_inactive_since_still_counts() -> None:
    alert = post("dl.sho", {"agencies": ["AS-KAMRUPMETRO-PS-001"]}, "Tea garden workers missing")
    station = Agency.objects.get(code="AS-KAMRUPMETRO-PS-001")
    station.active = False
    save_agency(station, actor=None)
    AlertDocument.objects.filter(alert=alert).update(reach=None)
    refresh_reach([alert.pk])  # the directory index holds active agencies only: this one is read
    assert kept(alert) == {f"zzr{state('DL')}", f"zzr{state('AS')}"}


# --- readers the audience does not name -----------------------------------------------------------


def test_a_national_agency_reads_what_its_unit_in_a_state_originated() -> None:
    post_unit = unit("RPF-DL-NDLS", "railway_police", "RPF", "DL")
    poster = make_user("v.rpf.ndls", post_unit.code, "officer")
    alert = post(poster, {"agencies": ["DL-NEWDELHI-PS-001"]}, "Child found at New Delhi station")
    rpf = make_user("v.rpf", "RPF", "officer")
    assert Alert.objects.reach_of(rpf) == {NO_STATE, state("DL")}
    assert_reach_holds(rpf)
    assert found(rpf, "station child") == {alert.pk}


def test_a_subscription_in_another_state_is_found(django_capture_on_commit_callbacks: Any) -> None:
    from crimac.dissemination.subscriptions import create_subscription

    create_subscription(
        actor=user("hr.nodal"),
        kind="include",
        agency="HR-GURUGRAM-DCR",
        category="missing_person",
        state="DL",
    )
    alert = post("dl.sho", {"states": ["DL"]}, "Girl missing from Chandni Chowk")
    room = make_user("v.hr.dcr", "HR-GURUGRAM-DCR", "officer")
    assert f"zzr{state('HR')}" in kept(alert)
    assert_reach_holds(room)
    assert found(room, "Chandni Chowk") == {alert.pk}
    assert found(user("hr.sho"), "Chandni Chowk") == set()  # visible_to still decides


def test_an_escalation_to_a_control_room_of_another_state_is_found() -> None:
    # RPF's post in Delhi climbs to the control room RPF keeps in Haryana (RPF has no State).
    unit("RPF-DL-NDLS", "railway_police", "RPF", "DL")
    unit("RPF-HR-CR", "state_control_room", "RPF", "HR")
    alert = post("jh.sho", {"agencies": ["RPF-DL-NDLS"]}, "Trafficked boys on the Rajdhani", priority="flash")
    room = make_user("v.rpf.hr.cr", "RPF-HR-CR", "officer")
    assert f"zzr{state('HR')}" not in kept(alert)
    assert found(room, "Rajdhani boys") == set()
    due = Delivery.objects.get(alert=alert, agency__code="RPF-DL-NDLS").deadline
    assert escalation.run_due(due) == 1
    assert Delivery.objects.filter(alert=alert, agency__code="RPF-HR-CR").exists()
    assert f"zzr{state('HR')}" in kept(alert)
    assert_reach_holds(room)
    assert found(room, "Rajdhani boys") == {alert.pk}


def test_an_agency_moving_to_another_state_finds_what_it_sent_and_received() -> None:
    # A border check post of Delhi's New Delhi district is handed over to Haryana's Gurugram.
    post_ = unit(
        "DL-NEWDELHI-BCP-9",
        "border_check_post",
        "DL-NEWDELHI-DPO",
        "DL",
        district=District.objects.get(lgd_code=79),
    )
    officer = make_user("v.bcp", post_.code, "officer")
    sent = post(officer, {"agencies": ["DL-NEWDELHI-PS-001"]}, "Truck with minors stopped at Kapashera")
    received = post("dl.sho", {"agencies": [post_.code]}, "Watch for a blue truck near Kapashera")
    assert found(officer, "Kapashera") == {sent.pk, received.pk}
    post_.state = State.objects.get(code="HR")
    post_.district = District.objects.get(lgd_code=62)
    post_.parent = Agency.objects.get(code="HR-GURUGRAM-DPO")
    save_agency(post_, actor=None)
    officer = user("v.bcp")
    assert Alert.objects.reach_of(officer) == {state("HR")}
    for alert in (sent, received):
        assert f"zzr{state('HR')}" in kept(alert)
    assert_reach_holds(officer)
    assert found(officer, "Kapashera") == {sent.pk, received.pk}


# --- the narrowing itself -------------------------------------------------------------------------


def test_the_index_narrows_by_reach_before_it_checks_visibility(monkeypatch: pytest.MonkeyPatch) -> None:
    """Narrowing is real (a document whose reach names none of the searcher's States is not a
    candidate), and a reach not known is a candidate for everyone: in PostgreSQL's tsvector and in
    SQLite's facets column (its update trigger re-indexes the document)."""
    alert = post("hr.sho", {"agencies": ["DL-NEWDELHI-PS-001"]}, "Stolen tractor from Sohna")
    sho = user("dl.sho")
    assert found(sho, "Sohna tractor") == {alert.pk}
    AlertDocument.objects.filter(alert=alert).update(reach=f"zzr{state('AS')}")
    assert found(sho, "Sohna tractor") == set()
    assert found(user("analyst"), "Sohna tractor") == {alert.pk}  # no bound: not narrowed
    AlertDocument.objects.filter(alert=alert).update(reach=None)
    assert found(sho, "Sohna tractor") == {alert.pk}
    if connection.vendor != "postgresql":
        return
    # The same through the count that tests row by row (a word in a large share of documents).
    monkeypatch.setattr(postgres, "SCAN_SHARE", 0.0)
    assert found(sho, "Sohna tractor") == {alert.pk}
    AlertDocument.objects.filter(alert=alert).update(reach=f"zzr{state('AS')}")
    assert found(sho, "Sohna tractor") == set()


# --- the migration --------------------------------------------------------------------------------


def test_the_migration_fills_the_reach_as_publishing_writes_it() -> None:
    alerts = [
        post("hr.sho", {"agencies": ["DL-NEWDELHI-PS-002", "JH-HQ"]}, "Rajdhani Express theft"),
        post("dl.sho", {"national": True}, "Counterfeit notes racket"),
        post("as.sho", {"states": ["AS"], "bordering_states": True}, "Boat seized on the Brahmaputra"),
    ]
    written = {a.pk: kept(a) for a in alerts}
    AlertDocument.objects.update(reach=None)
    migration = importlib.import_module("crimac.search.migrations.0004_document_reach")
    with connection.cursor() as cursor:
        cursor.execute(migration.FILL[connection.vendor])
    assert {a.pk: kept(a) for a in alerts} == written
    # And `refresh_reach` writes the same.
    AlertDocument.objects.update(reach=None)
    assert refresh_reach([a.pk for a in alerts]) == 3
    assert {a.pk: kept(a) for a in alerts} == written
    assert written[alerts[0].pk] == set(
        reach_words(Alert.objects.reach([alerts[0].pk])[alerts[0].pk]).split()
    )


def test_sqlite_migration_5_makes_the_facets_of_existing_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    """Back to the text-only table and forwards again: the documents already there are found by
    their words, and narrowed by their reach (nothing on PostgreSQL)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's FTS5 table")
    alert = post("hr.sho", {"agencies": ["DL-NEWDELHI-PS-001"]}, "Stolen tractor from Sohna")
    migration = importlib.import_module("crimac.search.migrations.0005_sqlite_facets")
    with connection.cursor() as cursor:
        editor = SimpleNamespace(connection=connection, execute=cursor.execute)
        migration.backwards(None, editor)
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'search_alert_fts'")
        assert "facets" not in cursor.fetchone()[0]
        migration.forwards(None, editor)
    assert found(user("dl.sho"), "Sohna tractor") == {alert.pk}
    AlertDocument.objects.filter(alert=alert).update(reach=f"zzr{state('AS')}")
    assert found(user("dl.sho"), "Sohna tractor") == set()


@ON_POSTGRES
def test_postgres_decides_how_to_count_on_the_share_of_the_narrowed_candidates(sql_run: Any) -> None:
    """A word in a sixth of the documents is in a thirtieth of those reaching one State: the count
    reads the GIN index for it, not every row (`SCAN_SHARE`); so the planner is asked about the
    narrowed candidates."""
    from crimac.search.backends import backend
    from crimac.search.service import scope_of

    post("hr.sho", {"agencies": ["DL-NEWDELHI-PS-001"]}, "Stolen tractor from Sohna")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_alertdocument")  # the planner has statistics to share
    query = parse_query("tractor")
    with sql_run() as queries:
        backend().share(query, scope_of(user("dl.sho")), narrowed=True)
        backend().share(query, scope_of(user("analyst")), narrowed=True)
    explained = [q for q in queries if q.startswith("EXPLAIN")]
    assert len(explained) == 2
    assert "to_tsquery('simple'" in explained[0]  # the station officer's: narrowed
    assert "to_tsquery('simple'" not in explained[1]  # the national analyst has no reach
