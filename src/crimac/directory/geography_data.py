"""Hand-written facts about India's States/UTs that the LGD export does not carry.

SHORT_CODES: the two-letter code of each State/UT, keyed by LGD state code. They follow the
vehicle-registration prefixes that officers already write (DL, AS, OD, TS, UK, DD), and they start
every alert reference number and agency code of that State.

LAND_BORDERS: which States/UTs share a land border, written from the political map one State at a
time (so each border is written twice, once from each side; a test checks the two sides agree).
Enclaves count: Puducherry's Yanam lies in Andhra Pradesh and Mahe in Kerala.

FOREIGN_BORDERS: the neighbouring countries each State/UT touches by land.
"""

from __future__ import annotations

SHORT_CODES: dict[int, str] = {
    35: "AN",
    28: "AP",
    12: "AR",
    18: "AS",
    10: "BR",
    4: "CH",
    22: "CG",
    7: "DL",
    30: "GA",
    24: "GJ",
    6: "HR",
    2: "HP",
    1: "JK",
    20: "JH",
    29: "KA",
    32: "KL",
    37: "LA",
    31: "LD",
    23: "MP",
    27: "MH",
    14: "MN",
    17: "ML",
    15: "MZ",
    13: "NL",
    21: "OD",
    34: "PY",
    3: "PB",
    8: "RJ",
    11: "SK",
    33: "TN",
    36: "TS",
    38: "DD",
    16: "TR",
    5: "UK",
    9: "UP",
    19: "WB",
}

LAND_BORDERS: dict[str, set[str]] = {
    "AN": set(),
    "AP": {"TS", "KA", "TN", "OD", "CG", "PY"},
    "AR": {"AS", "NL"},
    "AS": {"AR", "NL", "MN", "MZ", "TR", "ML", "WB"},
    "BR": {"UP", "JH", "WB"},
    "CH": {"PB", "HR"},
    "CG": {"MP", "UP", "JH", "OD", "AP", "TS", "MH"},
    "DD": {"GJ", "MH"},
    "DL": {"HR", "UP"},
    "GA": {"MH", "KA"},
    "GJ": {"RJ", "MP", "MH", "DD"},
    "HR": {"PB", "HP", "UK", "UP", "DL", "RJ", "CH"},
    "HP": {"JK", "LA", "PB", "HR", "UK", "UP"},
    "JK": {"LA", "HP", "PB"},
    "JH": {"BR", "UP", "CG", "OD", "WB"},
    "KA": {"GA", "MH", "TS", "AP", "TN", "KL"},
    "KL": {"KA", "TN", "PY"},
    "LA": {"JK", "HP"},
    "LD": set(),
    "MP": {"RJ", "UP", "CG", "MH", "GJ"},
    "MH": {"GJ", "DD", "MP", "CG", "TS", "KA", "GA"},
    "MN": {"NL", "AS", "MZ"},
    "ML": {"AS"},
    "MZ": {"AS", "MN", "TR"},
    "NL": {"AS", "AR", "MN"},
    "OD": {"WB", "JH", "CG", "AP"},
    "PY": {"TN", "KL", "AP"},
    "PB": {"JK", "HP", "HR", "CH", "RJ"},
    "RJ": {"PB", "HR", "UP", "MP", "GJ"},
    "SK": {"WB"},
    "TN": {"KL", "KA", "AP", "PY"},
    "TS": {"MH", "CG", "AP", "KA"},
    "TR": {"AS", "MZ"},
    "UK": {"HP", "UP", "HR"},
    "UP": {"UK", "HP", "HR", "DL", "RJ", "MP", "CG", "JH", "BR"},
    "WB": {"SK", "AS", "BR", "JH", "OD"},
}

COUNTRIES = ("Pakistan", "China", "Nepal", "Bhutan", "Bangladesh", "Myanmar")

FOREIGN_BORDERS: dict[str, set[str]] = {
    "AR": {"China", "Bhutan", "Myanmar"},
    "AS": {"Bhutan", "Bangladesh"},
    "BR": {"Nepal"},
    "GJ": {"Pakistan"},
    "HP": {"China"},
    "JK": {"Pakistan"},
    "LA": {"China", "Pakistan"},
    "MN": {"Myanmar"},
    "ML": {"Bangladesh"},
    "MZ": {"Myanmar", "Bangladesh"},
    "NL": {"Myanmar"},
    "PB": {"Pakistan"},
    "RJ": {"Pakistan"},
    "SK": {"China", "Nepal", "Bhutan"},
    "TR": {"Bangladesh"},
    "UK": {"China", "Nepal"},
    "UP": {"Nepal"},
    "WB": {"Bangladesh", "Nepal", "Bhutan"},
}

# LGD spells names in capitals and its own way; these are the names officers read.
DISPLAY_NAMES: dict[str, str] = {
    "DL": "Delhi",
    "DD": "Dadra and Nagar Haveli and Daman and Diu",
    "AN": "Andaman and Nicobar Islands",
    "JK": "Jammu and Kashmir",
}


def display_name(lgd_name: str) -> str:
    """'ANDAMAN AND NICOBAR ISLANDS' -> 'Andaman and Nicobar Islands'; 'Y.S.R.' stays 'Y.S.R.'."""
    small = {"and", "of", "the"}
    words = []
    for i, word in enumerate(lgd_name.strip().split()):
        lower = word.lower()
        if i > 0 and lower in small:
            words.append(lower)
        elif "." in word:
            words.append(word.upper())
        else:
            words.append("-".join(part[:1].upper() + part[1:].lower() for part in word.split("-")))
    return " ".join(words)
