"""Names across scripts and spellings: pure functions, no database."""

from __future__ import annotations

import pytest

from crimac.matching.names import (
    name_score,
    name_tokens,
    normalise_name,
    parse,
    phonetic_keys,
    relative,
    to_latin,
)


@pytest.mark.parametrize(
    ("text", "latin"),
    [
        # Devanagari, with schwa deletion at the end and inside (कमलेश is Kamlesh)
        ("राजेश कुमार", "rajesh kumar"),
        ("कमलेश", "kamlesh"),
        ("अमरजीत", "amarjit"),
        ("सुनीता", "sunita"),
        # Bengali and Assamese (ৰ is Assamese r); ব is b
        ("সুনীতা দাস", "sunita das"),
        ("কৃষ্ণ", "krishna"),
        ("দীপংকৰ বৰা", "dipankar bara"),
        # Gurmukhi, with tippi and nukta letters
        ("ਗੁਰਪ੍ਰੀਤ ਸਿੰਘ", "gurprit singh"),
        ("ਸ਼੍ਰੀ ਖ਼ਾਨ", "shri khan"),
        # Gujarati
        ("રાજેશ પટેલ", "rajesh patel"),
        # Odia
        ("ସୁଭାଷ ମହାନ୍ତି", "subhash mahanti"),
        # Tamil: voiced between vowels, k at the end
        ("முருகன்", "murugan"),
        ("செல்வி", "selvi"),
        ("கார்த்திக்", "karthik"),
        # Telugu, Kannada, Malayalam keep their final vowels; Malayalam chillu letters
        ("వెంకటేశ్ రెడ్డి", "venkatesh reddi"),
        ("ಶ್ರೀನಿವಾಸ ಗೌಡ", "shrinivasa gauda"),
        ("മുഹമ്മദ് ബഷീർ", "muhammad bashir"),
        ("ലക്ഷ്മി", "lakshmi"),
        # mixed scripts, diacritics, control and zero-width characters
        ("ரமேஷ் मोहन", "ramesh mohan"),
        ("Zoë Müller", "zoe muller"),
        ("Rajesh\x00 Kumar\u200b", "rajesh kumar"),
        ("", ""),
    ],
)
def test_to_latin_each_script(text: str, latin: str) -> None:
    assert to_latin(text) == latin


def test_script_and_latin_spellings_normalise_alike() -> None:
    assert normalise_name("राजेश कुमार") == normalise_name("Rajesh Kumar")
    assert normalise_name("ਗੁਰਪ੍ਰੀਤ ਕੌਰ") == normalise_name("Gurpreet Kaur")
    assert normalise_name("ସୁଭାଷ ମହାନ୍ତି") == normalise_name("Subhash Mohanty")
    assert normalise_name("മുഹമ്മദ് ബഷീർ") == normalise_name("Mohammed Basheer")
    assert normalise_name("लक्ष्मी देवी") == normalise_name("Laxmi Devi")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Mohammad", "Mohammed"),
        ("Mohammad", "Mohd."),
        ("Mohammad", "Md"),
        ("Muhammad", "Mohamed"),
        ("Lakshmi", "Laxmi"),
        ("Chaudhary", "Choudhury"),
        ("Chaudhary", "Chowdhury"),
        ("Sheikh", "Shaikh"),
        ("Bhupinder", "Bupinder"),  # aspirates
        ("Sidhu", "Siddhu"),  # doubled letters
        ("Jaswant", "Jasvant"),  # v/w
        ("Preeti", "Priti"),  # ee/i
        ("Pooja", "Puja"),  # oo/u
        ("Rafiq", "Rafik"),  # q/k
        ("Zakir", "Jakir"),  # z/j
        ("Farooqui", "Pharooqui"),  # ph/f
        ("Surinder", "Surendra"),  # Punjabi -inder, Hindi -endra
        ("Rameshbhai", "Ramesh"),  # Gujarati -bhai
        ("Hansaben", "Hansa"),  # Gujarati -ben
        ("Mohanty", "Mohanti"),  # final y/i
    ],
)
def test_each_fold(a: str, b: str) -> None:
    assert normalise_name(a) == normalise_name(b)
    score, reasons = name_score(f"{a} Rafiq Xyzwal", f"{b} Rafiq Xyzwal")
    assert score == 1.0
    assert any("same after folding" in r for r in reasons)


