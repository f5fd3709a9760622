"""The posting page's fields -> the same `AlertIn` the API takes.

Rows of persons, vehicles and phones are named `persons-0-name`, `vehicles-1-registration`, ...;
errors come back keyed by the same dotted paths the API uses (`persons.0.age_max`).
"""

from __future__ import annotations

import re
from typing import Any

from django.http import QueryDict
from pydantic import ValidationError as PydanticValidationError

from crimac.alerts.schemas import AlertIn
from crimac.api.problems import from_pydantic

ROW = re.compile(r"^(persons|vehicles|phones|identifiers)-(\d{1,2})-(\w+)$")
MAX_ROWS = 50
SCALARS = [
    "category",
    "title",
    "narrative",
    "priority",
    "action_requested",
    "occurred_at",
    "state",
    "district",
    "station",
    "address",
    "latitude",
    "longitude",
    "fir_number",
    "fir_date",
    "handling_code",
    "expires_at",
]
LIST_FIELDS = {"aliases", "languages"}


def rows_of(post: QueryDict) -> dict[str, dict[int, dict[str, Any]]]:
    rows: dict[str, dict[int, dict[str, Any]]] = {
        "persons": {},
        "vehicles": {},
        "phones": {},
        "identifiers": {},
    }
    for key in post:
        if m := ROW.match(key):
            group, index, name = m.group(1), int(m.group(2)), m.group(3)
            if index < MAX_ROWS:
                rows[group].setdefault(index, {})[name] = post.get(key, "").strip()
    return rows


def to_payload(post: QueryDict) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in SCALARS:
        value = post.get(name, "").strip()
        if value:
            data[name] = value
    data["sections"] = [s.strip() for s in post.getlist("sections") if s.strip()]
    data["audience"] = {
        "national": post.get("audience_national") == "on",
        "states": [s for s in post.getlist("audience_states") if s],
        "bordering_states": post.get("audience_bordering") == "on",
        "agency_kinds": [k for k in post.getlist("audience_kinds") if k],
        "agencies": [a.strip() for a in post.get("audience_agencies", "").split(",") if a.strip()],
        "radius_km": post.get("audience_radius_km", "").strip() or None,
        "exclude": {
            "states": [s for s in post.getlist("audience_exclude_states") if s],
            "districts": [d for d in post.getlist("audience_exclude_districts") if d],
            "agency_kinds": [k for k in post.getlist("audience_exclude_kinds") if k],
            "agencies": [
                a.strip() for a in post.get("audience_exclude_agencies", "").split(",") if a.strip()
            ],
        },
    }
    rows = rows_of(post)
    for group in ("persons", "vehicles", "phones", "identifiers"):
        items = []
        for index in sorted(rows[group]):
            row = {k: v for k, v in rows[group][index].items() if v != "" and k != "photo"}
            if group == "persons" and set(row) <= {"role", "gender", "build"}:
                continue  # an empty person row the officer did not fill in
            if group != "persons" and not row:
                continue
            for name in LIST_FIELDS & row.keys():
                row[name] = [part.strip() for part in row[name].split(",") if part.strip()]
            items.append((index, row))
        data[group] = [row for _, row in items]
        data[f"_{group}_rows"] = [index for index, _ in items]
    return data


def validate(payload: dict[str, Any]) -> tuple[AlertIn | None, dict[str, list[str]]]:
    """Parse with the API's schema; errors keyed by field path, with row numbers as on the page."""
    clean = {k: v for k, v in payload.items() if not k.startswith("_")}
    try:
        return AlertIn.model_validate(clean), {}
    except PydanticValidationError as exc:
        errors: dict[str, list[str]] = {}
        for err in from_pydantic([{**e, "loc": ("body", "payload", *e["loc"])} for e in exc.errors()]):
            errors.setdefault(page_path(err["field"], payload), []).append(err["message"])
        return None, errors


def page_path(field: str, payload: dict[str, Any]) -> str:
    """Map 'persons.1.age_max' (index among filled rows) to the page's row number."""
    parts = field.split(".")
    if (
        len(parts) >= 2
        and parts[0] in {"persons", "vehicles", "phones", "identifiers"}
        and parts[1].isdecimal()
    ):
        rows = payload.get(f"_{parts[0]}_rows", [])
        index = int(parts[1])
        if index < len(rows):
            parts[1] = str(rows[index])
    return ".".join(parts)
