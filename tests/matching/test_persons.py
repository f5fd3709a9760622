"""Person matching: the name plus gender, ages, phones and identifiers; pure functions."""

from __future__ import annotations

import datetime

from crimac.alerts.choices import Gender
from crimac.matching.persons import (
    MATCH_THRESHOLD,
    PersonFacts,
    birth_years,
    blocking_keys,
    gender_of,
    link,
    query_keys,
    score,
)

DAY = datetime.date(2025, 6, 1)


def person(key: str, *names: str, **facts: object) -> PersonFacts:
    facts.setdefault("seen_on", DAY)
    return PersonFacts(key=key, names=names, **facts)  # type: ignore[arg-type]


def test_same_girl_two_states_two_scripts() -> None:
    missing = person("jh", "Sunita Kumari Munda", gender="female", age_min=14, age_max=14, state="JH")
    found = person(
        "dl",
        "सुनीता मुंडा",
        gender="female",
        age_min=15,
        age_max=16,
        state="DL",
        seen_on=datetime.date(2025, 7, 20),
    )
    s = score(missing, found)
    assert s.score >= MATCH_THRESHOLD
    assert not s.exact
    assert any(r.startswith("ages agree") for r in s.reasons)
    assert "transliterated from Devanagari" in s.reasons


def test_age_ranges_overlap_with_allowance() -> None:
    a = person("a", "Ramesh Yadav", gender="male", age_min=40, age_max=40)
    near = person("b", "Ramesh Yadav", gender="male", age_min=45, age_max=45)  # "about 45" by eye
    far = person("c", "Ramesh Yadav", gender="male", age_min=70, age_max=70)
    by_year = person("d", "Ramesh Yadav", gender="male", birth_year_min=1983, birth_year_max=1986)
    assert score(a, near).score >= MATCH_THRESHOLD
    assert any(r.startswith("ages agree") for r in score(a, near).reasons)
    assert score(a, far).score < MATCH_THRESHOLD
    assert any(r.startswith("ages differ by") for r in score(a, far).reasons)
    assert score(a, by_year).score >= MATCH_THRESHOLD
    # a child's age is known more closely than an adult's
    child = person("e", "Pinky Kumari", gender="female", age_min=8, age_max=8)
    older = person("f", "Pinky Kumari", gender="female", age_min=16, age_max=16)
    assert score(child, older).score < score(child, person("g", "Pinky Kumari", age_min=9, age_max=9)).score


def test_birth_years_from_age_and_reference_date() -> None:
    lo, hi, slack = birth_years(
        person("a", "X", age_min=10, age_max=12, seen_on=datetime.date(2020, 1, 1))
    ) or (0, 0, 0)
    assert (lo, hi) == (2007, 2010)
    assert slack == 2
    assert birth_years(person("b", "X")) is None


def test_gender_conflict_is_a_strong_negative() -> None:
    a = person("a", "Gurpreet Sandhu", gender="female", age_min=17, age_max=17)
    b = person("b", "Gurpreet Sandhu", gender="male", age_min=17, age_max=17)
    unknown = person("c", "Gurpreet Sandhu", age_min=17, age_max=17)
    s = score(a, b)
    assert s.score < 0.5
    assert "gender differs (female / male)" in s.reasons
    assert score(a, unknown).score >= MATCH_THRESHOLD


def test_gender_values_of_the_alerts_app_are_accepted() -> None:
    assert gender_of(Gender.MALE) == "male"
    assert gender_of(Gender.FEMALE) == "female"
    assert gender_of(Gender.TRANSGENDER) == "other"
    assert gender_of(Gender.UNKNOWN) == ""
    assert gender_of("F") == "female"
    # transgender against a binary gender: recorded differently, not a conflict
    a = person("a", "Kiran Bala Sharma", gender=Gender.TRANSGENDER)
    b = person("b", "Kiran Bala Sharma", gender=Gender.FEMALE)
    assert score(a, b).score >= MATCH_THRESHOLD


def test_exact_phone_or_identifier_is_a_match_on_its_own() -> None:
    a = person("a", "Pappu", phones=("+919811122233",), gender="male")
    b = person("b", "Ravi Shankar Prasad", phones=("+919811122233",), gender="male")
    s = score(a, b)
    assert s.exact and s.score == 1.0
    assert "same phone +919811122233" in s.reasons
    c = person("c", "Unknown", identifiers=("passport:K1234567",))
    d = person("d", "Mohd Irfan", identifiers=("passport:K1234567", "voter_id:ABC1234567"))
    assert score(c, d).exact
    assert "same identifier passport:K1234567" in score(c, d).reasons
    assert not score(a, person("e", "Pappu", phones=("+919811122234",))).exact
    assert "phone:+919811122233" in blocking_keys(a)
    assert ("a", "b", 1.0) in link([a, b, c, d])
    assert ("c", "d", 1.0) in link([a, b, c, d])


