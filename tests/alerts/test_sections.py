"""Reading citations ('IPC 370', 'u/s 103(1) BNS', 'Arms Act 25') and the catalogue of legal
sections with its IPC <-> BNS correspondence, as the migration loads it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crimac.alerts import sections_data
from crimac.alerts.models import LegalSection
from crimac.alerts.sections import UnknownCitation, parse

# --- reading citations --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IPC 370", ("IPC", "370")),
        ("370 IPC", ("IPC", "370")),
        ("u/s 370 IPC", ("IPC", "370")),
        ("U/S 370 IPC", ("IPC", "370")),
        ("us 370 ipc", ("IPC", "370")),
        ("u/s. 370 IPC", ("IPC", "370")),
        ("section 302 of IPC", ("IPC", "302")),
        ("Section 302 of the IPC", ("IPC", "302")),
        ("Sec. 302 IPC", ("IPC", "302")),
        ("IPC section 302", ("IPC", "302")),
        ("IPC sec 302", ("IPC", "302")),
        ("s.370 IPC", ("IPC", "370")),
        ("IPC370", ("IPC", "370")),
        ("  ipc   370  ", ("IPC", "370")),
        ("IPC\t370", ("IPC", "370")),
        ("BNS 103(1)", ("BNS", "103(1)")),
        ("u/s 103(1) BNS", ("BNS", "103(1)")),
        ("bns s.143", ("BNS", "143")),
        ("BNS S. 143", ("BNS", "143")),
        ("BNS 137(2)", ("BNS", "137(2)")),
        ("POCSO 6", ("POCSO", "6")),
        ("POCSO Act 6", ("POCSO", "6")),
        ("6 POCSO Act", ("POCSO", "6")),
        ("Arms Act 25", ("ARMS", "25")),
        ("25 Arms Act", ("ARMS", "25")),
        ("NDPS Act 20", ("NDPS", "20")),
        ("UAPA 16", ("UAPA", "16")),
        ("ITPA 5", ("ITPA", "5")),
        ("ITP Act 5", ("ITPA", "5")),
        ("376D IPC", ("IPC", "376D")),
        ("ipc 376d", ("IPC", "376D")),
        ("IPC 366A", ("IPC", "366A")),
        ("370A IPC", ("IPC", "370A")),
    ],
)
def test_every_form_of_citation(text: str, expected: tuple[str, str]) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "IPC",
        "370",
        "CrPC 41",
        "IT Act 66",
        "IPC 370 and 371",
        "IPC, 370",
        "IPC 3700",
        "IPC 370ABC",
        "IPC 103(123)",
        "IPC 370 BNS 143",
        "murder",
        "u/s IPC",
        "'; DROP TABLE alerts; --",
    ],
)
def test_garbage_is_unknown(text: str) -> None:
    with pytest.raises(UnknownCitation, match="write the code and the section"):
        parse(text)


def test_none_is_unknown() -> None:
    with pytest.raises(UnknownCitation):
        parse(None)  # type: ignore[arg-type]


def test_the_message_quotes_what_was_written() -> None:
    with pytest.raises(UnknownCitation) as exc:
        parse("CrPC 41")
    assert "'CrPC 41'" in str(exc.value)


@pytest.mark.parametrize(
    "text",
    [
        "IPC 370" + " " * 5 + "x" * 40,
        "section 370 of the Indian Penal Code, 1860 (trafficking)",
        "A" * 10_000,
    ],
)
def test_overly_long_input_is_unknown(text: str) -> None:
    with pytest.raises(UnknownCitation, match="a citation is a code and a section"):
        parse(text)


def test_a_citation_padded_with_whitespace_is_not_too_long() -> None:
    assert parse(" " * 100 + "IPC 370" + "\n" * 100) == ("IPC", "370")


@given(st.text(max_size=80))
def test_parse_raises_nothing_but_unknown_citation(text: str) -> None:
    try:
        code, section = parse(text)
    except UnknownCitation:
        return
    assert code in sections_data.CODES
    assert section and len(section) <= 9


@given(st.text(alphabet="IPCBNSAORMDTUYHV0123456789()/. \tus", max_size=30))
def test_parse_on_citation_like_text(text: str) -> None:
    try:
        code, section = parse(text)
    except UnknownCitation:
        return
    assert code in sections_data.CODES
    assert section[0].isdigit()


CATALOGUE = (
    [("IPC", ipc) for ipc, _, _, _ in sections_data.CORRESPONDENCE]
    + [("BNS", bns) for _, bns, _, _ in sections_data.CORRESPONDENCE]
    + [("BNS", bns) for bns, _ in sections_data.BNS_ONLY]
    + [(code, section) for code, section, _ in sections_data.SPECIAL_ACTS]
)
SPELLINGS = [
    "{code} {section}",
    "{section} {code}",
    "u/s {section} {code}",
    "section {section} of {code}",
    "section {section} of the {code}",
    "{code} s.{section}",
    "{code} sec. {section}",
]


@given(
    st.sampled_from(CATALOGUE),
    st.sampled_from(SPELLINGS),
    st.booleans(),
    st.sampled_from([" ", "  ", "\t", " \n "]),
)
def test_every_catalogue_section_parses_in_every_spelling(
    entry: tuple[str, str], spelling: str, lower: bool, space: str
) -> None:
    code, section = entry
    written_code = f"{code} Act" if code in {"ARMS", "NDPS", "POCSO", "UAPA"} and lower else code
    text = spelling.format(code=written_code, section=section).replace(" ", space)
    assert parse(text.lower() if lower else text) == (code, section)


# --- the catalogue ------------------------------------------------------------------------------


def by_citation() -> dict[tuple[str, str], LegalSection]:
    return {(s.code, s.section): s for s in LegalSection.objects.select_related("counterpart")}


@pytest.mark.django_db
def test_catalogue_holds_exactly_the_sections_data() -> None:
    rows = by_citation()
    assert set(rows) == set(CATALOGUE)
    assert LegalSection.objects.count() == len(CATALOGUE) == len(set(CATALOGUE))
    titles = {(code, section): title for code, section, title in sections_data.SPECIAL_ACTS}
    for code, section in titles:
        assert rows[(code, section)].title == titles[(code, section)]


@pytest.mark.django_db
def test_correspondence_is_symmetric() -> None:
    rows = by_citation()
    ipc_rows = [s for s in rows.values() if s.code == "IPC"]
    assert len(ipc_rows) == len(sections_data.CORRESPONDENCE)
    for ipc_section, bns_section, title, _ in sections_data.CORRESPONDENCE:
        ipc = rows[("IPC", ipc_section)]
        bns = rows[("BNS", bns_section)]
        assert ipc.counterpart == bns, ipc
        assert bns.counterpart == ipc, bns
        assert ipc.counterpart_uncertain == bns.counterpart_uncertain
        assert ipc.title == bns.title == title
    for s in rows.values():
        if s.counterpart is not None:
            assert s.counterpart.counterpart == s
            assert {s.code, s.counterpart.code} == {"IPC", "BNS"}
    assert all(s.counterpart is not None for s in ipc_rows)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("ipc", "bns"),
    [("370", "143"), ("370A", "144"), ("302", "103(1)"), ("366A", "96"), ("376D", "70"), ("364A", "140(2)")],
)
def test_known_counterparts(ipc: str, bns: str) -> None:
    ipc_row = LegalSection.objects.select_related("counterpart").get(code="IPC", section=ipc)
    bns_row = LegalSection.objects.select_related("counterpart").get(code="BNS", section=bns)
    assert ipc_row.counterpart.citation == f"BNS {bns}"
    assert bns_row.counterpart.citation == f"IPC {ipc}"
    assert not ipc_row.counterpart_uncertain


@pytest.mark.django_db
def test_exactly_the_twelve_trafficking_sections_are_flagged() -> None:
    flagged = set(LegalSection.objects.filter(trafficking=True).values_list("code", "section"))
    assert flagged == {
        ("IPC", "370"),
        ("IPC", "370A"),
        ("IPC", "366A"),
        ("IPC", "366B"),
        ("IPC", "372"),
        ("IPC", "373"),
        ("BNS", "143"),
        ("BNS", "144"),
        ("BNS", "96"),
        ("BNS", "141"),
        ("BNS", "98"),
        ("BNS", "99"),
    }
    for s in LegalSection.objects.filter(trafficking=True).select_related("counterpart"):
        assert s.counterpart is not None and s.counterpart.trafficking


@pytest.mark.django_db
def test_uncertain_rows_are_flagged_and_no_others() -> None:
    uncertain = set(LegalSection.objects.filter(counterpart_uncertain=True).values_list("code", "section"))
    assert uncertain == {("IPC", "374"), ("BNS", "146"), ("IPC", "392"), ("BNS", "309")}


@pytest.mark.django_db
def test_bns_only_sections_have_no_counterpart() -> None:
    rows = by_citation()
    for section in ("103(2)", "111", "112", "113"):
        assert rows[("BNS", section)].counterpart is None
    assert rows[("BNS", "111")].title == "Organised crime"
    assert rows[("BNS", "113")].title == "Terrorist act"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "section"),
    [("ITPA", "5"), ("POCSO", "6"), ("UAPA", "16"), ("ARMS", "25"), ("NDPS", "20")],
)
def test_special_acts_are_present(code: str, section: str) -> None:
    row = LegalSection.objects.get(code=code, section=section)
    assert row.counterpart is None
    assert not row.trafficking
    assert row.citation == f"{code} {section}"


@pytest.mark.django_db
def test_every_code_has_a_section_and_a_name() -> None:
    codes = set(LegalSection.objects.values_list("code", flat=True))
    assert codes == set(sections_data.CODES) == set(sections_data.CODE_NAMES)


@pytest.mark.django_db
def test_every_catalogue_row_parses_back_to_itself() -> None:
    for s in LegalSection.objects.all():
        assert parse(s.citation) == (s.code, s.section)
        assert parse(f"u/s {s.section} {s.code}") == (s.code, s.section)
