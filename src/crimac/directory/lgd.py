"""Reading Local Government Directory (LGD) exports and loading them.

Two callers: the initial data migration (`load_bundled`, with the migration's historical models)
and `crimac import-lgd FILE` (`import_file`), which applies a newer export on top of what is there:
LGD codes are the keys, so renamed districts are renamed in place, new ones are added, and agencies
and alerts keep their references. Districts missing from the new export are listed, and retired
only when asked, because an export can be partial.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from crimac.directory.geography_data import (
    DISPLAY_NAMES,
    FOREIGN_BORDERS,
    LAND_BORDERS,
    SHORT_CODES,
    display_name,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
BUNDLED_STATES = DATA_DIR / "lgd_states_2021.csv"
BUNDLED_DISTRICTS = DATA_DIR / "lgd_districts_2021.csv"

# Column names as this project's files and as LGD's own downloads spell them, squashed.
DISTRICT_COLUMNS = {
    "district_code": {"districtcode", "districtlgdcode"},
    "district_name": {"districtname", "districtnameinenglish"},
    "state_code": {"statecode", "statelgdcode"},
}
STATE_COLUMNS = {
    "state_code": {"statecode", "statelgdcode"},
    "state_name": {"statename", "statenameinenglish"},
    "state_or_ut": {"stateorut", "stateut", "stateorunionterritory"},
    "census_2011_code": {"census2011code", "censuscode2011"},
}


class LgdFileError(ValidationError):
    """The file cannot be imported; `messages` names each line and column at fault."""


@dataclass
class StateRow:
    lgd_code: int
    lgd_name: str
    kind: str
    census_2011_code: int | None
    line: int = 0


@dataclass
class DistrictRow:
    line: int
    lgd_code: int
    lgd_name: str
    state_lgd_code: int


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _map_columns(header: list[str], wanted: dict[str, set[str]], required: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        squashed = _squash(name)
        for key, aliases in wanted.items():
            if squashed in aliases and key not in found:
                found[key] = index
    missing = required - found.keys()
    if missing:
        raise LgdFileError(
            {"header": [f"missing column(s): {', '.join(sorted(missing))}; found: {', '.join(header)}"]}
        )
    return found


def _int(value: str, *, line: int, column: str, errors: list[str]) -> int | None:
    try:
        return int(value.strip())
    except (ValueError, AttributeError):
        errors.append(f"line {line}: {column} must be a whole number, not {value!r}")
        return None


def _code(value: str, *, line: int, column: str, errors: list[str]) -> int | None:
    """An LGD code: a whole number above zero."""
    code = _int(value, line=line, column=column, errors=errors)
    if code is not None and code <= 0:
        errors.append(f"line {line}: {column} must be a positive whole number, not {code}")
        return None
    return code


def _rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    if not rows:
        raise LgdFileError({"file": ["the file is empty"]})
    return rows[0][1], rows[1:]


def file_kind(text: str) -> str:
    header, _ = _rows(text)
    squashed = {_squash(h) for h in header}
    if squashed & DISTRICT_COLUMNS["district_code"]:
        return "districts"
    if squashed & STATE_COLUMNS["state_code"]:
        return "states"
    raise LgdFileError(
        {"header": ["not an LGD States or Districts export: no district or state code column"]}
    )


def parse_states(text: str) -> list[StateRow]:
    header, rows = _rows(text)
    cols = _map_columns(header, STATE_COLUMNS, {"state_code", "state_name"})
    errors: list[str] = []
    result: list[StateRow] = []
    seen: set[int] = set()
    for line, row in rows:
        cells = row + [""] * len(header)
        code = _code(cells[cols["state_code"]], line=line, column="state_code", errors=errors)
        name = cells[cols["state_name"]].strip()
        if not name:
            errors.append(f"line {line}: state_name must not be empty")
        kind = cells[cols["state_or_ut"]].strip().upper()[:1] if "state_or_ut" in cols else "S"
        if kind not in {"S", "U"}:
            errors.append(f"line {line}: state_or_ut must be S or U, not {kind!r}")
        census_raw = cells[cols["census_2011_code"]].strip() if "census_2011_code" in cols else ""
        census = _int(census_raw, line=line, column="census_2011_code", errors=errors) if census_raw else None
        if code is not None:
            if code in seen:
                errors.append(f"line {line}: state_code {code} appears twice")
            seen.add(code)
            result.append(StateRow(code, name, kind, census, line))
    if errors:
        raise LgdFileError({"file": errors})
    return result


def parse_districts(text: str) -> list[DistrictRow]:
    header, rows = _rows(text)
    cols = _map_columns(header, DISTRICT_COLUMNS, set(DISTRICT_COLUMNS))
    errors: list[str] = []
    result: list[DistrictRow] = []
    seen: dict[int, int] = {}
    for line, row in rows:
        cells = row + [""] * len(header)
        code = _code(cells[cols["district_code"]], line=line, column="district_code", errors=errors)
        state = _code(cells[cols["state_code"]], line=line, column="state_code", errors=errors)
        name = cells[cols["district_name"]].strip()
        if not name:
            errors.append(f"line {line}: district_name must not be empty")
        if code is not None:
            if code in seen:
                errors.append(f"line {line}: duplicate LGD district code {code} (first on line {seen[code]})")
            seen[code] = line
        if code is not None and state is not None and name:
            result.append(DistrictRow(line, code, name, state))
    if errors:
        raise LgdFileError({"file": errors})
    return result


def state_display_name(code: str, lgd_name: str) -> str:
    return DISPLAY_NAMES.get(code) or display_name(lgd_name)


def district_slug(name: str) -> str:
    return "".join(ch for ch in name.upper() if ch.isalnum())[:40] or "DISTRICT"


def unique_slug(District: Any, state: Any, name: str, lgd_code: int) -> str:
    slug = district_slug(name)
    return f"{slug[:32]}{lgd_code}" if District.objects.filter(state=state, slug=slug).exists() else slug


def load_bundled(State: Any, District: Any, StateBorder: Any, ForeignBorder: Any) -> None:
    """Load the bundled LGD files and the hand-written borders. Takes model classes so the
    initial data migration can pass its historical models."""
    states = parse_states(BUNDLED_STATES.read_text(encoding="utf-8"))
    by_lgd = {}
    for row in states:
        code = SHORT_CODES[row.lgd_code]
        by_lgd[row.lgd_code] = State.objects.create(
            lgd_code=row.lgd_code,
            code=code,
            name=state_display_name(code, row.lgd_name),
            lgd_name=row.lgd_name,
            kind=row.kind,
            census_2011_code=row.census_2011_code,
        )
    slugs: set[tuple[int, str]] = set()
    districts = []
    for d in parse_districts(BUNDLED_DISTRICTS.read_text(encoding="utf-8")):
        state = by_lgd[d.state_lgd_code]
        slug = district_slug(d.lgd_name)
        if (state.pk, slug) in slugs:
            slug = f"{slug[:32]}{d.lgd_code}"
        slugs.add((state.pk, slug))
        districts.append(
            District(
                lgd_code=d.lgd_code,
                state=state,
                name=display_name(d.lgd_name),
                lgd_name=d.lgd_name,
                slug=slug,
            )
        )
    District.objects.bulk_create(districts)
    by_code = {s.code: s for s in by_lgd.values()}
    StateBorder.objects.bulk_create(
        StateBorder(state=by_code[a], neighbour=by_code[b])
        for a, neighbours in LAND_BORDERS.items()
        for b in sorted(neighbours)
    )
    ForeignBorder.objects.bulk_create(
        ForeignBorder(state=by_code[a], country=country)
        for a, countries in FOREIGN_BORDERS.items()
        for country in sorted(countries)
    )


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    unchanged: int = 0
    missing: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    reinstated: list[str] = field(default_factory=list)
    states_updated: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"created: {len(self.created)}",
            f"renamed: {len(self.renamed)}",
            f"moved to another State: {len(self.moved)}",
            f"unchanged: {self.unchanged}",
            f"missing from the file: {len(self.missing)}",
            f"retired: {len(self.retired)}",
            f"reinstated: {len(self.reinstated)}",
        ]
        if self.states_updated:
            out.insert(0, f"States updated: {len(self.states_updated)}")
        for label, items in [
            ("created", self.created),
            ("renamed", self.renamed),
            ("moved", self.moved),
            ("missing", self.missing),
            ("retired", self.retired),
            ("reinstated", self.reinstated),
        ]:
            out.extend(f"  {label}: {item}" for item in items)
        return out


def _state_columns(text: str) -> set[str]:
    """Which of STATE_COLUMNS a States export has: without a kind column `parse_states` assumes
    "S", which must not turn a Union Territory into a State."""
    header, _ = _rows(text)
    return set(_map_columns(header, STATE_COLUMNS, {"state_code", "state_name"}))


def import_file(
    path: Path, *, actor: Any, retire_missing: bool = False, dry_run: bool = False
) -> ImportReport:
    """Apply a newer LGD export. All or nothing: any bad line and nothing is written."""
    from crimac.audit.actions import record
    from crimac.directory.models import District, State

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LgdFileError({"file": [f"cannot read {path}: {exc}"]}) from None
    kind = file_kind(text)
    report = ImportReport()
    # What is being written, so that a database error can name it (normally a line of the file).
    where = path.name
    try:
        with transaction.atomic():
            if kind == "states":
                columns = _state_columns(text)
                for row in parse_states(text):
                    where = f"line {row.line}"
                    state = State.objects.filter(lgd_code=row.lgd_code).first()
                    if state is None:
                        raise LgdFileError(
                            {
                                "file": [
                                    f"State with LGD code {row.lgd_code} ({row.lgd_name}) is new: add "
                                    "its two-letter code to geography_data.SHORT_CODES and migrate first"
                                ]
                            }
                        )
                    fields: list[str] = []
                    changes: list[str] = []
                    label = state.lgd_name
                    if state.lgd_name != row.lgd_name:
                        label = f"{state.lgd_name} -> {row.lgd_name}"
                        state.lgd_name = row.lgd_name
                        state.name = state_display_name(state.code, row.lgd_name)
                        fields += ["lgd_name", "name"]
                    if "state_or_ut" in columns and state.kind != row.kind:
                        changes.append(f"kind {state.kind} -> {row.kind}")
                        state.kind = row.kind
                        fields.append("kind")
                    # A blank census code is not given rather than taken away: 2011 codes are fixed.
                    if row.census_2011_code is not None and state.census_2011_code != row.census_2011_code:
                        changes.append(f"census_2011_code {state.census_2011_code} -> {row.census_2011_code}")
                        state.census_2011_code = row.census_2011_code
                        fields.append("census_2011_code")
                    if fields:
                        report.states_updated.append(f"{label} ({', '.join(changes)})" if changes else label)
                        state.save(update_fields=fields)
                    else:
                        report.unchanged += 1
            else:
                rows = parse_districts(text)
                states = {s.lgd_code: s for s in State.objects.all()}
                unknown = [
                    f"line {r.line}: unknown LGD state code {r.state_lgd_code}"
                    for r in rows
                    if r.state_lgd_code not in states
                ]
                if unknown:
                    raise LgdFileError({"file": unknown})
                existing = {d.lgd_code: d for d in District.objects.select_related("state")}
                for r in rows:
                    where = f"line {r.line}"
                    state = states[r.state_lgd_code]
                    district = existing.get(r.lgd_code)
                    if district is None:
                        slug = unique_slug(District, state, r.lgd_name, r.lgd_code)
                        District.objects.create(
                            lgd_code=r.lgd_code,
                            state=state,
                            lgd_name=r.lgd_name,
                            name=display_name(r.lgd_name),
                            slug=slug,
                        )
                        report.created.append(f"{r.lgd_code} {r.lgd_name} ({state.code})")
                        continue
                    changed = []
                    if district.state_id != state.pk:
                        if district.agencies.exists():
                            raise LgdFileError(
                                {
                                    "file": [
                                        f"line {r.line}: district {r.lgd_code} {district.name} moves "
                                        f"from {district.state.code} to {state.code} but has agencies; "
                                        "move them to a district of their State first"
                                    ]
                                }
                            )
                        moved = f"{r.lgd_code} {district.name}: {district.state.code} -> {state.code}"
                        # The slug is unique within a State: keep it unless the new State has it.
                        slug = unique_slug(District, state, district.slug, r.lgd_code)
                        if slug != district.slug:
                            moved += f" (slug {district.slug} -> {slug})"
                            district.slug = slug
                            changed.append("slug")
                        report.moved.append(moved)
                        district.state = state
                        changed.append("state")
                    if district.lgd_name != r.lgd_name:
                        report.renamed.append(f"{r.lgd_code} {district.lgd_name} -> {r.lgd_name}")
                        district.lgd_name = r.lgd_name
                        district.name = display_name(r.lgd_name)
                        changed += ["lgd_name", "name"]
                    if district.retired_at is not None:
                        report.reinstated.append(f"{r.lgd_code} {district.name} ({state.code})")
                        district.retired_at = None
                        district.successor = None
                        changed += ["retired_at", "successor"]
                    if changed:
                        district.save(update_fields=changed)
                    else:
                        report.unchanged += 1
                listed = {r.lgd_code for r in rows}
                for code, district in sorted(existing.items()):
                    if code not in listed and district.retired_at is None:
                        report.missing.append(f"{code} {district.name} ({district.state.code})")
                        if retire_missing:
                            from django.utils import timezone

                            where = f"retiring district {code} {district.name}"
                            district.retired_at = timezone.localdate()
                            district.save(update_fields=["retired_at"])
                            report.retired.append(f"{code} {district.name}")
            where = "recording the import in the audit log"
            record(
                "geography.import_lgd",
                actor=actor,
                via="cli",
                object_type="lgd",
                object_repr=path.name,
                detail={
                    "kind": kind,
                    **{k: len(v) if isinstance(v, list) else v for k, v in report.__dict__.items()},
                },
            )
            if dry_run:
                transaction.set_rollback(True)
    except DatabaseError as exc:
        raise LgdFileError(
            {"file": [f"{where}: the database refused the change, nothing was written: {exc}"]}
        ) from None
    return report
