"""Turning what a user typed into safe search terms, and highlighted text back into HTML.

Both backends get the same words: the query is cut into tokens here (letters, combining marks and
digits of any script, so 'राजेश' stays one word), common English words are dropped, and only those
tokens reach the database, quoted for FTS5 or through `plainto_tsquery` on PostgreSQL. Nothing the
user typed is ever read as search syntax: `"`, `*`, `NEAR`, `:`, `-`, brackets, AND/OR are just
text (AND/OR/NOT are common words and dropped).
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.html import escape

from crimac.alerts import normalise

# Highlight markers the databases put around matched words. Private-use characters, removed
# from every indexed text, so they can only come from the highlighter.
MARK_START = "\ue000"
MARK_END = "\ue001"

QUERY_MAX_CHARS = 500
MAX_TOKENS = 16
TOKEN_MAX_CHARS = 64

# PostgreSQL's English stop words (what `to_tsvector('english', ...)` drops), so that SQLite, which
# keeps every word, answers the same query the same way.
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can did do does doing don down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself no nor not now of off on once only or other our ours ourselves out over own s
    same she should so some such t than that the their theirs them themselves then there these they
    this those through to too under until up very was we were what when where which while who whom
    why will with you your yours yourself yourselves""".split()  # noqa: SIM905
)


class BadQuery(ValueError):
    """The query cannot be searched; the message says why, fit to show beside the field."""


def _is_word_char(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] in "LMN" or category == "Co"


_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")
# ASCII control characters (category Cc), which `clean_text` turns into spaces.
_ASCII_CONTROLS = str.maketrans(dict.fromkeys([*range(32), 127], " "))


def tokens(text: str) -> list[str]:
    """Words of any script, NFKC-normalised and lower-cased; everything else separates words."""
    text = unicodedata.normalize("NFKC", text or "")
    if text.isascii():  # most of what is indexed: the same words, found by a regex
        return _ASCII_WORD.findall(text.lower())
    out: list[str] = []
    for piece in text.split():  # whitespace separates words in every script
        if piece.isascii():
            out += _ASCII_WORD.findall(piece.lower())
        else:
            out += _tokens_of(piece)
    return out


def _tokens_of(text: str) -> list[str]:
    out: list[str] = []
    current: list[str] = []
    for ch in text:
        if _is_word_char(ch) and ch not in (MARK_START, MARK_END):
            current.append(ch)
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    # A word that is only combining marks (a stray matra) is not a word.
    return [t.lower() for t in out if any(unicodedata.category(c)[0] in "LN" for c in t)]


def clean_text(text: str) -> str:
    """Text fit to index (and to search): NFKC, no control characters, no highlight markers."""
    text = unicodedata.normalize("NFKC", text or "")
    if text.isascii():
        return text.translate(_ASCII_CONTROLS)
    return "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cs") else ch
        for ch in text
        if ch not in (MARK_START, MARK_END)
    )


@dataclass(frozen=True)
class Query:
    """What to search for: every word of `words` (all must match), or any one of `alternatives`
    (the whole query read as a registration number or a phone number, normalised)."""

    text: str
    words: tuple[str, ...]
    alternatives: tuple[str, ...] = field(default=())

    def fts5(self) -> str:
        """An FTS5 MATCH expression built from quoted tokens only (tokens hold no quotes)."""
        parts = []
        if self.words:
            parts.append("(" + " ".join(f'"{w}"' for w in self.words) + ")")
        parts += [f'"{a}"' for a in self.alternatives]
        return " OR ".join(parts)

    def plain(self) -> list[str]:
        """One plain-text string per alternative, for `plainto_tsquery` (ORed together)."""
        out = [" ".join(self.words)] if self.words else []
        return out + list(self.alternatives)


def identifier_forms(text: str) -> list[str]:
    """The query read as a registration or a phone number: its indexed tokens, if it is one."""
    forms: list[str] = []
    with contextlib.suppress(normalise.Invalid, IndexError):
        forms.append(normalise.registration(text).lower())
    with contextlib.suppress(normalise.Invalid):
        forms += phone_tokens(normalise.phone(text))
    return forms


def phone_tokens(e164: str) -> list[str]:
    """'+919876543210' is indexed as '919876543210' and as the national '9876543210'."""
    import phonenumbers

    digits = e164.lstrip("+")
    try:
        national = str(phonenumbers.parse(e164).national_number)
    except phonenumbers.NumberParseException:
        return [digits]
    return [digits, national] if national != digits else [digits]


def parse_query(raw: str) -> Query:
    """The search for `raw`, or BadQuery naming what is wrong with it."""
    text = " ".join(clean_text(raw or "").split())
    if not text:
        raise BadQuery("type what to search for")
    if len(text) > QUERY_MAX_CHARS:
        raise BadQuery(f"at most {QUERY_MAX_CHARS} characters")
    if len(text) < 2:
        raise BadQuery("type at least 2 characters")
    found = [t[:TOKEN_MAX_CHARS] for t in tokens(text)]
    words: list[str] = []
    for word in found:
        if word not in STOP_WORDS and word not in words:
            words.append(word)
    alternatives = tuple(a for a in identifier_forms(text) if a not in words)
    if not words and not alternatives:
        if found:
            raise BadQuery("only common words (and, or, the, ...): add a name, a place or a number")
        raise BadQuery("no letters or digits to search for")
    if len(words) > MAX_TOKENS:
        raise BadQuery(f"at most {MAX_TOKENS} different words")
    if len(words) == 1 and len(words[0]) < 2 and not words[0].isdecimal() and not alternatives:
        raise BadQuery("type at least 2 characters")
    return Query(text=text, words=tuple(words), alternatives=alternatives)


def highlighted(text: str | None) -> str:
    """Database output with markers -> HTML: the text escaped, matched words in <mark>."""
    if not text:
        return ""
    escaped = escape(text)
    return escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


def plain(text: str | None) -> str:
    return (text or "").replace(MARK_START, "").replace(MARK_END, "")
