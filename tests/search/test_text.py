"""Turning what users type into search terms: tokens of every script, bad input named, and no
search syntax ever reaching the database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crimac.search.text import (
    MARK_END,
    MARK_START,
    BadQuery,
    clean_text,
    highlighted,
    parse_query,
    plain,
    tokens,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("राजेश कुमार", ["राजेश", "कुमार"]),  # vowel signs stay inside the word
        ("রাজেশ দাস", ["রাজেশ", "দাস"]),
        ("ਗੁਰਪ੍ਰੀਤ ਸਿੰਘ", ["ਗੁਰਪ੍ਰੀਤ", "ਸਿੰਘ"]),
        ("ராஜேஷ்", ["ராஜேஷ்"]),
        ("Asha-Kumari (14)", ["asha", "kumari", "14"]),
        ("DL-3C-AB-1234", ["dl", "3c", "ab", "1234"]),
        ("\uff21\uff33\uff28\uff21", ["asha"]),  # full-width letters, NFKC
        ("आशा Kumari", ["आशा", "kumari"]),  # mixed scripts
        ("\u0947 alone", ["alone"]),  # a stray vowel sign is not a word
    ],
)
def test_tokens_keep_words_of_every_script(text: str, expected: list[str]) -> None:
    assert tokens(text) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "type what to search for"),
        ("   \t ", "type what to search for"),
        ("a", "at least 2 characters"),
        ("x" * 501, "at most 500 characters"),
        ("x" * 10_000, "at most 500 characters"),
        ("the and of", "only common words"),
        ("AND OR NOT", "only common words"),
        ('"*:-()', "no letters or digits"),
        ("\x01\x02\x7f", "type what to search for"),
        ("a b", "at least 2 characters"),
        (" ".join(f"w{i}" for i in range(17)), "at most 16 different words"),
    ],
)
def test_bad_queries_say_why(raw: str, message: str) -> None:
    with pytest.raises(BadQuery, match=message):
        parse_query(raw)


def test_search_syntax_is_only_text() -> None:
    q = parse_query('"Asha" NEAR(kumari* -rani) OR title:girl AND ( ) ^x')
    assert q.words == ("asha", "near", "kumari", "rani", "title", "girl", "x")
    assert q.fts5() == '("asha" "near" "kumari" "rani" "title" "girl" "x")'
    assert q.plain() == ["asha near kumari rani title girl x"]


def test_control_characters_separate_words() -> None:
    assert parse_query("asha\x00\x07kumari\u200b").words == ("asha", "kumari")


def test_registration_and_phone_become_alternatives() -> None:
    reg = parse_query("dl 3c ab 1234")
    assert reg.alternatives == ("dl03cab1234",)
    assert reg.fts5() == '("dl" "3c" "ab" "1234") OR "dl03cab1234"'
    phone = parse_query("098765 43210")
    assert phone.alternatives == ("919876543210", "9876543210")


def test_one_digit_or_letter_word_with_others_is_fine() -> None:
    assert parse_query("a 14").words == ("14",)
    assert parse_query("R Sharma").words == ("r", "sharma")


def test_highlighting_escapes_everything_but_the_markers() -> None:
    text = f"<script>x</script> {MARK_START}Asha & Co{MARK_END}"
    assert highlighted(text) == "&lt;script&gt;x&lt;/script&gt; <mark>Asha &amp; Co</mark>"
    assert plain(text) == "<script>x</script> Asha & Co"
    assert highlighted("") == ""


def test_indexed_text_cannot_forge_markers() -> None:
    assert MARK_START not in clean_text(f"a{MARK_START}b{MARK_END}")
    assert clean_text("a\x00b\nc") == "a b c"


@given(st.text(max_size=600))
def test_any_text_is_a_query_or_a_named_refusal(raw: str) -> None:
    try:
        q = parse_query(raw)
    except BadQuery as exc:
        assert str(exc)
        return
    expression = q.fts5()
    # Only quoted tokens, with no quote inside any token, joined by spaces, brackets and OR.
    for word in (*q.words, *q.alternatives):
        assert '"' not in word and word
    assert expression.count('"') % 2 == 0
