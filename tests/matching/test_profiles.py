"""Person profiles: what correlation reads of a candidate person, its names parsed at publish.

A profile is a cache of pure functions of the person (`names.parse`, `keys.person_facts`), so the
tests hold it to that: it round-trips exactly, scores exactly as the live facts do, follows the
alert through revision and cancellation, is what correlation reads, and one made by other code is
ignored (and rewritten by the backfill) rather than trusted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management import call_command

from crimac.alerts.models import Alert, Person
from crimac.matching import correlate, namegen, names
from crimac.matching import persons as person_matching
from crimac.matching.keys import PROFILE_VERSION, person_facts, person_label, profile_data, profile_facts
from crimac.matching.models import Match, PersonProfile
from crimac.matching.persons import PersonFacts, score
from tests.matching.test_correlate import missing_girl, publish, rescued_minor, revise

ODD_NAMES = [
    "Laxmi d/o Madhab Haldar",
    "Ramesh Yadav alias Pappu",
    "Mohd. Rafiq s/o Abdul",
    "मोहम्मद रफ़ीक़ उर्फ़ गुड्डू",
    "R. K. Sharma",
    "Smt. Kumari Selvi",
    "செல்வி முருகன்",
    "...",
    "",
]


def _records(count: int) -> list[dict[str, Any]]:
    return [r for _, r in zip(range(count), namegen.generate(count, 5), strict=False)]


def test_a_stored_parse_reads_back_exactly() -> None:
    texts = [r["name"] for r in _records(1500)] + ODD_NAMES
    scripts = {s for t in texts for s in names.scripts_of(t)}
    assert len(scripts) >= 5  # the generated names do change scripts
    for text in texts:
        parsed = names.parse(text)
        assert names.unpack(names.pack(parsed)) == parsed, text


def _facts(rec: dict[str, Any], n: int) -> PersonFacts:
    age = rec.get("age") if isinstance(rec.get("age"), int) else None
    return PersonFacts(
        key=str(n),
        names=(rec["name"], *rec.get("aliases", ())),
        gender=rec.get("gender") or "",
        age_min=age,
        age_max=age,
        state=rec.get("state") or "",
        role="missing",
    )


def test_facts_from_a_profile_score_exactly_as_the_live_facts() -> None:
    recs = _records(400)
    live = [_facts(r, n) for n, r in enumerate(recs)] + [
        PersonFacts(key=f"odd{n}", names=(t,), gender="male") for n, t in enumerate(ODD_NAMES[:-2])
    ]
    stored = [profile_facts(n, 0, profile_data(f, "label")) for n, f in enumerate(live)]
    assert all(s is not None and s.parsed for s in stored)
    pairs = 0
    for i in range(len(live)):
        for j in range(i + 1, min(len(live), i + 25)):
            a, b = stored[i], stored[j]
            assert a is not None and b is not None
            assert score(a, b) == score(live[i], live[j])
            pairs += 1
    assert pairs > 9000


def test_publishing_writes_a_profile_for_each_person_and_revision_and_cancel_follow(
    user_named: Callable[[str], Any], django_capture_on_commit_callbacks: Any
) -> None:
    who = user_named("jh.sho")
    alert = publish(
        who,
        django_capture_on_commit_callbacks,
        persons=[
            {"role": "suspect", "name": "Mohd. Rafiq s/o Abdul", "gender": "male", "age_min": 30},
            {"role": "witness", "name": "सुनीता मुंडा", "aliases": ["Sunita"], "gender": "female"},
        ],
    )
    profiles = {p.position: p.data for p in PersonProfile.objects.filter(alert=alert)}
    persons = {p.position: p for p in Person.objects.filter(alert=alert)}
    assert sorted(profiles) == sorted(persons) and len(profiles) == 2
    for position, data in profiles.items():
        person = persons[position]
        assert data["v"] == PROFILE_VERSION
        assert data["label"] == person_label(person)
        assert data["parsed"] == [names.pack(names.parse(n)) for n in [person.name, *person.aliases]]
        facts = profile_facts(alert.pk, position, data)
        expected = person_facts(person, alert)
        assert facts is not None
        assert facts.names == expected.names and facts.state == expected.state == "JH"
        assert (facts.age_min, facts.seen_on, facts.relative) == (
            expected.age_min,
            expected.seen_on,
            names.relative(person.name),
        )

    alert = revise(
        alert,
        who,
        django_capture_on_commit_callbacks,
        persons=[{"role": "suspect", "name": "Rafiq Mohammed", "gender": "male"}],
    )
    data = PersonProfile.objects.get(alert=alert).data
    assert data["names"] == ["Rafiq Mohammed"]

    from crimac.alerts.actions import cancel_alert

    with django_capture_on_commit_callbacks(execute=True):
        cancel_alert(alert, actor=who, reason="posted in error")
    assert not PersonProfile.objects.filter(alert=alert).exists()


def test_correlation_reads_a_candidates_profile_and_does_not_parse_its_names(
    user_named: Callable[[str], Any], django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    jh = missing_girl(user_named("jh.sho"), django_capture_on_commit_callbacks)
    parsed: list[str] = []
    real = person_matching.parse

    def counting(text: str) -> tuple[names.ParsedName, ...]:
        parsed.append(text)
        return real(text)

    real_relative = person_matching.relative

    def counting_relative(text: str) -> tuple[str, str]:
        parsed.append(text)
        return real_relative(text)

    monkeypatch.setattr(person_matching, "parse", counting)
    monkeypatch.setattr(person_matching, "relative", counting_relative)
    dl = rescued_minor(user_named("dl.sho"), django_capture_on_commit_callbacks)
    match = Match.objects.get()
    assert (match.alert_a_id, match.alert_b_id) == (jh.pk, dl.pk)
    assert "सुनीता मुंडा" in match.label_a
    assert "सुनीता मुंडा" not in parsed  # the candidate came parsed from its profile
    assert "Sunita Munda" in parsed  # the new person's own names are parsed where they are scored


def test_a_profile_from_other_code_is_ignored_and_the_backfill_rewrites_it(
    user_named: Callable[[str], Any], django_capture_on_commit_callbacks: Any
) -> None:
    jh = missing_girl(user_named("jh.sho"), django_capture_on_commit_callbacks)
    other = publish(
        user_named("jh.sho"),
        django_capture_on_commit_callbacks,
        persons=[{"role": "suspect", "name": "Birsa Oraon", "gender": "male"}],
    )
    good = PersonProfile.objects.get(alert=jh).data
    # Made by an older parser, and naming someone else: trusting it would lose the match.
    PersonProfile.objects.filter(alert=jh).update(
        data={**good, "v": "0.older", "names": ["Birsa Oraon"], "parsed": [names.pack(names.parse("Birsa"))]}
    )
    PersonProfile.objects.filter(alert=other).delete()  # published before profiles existed
    assert profile_facts(jh.pk, 0, PersonProfile.objects.get(alert=jh).data) is None

    dl = rescued_minor(user_named("dl.sho"), django_capture_on_commit_callbacks)
    assert Match.objects.filter(alert_a=jh, alert_b=dl).count() == 1

    call_command("matching_backfill", "--profiles")
    assert PersonProfile.objects.get(alert=jh).data == good
    assert PersonProfile.objects.get(alert=other).data["names"] == ["Birsa Oraon"]
    assert PersonProfile.objects.filter(data__v=PROFILE_VERSION).count() == PersonProfile.objects.count() == 3
    # Current profiles are left alone: a second run writes nothing.
    assert correlate.refresh_profiles(list(Alert.objects.values_list("pk", flat=True))) == (0, 0)


def test_the_parser_version_follows_the_parsers_source_and_word_lists() -> None:
    assert len(names.PARSER_VERSION) == 16
    assert PROFILE_VERSION.endswith(names.PARSER_VERSION)
    assert names._parser_version() == names.PARSER_VERSION  # a pure function of the files
