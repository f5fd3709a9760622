"""The participation report as a briefing: JSON, CSV, HTML (one self-contained page) and PDF.

The HTML and PDF read like a note for a meeting with State nodal officers: the headline figures
in sentences, the map, the ranking, the silent list, the compliance table, the period and the
date it was generated.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.template.loader import render_to_string

from crimac.oversight import svg


def _names(items: list[str]) -> str:
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def headline(report: dict[str, Any]) -> list[str]:
    """The facts, one sentence each, from the report's figures."""
    n = report["national"]
    states = {r["code"]: r for r in report["states"]}
    silent = report["silent_states"]
    top = [states[c]["name"] for c in report["top_states"]]
    lines = [
        f"{n['alerts']:,} alerts were posted against {n['stations']:,} police stations "
        f"({svg.fmt(n['alerts_per_station'], 'ratio')} per station).",
        f"{n['states_posted']} of {n['states']} States/UTs posted at least one alert; "
        f"{svg.fmt(n['share_stations_posted'], 'share')} of police stations "
        f"({n['stations_posted']:,}) posted at least once.",
    ]
    if silent:
        lines.append(f"{len(silent)} States/UTs posted none: {_names([s['name'] for s in silent])}.")
    else:
        lines.append("Every State/UT posted.")
    if top:
        lines.append(f"{_names(top)} posted the most.")
    c = report["compliance"]["totals"]
    lines.append(
        f"{c['trafficking_uncited']:,} of {c['trafficking_alerts']:,} trafficking alerts cite none of the "
        f"trafficking sections."
    )
    return lines


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False, default=str)


CSV_FIELDS = [
    "level",
    "state",
    "code",
    "name",
    "agencies",
    "stations",
    "alerts",
    "stations_posted",
    "silent_stations",
    "alerts_per_station",
    "share_stations_posted",
    "first_alert_at",
    "last_alert_at",
]


def to_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerow({"level": "national", "code": "IN", "name": "India", **report["national"]})
    for r in report["states"]:
        writer.writerow({"level": "state", "state": r["code"], **r})
    for d in report["districts"]:
        writer.writerow({"level": "district", **d})
    for s in report.get("stations", []):
        writer.writerow({"level": "station", "state": report["state"]["code"], **s})
    return out.getvalue()


def to_html(report: dict[str, Any]) -> str:
    ranked = sorted((r for r in report["states"] if r["alerts"]), key=lambda r: (-r["alerts"], r["name"]))
    context = {
        "report": report,
        "headline": headline(report),
        "map": svg.tile_map(report["states"], "alerts", title="Alerts posted by State/UT"),
        "ranking": svg.bar_chart([(r["name"], r["alerts"], None) for r in ranked[:12]], title="Most active"),
        "trend": svg.trend_chart(
            [
                (p["start"][:7] if report["trend"]["unit"] == "month" else p["start"][5:], p["alerts"], None)
                for p in report["trend"]["points"]
            ],
            title="Alerts posted over time",
        ),
    }
    return render_to_string("oversight/briefing.html", context)


def to_pdf(report: dict[str, Any]) -> bytes:
    """The same briefing drawn with reportlab: sentences, the tile map, the silent list and the
    compliance table."""
    from reportlab.graphics.shapes import Drawing, Rect, String
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, title=report["title"], leftMargin=15 * mm, rightMargin=15 * mm)
    period = report["period"]
    story: list[Any] = [
        Paragraph(report["title"], styles["Title"]),
        Paragraph(
            f"Period {period['from']} to {period['to']}. Generated {report['generated_at']}.",
            styles["Normal"],
        ),
        Spacer(1, 4 * mm),
    ]
    story += [Paragraph(line, styles["BodyText"]) for line in headline(report)]
    # The tile map.
    size, gap = 40, 3
    rows = {r["code"]: r for r in report["states"]}
    high = max((r["alerts"] for r in report["states"]), default=0)
    drawing = Drawing(10 * (size + gap), 8 * (size + gap))
    for code, (col, row) in svg.TILES.items():
        value = rows[code]["alerts"] if code in rows else None
        fill = svg.colour(value, high)
        x, y = col * (size + gap), (7 - row) * (size + gap)
        drawing.add(Rect(x, y, size, size, fillColor=colors.HexColor(fill), strokeColor=colors.white))
        ink = colors.HexColor(svg.text_colour(fill))
        drawing.add(
            String(x + size / 2, y + size / 2 + 2, code, textAnchor="middle", fontSize=10, fillColor=ink)
        )
        drawing.add(
            String(x + size / 2, y + 6, svg.fmt(value), textAnchor="middle", fontSize=7, fillColor=ink)
        )
    story += [Spacer(1, 4 * mm), Paragraph("Alerts posted by State/UT", styles["Heading2"]), drawing]
    style = TableStyle(
        [
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#deebf7")),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ]
    )
    silent = [["State/UT", "Police stations", "Last alert"]] + [
        [s["name"], str(s["stations"]), (s["last_alert_at"] or "never")[:10]] for s in report["silent_states"]
    ]
    story += [Paragraph("Silent States/UTs", styles["Heading2"]), Table(silent, style=style)]
    ranked = sorted((r for r in report["states"] if r["alerts"]), key=lambda r: (-r["alerts"], r["name"]))
    table = [["#", "State/UT", "Stations", "Alerts", "Per station", "Stations posted"]] + [
        [
            str(r["rank"]),
            r["name"],
            str(r["stations"]),
            str(r["alerts"]),
            svg.fmt(r["alerts_per_station"], "ratio"),
            str(r["stations_posted"]),
        ]
        for r in ranked
    ]
    story += [Paragraph("Ranking", styles["Heading2"]), Table(table, style=style, repeatRows=1)]
    comp = [
        ["State/UT", "Trafficking alerts", "No trafficking section", "Heinous, no FIR", "Missing, no photo"]
    ]
    comp += [
        [
            r["name"],
            str(r["trafficking_alerts"]),
            str(r["trafficking_uncited"]),
            str(r["heinous_without_fir"]),
            str(r["missing_without_photo"]),
        ]
        for r in report["compliance"]["states"]
    ]
    story += [Paragraph("Compliance", styles["Heading2"]), Table(comp, style=style, repeatRows=1)]
    doc.build(story)
    return buf.getvalue()
