"""Indian names, compared across scripts and spellings.

Two officers write the same person as "Mohd. Rafiq s/o Abdul", "मोहम्मद रफ़ीक़" and "RAFIQ MOHAMMED".
This module turns each into the same folded tokens (`normalise_name`), gives blocking keys that
survive the usual differences (`phonetic_keys`), and scores two names with the reasons a human can
check (`name_score`). Everything here is a pure function of strings; `persons` adds the other facts.

The pipeline:
1. `to_latin`: each run of an Indic script goes through indic-transliteration to IAST (Tamil through
   a small table of our own: the library renders க as "gh"), then the inherent vowel is deleted where
   Hindi, Bengali, Punjabi, Gujarati and Odia speakers drop it (राजेश is "rajesh", not "rajesha"),
   then IAST becomes plain lower-case ASCII as Indians write it (ś, ṣ become "sh", ā becomes "a").
2. `normalise_name`: aliases split off ("@", alias, urf), relation phrases dropped with the
   relative's name (s/o, d/o, w/o, son of ...), honorifics dropped (data/honorifics.txt), then each
   token folded: known variant groups (data/variants.txt) and character folds (aspirates, doubled
   letters, v/w, ee/i, oo/u, z/j, q/k, x/ks, ph/f, -inder/-endra, Gujarati -bhai/-ben).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jellyfish
from indic_transliteration import sanscript
from rapidfuzz.distance import Levenshtein

DATA = Path(__file__).with_name("data")

# Unicode block -> (sanscript scheme, label, schwa deletion applies)
_BLOCKS: tuple[tuple[int, int, str, str, bool], ...] = (
    (0x0900, 0x097F, sanscript.DEVANAGARI, "Devanagari", True),
    (0x0980, 0x09FF, sanscript.BENGALI, "Bengali-Assamese", True),
    (0x0A00, 0x0A7F, sanscript.GURMUKHI, "Gurmukhi", True),
    (0x0A80, 0x0AFF, sanscript.GUJARATI, "Gujarati", True),
    (0x0B00, 0x0B7F, sanscript.ORIYA, "Odia", True),
    (0x0B80, 0x0BFF, sanscript.TAMIL, "Tamil", False),
    (0x0C00, 0x0C7F, sanscript.TELUGU, "Telugu", False),
    (0x0C80, 0x0CFF, sanscript.KANNADA, "Kannada", False),
    (0x0D00, 0x0D7F, sanscript.MALAYALAM, "Malayalam", False),
)
SCRIPTS = tuple(label for _, _, _, label, _ in _BLOCKS)


def _block(ch: str) -> tuple[int, int, str, str, bool] | None:
    code = ord(ch)
    for block in _BLOCKS:
        if block[0] <= code <= block[1]:
            return block
    return None


def scripts_of(text: str) -> list[str]:
    """The Indic scripts used in `text`, in order of first appearance (for reasons)."""
    seen: list[str] = []
    for ch in text:
        b = _block(ch)
        if b and b[3] not in seen:
            seen.append(b[3])
    return seen


# --- IAST units and schwa deletion -------------------------------------------------------------

_VOWELS = ("ai", "au", "ā", "ī", "ū", "ṛ", "ṝ", "ḹ", "a", "i", "u", "e", "o", "è", "ò", "ē", "ō")
_ASPIRATES = ("kh", "gh", "ch", "jh", "ṭh", "ḍh", "th", "dh", "ph", "bh")
_UNIT_RE = re.compile("|".join(re.escape(u) for u in (*_ASPIRATES, "ai", "au")) + "|.", re.S)
_VOWEL_SET = frozenset(_VOWELS)
_SEMIVOWELS = frozenset({"r", "y", "v", "l"})
_ASCII = {
    "ā": "a",
    "ī": "i",
    "ū": "u",
    "ṛ": "ri",
    "ṝ": "ri",
    "ḹ": "li",
    "è": "e",
    "ò": "o",
    "ē": "e",
    "ō": "o",
    "ṅ": "n",
    "c": "ch",
    "ch": "chh",
    "ñ": "n",
    "ṭ": "t",
    "ṭh": "th",
    "ḍ": "d",
    "ḍh": "dh",
    "ṇ": "n",
    "ś": "sh",
    "ṣ": "sh",
    "ḻ": "l",
    "ḷ": "l",
    "ṟ": "r",
    "ṉ": "n",
    "ḥ": "h",
    "ẏ": "y",
    "ṁ": "m",
    "ġ": "g",
}


def _is_vowel(u: str) -> bool:
    return u in _VOWEL_SET


def _is_cons(u: str) -> bool:
    return u.isalpha() and not _is_vowel(u) and u not in {"ṃ", "ḥ", "ṁ"}


def _delete_schwa(units: list[str]) -> list[str]:
    """Hindi-style schwa deletion on one word (Ohala's rule, right to left): drop a short 'a'
    after a single consonant that follows a vowel, when a consonant-vowel (or a consonant plus
    r/y/v/l and a vowel) follows or the word ends. A final 'a' after a conjunct stays (Krishna)."""
    u = list(units)
    n = len(u)
    if n >= 3 and u[-1] == "a" and _is_cons(u[-2]) and (_is_vowel(u[-3]) or u[-3] in {"ṃ", "ṁ"}):
        u.pop()
    i = len(u) - 2
    while i >= 2:
        if (
            u[i] == "a"
            and _is_cons(u[i - 1])
            and _is_vowel(u[i - 2])
            and i + 1 < len(u)
            and _is_cons(u[i + 1])
        ):
            rest = u[i + 1 :]
            cv = len(rest) >= 2 and _is_vowel(rest[1])
            ccv = len(rest) >= 3 and rest[1] in _SEMIVOWELS and _is_vowel(rest[2]) and rest[0] != rest[1]
            if cv or ccv:
                del u[i]
                i -= 2
                continue
        i -= 1
    return u


def _iast_to_ascii(text: str, schwa: bool, b_for_v: bool = False) -> str:
    text = unicodedata.normalize("NFC", text)
    if b_for_v:
        text = text.replace("v", "b")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    out: list[str] = []
    for word in re.split(r"([^\w]+)", text):
        if not word or not word[0].isalpha():
            out.append(word)
            continue
        units = _UNIT_RE.findall(word)
        if schwa:
            units = _delete_schwa(units)
        parts: list[str] = []
        for k, unit in enumerate(units):
            if unit in {"ṃ", "ṁ"}:
                nxt = units[k + 1] if k + 1 < len(units) else ""
                parts.append("m" if nxt[:1] in {"p", "b", "m"} else "n")
            elif unit == "ḥ" and k == len(units) - 1:
                continue
            else:
                parts.append(_ASCII.get(unit, unit))
        out.append("".join(parts))
    return "".join(out)


# --- Tamil: our own table (sanscript maps Tamil stops to voiced aspirates) -----------------------

_TA_VOWELS = {
    "அ": "a", "ஆ": "a", "இ": "i", "ஈ": "i", "உ": "u", "ஊ": "u", "எ": "e", "ஏ": "e",
    "ஐ": "ai", "ஒ": "o", "ஓ": "o", "ஔ": "au",
}  # fmt: skip
_TA_SIGNS = {
    "ா": "a", "ி": "i", "ீ": "i", "ு": "u", "ூ": "u", "ெ": "e", "ே": "e", "ை": "ai",
    "ொ": "o", "ோ": "o", "ௌ": "au",
}  # fmt: skip
_TA_CONS = {
    "க": "k", "ங": "n", "ச": "s", "ஞ": "n", "ட": "t", "ண": "n", "த": "th", "ந": "n", "ப": "p",
    "ம": "m", "ய": "y", "ர": "r", "ல": "l", "வ": "v", "ழ": "l", "ள": "l", "ற": "r", "ன": "n",
    "ஜ": "j", "ஷ": "sh", "ஸ": "s", "ஹ": "h", "ஶ": "sh",
}  # fmt: skip
_TA_VIRAMA = "்"


def _tamil_to_ascii(text: str) -> str:
    """Tamil script has one letter for k/g, t/d, p/b, ch/s/j; spoken Tamil voices them between
    vowels and after nasals, which is how the names are spelt in Latin (Murugan, Selvi)."""
    out: list[str] = []
    chars = list(text)
    prev_kind = ""  # "v" vowel, "n" nasal consonant, "c" other consonant, "" word start
    prev_letter = ""
    i = 0
    while i < len(chars):
        ch = chars[i]
        if ch in _TA_VOWELS:
            out.append(_TA_VOWELS[ch])
            prev_kind, prev_letter = "v", ch
        elif ch in _TA_CONS:
            base = _TA_CONS[ch]
            doubled = prev_letter == ch and prev_kind in {"c", "n"}
            word_end = not (i + 2 < len(chars) and chars[i + 2].isalpha())
            if ch == "க":
                base = (
                    "k"
                    if prev_kind == "" or doubled or (chars[i + 1 : i + 2] == [_TA_VIRAMA] and word_end)
                    else "g"
                )
            elif ch == "ச":
                base = "ch" if doubled else ("j" if prev_letter == "ஞ" else "s")
            elif ch == "ட":
                base = "t" if prev_kind == "" or doubled else "d"
            elif ch == "ப":
                base = "b" if prev_letter == "ம" else "p"
            elif ch == "ற" and doubled:
                out[-1] = "t"
                base = "r"
            nxt = chars[i + 1] if i + 1 < len(chars) else ""
            if doubled and out and ch not in {"ற"}:
                out[-1] = ""  # the virama-ended first half is written once
                base = base if ch != "த" else "th"
            out.append(base)
            if nxt == _TA_VIRAMA:
                i += 1
                prev_kind = "n" if ch in {"ங", "ஞ", "ண", "ந", "ம", "ன"} else "c"
            elif nxt in _TA_SIGNS:
                out.append(_TA_SIGNS[nxt])
                i += 1
                prev_kind = "v"
            else:
                out.append("a")
                prev_kind = "v"
            prev_letter = ch
        elif ch in _TA_SIGNS or ch == "ஃ":
            pass
        else:
            out.append(ch)
            prev_kind, prev_letter = "", ""
        i += 1
    return "".join(out)


_ML_CHILLU = str.maketrans(
    {"ൺ": "ണ്", "ൻ": "ന്", "ർ": "ര്", "ൽ": "ല്", "ൾ": "ള്", "ൿ": "ക്", "\u200d": None, "\u200c": None}
)


# NFC splits Gurmukhi's nukta letters, and sanscript knows only the precomposed ones.
_PA_NUKTA = {
    "\u0a38\u0a3c": "\u0a36",
    "\u0a16\u0a3c": "\u0a59",
    "\u0a17\u0a3c": "\u0a5a",
    "\u0a1c\u0a3c": "\u0a5b",
    "\u0a2b\u0a3c": "\u0a5e",
    "\u0a32\u0a3c": "\u0a33",
}


@functools.lru_cache(maxsize=65536)
def to_latin(text: str) -> str:
    """Transliterate every listed Indic script in `text` to lower-case ASCII Latin, with schwa
    deletion for the northern scripts. Latin with diacritics loses them; punctuation is kept
    (normalise_name needs "s/o" and "R."); control characters become spaces."""
    text = unicodedata.normalize("NFC", text or "")
    pieces: list[str] = []
    run: list[str] = []
    run_block: tuple[int, int, str, str, bool] | None = None

    def flush() -> None:
        if not run:
            return
        chunk = "".join(run)
        if run_block is None:
            pieces.append(chunk)
        elif run_block[2] == sanscript.TAMIL:
            pieces.append(_tamil_to_ascii(chunk))
        else:
            if run_block[2] == sanscript.MALAYALAM:
                chunk = chunk.translate(_ML_CHILLU)
            elif run_block[2] == sanscript.GURMUKHI:
                for pair, letter in _PA_NUKTA.items():
                    chunk = chunk.replace(pair, letter)
                chunk = chunk.replace("\u0a3c", "")
            iast = sanscript.transliterate(chunk, run_block[2], sanscript.IAST)
            # Bengali-Assamese has one letter (ব) for b and v, said b.
            pieces.append(_iast_to_ascii(iast, run_block[4], run_block[2] == sanscript.BENGALI))
        run.clear()

    for ch in text:
        b = _block(ch)
        # Combining signs belong to the run they follow; spaces end a run (they are kept as is).
        if b is not run_block and not (run_block and b is None and unicodedata.combining(ch)):
            flush()
            run_block = b
        run.append(ch)
    flush()
    latin = unicodedata.normalize("NFKD", "".join(pieces))
    latin = "".join(ch for ch in latin if not unicodedata.combining(ch))
    latin = latin.lower()
    latin = re.sub(r"[^a-z0-9./@'&,\- ]+", " ", latin.encode("ascii", "ignore").decode())
    return re.sub(r"\s+", " ", latin).strip()


# --- word lists ---------------------------------------------------------------------------------


def _words(name: str) -> list[str]:
    words: list[str] = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.extend(line.split())
    return words


def _lines(name: str) -> list[str]:
    out = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip().lower()
        if line:
            out.append(line)
    return out


HONORIFICS = frozenset(w.lower() for w in _words("honorifics.txt"))
TRAILING_TITLES = frozenset({"kumari", "kumri", "kum", "km", "ji", "jee", "sahab", "saheb", "sahib", "late"})
RELATIONS = tuple(sorted(_lines("relations.txt"), key=len, reverse=True))
ALIAS_WORDS = frozenset({"alias", "urf", "urpha", "urph", "aka", "a.k.a", "a.k.a.", "@", "also", "known"})

_RELATION_RE = re.compile(
    r"(?:^|(?<=[\s,]))(?:"
    + "|".join(re.escape(r).replace(r"\ ", r"\s+") for r in RELATIONS)
    + r")(?=[\s.:,-]|$).*$"
)
_ALIAS_RE = re.compile(r"\s*(?:@|\b(?:alias|urf|urpha|urph|a\.?k\.?a\.?|also known as)\b)\s*")


def _fold_chars(t: str) -> str:
    """Character folds of one Latin token; see the module docstring."""
    if len(t) > 6 and t.endswith("bhai"):
        t = t[:-4]
    elif len(t) > 6 and t.endswith("ben") and t[-4] in "aeiou":
        t = t[:-3]
    t = re.sub(r"que$", "k", t).replace("qu", "k")
    t = t.replace("x", "ks").replace("q", "k").replace("z", "j")
    t = re.sub(r"ow(?=[^aeiou]|$)", "o", t)
    t = t.replace("w", "v").replace("ph", "f").replace("ck", "k")
    t = t.replace("chh", "c").replace("ch", "c")
    t = re.sub(r"([kgjtdbsc])h", r"\1", t)
    t = re.sub(r"[ei]nd(?:er|ra|r|ar)$", "indr", t)
    t = t.replace("ee", "i").replace("oo", "u").replace("ou", "o").replace("au", "o")
    t = re.sub(r"(?<=.)(?:y|ey)$", "i", t)
    t = re.sub(r"(.)\1+", r"\1", t)
    t = re.sub(r"n(?=[pb])", "m", t)
    if len(t) > 2 and t.endswith("h") and t[-2] in "aeiou":
        t = t[:-1]
    return t


def _load_groups() -> tuple[dict[str, str], dict[str, str]]:
    raw: dict[str, str] = {}
    folded: dict[str, str] = {}
    for line in _lines("variants.txt"):
        words = line.split()
        canon = _fold_chars(words[0])
        for w in words:
            raw[w] = words[0]
            folded.setdefault(_fold_chars(w), canon)
    return raw, folded


_GROUP_RAW, _GROUP_FOLDED = _load_groups()
_HONORIFICS_FOLDED = frozenset(_fold_chars(h) for h in HONORIFICS if len(h) > 2)
_TRAILING_FOLDED = frozenset(_fold_chars(h) for h in TRAILING_TITLES if len(h) > 2)
_GROUP_CANON = {_fold_chars(w): w for w in {v for v in _GROUP_RAW.values()}}
LEXICON: frozenset[str] = frozenset()  # filled by _load_lexicon() below, from the name lists
WEAK = frozenset(_fold_chars(_GROUP_RAW.get(w, w)) for w in _words("weak.txt"))


@functools.lru_cache(maxsize=262144)
def fold_token(token: str) -> str:
    """One Latin token to its folded form (the canonical spelling of its variant group, folded)."""
    t = token.lower().strip(".'-")
    if t in _GROUP_RAW:
        return _fold_chars(_GROUP_RAW[t])
    f = _fold_chars(t)
    return _GROUP_FOLDED.get(f, f)


@dataclass(frozen=True)
class ParsedName:
    """One name (one alias) after to_latin and dropping: `raw` are the Latin tokens as written,
    `folded` the folded tokens, in the same order."""

    raw: tuple[str, ...]
    folded: tuple[str, ...]
    scripts: tuple[str, ...]
    source: str = ""  # "" the name as written, "alias", or "relative" (family name from s/o ...)


def _relative_family(part: str) -> str:
    """The last name part of the relative in "Laxmi d/o Madhab Haldar" (Haldar), or ""."""
    m = _RELATION_RE.search(part)
    if not m:
        return ""
    words = [w.strip(".'-&,") for w in re.split(r"[\s,/]+", m.group(0))]
    words = [w for w in words[1:] if len(w) > 1 and w.isalpha() and w not in HONORIFICS]
    return words[-1] if len(words) >= 2 else ""


_SPOUSE_WORDS = frozenset({"w/o", "w.o", "h/o", "wife of", "husband of", "patni"})
_PARENT_WORDS = frozenset(RELATIONS) - _SPOUSE_WORDS - {"c/o", "f/o", "m/o", "mother", "mother's name"}


@functools.lru_cache(maxsize=65536)
def relative(text: str) -> tuple[str, str]:
    """("parent" or "spouse", the folded given name of the relative) from "Laxmi d/o Madhab Haldar"
    ("parent", "madab"), or ("", "") when the name names no father or spouse (or only "c/o")."""
    latin = _ALIAS_RE.split(to_latin(text or ""))[0]
    m = _RELATION_RE.search(latin)
    if not m:
        return "", ""
    phrase = m.group(0).strip(" ,")
    kind = ""
    for rel in RELATIONS:  # longest first
        if re.match(re.escape(rel).replace(r"\ ", r"\s+") + r"(?=[\s.:,-]|$)", phrase):
            kind = "spouse" if rel in _SPOUSE_WORDS else ("parent" if rel in _PARENT_WORDS else "")
            phrase = phrase[len(rel) :]
            break
    if not kind:
        return "", ""
    for w in re.split(r"[\s,/]+", phrase):
        w = w.strip(".'-&,:")
        if len(w) > 1 and w.isalpha() and w not in HONORIFICS and w not in {"of", "name"}:
            return kind, fold_token(w)
    return "", ""


def _tokens_of_part(part: str) -> list[str]:
    part = _RELATION_RE.sub("", part)
    part = re.sub(r"(?<=[a-z])\.(?=[a-z])", ". ", part)  # "r.k.sharma" -> "r. k. sharma"
    tokens = [t.strip(".'-&,") for t in re.split(r"[\s,/]+", part)]
    tokens = [t for t in tokens if t and re.fullmatch(r"[a-z]+", t.replace("'", ""))]
    tokens = [t.replace("'", "") for t in tokens]
    # Titles lead ("Selvi Lakshmi", "Sri Ram"); a title word later in a name is a name ("Arumugam
    # Selvi"), except the few that follow names (Kumari, ji, sahab).
    kept: list[str] = []
    for t in tokens:
        title = t in HONORIFICS or _fold_chars(t) in _HONORIFICS_FOLDED
        if title and (not kept or t in TRAILING_TITLES or _fold_chars(t) in _TRAILING_FOLDED):
            continue
        kept.append(t)
    return kept or [t for t in tokens if fold_token(t) in WEAK]


@functools.lru_cache(maxsize=131072)
def parse(text: str) -> tuple[ParsedName, ...]:
    """All names in `text`: the main name first, then its aliases. Never empty tuples inside,
    but the result may be empty for a text with no letters."""
    scripts = tuple(scripts_of(text or ""))
    latin = to_latin(text or "")
    out: list[ParsedName] = []
    extra: list[ParsedName] = []
    for part in _ALIAS_RE.split(latin):
        toks = _tokens_of_part(part.strip())
        source = "alias" if out else ""
        if toks and out and len(toks) == 1 and len(out[0].raw) >= 2 and len(out[0].raw[-1]) > 1:
            # "Ramesh Yadav alias Pappu" is also "Pappu Yadav"; a bare nickname is not a name.
            toks = [*toks, out[0].raw[-1]]
        if toks:
            out.append(ParsedName(tuple(toks), tuple(fold_token(t) for t in toks), scripts, source))
            family = _relative_family(part.strip())
            if family and len(toks) == 1 + sum(1 for t in toks if fold_token(t) in WEAK or len(t) == 1):
                # "Laxmi d/o Madhab Haldar" is most likely Laxmi Haldar: a further name to try.
                toks = [*toks, family]
                extra.append(ParsedName(tuple(toks), tuple(fold_token(t) for t in toks), scripts, "relative"))
    return tuple(out + extra)


def normalise_name(text: str) -> str:
    """The main name of `text` (aliases are separate names: see `parse`) as folded tokens."""
    names = parse(text)
    return " ".join(names[0].folded) if names else ""


def name_tokens(text: str) -> list[str]:
    return normalise_name(text).split()


# --- phonetic keys ------------------------------------------------------------------------------

# Blocking folds voicing and the ch/s/j letter Tamil shares: a key must not miss a Tamil spelling.
_VOICE = str.maketrans({"g": "k", "d": "t", "b": "p", "j": "s", "c": "s", "v": "p", "y": "i", "f": "p"})


@functools.lru_cache(maxsize=262144)
def skeleton(folded: str) -> str:
    """First letter (vowels as 'a') and the consonants of a folded token, 'h' and 'y' dropped."""
    if not folded:
        return ""
    head = "a" if folded[0] in "aeiou" else folded[0]
    tail = re.sub(r"[aeiouhy]", "", folded[1:]).replace("v", "b")
    tail = re.sub(r"(.)\1+", r"\1", tail)
    return head + tail


@functools.lru_cache(maxsize=262144)
def _block_skel(folded: str) -> str:
    s = skeleton(folded).translate(_VOICE)
    s = s.replace("sr", "s").replace("ks", "s")
    return re.sub(r"(.)\1+", r"\1", s)[:5]


KEY_MAX_PARTS = 8  # person search refuses a name of more words (`search.persons.NAME_MAX_WORDS`)


def phonetic_keys(text: str) -> set[str]:
    """Blocking keys of a name: every unordered pair of its tokens (phonetic skeletons with voicing
    folded, and 3-letter prefixes), initial-plus-skeleton pairs, and each token's skeleton. Two
    spellings of one name share at least one key through reordering, a missing middle name, an
    initial or one typo. Keys for very common tokens make big blocks; `persons.link` caps them."""
    keys: set[str] = set()
    for name in parse(text):
        # Pairs grow with the square of the parts: a description pasted as a name (22 words) made
        # 2,847 keys, every one written at publish. A name's first KEY_MAX_PARTS parts key it.
        toks = [t for t in name.folded if t][:KEY_MAX_PARTS]
        strong = [t for t in toks if len(t) > 1]
        for t in strong:
            keys.add("t:" + _block_skel(t))
            keys.add("s:" + t[:3])
        for x, y in itertools.combinations(strong, 2):
            a, b = sorted((_block_skel(x), _block_skel(y)))
            keys.add(f"p:{a}|{b}")
            a, b = sorted((x[:3], y[:3]))
            keys.add(f"x:{a}|{b}")
        for x, y in itertools.permutations(toks, 2):
            if len(y) > 1 and y not in WEAK:
                keys.add(f"i:{x[0]}|{_block_skel(y)}")
        if len(strong) > 1:
            keys.add("n:" + "".join(sorted(_block_skel(t) for t in strong)))
        # One typo in one part: a part and its one-letter deletions, alone ("d:", looked up by
        # names of one distinctive part) and beside the skeleton of another part ("e:").
        distinct = [t for t in strong if t not in WEAK]
        for t in distinct:
            keys.update("d:" + d for d in _deletions(t))
        for x, y in itertools.permutations(distinct, 2):
            keys.update(f"e:{d}|{_block_skel(y)}" for d in _deletions(x))
    return keys


@functools.lru_cache(maxsize=262144)
def _deletions(t: str) -> frozenset[str]:
    """A folded part and every form of it with one letter deleted: two parts one edit apart
    (a letter dropped, added, replaced or two swapped) share one of these."""
    if len(t) < 4:
        return frozenset({t})
    return frozenset({t} | {t[:i] + t[i + 1 :] for i in range(len(t))})


# --- scoring ------------------------------------------------------------------------------------

TOKEN_MATCH = 0.72  # below this two tokens are different names
SINGLE_NAME_FACTOR = 0.85  # two names with one distinctive part each say less about who it is
MISSING_PART = 0.55  # share of a name part's weight lost when the other name lacks it
MISSING_MIDDLE = 0.25  # the same for a middle name
INITIAL_WEIGHT = 1.0  # an initial earns 0.6 x 0.85 but costs this in the denominator
ALIAS_PAIR_FACTOR = 0.8


def _weight(t: str) -> float:
    if len(t) == 1:
        return 0.6
    return 0.35 if t in WEAK else 1.0


@functools.lru_cache(maxsize=524288)
def token_similarity(x: str, y: str) -> tuple[float, str]:
    """Similarity of two folded tokens and what made it ("initial", "fold", "sound", "spelling")."""
    if x == y:
        return (0.9 if len(x) == 1 else 1.0), "same"
    if len(x) == 1 or len(y) == 1:
        return (0.85, "initial") if x[0] == y[0] else (0.0, "")
    known = x in LEXICON and y in LEXICON
    # Kamla/Kamala are one name; Swati/Sweta are two names that sound alike.
    close = Levenshtein.normalized_similarity(x, y) >= (0.75 if known else 0.6)
    if skeleton(x) == skeleton(y) and len(skeleton(x)) >= 3 and close:
        return 0.9, "sound"
    if known:
        # Two different names we know (Rajesh, Rakesh): one letter apart is not a typo.
        return 0.0, "different"
    jw = jellyfish.jaro_winkler_similarity(x, y)
    lev = Levenshtein.normalized_similarity(x, y)
    s = 0.5 * jw + 0.5 * lev
    if Levenshtein.distance(x, y) <= 1 and min(len(x), len(y)) >= 4:
        s = max(s, 0.85)
    if _block_skel(x) == _block_skel(y):
        s = max(s, 0.8)
    return s, "spelling"


def _assign(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[float, list[tuple[int, int, float, str]]]:
    """The best one-to-one pairing of tokens (brute force: names have few tokens)."""
    sims = [[token_similarity(x, y) for y in b] for x in a]
    swap = len(a) > len(b)
    n_small, n_large = (len(b), len(a)) if swap else (len(a), len(b))
    best_total = -1.0
    best: list[tuple[int, int, float, str]] = []
    for perm in itertools.permutations(range(n_large), n_small):
        total = 0.0
        pairs = []
        for i_small, j_large in enumerate(perm):
            i, j = (j_large, i_small) if swap else (i_small, j_large)
            s, why = sims[i][j]
            if s >= TOKEN_MATCH:
                w = max(_weight(a[i]), _weight(b[j])) if len(a[i]) > 1 and len(b[j]) > 1 else 0.6
                total += w * s + 1e-6 * (n_large - abs(i - j))
                pairs.append((i, j, s, why))
        if total > best_total:
            best_total, best = total, pairs
    return best_total, best


def _merge_variants(toks: tuple[str, ...], others: tuple[str, ...]) -> list[tuple[tuple[str, ...], str]]:
    """The tokens as written, and with an adjacent pair joined where the other name has the joined
    word ("raj kumar" / "rajkumar")."""
    out = [(toks, "")]
    for i in range(len(toks) - 1):
        joined = fold_token(toks[i] + toks[i + 1])
        if len(toks[i]) > 1 and len(toks[i + 1]) > 1 and joined in others:
            out.append(((*toks[:i], joined, *toks[i + 2 :]), f"{toks[i]} {toks[i + 1]} written as one word"))
    return out


def _score_parsed(pa: ParsedName, pb: ParsedName) -> tuple[float, list[str]]:
    best: tuple[float, list[str]] = (0.0, [])
    fa, fb = pa.folded[:6], pb.folded[:6]
    va = _merge_variants(fa, fb) if len(fa) > len(fb) else [(fa, "")]
    vb = _merge_variants(fb, fa) if len(fb) > len(fa) else [(fb, "")]
    for ta, why_a in va:
        for tb, why_b in vb:
            s, reasons = _score_tokens(ta, tb, pa, pb)
            if why_a or why_b:
                s -= 0.02
                reasons = [*reasons, why_a or why_b]
            if s > best[0]:
                best = (s, reasons)
    return best


def _score_tokens(
    ta: tuple[str, ...], tb: tuple[str, ...], pa: ParsedName, pb: ParsedName
) -> tuple[float, list[str]]:
    _, pairs = _assign(ta, tb)
    reasons: list[str] = []
    matched_a = {i for i, _, _, _ in pairs}
    matched_b = {j for _, j, _, _ in pairs}
    num = den = 0.0
    strong_matched = 0
    for i, j, s, why in pairs:
        x, y = ta[i], tb[j]
        w = max(_weight(x), _weight(y)) if len(x) > 1 and len(y) > 1 else 0.6
        num += w * s
        den += w if w != 0.6 else INITIAL_WEIGHT  # an initial earns little and costs a whole part
        if len(x) > 1 and len(y) > 1 and (x not in WEAK or y not in WEAK):
            strong_matched += 1
        rx = pa.raw[i] if i < len(pa.raw) and len(ta) == len(pa.folded) else x
        ry = pb.raw[j] if j < len(pb.raw) and len(tb) == len(pb.folded) else y
        if why == "initial":
            init, full = (rx, ry) if len(x) == 1 else (ry, rx)
            reasons.append(f"initial {init.upper()}. matches {full.capitalize()}")
        elif why == "same" and rx != ry:
            reasons.append(f"same after folding {rx.capitalize()}/{ry.capitalize()}")
        elif why == "sound":
            reasons.append(f"{rx.capitalize()} and {ry.capitalize()} sound alike")
        elif why == "spelling":
            reasons.append(f"{rx.capitalize()} and {ry.capitalize()} differ by spelling ({s:.2f})")
    un_a = [ta[i] for i in range(len(ta)) if i not in matched_a]
    un_b = [tb[j] for j in range(len(tb)) if j not in matched_b]
    # Parts left over on both sides are different names ("Poonam Dixit" / "Poonam Tiwari"), unless
    # one side's are only common parts (Devi, Kumar, Lal), which one writer adds and another leaves out.
    both_sides = any(t not in WEAK for t in un_a) and any(t not in WEAK for t in un_b)
    for un, toks in ((un_a, ta), (un_b, tb)):
        for t in un:
            w = _weight(t)
            if both_sides:
                den += w
                continue
            idx = toks.index(t)
            middle = 0 < idx < len(toks) - 1 and len(pairs) >= 2
            den += w * (MISSING_MIDDLE if middle else MISSING_PART)
            reasons.append(("middle name missing: " if middle else "name part missing: ") + t)
    if both_sides:
        reasons.append("different name parts: " + ", ".join(un_a) + " / " + ", ".join(un_b))
    if den == 0:
        return 0.0, ["no comparable name parts"]
    score = num / den
    if strong_matched == 0:
        score *= 0.5
        reasons.append("only initials or common name parts agree")
    elif (
        max(
            sum(1 for t in ta if len(t) > 1 and t not in WEAK),
            sum(1 for t in tb if len(t) > 1 and t not in WEAK),
        )
        < 2
    ):
        # One given name, or a given name and Kumar/Devi: many people share it.
        score *= SINGLE_NAME_FACTOR
        reasons.append("only one distinctive name part to compare")
    order_a = [i for i, _, _, _ in sorted(pairs, key=lambda p: p[1])]
    if order_a != sorted(order_a):
        reasons.append("given and family names reordered")
        score -= 0.01
    return max(0.0, min(1.0, score)), reasons


@functools.lru_cache(maxsize=131072)
def _names_score(na: tuple[ParsedName, ...], nb: tuple[ParsedName, ...]) -> tuple[float, tuple[str, ...]]:
    if not na or not nb:
        return 0.0, ("no name to compare",)
    best: tuple[float, list[str]] = (0.0, ["names differ"])
    for x in na:
        for y in nb:
            if x.folded == y.folded:
                s, reasons = 1.0, []
                for rx, ry in zip(x.raw, y.raw, strict=True):
                    if rx != ry:
                        reasons.append(f"same after folding {rx.capitalize()}/{ry.capitalize()}")
                reasons = reasons or ["same name"]
                if sum(1 for t in x.folded if len(t) > 1 and t not in WEAK) < 2:
                    s = SINGLE_NAME_FACTOR
                    reasons.append("only one distinctive name part to compare")
            else:
                s, reasons = _score_parsed(x, y)
            if x.source == "alias" and y.source == "alias":
                s *= ALIAS_PAIR_FACTOR  # a shared nickname and family name: often two people
            for side in (x, y):
                if side.source == "alias":
                    reasons = [*reasons, "matched through an alias"]
                elif side.source == "relative":
                    reasons = [
                        *reasons,
                        f"family name {side.raw[-1].capitalize()} taken from the relative's name",
                    ]
            if s > best[0]:
                best = (s, reasons)
    scripts = sorted(set(na[0].scripts) | set(nb[0].scripts))
    reasons = list(best[1])
    if scripts:
        reasons.append("transliterated from " + ", ".join(scripts))
    return best[0], tuple(reasons)


def name_score(a: str, b: str) -> tuple[float, list[str]]:
    """How alike two names are, 0..1, and why, in words an officer can check."""
    return parsed_score(parse(a or ""), parse(b or ""))


def parsed_score(na: tuple[ParsedName, ...], nb: tuple[ParsedName, ...]) -> tuple[float, list[str]]:
    """`name_score` of two texts already parsed (`parse`, or `unpack` of what `pack` stored)."""
    s, reasons = _names_score(na, nb)
    return round(s, 4), list(reasons)


# --- stored parses ------------------------------------------------------------------------------
# Parsing a name (transliteration, dropping, folding) costs about 70 µs, several times what scoring
# two parsed names costs. Correlation compares a new person with hundreds of earlier ones, so their
# parses are stored with them at publish (`matching.models.PersonProfile`) and read back here.


def _parser_version() -> str:
    """What made a stored parse: this module's source and its word lists. Any change to either makes
    every stored parse stale (ignored and parsed again), never silently different from `parse`."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted(p for p in DATA.rglob("*") if p.is_file()):
        digest.update(path.relative_to(DATA).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


PARSER_VERSION = _parser_version()


def pack(parsed: tuple[ParsedName, ...]) -> list[list[Any]]:
    """`parse`'s result as JSON: one [raw tokens, folded tokens, scripts, source] a name."""
    return [[list(p.raw), list(p.folded), list(p.scripts), p.source] for p in parsed]


def unpack(packed: list[list[Any]]) -> tuple[ParsedName, ...]:
    """The inverse of `pack`."""
    return tuple(
        ParsedName(tuple(raw), tuple(folded), tuple(scripts), source)
        for raw, folded, scripts, source in packed
    )


def _load_lexicon() -> frozenset[str]:
    """Folded forms of every name in data/names/*.txt: names we know to be names, so that two of
    them that differ are different names rather than one name with a typo."""
    words: set[str] = set()
    for path in sorted((DATA / "names").glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0]
            if ":" in line:
                key, _, value = line.partition(":")
                if key.strip() in {"scripts", "states"}:
                    continue
                line = value
            for w in line.split():
                for part in w.split("-"):
                    if part and part.isalpha():
                        words.add(fold_token(part.lower()))
    words.update(_GROUP_FOLDED.values())
    return frozenset(w for w in words if len(w) > 2)


LEXICON = _load_lexicon()