def test_folds_do_not_merge_different_names() -> None:
    assert normalise_name("Rajesh") != normalise_name("Rakesh")
    assert normalise_name("Sunita") != normalise_name("Anita")
    assert name_score("Rajesh Kumar Sharma", "Rakesh Kumar Sharma")[0] < 0.72
    assert name_score("Rajesh Kumar Sharma", "Rajesh Kumar Verma")[0] < 0.72
    assert name_score("Imran Khan", "Irfan Khan")[0] < 0.72


def test_honorifics_and_relations_are_dropped() -> None:
    assert normalise_name("Smt. Laxmi Devi w/o Ramesh Prasad") == "laksmi devi"
    assert normalise_name("Shri Bhola Nath S/O Late Ram Lal") == "bola nat"
    assert normalise_name("Kumari Sunita D/O. Budhu Oraon") == "sunita"
    assert normalise_name("Sunil Oraon son of Budhu Oraon") == "sunil oraon"
    assert normalise_name("श्रीमती सुनीता देवी पत्नी रमेश") == "sunita devi"
    assert normalise_name("Thiru K. Murugan") == "k murugan"
    assert normalise_name("Kumari") == "kumari"  # nothing else: a common name part stays
    assert normalise_name("Shri Smt.") == ""  # titles alone are no name


def test_aliases_are_names_of_their_own() -> None:
    names = parse("Ramesh Yadav alias Pappu")
    assert [n.folded for n in names] == [("rames", "yadav"), ("papu", "yadav")]
    assert normalise_name("Ramesh Yadav @ Pappu") == "rames yadav"
    score, reasons = name_score("Ramesh Yadav urf Pappu", "Pappu Yadav")
    assert score == 1.0 and "matched through an alias" in reasons
    # a shared nickname alone is not a match
    assert name_score("Kinjal Bhavsar alias Munna", "Geeta Tripathi alias Munna")[0] < 0.72


def test_name_tokens() -> None:
    assert name_tokens("R.K. Sharma") == ["r", "k", "sarma"]
    assert name_tokens("  ") == []


def test_reordered_names_match_with_reason() -> None:
    score, reasons = name_score("Rajesh Sharma", "SHARMA RAJESH")
    assert score >= 0.95
    assert "given and family names reordered" in reasons


def test_initials_match_with_reason() -> None:
    score, reasons = name_score("R. Sharma", "Rajesh Sharma")
    assert 0.72 <= score < 0.8  # a match, but an initial is weaker evidence than the name
    assert "initial R. matches Rajesh" in reasons
    assert name_score("S. Sharma", "Rajesh Sharma")[0] < 0.6
    # an initial and a common name part alone are weak
    assert name_score("J. Singh", "Jagdeep Singh")[0] < 0.6


def test_missing_middle_name() -> None:
    score, reasons = name_score("Rajesh Kumar Sharma", "Rajesh Sharma")
    assert score >= 0.9
    assert "middle name missing: kumar" in reasons
    score, reasons = name_score("Shankar Vitthal Salunkhe", "Shankar Salunkhe")
    assert score >= 0.8
    assert any(r.startswith("middle name missing") for r in reasons)


def test_script_names_score_with_reason() -> None:
    score, reasons = name_score("Mohd Rafiq Ansari", "मोहम्मद रफ़ीक़ अंसारी")
    assert score == 1.0
    assert "same after folding Mohd/Mohammad" in reasons
    assert "transliterated from Devanagari" in reasons
    assert name_score("Murugan", "முருகன்")[0] >= 0.8
    assert name_score("Gurpreet Kaur Sandhu", "ਗੁਰਪ੍ਰੀਤ ਕੌਰ ਸੰਧੂ")[0] == 1.0


