"""The demo alert history: uneven participation, realistic subjects, deterministic for a seed.

The history is built once for the module inside a transaction that is rolled back at the end, so
the session's directory stays as it was for the other modules.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from crimac.alerts import normalise
from crimac.alerts.choices import TRAFFICKING_CATEGORIES, AudienceKind, Status
from crimac.alerts.demo import SILENT_STATES, allocate, build_history
from crimac.alerts.models import Alert, Person, Phone, Vehicle

COUNT = 300
SEED = 11
DEVANAGARI = re.compile("[\u0900-\u097f]")
TOP_THREE = {"DL", "AS", "HR"}


@dataclass(frozen=True)
class History:
    made: int
    after_pk: int
    started: Any

    def alerts(self) -> QuerySet[Alert]:
        return Alert.objects.filter(pk__gt=self.after_pk)


@pytest.fixture(scope="module")
def history(django_db_setup: Any, django_db_blocker: Any) -> Iterator[History]:
    with django_db_blocker.unblock(), transaction.atomic():
        after = Alert.objects.aggregate(last=Max("pk"))["last"] or 0
        started = timezone.now()
        made = build_history(COUNT, seed=SEED)
        yield History(made, after, started)
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_makes_the_count_of_published_alerts_over_the_last_year(history: History) -> None:
    alerts = history.alerts()
    assert history.made == COUNT
    assert alerts.count() == COUNT
    assert set(alerts.values_list("status", flat=True)) == {Status.PUBLISHED}
    oldest = history.started - timedelta(days=365)
    times = list(alerts.values_list("reported_at", "occurred_at"))
    assert all(oldest <= reported <= history.started for reported, _ in times)
    assert all(occurred is None or occurred <= reported for reported, occurred in times)
    # Spread over the year, not bunched on one day.
    months = {(reported.year, reported.month) for reported, _ in times}
    assert len(months) >= 10
    assert len(set(alerts.values_list("category", flat=True))) >= 12


def test_silent_states_post_nothing(history: History) -> None:
    alerts = history.alerts()
    assert not alerts.filter(state__code__in=SILENT_STATES).exists()
    assert not alerts.filter(origin_agency__state__code__in=SILENT_STATES).exists()


def test_delhi_assam_and_haryana_post_the_most(history: History) -> None:
    by_state = Counter(history.alerts().values_list("origin_agency__state__code", flat=True))
    assert {code for code, _ in by_state.most_common(3)} == TOP_THREE
    # ... and the others in between: many States post, unevenly.
    assert len(by_state) >= 20
    assert by_state.most_common(1)[0][1] >= 5 * min(by_state.values())


def test_allocation_keeps_the_order_of_the_weights() -> None:
    counts = allocate(10, {"DL": 15, "AS": 12.5, "HR": 10, "UP": 6, "LD": 0.3})
    assert sum(counts.values()) == 10
    assert counts["DL"] >= counts["AS"] >= counts["HR"] >= counts["UP"] >= counts["LD"]


def test_posted_by_station_officers_or_system_accounts(history: History) -> None:
    alerts = history.alerts().select_related("origin_user", "origin_agency")
    kinds = Counter(a.origin_agency.kind for a in alerts)
    assert kinds["police_station"] > COUNT // 2
    assert set(kinds) <= {"police_station", "ahtu", "ats"}
    for alert in alerts:
        assert alert.origin_user.agency_id == alert.origin_agency_id
    humans = {a.origin_user.username for a in alerts if not a.origin_user.is_system}
    assert {"dl.sho", "as.sho", "hr.sho"} <= humans
    assert any(a.origin_user.is_system for a in alerts)


def test_some_persons_have_devanagari_names(history: History) -> None:
    names = [n for n in Person.objects.filter(alert__in=history.alerts()).values_list("name", flat=True) if n]
    devanagari = [n for n in names if DEVANAGARI.search(n)]
    assert devanagari
    assert len(devanagari) < len(names) / 2  # most are written in Latin script


def test_registrations_and_phones_are_normalised(history: History) -> None:
    vehicles = list(Vehicle.objects.filter(alert__in=history.alerts()))
    assert len(vehicles) > 20
    for v in vehicles:
        assert v.registration_normalised == normalise.registration(v.registration), v.registration
        state = v.registration_normalised[:2]
        assert state in normalise.RTO_STATE_CODES or re.fullmatch(
            r"\d{2}BH\d{4}[A-Z]{1,2}", v.registration_normalised
        )
    # Plates are written as officers write them, not all alike.
    assert len({bool(re.search(r"\s", v.registration)) for v in vehicles}) == 2

    phones = list(Phone.objects.filter(alert__in=history.alerts()))
    assert len(phones) > 20
    for p in phones:
        assert re.fullmatch(r"\+91[6-9]\d{9}", p.e164), p.number
        assert p.e164 == normalise.phone(p.number)
        assert not p.imei or p.imei == normalise.imei(p.imei)


def test_sections_fit_the_category(history: History) -> None:
    alerts = history.alerts().prefetch_related("citations__section")
    cited = {a.pk: {c.section.citation for c in a.citations.all()} for a in alerts}
    heinous = {"IPC 302", "IPC 307", "BNS 103(1)", "BNS 109"}
    by_category: dict[str, list[set[str]]] = {}
    for a in alerts:
        by_category.setdefault(a.category, []).append(cited[a.pk])
    assert sum(1 for s in by_category["heinous_crime"] if s & heinous) > len(by_category["heinous_crime"]) / 2
    assert all(s & {"IPC 379", "BNS 303", "IPC 392", "BNS 309"} for s in by_category["stolen_vehicle"])
    missing = by_category["missing_person"]
    assert sum(1 for s in missing if s & {"IPC 363", "BNS 137(2)"}) > len(missing) / 2
    assert all(s <= {"IPC 363", "BNS 137(2)"} for s in missing)
    # Both codes appear: BNS for new cases, IPC for old ones.
    every = set().union(*cited.values())
    assert any(c.startswith("IPC ") for c in every)
    assert any(c.startswith("BNS ") for c in every)


def test_some_trafficking_alerts_are_flagged_for_missing_sections(history: History) -> None:
    trafficking = list(
        history.alerts().filter(category__in=TRAFFICKING_CATEGORIES).prefetch_related("citations__section")
    )
    assert len(trafficking) >= 10
    flagged = [a for a in trafficking if a.missing_trafficking_sections]
    assert 0 < len(flagged) < len(trafficking) / 2
    for a in trafficking:
        has_section = any(c.section.trafficking for c in a.citations.all())
        assert a.missing_trafficking_sections is not has_section
    core = [
        a for a in trafficking if {c.section.citation for c in a.citations.all()} & {"IPC 370", "BNS 143"}
    ]
    assert len(core) > len(trafficking) / 2


def test_audiences_reach_beyond_the_state_where_it_matters(history: History) -> None:
    alerts = history.alerts().prefetch_related("audience")
    terms = {a.pk: {e.kind for e in a.audience.all()} for a in alerts}
    for a in alerts:
        if a.category == "terror_incident":
            assert terms[a.pk] == {AudienceKind.NATIONAL}
    bordering = [
        a
        for a in alerts
        if a.category in {*TRAFFICKING_CATEGORIES, "missing_person"}
        and AudienceKind.BORDERING_STATES in terms[a.pk]
    ]
    assert bordering
    own_state_only = [a for a in alerts if terms[a.pk] == {AudienceKind.STATE}]
    assert len(own_state_only) > COUNT / 3


def test_same_seed_gives_the_same_alerts() -> None:
    def titles(seed: int) -> list[str]:
        after = Alert.objects.aggregate(last=Max("pk"))["last"] or 0
        assert build_history(40, seed=seed) == 40
        return list(Alert.objects.filter(pk__gt=after).order_by("pk").values_list("title", flat=True))

    first = titles(5)
    assert titles(5) == first
    assert titles(6) != first


def test_nothing_for_zero() -> None:
    before = Alert.objects.count()
    assert build_history(0, seed=1) == 0
    assert Alert.objects.count() == before


def test_demo_command_adds_no_alerts_when_the_directory_is_already_loaded() -> None:
    before = Alert.objects.count()
    out = StringIO()
    call_command("demo", "--once", "--alerts", "20", stdout=out)
    assert "demo data already loaded" in out.getvalue()
    assert "demo alerts" not in out.getvalue()
    assert Alert.objects.count() == before
    with pytest.raises(CommandError, match="--alerts"):
        call_command("demo", "--once", "--alerts", "-1", stdout=StringIO())


def test_demo_alerts_count_as_published_when_they_were_reported(history: History) -> None:
    """A history that looks like a system in use: published when reported, not all at load time."""
    pairs = list(history.alerts().values_list("published_at", "reported_at"))
    assert len(pairs) == COUNT
    assert all(published == reported for published, reported in pairs)
