"""Correlation at publish: the Jharkhand missing girl and the Delhi rescued minor end to end,
exact identifiers, pairings, idempotency under revision, the top-k bound, recovery of a missed
correlation, and what each side is shown."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from crimac.alerts.actions import cancel_alert, create_alert, revise_alert
from crimac.alerts.models import Alert
from crimac.alerts.schemas import AlertIn, AlertRevise
from crimac.audit.models import AuditEvent
from crimac.directory.models import Agency
from crimac.dissemination import feed
from crimac.dissemination.models import FeedEvent
from crimac.matching import correlate
from crimac.matching.models import Match, PendingCorrelation, SubjectKey
from crimac.matching.reveal import matches_for

pytestmark = pytest.mark.django_db

JH_STATION = "JH-RANCHI-PS-001"
DL_STATION = "DL-NEWDELHI-PS-001"


def publish(who: Any, capture: Any, **fields: Any) -> Alert:
    """Publish an alert through the alerts action and run what follows commit (correlation)."""
    data: dict[str, Any] = {"category": "general_advisory", "title": "An advisory for units"}
    data.update(fields)
    with capture(execute=True):
        checked = create_alert(AlertIn.model_validate(data), actor=who, publish=True)
    return Alert.objects.select_related("origin_agency").get(pk=checked.alert.pk)


def revise(alert: Alert, who: Any, capture: Any, **fields: Any) -> Alert:
    with capture(execute=True):
        revise_alert(alert, AlertRevise.model_validate({"summary": "update", **fields}), actor=who)
    return Alert.objects.select_related("origin_agency").get(pk=alert.pk)


def missing_girl(jh: Any, capture: Any, **extra: Any) -> Alert:
    """Written in Ranchi, in Devanagari."""
    return publish(
        jh,
        capture,
        category="missing_person",
        title="लापता लड़की, 14 वर्ष, रांची",
        narrative="स्कूल से घर नहीं लौटी।",
        occurred_at=(timezone.now() - timedelta(days=35)).isoformat(),
        persons=[
            {
                "role": "missing",
                "name": "सुनीता मुंडा",
                "gender": "female",
                "age_min": 14,
                "age_max": 15,
                "last_seen_place": "Ratu Road, Ranchi",
            }
        ],
        **extra,
    )


def rescued_minor(dl: Any, capture: Any, **extra: Any) -> Alert:
    """Written in Delhi a month later, in Latin letters."""
    return publish(
        dl,
        capture,
        category="rescued_victim",
        title="Minor girl rescued from placement agency, Shakur Pur",
        narrative="Says she is from Jharkhand; does not know her district.",
        persons=[
            {"role": "rescued", "name": "Sunita Munda", "gender": "female", "age_min": 13, "age_max": 16}
        ],
        **extra,
    )


@pytest.fixture
def pair(user_named: Callable[[str], Any], django_capture_on_commit_callbacks: Any) -> tuple[Alert, Alert]:
    jh = missing_girl(user_named("jh.sho"), django_capture_on_commit_callbacks)
    dl = rescued_minor(user_named("dl.sho"), django_capture_on_commit_callbacks)
    return jh, dl


def match_notices(*alerts: Alert) -> list[FeedEvent]:
    return list(FeedEvent.objects.filter(kind="match", alert__in=alerts).order_by("id"))


def test_the_missing_girl_and_the_rescued_minor_are_matched_and_both_stations_told(
    pair: tuple[Alert, Alert], user_named: Callable[[str], Any]
) -> None:
    jh, dl = pair
    assert jh.origin_agency.code == JH_STATION and dl.origin_agency.code == DL_STATION
    match = Match.objects.get()
    assert (match.alert_a_id, match.alert_b_id) == (jh.pk, dl.pk)
    assert match.kind == "person" and match.status == "new"
    assert match.pairing == "missing_rescued"
    assert match.priority == "flash"
    assert not match.exact and match.score > 0.5
    assert match.reasons
    assert "सुनीता मुंडा" in match.label_a and "Sunita Munda" in match.label_b

    notices = match_notices(jh, dl)
    assert [(n.alert_id, n.audience, n.agency_id) for n in notices] == [
        (jh.pk, "originator", None),
        (dl.pk, "originator", None),
    ]
    by_alert = {n.alert_id: feed.message(n) for n in notices}
    assert by_alert[jh.pk]["related"] == dl.reference and by_alert[jh.pk]["related_origin"] == DL_STATION
    assert by_alert[dl.pk]["related"] == jh.reference and by_alert[dl.pk]["related_origin"] == JH_STATION
    assert all(m["type"] == "match" and m["score"] == match.score for m in by_alert.values())
    assert "FLASH" in by_alert[dl.pk]["message"]
    # What the other side says stays out of the notice: only its reference and origin.
    assert "Sunita" not in by_alert[jh.pk]["message"] and "Shakur" not in by_alert[jh.pk]["message"]
    assert "सुनीता" not in by_alert[dl.pk]["message"]

    # The exact recipient set: each station gets its own notice; nobody else gets either.
    for code, expected in ((JH_STATION, [jh.pk]), (DL_STATION, [dl.pk])):
        got = [e.alert_id for e in feed.events_for(Agency.objects.get(code=code)).filter(kind="match")]
        assert got == expected
    for other in ("HR-HQ", "AS-HQ", "JH-RANCHI-PS-002", "DL-NEWDELHI-PS-002"):
        assert not feed.events_for(Agency.objects.get(code=other)).filter(kind="match").exists()
    audit = AuditEvent.objects.get(action="match.found")
    assert audit.detail["created"] == [match.pk] and audit.object_id == str(dl.pk)


def test_each_side_sees_only_the_other_alerts_reference_and_origin(
    pair: tuple[Alert, Alert], user_named: Callable[[str], Any]
) -> None:
    jh, dl = pair
    dl_sho, jh_sho = user_named("dl.sho"), user_named("jh.sho")
    assert not Alert.objects.visible_to(dl_sho).filter(pk=jh.pk).exists()
    [view] = matches_for(dl, dl_sho)
    assert (
        view.mine.reference == dl.reference
        and view.mine.visible
        and "Sunita Munda" in (view.mine.subject or "")
    )
    assert view.other.as_dict() == {
        "reference": jh.reference,
        "origin": JH_STATION,
        "origin_name": jh.origin_agency.name,
        "visible": False,
        "title": None,
        "category": None,
        "subject": None,
    }
    [view] = matches_for(jh, jh_sho)
    assert view.other.reference == dl.reference and not view.other.visible and view.other.title is None
    # A national analyst sees both alerts whole; another State's officer sees no match at all.
    [view] = matches_for(dl, user_named("analyst"))
    assert view.other.visible and view.other.title == jh.title
    assert not Match.objects.visible_to(user_named("as.sho")).exists()
    assert not Match.objects.visible_to(user_named("dl.sho2")).exists()
    # The supervisors above each station see it.
    assert Match.objects.visible_to(user_named("dl.sp")).count() == 1
    assert Match.objects.visible_to(user_named("jh.nodal")).count() == 1


def test_a_revision_does_not_duplicate_the_match_and_granting_access_reveals_the_alert(
    pair: tuple[Alert, Alert], user_named: Callable[[str], Any], django_capture_on_commit_callbacks: Any
) -> None:
    jh, dl = pair
    jh_sho = user_named("jh.sho")
    revise(jh, jh_sho, django_capture_on_commit_callbacks, narrative="Still missing; family in Ranchi.")
    revise(
        jh,
        jh_sho,
        django_capture_on_commit_callbacks,
        audience={"states": ["JH"], "agencies": [DL_STATION]},
    )
    revise(dl, user_named("dl.sho"), django_capture_on_commit_callbacks, narrative="She now says Ranchi.")
    assert Match.objects.count() == 1
    assert len(match_notices(jh, dl)) == 2
    assert not PendingCorrelation.objects.filter(alert__in=[jh, dl]).exists()
    [view] = matches_for(dl, user_named("dl.sho"))
    assert view.other.visible and view.other.subject and "सुनीता" in view.other.subject
    assert view.other.title == jh.title
    # The other way round, Delhi's alert is still not Jharkhand's to read.
    [view] = matches_for(jh, jh_sho)
    assert not view.other.visible


def test_revising_the_persons_keeps_the_decision(
    pair: tuple[Alert, Alert], user_named: Callable[[str], Any], django_capture_on_commit_callbacks: Any
) -> None:
    from crimac.matching.actions import confirm_match

    _jh, dl = pair
    match = Match.objects.select_related("alert_a__origin_agency", "alert_b__origin_agency").get()
    confirm_match(match, actor=user_named("dl.sho"))
    revise(
        dl,
        user_named("dl.sho"),
        django_capture_on_commit_callbacks,
        persons=[
            {"role": "rescued", "name": "Sunita Munda", "gender": "female", "age_min": 14, "age_max": 15}
        ],
    )
    match = Match.objects.get()
    assert match.status == "confirmed"


@pytest.mark.parametrize(
    ("first", "second", "kind"),
    [
        ({"phones": [{"number": "98765 43210"}]}, {"phones": [{"number": "+91-9876543210"}]}, "phone"),
        ({"phones": [{"imei": "490154203237518"}]}, {"phones": [{"imei": "49015420 3237518"}]}, "phone"),
        (
            {"vehicles": [{"registration": "DL 3C AB 1234"}]},
            {"vehicles": [{"registration": "dl03cab1234"}]},
            "vehicle",
        ),
        (
            {"vehicles": [{"chassis_number": "MA3EWDE1S00123456"}]},
            {"vehicles": [{"chassis_number": "ma3-ewde1s00123456"}]},
            "vehicle",
        ),
        (
            {"identifiers": [{"type": "passport", "value": "K1234567"}]},
            {"identifiers": [{"type": "passport", "value": "k 1234567"}]},
            "identifier",
        ),
    ],
)
def test_an_exact_identifier_is_a_match_on_its_own(
    user_named: Callable[[str], Any],
    django_capture_on_commit_callbacks: Any,
    first: dict[str, Any],
    second: dict[str, Any],
    kind: str,
) -> None:
    a = publish(user_named("hr.sho"), django_capture_on_commit_callbacks, **first)
    b = publish(user_named("as.sho"), django_capture_on_commit_callbacks, **second)
    match = Match.objects.get()
    assert (match.alert_a_id, match.alert_b_id, match.kind) == (a.pk, b.pk, kind)
    assert match.exact and match.score == 1.0
    assert match.reasons and match.reasons[0].startswith("same")
    assert match.pairing == "" and match.priority == "routine"
    assert len(match_notices(a, b)) == 2


def test_the_last_four_digits_of_an_aadhaar_number_are_no_match_on_their_own(
    user_named: Callable[[str], Any], django_capture_on_commit_callbacks: Any
) -> None:
    ident = {"identifiers": [{"type": "aadhaar_last4", "value": "4321"}]}
    publish(user_named("hr.sho"), django_capture_on_commit_callbacks, **ident)
    publish(user_named("as.sho"), django_capture_on_commit_callbacks, **ident)
    assert not Match.objects.exists()


def test_different_people_are_not_matched(
    user_named: Callable[[str], Any], django_capture_on_commit_callbacks: Any
) -> None:
    missing_girl(user_named("jh.sho"), django_capture_on_commit_callbacks)
    publish(
        user_named("dl.sho"),
        django_capture_on_commit_callbacks,
        category="rescued_victim",
        title="Boy rescued from a dhaba",
        persons=[
            {"role": "rescued", "name": "Mohammad Irfan", "gender": "male", "age_min": 11, "age_max": 12}
        ],
    )
    assert not Match.objects.exists()
    assert not FeedEvent.objects.filter(kind="match").exists()


@pytest.mark.parametrize(
    ("category", "role", "pairing"),
    [
        ("unidentified_body", "unidentified", "missing_body"),
        ("unidentified_person", "unidentified", "missing_found"),
        ("rescued_victim", "victim", "missing_rescued"),
        ("human_trafficking", "suspect", ""),
    ],
)
def test_missing_against_found_is_its_own_pairing_at_the_highest_priority(
    user_named: Callable[[str], Any],
    django_capture_on_commit_callbacks: Any,
    category: str,
    role: str,
    pairing: str,
) -> None:
    missing_girl(user_named("jh.sho"), django_capture_on_commit_callbacks)
    publish(
        user_named("hr.sho"),
        django_capture_on_commit_callbacks,
        category=category,
        title="A girl found",
        priority="routine",
        persons=[{"role": role, "name": "Sunita Munda", "gender": "female", "age_min": 14, "age_max": 16}],
    )
    match = Match.objects.get()
    assert match.pairing == pairing
    # Without a pairing: the higher of the two alerts' priorities (the missing girl's, immediate).
    assert match.priority == ("flash" if pairing else "immediate")


def test_a_subject_keeps_at_most_k_matches_however_many_alerts_share_it(
    user_named: Callable[[str], Any], django_capture_on_commit_callbacks: Any
) -> None:
    n = correlate.TOP_K * 3
    for i in range(n):
        publish(
            user_named("hr.sho"),
            django_capture_on_commit_callbacks,
            title=f"Extortion calls {i}",
            phones=[{"number": "9876543210"}],
        )
    matches = list(Match.objects.all())
    held: dict[tuple[int, int], int] = {}
    for m in matches:
        for side in ((m.alert_a_id, m.position_a), (m.alert_b_id, m.position_b)):
            held[side] = held.get(side, 0) + 1
    assert max(held.values()) == correlate.TOP_K
    assert len(matches) <= correlate.TOP_K * n // 2 + correlate.TOP_K
    assert len(matches) >= n - 1  # every alert is linked to some other


def test_a_lost_correlation_stays_queued_and_the_backfill_recovers_it(
    user_named: Callable[[str], Any], django_capture_on_commit_callbacks: Any
) -> None:
    jh = missing_girl(user_named("jh.sho"), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):  # the process dies at commit
        checked = create_alert(
            AlertIn.model_validate(
                {
                    "category": "rescued_victim",
                    "title": "Minor rescued",
                    "persons": [
                        {"role": "rescued", "name": "Sunita Munda", "gender": "female", "age_min": 14}
                    ],
                }
            ),
            actor=user_named("dl.sho"),
            publish=True,
        )
    dl = checked.alert
    assert SubjectKey.objects.filter(alert=dl).exists()
    assert PendingCorrelation.objects.filter(alert=dl).exists()
    assert not Match.objects.exists()
    # The worker leaves alone what was queued a moment ago (its own correlation may be running).
    assert correlate.drain_pending(older_than=timedelta(minutes=1)) == 0
    assert PendingCorrelation.objects.filter(alert=dl).exists()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("matching_backfill")
    assert Match.objects.filter(alert_a=jh, alert_b=dl).count() == 1
    assert not PendingCorrelation.objects.exists()
    assert len(match_notices(jh, dl)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        call_command("matching_backfill", "--all")
    assert Match.objects.count() == 1
    assert len(match_notices(jh, dl)) == 2


def test_a_cancelled_alert_is_no_longer_a_candidate(
    user_named: Callable[[str], Any], django_capture_on_commit_callbacks: Any
) -> None:
    jh = missing_girl(user_named("jh.sho"), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_alert(jh, actor=user_named("jh.sho"), reason="posted twice")
    assert not SubjectKey.objects.filter(alert=jh).exists()
    rescued_minor(user_named("dl.sho"), django_capture_on_commit_callbacks)
    assert not Match.objects.exists()


def _selects_to_correlate(who: Any, capture: Any, title: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with capture(execute=False):
        checked = create_alert(
            AlertIn.model_validate(
                {"category": "general_advisory", "title": title, "phones": [{"number": "9876543210"}]}
            ),
            actor=who,
            publish=True,
        )
    with CaptureQueriesContext(connection) as ctx:
        outcome = correlate.correlate_alert(checked.alert.pk)
    assert outcome is not None and outcome.created
    return sum(
        1
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT") and "advisory" not in q["sql"]
    )


def test_correlation_reads_do_not_grow_with_the_candidates(
    user_named: Callable[[str], Any], django_capture_on_commit_callbacks: Any
) -> None:
    """Candidates are read in a fixed number of queries however many alerts share a key; writes
    grow only with the matches kept (at most TOP_K per subject)."""
    who = user_named("hr.sho")
    publish(who, django_capture_on_commit_callbacks, title="Calls 0", phones=[{"number": "9876543210"}])
    few = _selects_to_correlate(who, django_capture_on_commit_callbacks, "Calls 1")
    for i in range(12):
        publish(
            who,
            django_capture_on_commit_callbacks,
            title=f"More calls {i}",
            phones=[{"number": "9876543210"}],
        )
    many = _selects_to_correlate(who, django_capture_on_commit_callbacks, "Calls 2")
    assert few == many


def test_a_rejected_match_does_not_take_a_place_in_the_top_k(
    user_named: Callable[[str], Any], django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crimac.matching.actions import reject_match

    monkeypatch.setattr(correlate, "TOP_K", 1)
    who = user_named("hr.sho")
    phone = {"phones": [{"number": "9876543210"}]}
    publish(who, django_capture_on_commit_callbacks, title="Calls A", **phone)
    b = publish(who, django_capture_on_commit_callbacks, title="Calls B", **phone)
    first = Match.objects.select_related("alert_a__origin_agency", "alert_b__origin_agency").get()
    reject_match(first, actor=who, note="a shop's number")
    c = publish(who, django_capture_on_commit_callbacks, title="Calls C", **phone)
    assert Match.objects.filter(alert_a=b, alert_b=c, status="new").exists()
    assert Match.objects.filter(pk=first.pk, status="rejected").exists()


def test_a_common_name_scores_only_the_shortlist_and_keeps_the_rare_match(
    user_named: Callable[[str], Any], django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name shared by many reads at most LOADED_PER_SUBJECT candidates and scores at most
    SCORED_PER_SUBJECT: those sharing its rarest keys, so the one Sunita Munda is kept over newer
    Sunita Minzes that share only the initials key, and the work stays bounded."""
    from crimac.matching import persons

    monkeypatch.setattr(correlate, "LOADED_PER_SUBJECT", 4)
    monkeypatch.setattr(correlate, "SCORED_PER_SUBJECT", 3)
    jh, dl = user_named("jh.sho"), user_named("dl.sho")
    girl = {"gender": "female", "age_min": 14, "age_max": 15}

    def missing(name: str, title: str) -> Alert:
        return publish(
            jh,
            django_capture_on_commit_callbacks,
            category="missing_person",
            title=title,
            persons=[{"role": "missing", "name": name, **girl}],
        )

    first = missing("Sunita Munda", "Missing girl, Ranchi")
    for i in range(6):
        missing("Sunita Minz", f"Missing girl {i}, Gumla")
    scored: list[str] = []
    real_score = persons.score

    def counting(a: Any, b: Any) -> Any:
        scored.append(b.key)
        return real_score(a, b)

    monkeypatch.setattr(persons, "score", counting)
    rescued = publish(
        dl,
        django_capture_on_commit_callbacks,
        category="rescued_victim",
        title="Minor girl rescued, Shakur Pur",
        persons=[{"role": "rescued", "name": "Sunita Munda", **girl}],
    )
    assert len(scored) == 3  # of the seven candidates its keys bring
    assert f"{first.pk}:0" in scored
    assert Match.objects.filter(alert_a=first, alert_b=rescued, pairing="missing_rescued").exists()

    # Every candidate, as the benchmark's baseline scores them: the same top match.
    scored.clear()
    alert = correlate._load([rescued.pk])[0]
    every = correlate._candidates(correlate._subjects(alert), alert, every=True)
    assert len(scored) == 7
    ((_, top),) = every.items()
    assert top[0].subject.alert_id == first.pk


