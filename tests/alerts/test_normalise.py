"""Normalising what officers write: registration numbers, phones, IMEIs, chassis/engine numbers
and the other identifiers, so that the same vehicle, phone or document matches itself."""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from crimac.alerts import normalise
from crimac.alerts.choices import IdentifierType
from crimac.alerts.normalise import Invalid

# --- registration numbers -----------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["DL 3C AB 1234", "dl3cab1234", "DL-03-CAB-1234", "DL.3C.AB.1234"])
def test_ways_of_writing_one_delhi_plate_are_one_value(raw: str) -> None:
    assert normalise.registration(raw) == "DL03CAB1234"


@pytest.mark.parametrize(
    "raw",
    ["MH 12 AB 123", "MH12AB0123", "mh-12-ab-0123", "MH/12/AB/123", " MH 12 AB 0123 ", "MH\t12\nAB 123"],
)
def test_rto_and_number_are_padded(raw: str) -> None:
    assert normalise.registration(raw) == "MH12AB0123"


def test_single_digit_rto_and_short_number_are_padded_to_two_and_four_digits() -> None:
    assert normalise.registration("KA 5 M 7") == "KA05M0007"
    assert normalise.registration("KA 05 M 7") == normalise.registration("ka5m0007")


def test_plates_that_differ_stay_different() -> None:
    assert normalise.registration("DL 3C AB 1234") != normalise.registration("DL 3C AB 1235")
    assert normalise.registration("DL 3C AB 1234") != normalise.registration("DL 4C AB 1234")
    assert normalise.registration("DL 3C AB 1234") != normalise.registration("HR 3C AB 1234")


def test_old_state_codes_still_on_the_road_are_accepted() -> None:
    for code in ("OR", "UA", "CG", "CT", "TS", "TG", "DN", "DD"):
        assert normalise.registration(f"{code} 1 A 1") == f"{code}01A0001"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("22 BH 1234 AA", "22BH1234AA"),
        ("22bh1234aa", "22BH1234AA"),
        ("22-BH-1234-AA", "22BH1234AA"),
        ("21 BH 0001 C", "21BH0001C"),
    ],
)
def test_bharat_series(raw: str, expected: str) -> None:
    assert normalise.registration(raw) == expected


def test_bharat_series_needs_a_four_digit_number() -> None:
    with pytest.raises(Invalid, match="not an Indian registration number"):
        normalise.registration("22 BH 123 AA")


def test_unknown_state_code_is_refused_naming_the_code() -> None:
    with pytest.raises(Invalid) as exc:
        normalise.registration("XX12AB1234")
    assert str(exc.value) == "'XX' is not a State/UT registration code"


@pytest.mark.parametrize("raw", ["DL", "DL1", "DL 3C", "D1234", "1234", "DL 3C ABCD 1234", "DL 3C AB 12345"])
def test_malformed_plates_are_refused_with_an_example(raw: str) -> None:
    with pytest.raises(Invalid) as exc:
        normalise.registration(raw)
    message = str(exc.value)
    assert "not an Indian registration number" in message
    assert "DL 3C AB 1234" in message and "22 BH 1234 AA" in message


@pytest.mark.parametrize("raw", ["DL 3C AB 0000", "DL 00 AB 1234", "DL 0 C 1"])
def test_zero_rto_or_number_is_refused(raw: str) -> None:
    with pytest.raises(Invalid, match="cannot be zero"):
        normalise.registration(raw)


@pytest.mark.parametrize("raw", ["", "   ", " - . / ", None])
def test_empty_registration_is_refused(raw: str | None) -> None:
    with pytest.raises(Invalid, match="registration number is empty"):
        normalise.registration(raw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("normalised", "shown"),
    [
        ("DL03CAB1234", "DL 03 CAB 1234"),
        ("MH12AB0123", "MH 12 AB 0123"),
        ("DL031234", "DL 03 1234"),
        ("22BH1234AA", "22 BH 1234 AA"),
        ("not a plate", "not a plate"),
    ],
)
def test_display_form(normalised: str, shown: str) -> None:
    assert normalise.registration_display(normalised) == shown


def test_display_of_what_an_officer_typed() -> None:
    assert normalise.registration_display(normalise.registration("dl.3c.ab.1234")) == "DL 03 CAB 1234"


SEPARATORS = ["", "", "", " ", "-", ".", "/", "  ", " - ", "\t"]
STATES = st.sampled_from(sorted(normalise.RTO_STATE_CODES))
SERIES = st.text(alphabet=string.ascii_uppercase, min_size=0, max_size=3)


