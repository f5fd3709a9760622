"""Normalising what officers write, so the same vehicle, phone or document matches itself.

Each function returns the canonical form or raises `Invalid` with a message fit to show beside
the field.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

from crimac.alerts.choices import IdentifierType


class Invalid(ValueError):
    """The value cannot be normalised; the message says what rule it breaks."""


# RTO state codes, including the old ones still on the road (OR, UA, CG/CT, TS/TG, DN/DD).
RTO_STATE_CODES = frozenset(
    [
        "AN",
        "AP",
        "AR",
        "AS",
        "BR",
        "CH",
        "CG",
        "CT",
        "DD",
        "DL",
        "DN",
        "GA",
        "GJ",
        "HP",
        "HR",
        "JH",
        "JK",
        "KA",
        "KL",
        "LA",
        "LD",
        "MH",
        "ML",
        "MN",
        "MP",
        "MZ",
        "NL",
        "OD",
        "OR",
        "PB",
        "PY",
        "RJ",
        "SK",
        "TG",
        "TN",
        "TR",
        "TS",
        "UA",
        "UK",
        "UP",
        "WB",
    ]
)
_SEPARATORS = re.compile(r"[\s\-./]+")
# With series letters the letters mark where the RTO number ends ('DL3CAB1234'). Without them,
# only a separator does: 'DL 3 1234' is RTO 3, number 1234, not RTO 31, number 234.
_WITH_SERIES = re.compile(r"^([A-Z]{2})([0-9]{1,2})([A-Z]{1,3})([0-9]{1,4})$")
_NO_SERIES = re.compile(r"^([A-Z]{2})([0-9]{2,6})$")
_STANDARD = re.compile(r"^([A-Z]{2})([0-9]{2})([A-Z]{0,3})([0-9]{4})$")
_BHARAT = re.compile(r"^([0-9]{2})BH([0-9]{4})([A-Z]{1,2})$")


def ascii_digits(text: str) -> str:
    """Digits of any script (Devanagari, Bengali, ...) as ASCII: '४९०' -> '490'."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in text)


def registration(raw: str) -> str:
    """'DL 3C AB 1234', 'dl3cab1234' and 'DL-03-CAB-1234' are all 'DL03CAB1234'.

    Standard plates: State code, RTO number (padded to two digits), series of up to three
    letters, number (padded to four digits). Bharat-series plates: '22 BH 1234 AA'.
    """
    written = ascii_digits(raw or "").upper().strip(" \t\n-./")
    compact = _SEPARATORS.sub("", written)
    if not compact:
        raise Invalid("registration number is empty")
    if not compact.isascii():
        raise Invalid("write the registration number in Latin letters and digits")
    if match := _BHARAT.match(compact):
        year, number, series = match.groups()
        return f"{year}BH{number}{series}"
    if match := _WITH_SERIES.match(compact):
        state, rto, series, number = match.groups()
    elif _NO_SERIES.match(compact):
        state, digits = compact[:2], compact[2:]
        second_letter = [i for i, ch in enumerate(written) if ch.isalpha()][1]
        first = re.match(r"[0-9]+", written[second_letter + 1 :].lstrip(" \t\n-./"))
        token = first.group() if first else ""
        rto_len = len(token) if 0 < len(token) <= 2 and len(digits) > len(token) else 2
        rto, series, number = digits[:rto_len], "", digits[rto_len:]
        if len(number) > 4:
            raise Invalid("the vehicle number has at most four digits")
    else:
        raise Invalid(
            "not an Indian registration number: expected State code, RTO number, series and number, "
            "e.g. 'DL 3C AB 1234' or '22 BH 1234 AA'"
        )
    if state not in RTO_STATE_CODES:
        raise Invalid(f"'{state}' is not a State/UT registration code")
    if int(rto) == 0 or int(number) == 0:
        raise Invalid("the RTO number and the vehicle number cannot be zero")
    return f"{state}{int(rto):02d}{series}{int(number):04d}"


def registration_display(normalised: str) -> str:
    """'DL03CAB1234' -> 'DL 03 CAB 1234'."""
    if match := _BHARAT.match(normalised):
        year, number, series = match.groups()
        return f"{year} BH {number} {series}"
    if match := _STANDARD.match(normalised):
        return " ".join(part for part in match.groups() if part)
    return normalised