def test_candidates_are_ranked_by_families_of_shared_keys_not_their_number() -> None:
    """ "Anurag Kumar" meets every Anurag through the seven one-typo keys of "Anurag" (any family
    name); the Anurag Kumhar who shares the rarer pair keys ranks first, however old."""
    from crimac.matching.keys import Subject

    one_part = [f"p:d:{k}" for k in ("anrag", "anuag", "anura", "anurag", "anurg", "aurag", "nurag")]
    pair = ["p:p:anrk|kmr", "p:x:anu|kum", "p:n:anrkkmr"]
    subject = Subject(999, "person", 0, "Anurag Kumar", lookup={*one_part, "p:t:anrk", "p:s:anu", *pair})
    kumhar = (5, "person", 0)
    others = [(900 + n, "person", 0) for n in range(60)]  # newer Anurags of other families
    by_key = {key: {*others, kumhar} for key in [*one_part, "p:t:anrk", "p:s:anu"]}
    by_key.update({key: {kumhar} for key in pair})
    by_key["p:n:anrkkmr"].add((6, "phone", 0))  # another kind of subject is never a candidate
    ranked = correlate._ranked(subject, by_key)
    assert ranked[0] == kumhar
    assert ranked[1:] == sorted(others, reverse=True)  # then newest first among equals