@st.composite
def spelt(draw: st.DrawFn, compact: str) -> str:
    """`compact` with separators inserted anywhere and any letter in either case."""
    out = [draw(st.sampled_from(SEPARATORS))]
    for ch in compact:
        out.append(ch.lower() if draw(st.booleans()) else ch)
        out.append(draw(st.sampled_from(SEPARATORS)))
    return "".join(out)


@st.composite
def plates(draw: st.DrawFn, series: st.SearchStrategy[str] = SERIES, pad_rto: bool | None = None) -> tuple:
    """(what an officer might type, the canonical value) for a valid standard plate."""
    state, rto, ser, number = draw(STATES), draw(st.integers(1, 99)), draw(series), draw(st.integers(1, 9999))
    padded_rto = draw(st.booleans()) if pad_rto is None else pad_rto
    rto_text = f"{rto:02d}" if padded_rto else str(rto)
    number_text = f"{number:04d}" if draw(st.booleans()) else str(number)
    parts = [state, rto_text, ser, number_text]
    spelt_parts = [draw(spelt(part)) for part in parts]
    if not ser:
        # Without series letters only a separator shows where the RTO number ends, so it is
        # written whole ('DL 3 1234' is RTO 3; 'DL 31 234' is RTO 31).
        spelt_parts[1] = rto_text
    typed = "".join(p + draw(st.sampled_from([" ", "-", ".", "/"])) for p in spelt_parts)
    return typed, f"{state}{rto:02d}{ser}{number:04d}"


@given(plates(series=st.text(alphabet=string.ascii_uppercase, min_size=1, max_size=3)))
def test_any_spelling_of_a_plate_with_a_series_normalises_to_one_value(plate: tuple[str, str]) -> None:
    typed, canonical = plate
    assert normalise.registration(typed) == canonical
    assert normalise.registration(canonical) == canonical


@given(plates(series=st.just(""), pad_rto=True))
def test_any_spelling_of_a_plate_without_a_series_and_a_padded_rto(plate: tuple[str, str]) -> None:
    typed, canonical = plate
    assert normalise.registration(typed) == canonical


@example(plate=("DL 3 1234", "DL031234"))
@given(plates())
def test_any_spelling_of_any_valid_plate_normalises_to_one_value(plate: tuple[str, str]) -> None:
    typed, canonical = plate
    assert normalise.registration(typed) == canonical


def test_a_plate_without_series_and_a_one_digit_rto_keeps_its_rto() -> None:
    assert normalise.registration("DL 3 1234") == "DL031234"
    assert normalise.registration("DL 3 1234") != normalise.registration("DL 31 234")


@given(plates())
def test_registration_is_idempotent_and_display_round_trips(plate: tuple[str, str]) -> None:
    typed, _ = plate
    once = normalise.registration(typed)
    assert normalise.registration(once) == once
    assert normalise.registration(normalise.registration_display(once)) == once


@given(
    st.integers(0, 99),
    st.integers(1, 9999),
    st.text(alphabet=string.ascii_uppercase, min_size=1, max_size=2),
    st.data(),
)
def test_any_spelling_of_a_bharat_plate(year: int, number: int, series: str, data: st.DataObject) -> None:
    canonical = f"{year:02d}BH{number:04d}{series}"
    typed = data.draw(spelt(canonical))
    assert normalise.registration(typed) == canonical
    assert normalise.registration(canonical) == canonical
    assert normalise.registration(normalise.registration_display(canonical)) == canonical


# --- phones -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "9876543210",
        "09876543210",
        "+91 98765 43210",
        "+91-98765-43210",
        "98765-43210",
        "0091 9876543210",
        "(0) 98765 43210",
        "  +919876543210  ",
    ],
)
def test_ways_of_writing_one_indian_mobile(raw: str) -> None:
    assert normalise.phone(raw) == "+919876543210"


def test_indian_landline_with_std_code() -> None:
    assert normalise.phone("011 2338 6012") == "+911123386012"
    assert normalise.phone("+91 11 2338 6012") == "+911123386012"


@pytest.mark.parametrize(
    ("raw", "e164"), [("+44 20 7946 0958", "+442079460958"), ("+1 (202) 555-0143", "+12025550143")]
)
def test_foreign_number_with_country_code(raw: str, e164: str) -> None:
    assert normalise.phone(raw) == e164