def phone(raw: str, region: str = "IN") -> str:
    """Any way of writing an Indian (or +country) number -> E.164, e.g. '+919876543210'."""
    text = ascii_digits(raw or "").strip()
    if not text:
        raise Invalid("phone number is empty")
    if len(text) > 32:
        raise Invalid("phone number is too long")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise Invalid("not a phone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise Invalid("not a valid phone number (check the digits and the country code)")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def imei(raw: str) -> str:
    digits = re.sub(r"[\s\-/]", "", ascii_digits(raw or ""))
    if not re.fullmatch(r"[0-9]{15}", digits):
        raise Invalid("an IMEI has 15 digits")
    if not _luhn_ok(digits):
        raise Invalid("not a valid IMEI (its check digit is wrong)")
    return digits


def chassis_or_engine(raw: str) -> str:
    text = ascii_digits(raw or "")
    if not text.isascii():
        raise Invalid("write it in Latin letters and digits")
    compact = re.sub(r"[^A-Za-z0-9]", "", text).upper()
    if compact and not 5 <= len(compact) <= 30:
        raise Invalid("must have 5 to 30 letters and digits")
    return compact


def _alnum_upper(raw: str) -> str:
    return re.sub(r"[\s\-./]", "", raw or "").upper()


def identifier(kind: str, raw: str) -> str:
    """The canonical form of an identifier of type `kind`."""
    value = ascii_digits(raw or "").strip()
    if not value:
        raise Invalid("value is empty")
    if kind != IdentifierType.SOCIAL_MEDIA and not value.isascii():
        raise Invalid("write it in Latin letters and digits")
    if kind == IdentifierType.PASSPORT:
        norm = _alnum_upper(value)
        if not re.fullmatch(r"[A-Z0-9]{6,9}", norm):
            raise Invalid(
                "a passport number has 6 to 9 letters and digits (Indian: one letter, seven digits)"
            )
        return norm
    if kind == IdentifierType.AADHAAR_LAST4:
        digits = re.sub(r"[\s\-xX*]", "", value)
        if re.fullmatch(r"[0-9]{12}", digits):
            raise Invalid("give only the last four digits of an Aadhaar number, never the whole number")
        if not re.fullmatch(r"[0-9]{4}", digits):
            raise Invalid("the last four digits of the Aadhaar number")
        return digits
    if kind == IdentifierType.VOTER_ID:
        norm = _alnum_upper(value)
        if not re.fullmatch(r"[A-Z]{3}[0-9]{7}", norm):
            raise Invalid("a voter ID (EPIC) has three letters and seven digits, e.g. ABC1234567")
        return norm
    if kind == IdentifierType.DRIVING_LICENCE:
        norm = _alnum_upper(value)
        if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[0-9A-Z]{7,13}", norm):
            raise Invalid("a driving licence starts with the State code and RTO number, e.g. DL0420110012345")
        return norm
    if kind == IdentifierType.BANK_ACCOUNT:
        digits = re.sub(r"[\s\-]", "", value)
        if not re.fullmatch(r"[0-9]{9,18}", digits):
            raise Invalid("a bank account number has 9 to 18 digits")
        return digits
    if kind == IdentifierType.UPI_ID:
        norm = value.lower().replace(" ", "")
        if not re.fullmatch(r"[a-z0-9.\-_]{2,256}@[a-z][a-z0-9]{1,63}", norm):
            raise Invalid("a UPI ID looks like name@bank")
        return norm
    if kind == IdentifierType.SOCIAL_MEDIA:
        norm = value.strip().lower()
        platform, sep, handle = norm.partition(":")
        if not sep:
            raise Invalid("write the platform and the handle, e.g. instagram:@some.name")
        handle = handle.strip().lstrip("@")
        if not platform.strip() or not re.fullmatch(r"[a-z0-9._\-]{1,100}", handle):
            raise Invalid("write the platform and the handle, e.g. instagram:@some.name")
        return f"{platform.strip()}:{handle}"
    raise Invalid(f"unknown identifier type {kind!r}")
