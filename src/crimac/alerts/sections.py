"""Reading what officers cite: 'IPC 370', '370 IPC', 'u/s 103(1) BNS', 'BNS s.143', 'POCSO 6'."""

from __future__ import annotations

import re

from crimac.alerts.sections_data import CODES

_CODE = "|".join(CODES)
_SECTION = r"([0-9]{1,3}[A-Z]{0,2}(?:\([0-9]{1,2}\))?)"
_PREFIX = r"(?:U/?S\.?|SEC(?:TION)?\.?|S\.)?\s*"
_FORMS = [
    re.compile(rf"^({_CODE})\s*{_PREFIX}{_SECTION}$"),
    re.compile(rf"^{_PREFIX}{_SECTION}\s*(?:OF\s+)?(?:THE\s+)?({_CODE})$"),
]


class UnknownCitation(ValueError):
    pass


def parse(text: str) -> tuple[str, str]:
    """'u/s 370 IPC' -> ('IPC', '370'). Raises UnknownCitation if it cannot be read."""
    from crimac.alerts.normalise import ascii_digits

    cleaned = re.sub(r"\s+", " ", ascii_digits(text or "").strip().upper())
    cleaned = cleaned.replace("ARMS ACT", "ARMS").replace("NDPS ACT", "NDPS").replace("POCSO ACT", "POCSO")
    cleaned = cleaned.replace("UAPA ACT", "UAPA").replace("ITP ACT", "ITPA").replace("ITPA ACT", "ITPA")
    if len(cleaned) > 40:
        raise UnknownCitation("a citation is a code and a section, e.g. 'IPC 370' or 'BNS 143'")
    for number, form in enumerate(_FORMS):
        if match := form.match(cleaned):
            code, section = match.groups() if number == 0 else reversed(match.groups())
            return code, section
    raise UnknownCitation(
        f"cannot read {text!r}: write the code and the section, e.g. 'IPC 370' or 'BNS 103(1)'"
    )