def test_a_different_number_stays_different() -> None:
    assert normalise.phone("98765 43210") != normalise.phone("98765 43211")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("12345", "not a valid phone number"),
        ("abc", "not a phone number"),
        ("98765432101234", "not a valid phone number"),
        ("987654321012345678", "not a phone number"),
        ("9" * 33, "too long"),
        ("+91 98765 43210 " + "0" * 20, "too long"),
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_invalid_phone_numbers_are_refused(raw: str, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        normalise.phone(raw)


@given(
    st.sampled_from(["", "0", "+91", "+91 ", "0091 ", "+91-", "+ 91 "]),
    st.lists(st.sampled_from(["", "", " ", "-"]), min_size=10, max_size=10),
)
def test_any_spacing_of_an_indian_mobile(prefix: str, gaps: list[str]) -> None:
    digits = "9876543210"
    typed = prefix + "".join(d + g for d, g in zip(digits, gaps, strict=True))
    assert normalise.phone(typed) == "+919876543210"


@given(st.text(max_size=40))
def test_phone_raises_only_invalid(text: str) -> None:
    try:
        out = normalise.phone(text)
    except Invalid:
        return
    assert out.startswith("+") and out[1:].isdigit()


# --- IMEI ---------------------------------------------------------------------------------------


def luhn_check_digit(body: str) -> str:
    """The check digit that makes `body` + digit pass the Luhn test (written independently)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def test_luhn_helper_agrees_with_a_known_imei() -> None:
    assert luhn_check_digit("49015420323751") == "8"


@pytest.mark.parametrize(
    "raw", ["490154203237518", "49-015420-323751-8", "49 015420 323751 8", "490154/203237518"]
)
def test_valid_imei(raw: str) -> None:
    assert normalise.imei(raw) == "490154203237518"


@pytest.mark.parametrize("last", "012345679")
def test_imei_with_a_wrong_check_digit_is_refused(last: str) -> None:
    with pytest.raises(Invalid, match="check digit is wrong"):
        normalise.imei("49015420323751" + last)


@pytest.mark.parametrize("raw", ["49015420323751", "4901542032375180", "", "49015420323751X", "abc"])
def test_imei_of_the_wrong_length_or_not_digits_is_refused(raw: str) -> None:
    with pytest.raises(Invalid, match="an IMEI has 15 digits"):
        normalise.imei(raw)


@given(st.text(alphabet=string.digits, min_size=14, max_size=14), st.integers(1, 9))
def test_imei_check_digit(body: str, wrong_by: int) -> None:
    good = luhn_check_digit(body)
    assert normalise.imei(body + good) == body + good
    bad = str((int(good) + wrong_by) % 10)
    with pytest.raises(Invalid):
        normalise.imei(body + bad)


# --- chassis and engine numbers -----------------------------------------------------------------


def test_chassis_or_engine_keeps_letters_and_digits_upper_case() -> None:
    assert normalise.chassis_or_engine("ma3 fjeb1s00-123456") == "MA3FJEB1S00123456"
    assert normalise.chassis_or_engine("ab/123") == "AB123"


def test_chassis_or_engine_may_be_blank() -> None:
    assert normalise.chassis_or_engine("") == ""
    assert normalise.chassis_or_engine(" - ") == ""


@pytest.mark.parametrize("raw", ["AB12", "A-B-1-2", "A" * 31])
def test_chassis_or_engine_of_the_wrong_length_is_refused(raw: str) -> None:
    with pytest.raises(Invalid, match="5 to 30"):
        normalise.chassis_or_engine(raw)


# --- other identifiers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (IdentifierType.PASSPORT, "j 8369854", "J8369854"),
        (IdentifierType.PASSPORT, "J-836-9854", "J8369854"),
        (IdentifierType.PASSPORT, "123456", "123456"),
        (IdentifierType.AADHAAR_LAST4, "1234", "1234"),
        (IdentifierType.AADHAAR_LAST4, "XXXX XXXX 1234", "1234"),
        (IdentifierType.AADHAAR_LAST4, "xxxx-xxxx-0042", "0042"),
        (IdentifierType.AADHAAR_LAST4, "**** **** 9876", "9876"),
        (IdentifierType.VOTER_ID, "ABC1234567", "ABC1234567"),
        (IdentifierType.VOTER_ID, "abc 123 4567", "ABC1234567"),
        (IdentifierType.DRIVING_LICENCE, "DL-0420110012345", "DL0420110012345"),
        (IdentifierType.DRIVING_LICENCE, "mh12 2011 0012345", "MH1220110012345"),
        (IdentifierType.BANK_ACCOUNT, "1234 5678 9012", "123456789012"),
        (IdentifierType.BANK_ACCOUNT, "000123456", "000123456"),
        (IdentifierType.UPI_ID, "Some.Name@OkAxis", "some.name@okaxis"),
        (IdentifierType.UPI_ID, "98765 43210@ybl", "9876543210@ybl"),
        (IdentifierType.SOCIAL_MEDIA, "Instagram:@Some.Name", "instagram:some.name"),
        (IdentifierType.SOCIAL_MEDIA, " Instagram : @Some.Name ", "instagram:some.name"),
        (IdentifierType.SOCIAL_MEDIA, "facebook:some_name-1", "facebook:some_name-1"),
    ],
)
def test_identifiers_are_normalised(kind: str, raw: str, expected: str) -> None:
    assert normalise.identifier(kind, raw) == expected
    assert normalise.identifier(kind, expected) == expected


@pytest.mark.parametrize("raw", ["123456789012", "1234 5678 9012", "1234-5678-9012"])
def test_a_full_aadhaar_number_is_refused(raw: str) -> None:
    with pytest.raises(Invalid) as exc:
        normalise.identifier(IdentifierType.AADHAAR_LAST4, raw)
    message = str(exc.value)
    assert "only the last four digits" in message
    assert "never the whole number" in message


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        (IdentifierType.PASSPORT, "J83", "6 to 9 letters and digits"),
        (IdentifierType.PASSPORT, "J8369854123", "6 to 9 letters and digits"),
        (IdentifierType.PASSPORT, "J836_9854", "6 to 9 letters and digits"),
        (IdentifierType.AADHAAR_LAST4, "123", "last four digits"),
        (IdentifierType.AADHAAR_LAST4, "12345", "last four digits"),
        (IdentifierType.AADHAAR_LAST4, "abcd", "last four digits"),
        (IdentifierType.VOTER_ID, "AB12345678", "three letters and seven digits"),
        (IdentifierType.VOTER_ID, "ABC123456", "three letters and seven digits"),
        (IdentifierType.DRIVING_LICENCE, "DL04", "starts with the State code"),
        (IdentifierType.DRIVING_LICENCE, "0420110012345", "starts with the State code"),
        (IdentifierType.BANK_ACCOUNT, "12345678", "9 to 18 digits"),
        (IdentifierType.BANK_ACCOUNT, "1" * 19, "9 to 18 digits"),
        (IdentifierType.BANK_ACCOUNT, "12345678AB", "9 to 18 digits"),
        (IdentifierType.UPI_ID, "somename", "name@bank"),
        (IdentifierType.UPI_ID, "some@1bank", "name@bank"),
        (IdentifierType.UPI_ID, "a@okaxis", "name@bank"),
        (IdentifierType.SOCIAL_MEDIA, "some.name", "platform and the handle"),
        (IdentifierType.SOCIAL_MEDIA, "instagram:", "platform and the handle"),
        (IdentifierType.SOCIAL_MEDIA, ":some.name", "platform and the handle"),
        (IdentifierType.SOCIAL_MEDIA, "instagram:some name!", "platform and the handle"),
        ("pan", "ABCDE1234F", "unknown identifier type"),
    ],
)
def test_bad_identifiers_are_refused(kind: str, raw: str, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        normalise.identifier(kind, raw)


@pytest.mark.parametrize("kind", list(IdentifierType.values))
@pytest.mark.parametrize("raw", ["", "   ", None])
def test_empty_identifier_is_refused(kind: str, raw: str | None) -> None:
    with pytest.raises(Invalid, match="value is empty"):
        normalise.identifier(kind, raw)  # type: ignore[arg-type]


@given(st.sampled_from(list(IdentifierType.values)), st.text(max_size=60))
def test_identifier_raises_only_invalid_and_is_idempotent(kind: str, text: str) -> None:
    try:
        once = normalise.identifier(kind, text)
    except Invalid:
        return
    assert normalise.identifier(kind, once) == once


# --- digits in other scripts --------------------------------------------------------------------

DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


def test_devanagari_digits_in_a_plate_or_phone_give_the_ascii_value() -> None:
    assert normalise.registration("DL 3C AB 1234".translate(DEVANAGARI)) == "DL03CAB1234"
    assert normalise.phone("98765 43210".translate(DEVANAGARI)) == "+919876543210"


@pytest.mark.parametrize(
    ("normalise_it", "ascii_value"),
    [
        pytest.param(normalise.imei, "490154203237518", id="imei"),
        pytest.param(normalise.registration, "22BH1234AA", id="bharat-plate"),
        pytest.param(lambda v: normalise.identifier("aadhaar_last4", v), "1234", id="aadhaar_last4"),
        pytest.param(lambda v: normalise.identifier("bank_account", v), "123456789012", id="bank_account"),
        pytest.param(lambda v: normalise.identifier("voter_id", v), "ABC1234567", id="voter_id"),
        pytest.param(normalise.chassis_or_engine, "MA3FJEB1S00123456", id="chassis"),
    ],
)
def test_devanagari_digits_are_converted_or_refused(normalise_it: Any, ascii_value: str) -> None:
    typed = ascii_value.translate(DEVANAGARI)
    try:
        out = normalise_it(typed)
    except Invalid:
        return
    assert out == ascii_value