def test_marks_and_state_add_a_little() -> None:
    a = person(
        "a", "Rekha Kumari", gender="female", age_min=15, age_max=15, state="BR", marks="mole on left cheek"
    )
    b = person(
        "b", "Rekha Kumari", gender="female", age_min=15, age_max=15, state="BR", marks="black mole on cheek"
    )
    c = person("c", "Rekha Kumari", gender="female", age_min=15, age_max=15)
    assert score(a, b).score > score(a, c).score
    assert any(r.startswith("identifying marks alike") for r in score(a, b).reasons)


def test_link_finds_variants_and_keeps_strangers_apart() -> None:
    records = [
        person("1", "Mohammad Rafiq Ansari", gender="male", age_min=32, age_max=32),
        person("2", "Md. Rafik Ansari s/o Abdul Karim", gender="male", age_min=35, age_max=35),
        person("3", "मोहम्मद रफ़ीक़ अंसारी", gender="male", age_min=30, age_max=30),
        person("4", "ANSARI RAFIQ", gender="male", age_min=33, age_max=33),
        person("5", "Anita Verma", gender="female", age_min=20, age_max=20),
        person("6", "Rafiq Ansari", gender="female", age_min=60, age_max=60),
    ]
    pairs = {(a, b) for a, b, _ in link(records)}
    assert pairs == {("1", "2"), ("1", "3"), ("1", "4"), ("2", "3"), ("2", "4"), ("3", "4")}


def test_link_is_bounded_by_top_k() -> None:
    same = [person(str(i), "Rajesh Kumar Sharma", gender="male", age_min=30, age_max=30) for i in range(12)]
    links = link(same, top_k=3)
    per_record: dict[str, int] = {}
    for a, b, _ in links:
        per_record[a] = per_record.get(a, 0) + 1
        per_record[b] = per_record.get(b, 0) + 1
    assert len(links) < 12 * 11 // 2
    assert len(links) <= 12 * 3


def test_link_of_nothing() -> None:
    assert link([]) == []
    assert link([person("a", "")]) == []


def test_fathers_names_agree_or_differ() -> None:
    a = person("a", "Rajesh Mahto s/o Gopal Mahto", gender="male", age_min=9, age_max=9)
    b = person("b", "R. Mahto S/O Anand Mahto", gender="male", age_min=8, age_max=8)
    c = person("c", "R. Mahto s/o Gopaal Mahto", gender="male", age_min=8, age_max=8)
    d = person("d", "R. Mahto w/o Anand Mahto", gender="male", age_min=8, age_max=8)
    differ, same, other_kind = score(a, b), score(a, c), score(a, d)
    assert "father's names differ (Gopal / Anand)" in differ.reasons
    assert "same father's name Gopal" in same.reasons
    assert differ.score < other_kind.score < same.score
    assert differ.score < MATCH_THRESHOLD <= same.score


def test_one_typo_in_a_part_still_shares_a_blocking_key() -> None:
    for x, y in (
        ("Vibha Devi", "Vilbha Debi"),
        ("Najma Syed", "Ntajjma Syed"),
        ("Sowmya", "Sovmyaa"),
        ("Ramesh Khuntia", "Khulntia R."),
        ("Gitanjali Smrma", "G. Sharma"),
    ):
        kx, ky = blocking_keys(person("x", x)), blocking_keys(person("y", y))
        assert (query_keys(kx) & ky) or (query_keys(ky) & kx), (x, y)
    # a name of two distinctive parts does not look up single-part keys
    many = query_keys(blocking_keys(person("x", "Sunita Mahto")))
    assert not any(k.startswith(("t:", "s:", "d:")) for k in many)
    lone = query_keys(blocking_keys(person("x", "Sunita Devi")))
    assert any(k.startswith("d:") for k in lone)


def test_cannot_reach_never_rules_out_a_pair_score_would_keep() -> None:
    """The shortcut correlation and person search take before scoring: every pair it rules out
    scores under the threshold. Checked on every pair of the hand-written held-out file (same
    people, namesakes, both genders, ages far apart, shared phones), at both thresholds in use."""
    from itertools import combinations
    from pathlib import Path

    from crimac.matching.evaluate import read_records, to_facts
    from crimac.matching.persons import MATCH_THRESHOLD, cannot_reach
    from crimac.search.persons import MIN_SCORE

    facts = [to_facts(r) for r in read_records(Path(__file__).parent / "data" / "heldout.jsonl")]
    ruled_out = 0
    for a, b in combinations(facts, 2):
        for threshold in (MATCH_THRESHOLD, MIN_SCORE):
            if cannot_reach(a, b, threshold):
                ruled_out += 1
                assert score(a, b).score < threshold, (a.names, b.names, threshold)
    assert ruled_out > 1000  # the shortcut does rule pairs out (genders differ, ages far apart)