def test_typos_still_score_high() -> None:
    assert name_score("Pooja Dwivedi", "Pooja Dwievdi")[0] >= 0.72
    assert name_score("Sangeeta Rani", "Sangeta Rani")[0] >= 0.9


def test_phonetic_keys_survive_folds_reordering_and_initials() -> None:
    full = phonetic_keys("Rajesh Kumar Sharma")
    for other in ("Sharma Rajesh", "R. Sharma", "RAJESH SARMA", "राजेश शर्मा", "Rajesh K. Sharma"):
        assert full & phonetic_keys(other), other
    assert phonetic_keys("Mohd Rafiq") & phonetic_keys("Rafik Mohammed")
    assert phonetic_keys("Chellammal Velu") & phonetic_keys("செல்லம்மாள் வேலு")
    assert not phonetic_keys("Rajesh Sharma") & phonetic_keys("Anita Verma")


def test_bad_input_never_raises() -> None:
    for text in ("", " ", "\x00\x01", "a", '"*NEAR:', "x" * 10_000, "क" * 5000, "🙂 Ravi"):
        to_latin(text)
        normalise_name(text)
        phonetic_keys(text)
        assert 0.0 <= name_score(text, "Ravi Kumar")[0] <= 1.0


def test_family_name_from_the_relative() -> None:
    """A name written "Laxmi d/o Madhab Haldar" is most likely Laxmi Haldar; the relative's name is never
    matched on its own."""
    score, reasons = name_score("Laxmi Haldar", "LAXMI D/O MADHAB HALDAR")
    assert score == 1.0
    assert "family name Haldar taken from the relative's name" in reasons
    assert name_score("Madhab Haldar", "Laxmi d/o Madhab Haldar")[0] < 0.5
    # a name that has its own family name gets no second one
    assert len(parse("Sunil Oraon s/o Budhu Oraon")) == 1


def test_a_trailing_title_is_dropped_however_it_is_spelt() -> None:
    assert normalise_name("Miss Sunaina Kumaree") == normalise_name("Sunaina Kumari") == "sunaina"
    assert normalise_name("Kumari Bishni Kumaari Oraon") == normalise_name("Bishni Oraon")


def test_common_parts_left_over_are_not_different_names() -> None:
    """A Devi or Kumar one writer adds is a part missing, not a different family name."""
    assert name_score("Poonam Devi", "Poonam Dixit")[0] > name_score("Poonam Tiwari", "Poonam Dixit")[0]


def test_relative_of_a_name() -> None:
    assert relative("Laxmi d/o Madhab Haldar") == ("parent", "madab")
    assert relative("Sunita W/O Shri Ram Kumar") == ("spouse", "ram")
    assert relative("Ali son of Akbar") == ("parent", "akbar")
    assert relative("राम पुत्र श्याम") == ("parent", "syam")
    assert relative("Ram c/o Shyam") == ("", "")
    assert relative("Anita Devi") == ("", "")


def test_a_name_is_keyed_by_its_first_eight_parts() -> None:
    """A description pasted as a name must not write thousands of keys at publish."""
    description = (
        "Aarav Bhaskar Chandan Dhruv Eshan Farhan Gagan Harish Indra Jatin Kabir Lalit Mohan Nakul "
        "Omkar Pranav Qasim Rohan Sohan Tarun Uday Vikram"
    )
    first_eight = " ".join(description.split()[:8])
    assert phonetic_keys(description) == phonetic_keys(first_eight)
    assert len(phonetic_keys(first_eight)) < 600
    assert phonetic_keys("Rajesh Kumar Sharma") & phonetic_keys(f"Rajesh Kumar Sharma {description}")
