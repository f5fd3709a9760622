"""Telling both originators about a new match, through dissemination's feed.

Each side learns only the other alert's reference and originating agency (and why they match);
what the other alert says stays behind its own visibility rule until access is granted.
"""

from __future__ import annotations

from collections import defaultdict

from crimac.alerts.models import Alert
from crimac.dissemination import feed
from crimac.matching.choices import Pairing
from crimac.matching.models import Match
from crimac.matching.reveal import public_reasons

MAX_REASONS = 10


def _message(mine: Alert, label: str, other: Alert, pairing: str, priority: str, kind: str) -> str:
    head = Pairing(pairing).label if pairing else f"Possible {kind} match"
    return (
        f"{priority.upper()} · {head}: {label} on your alert {mine.reference} may match alert "
        f"{other.reference} of {other.origin_agency.name} ({other.origin_agency.code}). Review it on "
        f"the matches page; ask the originator for access to see the other alert."
    )[:1000]


def tell_originators(created: list[Match]) -> None:
    """One notice per side per pair of alerts, for the matches just created. Precondition: inside
    the correlation's transaction (notices are pushed after commit)."""
    by_pair: dict[tuple[int, int], list[Match]] = defaultdict(list)
    for m in created:
        by_pair[(m.alert_a_id, m.alert_b_id)].append(m)
    for matches in by_pair.values():
        best = max(matches, key=lambda m: (m.score, bool(m.pairing)))
        reasons: list[str] = []
        for m in sorted(matches, key=lambda m: -m.score):
            reasons += [r for r in public_reasons(m.reasons) if r not in reasons]
        paired = next((m for m in matches if m.pairing), best)
        a, b = best.alert_a, best.alert_b
        for mine, other, label in ((a, b, paired.label_a), (b, a, paired.label_b)):
            feed.record_notice(
                mine,
                "match",
                {
                    "reference": mine.reference,
                    "message": _message(mine, label, other, paired.pairing, paired.priority, paired.kind),
                    "related": other.reference,
                    "related_origin": other.origin_agency.code,
                    "score": best.score,
                    "reasons": reasons[:MAX_REASONS],
                },
            )
