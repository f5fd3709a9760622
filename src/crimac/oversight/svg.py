"""Server-side SVG: the tile-grid map of India, the ranking bar chart and the trend chart.

No map service and no script: each State/UT is one square at a fixed place on a grid that keeps
the country's shape recognisable, coloured by the chosen figure. Every mark may carry a link.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# (column, row) of every State/UT on the tile grid.
TILES: dict[str, tuple[int, int]] = {
    "JK": (3, 0), "LA": (4, 0),
    "CH": (2, 1), "PB": (3, 1), "HP": (4, 1), "UK": (5, 1),
    "RJ": (2, 2), "HR": (3, 2), "DL": (4, 2), "UP": (5, 2), "BR": (6, 2), "SK": (7, 2), "AR": (9, 2),
    "GJ": (2, 3), "MP": (3, 3), "CG": (4, 3), "JH": (5, 3), "WB": (6, 3), "ML": (7, 3), "AS": (8, 3),
    "NL": (9, 3),
    "DD": (1, 4), "MH": (2, 4), "TS": (3, 4), "OD": (4, 4), "TR": (7, 4), "MZ": (8, 4), "MN": (9, 4),
    "GA": (1, 5), "KA": (2, 5), "AP": (3, 5),
    "KL": (2, 6), "TN": (3, 6), "PY": (4, 6),
    "LD": (0, 7), "AN": (8, 7),
}  # fmt: skip

# A sequential blue scale (light to dark); silent States get their own colour.
SCALE = ["#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"]
SILENT = "#f4c7c3"
NO_DATA = "#eeeeee"
INK = "#1d2330"


def colour(value: float | None, high: float) -> str:
    if value is None:
        return NO_DATA
    if value <= 0:
        return SILENT
    if high <= 0:
        return SCALE[0]
    step = min(len(SCALE) - 1, int(value / high * (len(SCALE) - 1) + 0.5))
    return SCALE[step]


def text_colour(fill: str) -> str:
    return "#ffffff" if fill in SCALE[4:] else INK


def fmt(value: float | None, kind: str = "count") -> str:
    if value is None:
        return "-"
    if kind == "share":
        return f"{value * 100:.0f}%"
    if kind == "ratio":
        return f"{value:.2f}"
    return f"{int(value):,}"


def _link(href: str | None, body: str) -> str:
    return f'<a href="{escape(href)}">{body}</a>' if href else body


def tile_map(
    rows: Sequence[dict[str, Any]],
    figure: str,
    *,
    kind: str = "count",
    href: Callable[[dict[str, Any]], str | None] | None = None,
    size: int = 54,
    title: str = "",
) -> SafeString:
    """The tile-grid map: one square per State/UT in `rows` (each with "code", "name" and
    `figure`), coloured on a scale up to the highest value; zero is drawn as silent."""
    gap = 4
    by_code = {r["code"]: r for r in rows}
    values: list[float] = [float(r[figure]) for r in rows if r.get(figure) is not None]
    high = max(values, default=0.0)
    width = 10 * (size + gap) + gap
    height = 8 * (size + gap) + gap + 28
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tile-map" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title or "Map of India")}" '
        f'font-family="sans-serif">',
        f"<title>{escape(title or 'Map of India by State/UT')}</title>",
    ]
    for code, (col, row) in TILES.items():
        r = by_code.get(code)
        value = r.get(figure) if r else None
        fill = colour(value, high)
        x, y = gap + col * (size + gap), gap + row * (size + gap)
        name = r["name"] if r else code
        tile = (
            f'<g class="tile" data-state="{code}" data-value="{escape(value if value is not None else "")}">'
            f"<title>{escape(name)}: {escape(fmt(value, kind))}</title>"
            f'<rect x="{x}" y="{y}" width="{size}" height="{size}" rx="4" fill="{fill}" stroke="#ffffff"/>'
            f'<text x="{x + size / 2}" y="{y + size / 2 - 2}" text-anchor="middle" font-size="14" '
            f'font-weight="700" fill="{text_colour(fill)}">{code}</text>'
            f'<text x="{x + size / 2}" y="{y + size / 2 + 14}" text-anchor="middle" font-size="10" '
            f'fill="{text_colour(fill)}">{escape(fmt(value, kind))}</text></g>'
        )
        parts.append(_link(href(r) if (href and r) else None, tile))
    # Legend: silent, then the scale from low to high.
    ly = height - 22
    parts.append(f'<rect x="{gap}" y="{ly}" width="14" height="14" fill="{SILENT}"/>')
    parts.append(f'<text x="{gap + 18}" y="{ly + 11}" font-size="11" fill="{INK}">none</text>')
    for i, c in enumerate(SCALE):
        parts.append(f'<rect x="{gap + 60 + i * 16}" y="{ly}" width="16" height="14" fill="{c}"/>')
    parts.append(
        f'<text x="{gap + 60 + len(SCALE) * 16 + 6}" y="{ly + 11}" font-size="11" fill="{INK}">'
        f"up to {escape(fmt(high, kind))}</text>"
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def bar_chart(
    items: Sequence[tuple[str, float, str | None]],
    *,
    kind: str = "count",
    title: str = "",
    width: int = 560,
) -> SafeString:
    """Horizontal bars: (label, value, link) per item, largest first as given."""
    bar_h, gap, label_w = 18, 6, 150
    high = max((v for _, v, _ in items), default=0) or 1
    height = len(items) * (bar_h + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart" viewBox="0 0 {width} {max(height, 30)}" '
        f'width="{width}" height="{max(height, 30)}" role="img" aria-label="{escape(title)}" '
        'font-family="sans-serif">',
        f"<title>{escape(title)}</title>",
    ]
    room = width - label_w - 70
    for i, (label, value, link) in enumerate(items):
        y = gap + i * (bar_h + gap)
        w = max(1.0, room * value / high) if value else 0
        bar = (
            f'<g class="bar"><title>{escape(label)}: {escape(fmt(value, kind))}</title>'
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" font-size="12" fill="{INK}">'
            f"{escape(label[:24])}</text>"
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{SCALE[6]}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 13}" font-size="12" fill="{INK}">'
            f"{escape(fmt(value, kind))}</text></g>"
        )
        parts.append(_link(link, bar))
    if not items:
        parts.append(f'<text x="4" y="18" font-size="12" fill="{INK}">No alerts in the period.</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def trend_chart(
    points: Sequence[tuple[str, int, str | None]], *, title: str = "", width: int = 560, height: int = 200
) -> SafeString:
    """Vertical bars over time: (label such as 2026-03, value, link) per bucket."""
    left, bottom, top = 44, 26, 10
    high = max((v for _, v, _ in points), default=0) or 1
    n = max(len(points), 1)
    slot = (width - left - 6) / n
    plot_h = height - bottom - top
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
        'font-family="sans-serif">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 4}" y2="{top + plot_h}" stroke="#888"/>',
        f'<text x="{left - 4}" y="{top + 10}" text-anchor="end" font-size="10" fill="{INK}">{high:,}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" font-size="10" fill="{INK}">0</text>',
    ]
    every = max(1, n // 12)
    for i, (label, value, link) in enumerate(points):
        h = plot_h * value / high
        x = left + i * slot + 1
        bar = (
            f'<g class="bucket"><title>{escape(label)}: {value:,}</title>'
            f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{max(slot - 2, 1):.1f}" height="{h:.1f}" '
            f'fill="{SCALE[5]}"/></g>'
        )
        parts.append(_link(link, bar))
        if i % every == 0:
            parts.append(
                f'<text x="{x + slot / 2:.1f}" y="{height - 8}" text-anchor="middle" font-size="10" '
                f'fill="{INK}">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
