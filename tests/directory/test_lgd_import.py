"""Reading LGD exports (`crimac.directory.lgd`) and applying a newer one (`crimac import-lgd`)."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from crimac.audit.models import AuditEvent
from crimac.directory import actions
from crimac.directory.lgd import (
    BUNDLED_DISTRICTS,
    BUNDLED_STATES,
    DistrictRow,
    ImportReport,
    LgdFileError,
    file_kind,
    import_file,
    parse_districts,
    parse_states,
)
from crimac.directory.models import Agency, District, State

PROJECT_HEADER = ["district_code", "district_name", "state_code"]
LGD_HEADER = [
    "S.No.",
    "State Code",
    "State Name (In English)",
    "District Code",
    "District Name (In English)",
    "District Name (In Local language)",
    "Census 2011 Code",
]


def messages(exc: pytest.ExceptionInfo[LgdFileError]) -> str:
    return "\n".join(exc.value.messages)


# --- parsing: districts -------------------------------------------------------------------------


def test_parse_districts_with_the_projects_column_names() -> None:
    rows = parse_districts("district_code,district_name,state_code\n79,NEW DELHI,7\n 280 , BARPETA ,18\n")
    assert rows == [DistrictRow(2, 79, "NEW DELHI", 7), DistrictRow(3, 280, "BARPETA", 18)]


def test_parse_districts_with_lgd_download_headers_in_any_order() -> None:
    text = ",".join(LGD_HEADER) + '\n1,7,DELHI,79,NEW DELHI,"नई दिल्ली",97\n2,18,ASSAM,280,BARPETA,"বৰপেটা",\n'
    rows = parse_districts(text)
    assert [(r.lgd_code, r.lgd_name, r.state_lgd_code) for r in rows] == [
        (79, "NEW DELHI", 7),
        (280, "BARPETA", 18),
    ]


def test_parse_districts_accepts_lgd_code_aliases_bom_blank_lines_and_quotes() -> None:
    text = '\ufeffState LGD Code,District LGD Code,District Name\n\n7,83,"SOUTH, OLD"\n\n18,280,BARPETA\n'
    rows = parse_districts(text)
    assert rows == [DistrictRow(3, 83, "SOUTH, OLD", 7), DistrictRow(5, 280, "BARPETA", 18)]


def test_parse_districts_reads_the_bundled_file() -> None:
    rows = parse_districts(BUNDLED_DISTRICTS.read_text(encoding="utf-8"))
    assert len(rows) == 739
    assert rows[0] == DistrictRow(2, 603, "NICOBARS", 35)
    assert rows[-1].line == 740


def test_duplicate_district_code_names_both_lines() -> None:
    text = "district_code,district_name,state_code\n79,NEW DELHI,7\n80,NORTH,7\n79,NEW DELHI AGAIN,7\n"
    with pytest.raises(LgdFileError) as exc:
        parse_districts(text)
    text_of = messages(exc)
    assert "line 4" in text_of
    assert "line 2" in text_of
    assert "79" in text_of
    assert "duplicate" in text_of


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("7x,NEW DELHI,7", ["line 3", "district_code", "'7x'"]),
        (",NEW DELHI,7", ["line 3", "district_code"]),
        ("79,NEW DELHI,Delhi", ["line 3", "state_code", "'Delhi'"]),
        ("79.5,NEW DELHI,7", ["line 3", "district_code", "'79.5'"]),
        ("79,,7", ["line 3", "district_name", "empty"]),
        ("79,   ,7", ["line 3", "district_name", "empty"]),
        ("79", ["line 3", "district_name"]),
        ("0,NEW DELHI,7", ["line 3", "district_code", "positive"]),
        ("-79,NEW DELHI,7", ["line 3", "district_code", "positive", "-79"]),
        ("79,NEW DELHI,0", ["line 3", "state_code", "positive"]),
        ("79,NEW DELHI,-7", ["line 3", "state_code", "positive", "-7"]),
    ],
)
def test_bad_district_line_is_named(row: str, expected: list[str]) -> None:
    text = f"district_code,district_name,state_code\n80,NORTH,7\n{row}\n"
    with pytest.raises(LgdFileError) as exc:
        parse_districts(text)
    text_of = messages(exc)
    for part in expected:
        assert part in text_of
    assert "line 2" not in text_of


def test_every_bad_line_is_reported_at_once() -> None:
    text = "district_code,district_name,state_code\nx,A,7\n81,,7\n82,C,y\n83,D,7\n"
    with pytest.raises(LgdFileError) as exc:
        parse_districts(text)
    assert len(exc.value.messages) == 3
    assert [m.split(":")[0] for m in exc.value.messages] == ["line 2", "line 3", "line 4"]


def test_lgd_file_error_is_a_validation_error_keyed_by_where() -> None:
    with pytest.raises(ValidationError) as exc:
        parse_districts("district_code,district_name,state_code\nx,A,7\n")
    assert isinstance(exc.value, LgdFileError)
    assert set(exc.value.message_dict) == {"file"}


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("district_code,district_name", ["state_code"]),
        ("District Code,State Code", ["district_name"]),
        ("name,code,state", ["district_code", "district_name", "state_code"]),
    ],
)
def test_missing_district_columns_are_named(header: str, missing: list[str]) -> None:
    with pytest.raises(LgdFileError) as exc:
        parse_districts(f"{header}\n1,2,3\n")
    assert set(exc.value.message_dict) == {"header"}
    text_of = messages(exc)
    assert "missing column" in text_of
    for column in missing:
        assert column in text_of
    assert header.split(",")[0] in text_of  # says what it found


@pytest.mark.parametrize("text", ["", "\n\n", " , ,\n", "\ufeff"])
def test_empty_file_is_refused(text: str) -> None:
    with pytest.raises(LgdFileError) as exc:
        parse_districts(text)
    assert "empty" in messages(exc)
    with pytest.raises(LgdFileError):
        parse_states(text)


def test_header_only_file_parses_to_nothing() -> None:
    assert parse_districts("district_code,district_name,state_code\n") == []


# --- parsing: States ----------------------------------------------------------------------------


def test_parse_states_with_the_projects_column_names() -> None:
    rows = parse_states("state_code,state_name,state_or_ut,census_2011_code\n7,DELHI,U,7\n36,TELANGANA,S,\n")
    assert [(r.lgd_code, r.lgd_name, r.kind, r.census_2011_code) for r in rows] == [
        (7, "DELHI", "U", 7),
        (36, "TELANGANA", "S", None),
    ]


def test_parse_states_with_lgd_download_headers() -> None:
    text = (
        "S.No.,State Code,State Version,State Name (In English),State Name (In Local),"
        "Census 2011 Code,State or UT\n"
        "1,7,2,DELHI,दिल्ली,07,Union Territory\n"
        "2,18,1,ASSAM,অসম,18,State\n"
    )
    rows = parse_states(text)
    assert [(r.lgd_code, r.lgd_name, r.kind, r.census_2011_code) for r in rows] == [
        (7, "DELHI", "U", 7),
        (18, "ASSAM", "S", 18),
    ]


def test_parse_states_without_a_kind_column_assumes_state() -> None:
    rows = parse_states("State Code,State Name\n18,ASSAM\n")
    assert rows[0].kind == "S"
    assert rows[0].census_2011_code is None


def test_parse_states_reads_the_bundled_file() -> None:
    rows = parse_states(BUNDLED_STATES.read_text(encoding="utf-8"))
    assert len(rows) == 36
    assert {r.lgd_code: r.kind for r in rows}[7] == "U"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("x,ASSAM,S", ["line 3", "state_code", "'x'"]),
        ("18,,S", ["line 3", "state_name", "empty"]),
        ("18,ASSAM,X", ["line 3", "state_or_ut", "'X'"]),
        ("7,DELHI AGAIN,U", ["line 3", "state_code 7", "twice"]),
        ("0,ASSAM,S", ["line 3", "state_code", "positive"]),
        ("-18,ASSAM,S", ["line 3", "state_code", "positive", "-18"]),
    ],
)
def test_bad_state_line_is_named(row: str, expected: list[str]) -> None:
    with pytest.raises(LgdFileError) as exc:
        parse_states(f"state_code,state_name,state_or_ut\n7,DELHI,U\n{row}\n")
    text_of = messages(exc)
    for part in expected:
        assert part in text_of


def test_bad_census_code_is_named() -> None:
    with pytest.raises(LgdFileError) as exc:
        parse_states("state_code,state_name,census_2011_code\n7,DELHI,seven\n")
    assert "line 2" in messages(exc)
    assert "census_2011_code" in messages(exc)


def test_missing_state_columns_are_named() -> None:
    with pytest.raises(LgdFileError) as exc:
        parse_states("State Code,Census 2011 Code\n7,7\n")
    assert "state_name" in messages(exc)


def test_file_kind() -> None:
    assert file_kind("district_code,district_name,state_code\n") == "districts"
    assert file_kind(",".join(LGD_HEADER) + "\n") == "districts"
    assert file_kind("state_code,state_name\n") == "states"
    assert file_kind("State Code,State Name (In English)\n") == "states"
    with pytest.raises(LgdFileError) as exc:
        file_kind("village_code,village_name\n")
    assert "not an LGD" in messages(exc)


# --- import_file ------------------------------------------------------------------------------


def bundled() -> dict[int, tuple[str, int]]:
    """The bundled districts, lgd_code -> (LGD name, LGD state code), in file order."""
    return {
        r.lgd_code: (r.lgd_name, r.state_lgd_code)
        for r in parse_districts(BUNDLED_DISTRICTS.read_text(encoding="utf-8"))
    }


def write_districts(
    tmp_path: Path,
    *,
    rename: dict[int, str] | None = None,
    move: dict[int, int] | None = None,
    drop: tuple[int, ...] = (),
    add: list[tuple[int, str, int]] | None = None,
    add_first: bool = False,
    lgd_headers: bool = False,
    name: str = "districts.csv",
) -> Path:
    """A districts export: the bundled one with the given changes, written under tmp_path."""
    rows = [
        (code, (rename or {}).get(code, lgd_name), (move or {}).get(code, state_code))
        for code, (lgd_name, state_code) in bundled().items()
        if code not in drop
    ]
    extra = list(add or [])
    rows = extra + rows if add_first else rows + extra
    out = StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if lgd_headers:
        writer.writerow(["S.No.", "State Code", "District Code", "District Name (In English)"])
        writer.writerows([i, s, c, n] for i, (c, n, s) in enumerate(rows, start=1))
    else:
        writer.writerow(PROJECT_HEADER)
        writer.writerows(rows)
    path = tmp_path / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def write_states(tmp_path: Path, *, rename: dict[int, str] | None = None, extra: str = "") -> Path:
    lines = BUNDLED_STATES.read_text(encoding="utf-8").splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        code, lgd_name, rest = line.split(",", 2)
        out.append(",".join([code, (rename or {}).get(int(code), lgd_name), rest]))
    path = tmp_path / "states.csv"
    path.write_text("\n".join(out) + "\n" + extra, encoding="utf-8")
    return path


def snapshot() -> dict[int, tuple[Any, ...]]:
    return {
        row[0]: row[1:]
        for row in District.objects.values_list(
            "lgd_code", "pk", "state_id", "name", "lgd_name", "slug", "retired_at", "successor_id"
        )
    }


def import_rows() -> Any:
    return AuditEvent.objects.filter(action="geography.import_lgd")


@pytest.fixture
def admin(user_named: Any) -> Any:
    return user_named("admin")


@pytest.mark.django_db
def test_importing_the_bundled_file_changes_nothing(tmp_path: Path) -> None:
    before = snapshot()
    report = import_file(write_districts(tmp_path), actor=None)
    assert report.unchanged == 739
    assert report.created == report.renamed == report.moved == report.missing == report.retired == []
    assert snapshot() == before


@pytest.mark.django_db
def test_a_renamed_district_is_renamed_in_place(tmp_path: Path, admin: Any) -> None:
    before = District.objects.get(lgd_code=82)
    agency_pks = set(before.agencies.values_list("pk", flat=True))
    agency_codes = set(before.agencies.values_list("code", flat=True))
    assert agency_pks
    report = import_file(write_districts(tmp_path, rename={82: "OUTER NORTH WEST"}), actor=admin)
    assert report.renamed == ["82 NORTH WEST -> OUTER NORTH WEST"]
    assert report.unchanged == 738
    after = District.objects.get(lgd_code=82)
    assert after.pk == before.pk
    assert (after.name, after.lgd_name) == ("Outer North West", "OUTER NORTH WEST")
    assert after.slug == before.slug == "NORTHWEST"
    assert after.state_id == before.state_id
    assert set(after.agencies.values_list("pk", flat=True)) == agency_pks
    assert set(Agency.objects.filter(pk__in=agency_pks).values_list("code", flat=True)) == agency_codes
    assert District.objects.count() == 739


@pytest.mark.django_db
def test_lgd_download_headers_work_for_import(tmp_path: Path) -> None:
    report = import_file(
        write_districts(tmp_path, rename={82: "OUTER NORTH WEST"}, lgd_headers=True), actor=None
    )
    assert len(report.renamed) == 1
    assert District.objects.get(lgd_code=82).lgd_name == "OUTER NORTH WEST"


@pytest.mark.django_db
def test_a_new_district_is_added(tmp_path: Path) -> None:
    report = import_file(write_districts(tmp_path, add=[(99001, "NEW DISTRICT", 7)]), actor=None)
    assert report.created == ["99001 NEW DISTRICT (DL)"]
    assert District.objects.count() == 740
    d = District.objects.select_related("state").get(lgd_code=99001)
    assert (d.state.code, d.name, d.lgd_name, d.slug) == ("DL", "New District", "NEW DISTRICT", "NEWDISTRICT")
    assert d.retired_at is None
    assert District.objects.active().filter(pk=d.pk).exists()


@pytest.mark.django_db
def test_a_new_district_with_a_taken_slug_gets_a_unique_one(tmp_path: Path) -> None:
    import_file(write_districts(tmp_path, add=[(99001, "NEW-DELHI", 7), (99002, "NEW DELHI", 6)]), actor=None)
    assert District.objects.get(lgd_code=99001).slug == "NEWDELHI99001"
    assert District.objects.get(lgd_code=99002).slug == "NEWDELHI"  # Haryana has none
    assert District.objects.get(lgd_code=79).slug == "NEWDELHI"


@pytest.mark.django_db
def test_missing_districts_are_listed_but_not_retired_by_default(tmp_path: Path) -> None:
    report = import_file(write_districts(tmp_path, drop=(85, 280)), actor=None)
    assert report.missing == ["85 West (DL)", "280 Barpeta (AS)"]
    assert report.retired == []
    assert District.objects.active().count() == 739
    assert District.objects.get(lgd_code=85).retired_at is None


@pytest.mark.django_db
def test_missing_districts_are_retired_when_asked(tmp_path: Path) -> None:
    report = import_file(write_districts(tmp_path, drop=(85,)), actor=None, retire_missing=True)
    assert report.missing == ["85 West (DL)"]
    assert report.retired == ["85 West"]
    west = District.objects.get(lgd_code=85)
    assert west.retired_at == timezone.localdate()
    assert District.objects.active().count() == 738
    # agencies keep pointing at the retired district
    assert Agency.objects.get(code="DL-WEST-DPO").district_id == west.pk


@pytest.mark.django_db
def test_already_retired_districts_are_not_listed_as_missing(tmp_path: Path, admin: Any) -> None:
    actions.retire_district(District.objects.get(lgd_code=85), actor=admin)
    report = import_file(write_districts(tmp_path, drop=(85,)), actor=None, retire_missing=True)
    assert report.missing == []
    assert report.retired == []


@pytest.mark.django_db
def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    before = snapshot()
    audit_before = AuditEvent.objects.count()
    path = write_districts(
        tmp_path, rename={82: "OUTER NORTH WEST"}, drop=(85,), add=[(99001, "NEW DISTRICT", 7)]
    )
    report = import_file(path, actor=None, retire_missing=True, dry_run=True)
    assert len(report.created) == len(report.renamed) == len(report.retired) == 1
    assert snapshot() == before
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.django_db
def test_unknown_state_code_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    before = snapshot()
    audit_before = AuditEvent.objects.count()
    path = write_districts(
        tmp_path,
        rename={82: "OUTER NORTH WEST"},
        add=[(99001, "NEW DISTRICT", 7), (99002, "NOWHERE", 99)],
        drop=(85,),
    )
    with pytest.raises(LgdFileError) as exc:
        import_file(path, actor=None, retire_missing=True)
    text_of = messages(exc)
    assert "unknown LGD state code 99" in text_of
    assert "line 741" in text_of  # 738 bundled rows, then the two added, after the header
    assert District.objects.count() == 739
    assert snapshot() == before
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.django_db
def test_a_district_with_agencies_may_not_move_state(tmp_path: Path) -> None:
    before = snapshot()
    # the new district comes first, so it would be written before the bad line is reached
    path = write_districts(tmp_path, add=[(99001, "NEW DISTRICT", 7)], add_first=True, move={79: 6})
    with pytest.raises(LgdFileError) as exc:
        import_file(path, actor=None)
    text_of = messages(exc)
    assert "79" in text_of
    assert "DL" in text_of and "HR" in text_of
    assert "agencies" in text_of
    assert District.objects.get(lgd_code=79).state.code == "DL"
    assert not District.objects.filter(lgd_code=99001).exists()
    assert snapshot() == before
    assert not import_rows().exists()


@pytest.mark.django_db
def test_a_district_without_agencies_moves_state(tmp_path: Path, admin: Any) -> None:
    actions.add_district(State.objects.get(code="DL"), "BORDERLAND", 99001, actor=admin)
    path = write_districts(tmp_path, add=[(99001, "BORDERLAND", 6)])
    report = import_file(path, actor=None)
    assert report.moved == ["99001 Borderland: DL -> HR"]
    assert District.objects.get(lgd_code=99001).state.code == "HR"


@pytest.mark.django_db
def test_a_moving_district_whose_slug_is_taken_in_its_new_state(tmp_path: Path, admin: Any) -> None:
    actions.add_district(State.objects.get(code="DL"), "GURUGRAM", 99001, actor=admin)
    path = write_districts(tmp_path, add=[(99001, "GURUGRAM", 6)])  # Haryana has GURUGRAM
    try:
        import_file(path, actor=None)
    except LgdFileError:
        return  # refusing the file cleanly is acceptable too
    moved = District.objects.get(lgd_code=99001)
    assert moved.state.code == "HR"
    assert moved.slug != "GURUGRAM"


@pytest.mark.django_db
def test_a_moving_district_gets_a_unique_slug_and_the_report_says_so(tmp_path: Path, admin: Any) -> None:
    actions.add_district(State.objects.get(code="DL"), "GURUGRAM", 99001, actor=admin)
    report = import_file(write_districts(tmp_path, add=[(99001, "GURUGRAM", 6)]), actor=None)
    assert report.moved == ["99001 Gurugram: DL -> HR (slug GURUGRAM -> GURUGRAM99001)"]
    assert District.objects.get(lgd_code=99001).slug == "GURUGRAM99001"
    assert District.objects.filter(state__code="HR", slug="GURUGRAM").exclude(lgd_code=99001).exists()


@pytest.mark.django_db
def test_a_database_error_is_an_lgd_file_error_naming_the_line(tmp_path: Path, admin: Any) -> None:
    actions.add_district(State.objects.get(code="DL"), "GURUGRAM", 99001, actor=admin)
    # Haryana already has both GURUGRAM and the slug the move would fall back to
    actions.add_district(State.objects.get(code="HR"), "GURUGRAM99001", 99002, actor=admin)
    before = snapshot()
    path = write_districts(tmp_path, add=[(99001, "GURUGRAM", 6), (99002, "GURUGRAM99001", 6)])
    with pytest.raises(LgdFileError) as exc:
        import_file(path, actor=None)
    assert "line 741" in messages(exc)
    assert snapshot() == before
    assert not import_rows().exists()


@pytest.mark.django_db
def test_a_retired_district_listed_again_is_reinstated(tmp_path: Path, admin: Any) -> None:
    actions.retire_district(District.objects.get(lgd_code=85), actor=admin)
    import_file(write_districts(tmp_path), actor=None)
    assert District.objects.get(lgd_code=85).retired_at is None


@pytest.mark.django_db
def test_reinstating_a_retired_district_is_reported(tmp_path: Path, admin: Any) -> None:
    actions.retire_district(District.objects.get(lgd_code=85), actor=admin)
    report = import_file(write_districts(tmp_path), actor=None)
    assert any("85" in line and "West" in line for line in report.lines())
    assert report.reinstated == ["85 West (DL)"]
    assert "reinstated: 1" in report.lines()
    assert "  reinstated: 85 West (DL)" in report.lines()
    assert report.unchanged == 738
    assert import_rows().get().detail["reinstated"] == 1


@pytest.mark.django_db
def test_reinstating_a_retired_district_clears_its_successor(tmp_path: Path, admin: Any) -> None:
    actions.retire_district(
        District.objects.get(lgd_code=85), actor=admin, successor=District.objects.get(lgd_code=84)
    )
    import_file(write_districts(tmp_path), actor=None)
    west = District.objects.get(lgd_code=85)
    assert west.retired_at is None
    assert west.successor is None


@pytest.mark.django_db
def test_an_import_keeps_an_admin_rename_while_lgd_keeps_its_name(tmp_path: Path, admin: Any) -> None:
    actions.rename_district(District.objects.get(lgd_code=79), "New Delhi (NDMC)", actor=admin)
    report = import_file(write_districts(tmp_path), actor=None)
    assert report.renamed == []
    assert District.objects.get(lgd_code=79).name == "New Delhi (NDMC)"


@pytest.mark.django_db
def test_bad_line_in_the_import_file_writes_nothing(tmp_path: Path) -> None:
    before = snapshot()
    path = write_districts(tmp_path, rename={82: "OUTER NORTH WEST"}, add=[(79, "DUPLICATE", 7)])
    with pytest.raises(LgdFileError) as exc:
        import_file(path, actor=None)
    assert "duplicate LGD district code 79" in messages(exc)
    assert snapshot() == before


@pytest.mark.django_db
def test_unreadable_file_is_an_lgd_file_error(tmp_path: Path) -> None:
    with pytest.raises(LgdFileError) as exc:
        import_file(tmp_path / "absent.csv", actor=None)
    assert "cannot read" in messages(exc)
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("district_code,district_name,state_code\n79,NÉW DELHI,7\n".encode("latin-1"))
    with pytest.raises(LgdFileError):
        import_file(latin, actor=None)


@pytest.mark.django_db
def test_import_writes_an_audit_row(tmp_path: Path, admin: Any) -> None:
    path = write_districts(
        tmp_path, rename={82: "OUTER NORTH WEST"}, drop=(85,), add=[(99001, "NEW DISTRICT", 7)]
    )
    import_file(path, actor=admin, retire_missing=True)
    row = import_rows().get()
    assert row.outcome == "success"
    assert row.actor == admin
    assert row.actor_name == "admin"
    assert row.via == "cli"
    assert row.object_repr == "districts.csv"
    assert row.detail["kind"] == "districts"
    assert row.detail["created"] == 1
    assert row.detail["renamed"] == 1
    assert row.detail["missing"] == 1
    assert row.detail["retired"] == 1
    assert row.detail["unchanged"] == 737


@pytest.mark.django_db
def test_import_report_lines() -> None:
    report = ImportReport(created=["1 A (DL)"], missing=["2 B (DL)"], unchanged=5)
    lines = report.lines()
    assert "created: 1" in lines
    assert "unchanged: 5" in lines
    assert "missing from the file: 1" in lines
    assert "  created: 1 A (DL)" in lines
    assert "  missing: 2 B (DL)" in lines
    assert not any(line.startswith("States updated") for line in lines)


# --- import_file: States -----------------------------------------------------------------------


@pytest.mark.django_db
def test_importing_the_bundled_states_file_changes_nothing(tmp_path: Path) -> None:
    before = list(State.objects.values_list("code", "name", "lgd_name"))
    report = import_file(write_states(tmp_path), actor=None)
    assert report.unchanged == 36
    assert report.states_updated == []
    assert list(State.objects.values_list("code", "name", "lgd_name")) == before
    assert import_rows().get().detail["kind"] == "states"


@pytest.mark.django_db
def test_a_renamed_state_is_renamed_in_place(tmp_path: Path) -> None:
    pk = State.objects.get(code="OD").pk
    report = import_file(write_states(tmp_path, rename={21: "ORISSA", 7: "NCT OF DELHI"}), actor=None)
    assert sorted(report.states_updated) == ["DELHI -> NCT OF DELHI", "ODISHA -> ORISSA"]
    odisha = State.objects.get(code="OD")
    assert (odisha.pk, odisha.name, odisha.lgd_name) == (pk, "Orissa", "ORISSA")
    delhi = State.objects.get(code="DL")
    assert (delhi.name, delhi.lgd_name) == ("Delhi", "NCT OF DELHI")  # the display name stays
    assert "States updated: 2" in report.lines()


@pytest.mark.django_db
def test_a_new_state_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    path = write_states(tmp_path, rename={21: "ORISSA"}, extra="40,NEW STATE,S,\n")
    with pytest.raises(LgdFileError) as exc:
        import_file(path, actor=None)
    assert "40" in messages(exc)
    assert "SHORT_CODES" in messages(exc)
    assert State.objects.get(code="OD").lgd_name == "ODISHA"
    assert State.objects.count() == 36
    assert not import_rows().exists()


@pytest.mark.django_db
def test_a_state_that_changes_kind_is_updated(tmp_path: Path) -> None:
    path = tmp_path / "states.csv"
    path.write_text(
        BUNDLED_STATES.read_text(encoding="utf-8").replace("18,ASSAM,S,18", "18,ASSAM,U,18"),
        encoding="utf-8",
    )
    report = import_file(path, actor=None)
    assert State.objects.get(code="AS").kind == "U" or report.unchanged < 36
    assert State.objects.get(code="AS").kind == "U"
    assert report.states_updated == ["ASSAM (kind S -> U)"]
    assert report.unchanged == 35


@pytest.mark.django_db
def test_a_state_whose_census_code_changes_is_updated(tmp_path: Path) -> None:
    path = tmp_path / "states.csv"
    path.write_text(
        BUNDLED_STATES.read_text(encoding="utf-8").replace("18,ASSAM,S,18", "18,ASSAM,S,81"),
        encoding="utf-8",
    )
    report = import_file(path, actor=None)
    assert State.objects.get(code="AS").census_2011_code == 81
    assert report.states_updated == ["ASSAM (census_2011_code 18 -> 81)"]
    assert "States updated: 1" in report.lines()


@pytest.mark.django_db
def test_a_renamed_state_that_changes_kind_is_reported_once(tmp_path: Path) -> None:
    path = tmp_path / "states.csv"
    path.write_text(
        BUNDLED_STATES.read_text(encoding="utf-8").replace("18,ASSAM,S,18", "18,ASOM,U,18"),
        encoding="utf-8",
    )
    report = import_file(path, actor=None)
    assert report.states_updated == ["ASSAM -> ASOM (kind S -> U)"]
    assam = State.objects.get(code="AS")
    assert (assam.lgd_name, assam.kind) == ("ASOM", "U")


@pytest.mark.django_db
def test_a_states_export_without_kind_or_census_columns_keeps_them(tmp_path: Path) -> None:
    before = list(State.objects.values_list("code", "kind", "census_2011_code"))
    rows = [line.split(",")[:2] for line in BUNDLED_STATES.read_text(encoding="utf-8").splitlines()]
    path = tmp_path / "states.csv"
    path.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="utf-8")
    report = import_file(path, actor=None)
    assert report.unchanged == 36
    assert list(State.objects.values_list("code", "kind", "census_2011_code")) == before


@pytest.mark.django_db
def test_a_blank_census_code_does_not_clear_one(tmp_path: Path) -> None:
    path = tmp_path / "states.csv"
    path.write_text(
        BUNDLED_STATES.read_text(encoding="utf-8").replace("18,ASSAM,S,18", "18,ASSAM,S,"),
        encoding="utf-8",
    )
    report = import_file(path, actor=None)
    assert report.unchanged == 36
    assert State.objects.get(code="AS").census_2011_code == 18


@pytest.mark.django_db
def test_a_census_code_the_database_refuses_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "states.csv"
    path.write_text(
        BUNDLED_STATES.read_text(encoding="utf-8").replace("18,ASSAM,S,18", "18,ASSAM,S,-18"),
        encoding="utf-8",
    )
    with pytest.raises(LgdFileError) as exc:
        import_file(path, actor=None)
    assert "line 5" in messages(exc)
    assert State.objects.get(code="AS").census_2011_code == 18
    assert not import_rows().exists()


# --- the command --------------------------------------------------------------------------------


def test_cli_alias_names_the_command() -> None:
    from crimac.cli import ALIASES, COMMANDS

    assert ALIASES["import-lgd"] == "import_lgd"
    assert "import-lgd" in COMMANDS


@pytest.mark.django_db
def test_command_applies_the_file_and_prints_the_report(tmp_path: Path) -> None:
    out = StringIO()
    path = write_districts(tmp_path, rename={82: "OUTER NORTH WEST"}, add=[(99001, "NEW DISTRICT", 7)])
    call_command("import_lgd", str(path), stdout=out)
    printed = out.getvalue().splitlines()
    assert "created: 1" in printed
    assert "renamed: 1" in printed
    assert "  renamed: 82 NORTH WEST -> OUTER NORTH WEST" in printed
    assert "dry run: nothing written" not in printed
    assert District.objects.get(lgd_code=82).name == "Outer North West"
    assert District.objects.filter(lgd_code=99001).exists()
    row = import_rows().get()
    assert row.actor is None
    assert row.via == "cli"


@pytest.mark.django_db
def test_command_lists_missing_and_retires_only_when_asked(tmp_path: Path) -> None:
    path = write_districts(tmp_path, drop=(85,))
    out = StringIO()
    call_command("import_lgd", str(path), stdout=out)
    assert "  missing: 85 West (DL)" in out.getvalue().splitlines()
    assert District.objects.get(lgd_code=85).retired_at is None
    out = StringIO()
    call_command("import_lgd", str(path), retire_missing=True, stdout=out)
    assert "retired: 1" in out.getvalue().splitlines()
    assert District.objects.get(lgd_code=85).retired_at == timezone.localdate()


@pytest.mark.django_db
def test_command_accepts_its_command_line_flags(tmp_path: Path) -> None:
    path = write_districts(tmp_path, drop=(85,))
    call_command("import_lgd", str(path), "--retire-missing", stdout=StringIO())
    assert District.objects.get(lgd_code=85).retired_at is not None


@pytest.mark.django_db
def test_command_dry_run_writes_nothing(tmp_path: Path) -> None:
    before = snapshot()
    path = write_districts(tmp_path, rename={82: "OUTER NORTH WEST"}, drop=(85,))
    out = StringIO()
    call_command("import_lgd", str(path), "--dry-run", "--retire-missing", stdout=out)
    printed = out.getvalue().splitlines()
    assert "renamed: 1" in printed
    assert "retired: 1" in printed
    assert printed[-1] == "dry run: nothing written"
    assert snapshot() == before
    assert not import_rows().exists()


@pytest.mark.django_db
def test_command_turns_file_errors_into_a_command_error(tmp_path: Path) -> None:
    before = snapshot()
    path = write_districts(tmp_path, rename={82: "OUTER NORTH WEST"}, add=[(99001, "NOWHERE", 99)])
    with pytest.raises(CommandError) as exc:
        call_command("import_lgd", str(path), stdout=StringIO())
    assert "line 741: unknown LGD state code 99" in str(exc.value)
    assert snapshot() == before
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_lgd", str(tmp_path / "absent.csv"), stdout=StringIO())
