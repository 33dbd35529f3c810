"""Spreadsheets in: columns by field name, dates, numbers, delimiters, all or nothing."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledger import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    FigureReported,
    ImportFailed,
    InvalidEvent,
    Ledger,
    SourceDescribed,
    TopicDefined,
)
from ledger.cli import cli
from ledger.io.authoring import iter_events
from ledger.io.spreadsheet import COLUMNS, restore_text

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "kursk-north-korean-pows.jsonl"
EXAMPLE = ROOT / "examples" / "spreadsheet.csv"
CASUALTIES = "kursk/nk-troops/casualties"

HEADER = "type,topic,title,unit,source,claim_id,phrase,low,high,best,stated_at"
DEFINE = "TopicDefined,k/c,Casualties,soldiers,,,,,,,"


def write(tmp_path: Path, *lines: str, name: str = "events.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    text = "\r\n".join(lines) + "\r\n"
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


@pytest.fixture
def lg() -> Ledger:
    return Ledger.open("memory://")


def figure(lg: Ledger, claim_id: str) -> FigureReported:
    found = lg.claim(claim_id)
    assert isinstance(found, FigureReported)
    return found


def problems(caught: pytest.ExceptionInfo[ImportFailed]) -> dict[int, str]:
    return dict(caught.value.problems)


# -- columns and types -------------------------------------------------------------


def test_every_event_type_imports_from_its_columns(lg: Ledger, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "type,source,name,kind,affiliation,reliability,topic,title,unit,parts,description,"
        "claim_id,statement,proposition,stance,phrase,stated_at,as_of,via,quote,url,target,reason",
        "SourceDescribed,ua,Ukraine,government,ua-gov,B" + "," * 17,
        "TopicDefined,,,,,,k/a,A,people,,,,,,,,,,,,,,",
        "TopicDefined,,,,,,k/b,B,people,,,,,,,,,,,,,,",
        "TopicDefined,,,,,,k/sum,Sum,people,k/a;k/b,The two,,,,,,,,,,,,",
        "FigureReported,ua,,,,,k/a,,people,,,f1,,,,about 300,2025-01-13,2025-01-10,r1;r2,q,"
        "https://x.example,,",
        "ClaimMade,ua,,,,,k/a,,,,,c1,It is so,p/so,denies,,2025-01-13,,,,,,",
        "ClaimDisputed,ru,,,,,,,,,,,,,,,2025-01-14,,,,,c1,no",
        "ClaimRetracted,ua,,,,,,,,,,,,,,,2025-01-15,,,,,c1,oops",
    )
    lg.import_events(path)
    kinds = [type(r.event) for r in lg.records()]
    assert kinds == [
        SourceDescribed,
        TopicDefined,
        TopicDefined,
        TopicDefined,
        FigureReported,
        ClaimMade,
        ClaimDisputed,
        ClaimRetracted,
    ]
    described = lg.source("ua")
    assert described is not None
    assert (described.kind, described.affiliation, described.reliability) == (
        "government",
        "ua-gov",
        "B",
    )
    total = lg.definition("k/sum")
    assert total is not None
    assert total.parts == ("k/a", "k/b")
    assert total.description == "The two"
    f1 = figure(lg, "f1")
    assert (f1.figure.low, f1.figure.high, f1.figure.best) == (200, 400, 300)
    assert f1.as_of == datetime(2025, 1, 10, tzinfo=UTC)
    assert f1.via == ("r1", "r2")
    assert (f1.quote, f1.url) == ("q", "https://x.example")
    c1 = lg.claim("c1")
    assert isinstance(c1, ClaimMade)
    assert (c1.statement, c1.proposition, c1.stance) == ("It is so", "p/so", "denies")
    events = [r.event for r in lg.records()]
    assert isinstance(events[6], ClaimDisputed)
    assert events[6].reason == "no"
    assert isinstance(events[7], ClaimRetracted)
    assert events[7].target == "c1"


def test_the_type_column_may_be_left_out_where_the_row_makes_it_obvious(
    lg: Ledger, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "topic,source,claim_id,phrase,unit,statement,stated_at",
        'k/c,ua,f1,"more than 3,000",soldiers,,2025-01-13',
        "k/c,ua,c1,,,They are there,2025-01-13",
    )
    lg.import_events(path)
    assert isinstance(lg.claim("f1"), FigureReported)
    assert isinstance(lg.claim("c1"), ClaimMade)


def test_a_row_that_names_no_type_and_shows_none_is_refused(lg: Ledger, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "topic,source,phrase,unit,statement,stated_at",
        "k/c,ua,,,,2025-01-13",
        "k/c,ua,300,people,Both,2025-01-13",
    )
    with pytest.raises(ImportFailed) as caught:
        lg.import_events(path)
    found = problems(caught)
    assert "type: not given" in found[2]
    assert "both a figure and a statement" in found[3]
    assert [p.column for p in caught.value.problems] == ["type", "type"]


def test_header_names_ignore_case_and_spaces_and_columns_come_in_any_order(
    lg: Ledger, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        " Stated_At ,UNIT, Phrase,Source ,Claim_ID,TOPIC",
        "2025-01-13,soldiers,several hundred,us,f1,k/c",
    )
    lg.import_events(path)
    assert figure(lg, "f1").figure.phrase == "several hundred"


def test_an_unknown_column_is_refused_by_name_unless_ignored(lg: Ledger, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "topic,source,claim_id,phrase,unit,stated_at,Notes",
        "k/c,ua,f1,300,p,2025-01-13,x",
    )
    with pytest.raises(ImportFailed) as caught:
        lg.import_events(path)
    ((line, reason),) = caught.value.problems
    assert line == 1
    assert "'Notes'" in reason
    assert caught.value.problems[0].column == "Notes"
    assert lg.head == 0
    assert [type(e) for e in iter_events(path, ignore_columns=True)] == [FigureReported]


def test_ignore_columns_still_refuses_a_cell_past_the_last_column(
    lg: Ledger, tmp_path: Path
) -> None:
    # An unquoted comma in the last column's free text: set aside, the quote
    # would have been stored cut short ('killed 300').
    path = write(
        tmp_path,
        "topic,source,claim_id,phrase,unit,stated_at,Notes,quote",
        "k/c,ua,f1,300,p,2025-01-13,x,killed 300, said the minister",
    )
    for ignore in (False, True):
        with pytest.raises(ImportFailed) as caught:
            lg.import_events(path, ignore_columns=ignore)
        problem = caught.value.problems[-1]
        assert problem.line == (1 if not ignore else 2)
    assert "cell 9 ' said the minister' is past the last column" in problem.reason
    assert lg.head == 0


def test_a_history_export_is_refused_whole_even_with_ignore_columns(
    lg: Ledger, tmp_path: Path
) -> None:
    exported = tmp_path / "history.csv"
    store = tmp_path / "s.db"
    Ledger.open(str(store)).import_events(EXAMPLE)
    done = CliRunner().invoke(cli, ["export", str(store), "--what", "history", "-o", str(exported)])
    assert done.exit_code == 0, done.output
    for ignore in (False, True):
        with pytest.raises(ImportFailed, match="a history export") as caught:
            lg.import_events(exported, ignore_columns=ignore)
        assert caught.value.problems[0].line == 1
    assert lg.head == 0


def test_a_figure_row_without_its_unit_says_what_to_give(lg: Ledger, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, DEFINE, "FigureReported,k/c,,,ua,f1,300,,,,2025-01-13")
    with pytest.raises(ImportFailed) as caught:
        lg.import_events(path)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (3, "unit")
    assert problem.reason.startswith("unit: not given: a figure row needs the unit it counts")
    assert lg.head == 0


def test_words_from_a_fixed_list_are_read_in_any_case(lg: Ledger, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "type,source,name,kind,reliability,topic,claim_id,statement,stance,stated_at",
        "sourcedescribed,msf,Doctors,NGO,b,,,,,",
        "ClaimMade,msf,,,,k/t,c1,Aid was refused, Denies ,2025-01-13",
    )
    lg.import_events(path)
    source, claim = (r.event for r in lg.records())
    assert isinstance(source, SourceDescribed)
    assert isinstance(claim, ClaimMade)
    assert (source.kind, source.reliability, claim.stance) == ("ngo", "B", "denies")


def test_a_column_named_twice_is_refused(lg: Ledger, tmp_path: Path) -> None:
    path = write(tmp_path, "topic,source,Topic", "k/c,ua,k/d")
    with pytest.raises(ImportFailed, match="'topic' appears twice"):
        lg.import_events(path)


def test_the_known_columns_are_the_event_fields_and_the_flattened_figure() -> None:
    figure_columns = {"phrase", "convention", "low", "high", "best", "low_open", "high_open"}
    assert figure_columns | {"unit", "rule", "type", "via", "parts", "target"} <= COLUMNS
    assert "figure" not in COLUMNS


# -- encodings and delimiters ------------------------------------------------------


@pytest.mark.parametrize("bom", [False, True], ids=["plain", "bom"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_utf8_with_or_without_bom_and_any_delimiter_is_detected(
    lg: Ledger, tmp_path: Path, delimiter: str, bom: bool
) -> None:
    rows = [["type", "topic", "title", "unit"], ["TopicDefined", "k/c", "Tués, blessés; ou", "°C"]]
    text = [delimiter.join(f'"{c}"' if "," in c else c for c in row) for row in rows]
    lg.import_events(write(tmp_path, *text, bom=bom))
    defined = lg.definition("k/c")
    assert defined is not None
    assert (defined.title, defined.unit) == ("Tués, blessés; ou", "°C")


def test_a_tsv_file_keeps_commas_and_semicolons_in_its_cells(lg: Ledger, tmp_path: Path) -> None:
    path = write(
        tmp_path, "type\ttitle\ttopic", "TopicDefined\tKilled, wounded; missing\tk/c", name="t.tsv"
    )
    lg.import_events(path)
    defined = lg.definition("k/c")
    assert defined is not None
    assert defined.title == "Killed, wounded; missing"


def test_a_given_delimiter_is_used_instead_of_the_detected_one(tmp_path: Path) -> None:
    path = write(tmp_path, "type,topic,title", "TopicDefined,k/c,T")
    with pytest.raises(ImportFailed, match="column 'type,topic,title' is not an event field"):
        list(iter_events(path, delimiter="tab"))
    with pytest.raises(InvalidEvent, match="delimiter"):
        list(iter_events(path, delimiter="|"))


def test_a_file_that_is_not_utf8_names_its_line(lg: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        b"type,topic,title,unit\r\nTopicDefined,k/a,A,u\r\nTopicDefined,k/b,Bl\xe9s,u\r\n"
    )
    with pytest.raises(ImportFailed) as caught:
        lg.import_events(path)
    ((line, reason),) = caught.value.problems
    assert line == 3
    assert "not UTF-8" in reason
    assert lg.head == 0


def test_a_utf16_file_is_refused_with_what_to_do(lg: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("type,topic\r\n".encode("utf-16"))
    with pytest.raises(ImportFailed, match="UTF-16; save it as CSV UTF-8"):
        lg.import_events(path)


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("type,topic\r\n".encode("utf-32"), "the file is UTF-32; save it as CSV UTF-8"),
        ("type,topic\r\n".encode("utf-16-le"), "looks like UTF-16 or UTF-32 without a byte"),
        ("type,topic\r\n".encode("utf-32-be"), "looks like UTF-16 or UTF-32 without a byte"),
        (b"type,topic\rTopicDefined,k/a\r", "end with a carriage return alone"),
    ],
)
def test_a_file_of_another_encoding_or_line_end_says_what_to_do(
    lg: Ledger, tmp_path: Path, content: bytes, said: str
) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFailed) as caught:
        lg.import_events(path)
    ((line, reason),) = caught.value.problems
    assert line == 1
    assert said in reason
    assert lg.head == 0


def test_blank_lines_before_the_header_are_skipped(lg: Ledger, tmp_path: Path) -> None:
    path = write(tmp_path, "", "  ", HEADER, DEFINE)
    lg.import_events(path)
    assert lg.head == 1
    bad = write(tmp_path, "", "type,topic,Notes", "TopicDefined,k/a,x", name="bad.csv")
    with pytest.raises(ImportFailed) as caught:
        lg.import_events(bad)
    assert caught.value.problems[0].line == 2  # the header's own line


def test_an_empty_file_has_no_header(lg: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(ImportFailed, match="no header row"):
        lg.import_events(path)


# -- cells -------------------------------------------------------------------------


def test_dates_are_iso_dates_or_timestamps_and_others_need_a_format(
    lg: Ledger, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "topic,source,claim_id,phrase,unit,stated_at",
        "k/c,a,f1,300,p,2025-01-13",
        "k/c,b,f2,300,p,2025-01-13T09:30:00+01:00",
        "k/c,c,f3,300,p,13/01/2025",
        "k/c,d,f4,300,p,2025-01-13T09:30:00",
    )
    with pytest.raises(ImportFailed) as caught:
        lg.import_events(path)
    found = caught.value.problems
    assert [p.line for p in found] == [4, 5]
    assert [(p.column, p.value) for p in found] == [
        ("stated_at", "13/01/2025"),
        ("stated_at", "2025-01-13T09:30:00"),
    ]
    assert "--date-format" in found[0].reason
    assert "timezone" in found[1].reason
    fixed = write(tmp_path, *path.read_text().splitlines()[:4], name="fixed.csv")
    events = list(iter_events(fixed, date_format="%d/%m/%Y"))
    stamps = [e.stated_at for e in events if isinstance(e, FigureReported)]
    assert stamps == [
        datetime(2025, 1, 13, tzinfo=UTC),
        datetime(2025, 1, 13, 8, 30, tzinfo=UTC),
        datetime(2025, 1, 13, tzinfo=UTC),
    ]


def test_a_date_format_that_reads_times_needs_a_timezone(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "topic,source,claim_id,phrase,unit,stated_at",
        "k/c,a,f1,3,p,13/01/2025 09:30+0100",
    )
    with pytest.raises(InvalidEvent, match="date_format"):
        list(iter_events(path, date_format="%d/%m/%Y %H:%M"))
    (event,) = iter_events(path, date_format="%d/%m/%Y %H:%M%z")
    assert isinstance(event, FigureReported)
    assert event.stated_at == datetime(2025, 1, 13, 8, 30, tzinfo=UTC)


def test_numbers_take_thousands_separators_and_keep_their_type(lg: Ledger, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "topic,source,claim_id,low,high,best,unit,stated_at",
        'k/c,a,f1,"11,000","12 000",11500,p,2025-01-13',
        "k/c,b,f2,2.5,1e3,,p,2025-01-13",
        "k/c,c,f3,\u00a01\u202f000 ,+2000,,p,2025-01-13",
    )
    lg.import_events(path)
    f1, f2, f3 = (figure(lg, c).figure for c in ("f1", "f2", "f3"))
    assert (f1.low, f1.high, f1.best) == (11000, 12000, 11500)
    assert all(isinstance(x, int) for x in (f1.low, f1.high, f1.best))
    assert (f2.low, f2.high) == (2.5, 1000.0)
    assert isinstance(f2.high, float)
    assert (f3.low, f3.high) == (1000, 2000)


@pytest.mark.parametrize(
    ("cell", "why"),
    [
        ("2,5", "not a number"),
        ("11,00", "not a number"),
        ("1,000 000", "not a number"),
        ("ten", "not a number"),
        ("1e999", "too large"),
        ("0.10000000000000000001", "significant digits"),
    ],
)
def test_a_cell_that_is_no_number_is_named_with_its_column(
    lg: Ledger, tmp_path: Path, cell: str, why: str
) -> None:
    path = write(tmp_path, "topic,source,low,high,unit,stated_at", f'k/c,a,"{cell}",,p,2025-01-13')
    with pytest.raises(ImportFailed) as caught:
        lg.import_events(path)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column, problem.value) == (2, "low", cell)
    assert why in problem.reason
    assert f"low {cell!r}" in problem.reason


def test_a_figure_is_words_or_numbers_and_keeps_both(lg: Ledger, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "topic,source,claim_id,phrase,convention,low,high,low_open,best,rule,unit,stated_at",
        "k/c,a,words,more than 3000,strict,,,,,,p,2025-01-13",
        "k/c,b,nums,several hundred,,200,,true,,,p,2025-01-13",
        "k/c,c,best,about 300,,,,,310,,p,2025-01-13",
        "k/c,d,ruled,,,,,,,my:rule,p,2025-01-13",
    )
    lg.import_events(path)
    words, nums, best, ruled = (figure(lg, c).figure for c in ("words", "nums", "best", "ruled"))
    assert (words.low, words.high, words.low_open, words.rule) == (3000, None, True, "strict:over")
    assert (nums.low, nums.high, nums.low_open, nums.phrase, nums.rule) == (
        200,
        None,
        True,
        "several hundred",
        None,
    )
    assert (best.low, best.high, best.best) == (200, 400, 310)
    assert (ruled.low, ruled.high, ruled.rule) == (None, None, "my:rule")


def test_a_figure_row_without_words_or_numbers_or_with_a_convention_on_numbers(
    lg: Ledger, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "type,topic,source,phrase,convention,low,unit,stated_at",
        "FigureReported,k/c,a,,,,p,2025-01-13",
        "FigureReported,k/c,b,,strict,3,p,2025-01-13",
        "FigureReported,k/c,c,lots,,,p,2025-01-13",
        "FigureReported,k/c,d,300,,,,2025-01-13",
    )
    with pytest.raises(ImportFailed) as caught:
        lg.import_events(path)
    assert [(p.line, p.column) for p in caught.value.problems] == [
        (2, "phrase"),
        (3, "convention"),
        (4, "phrase"),
        (5, "unit"),
    ]
    assert "lots" in caught.value.problems[2].reason


def test_lists_split_on_semicolons_and_empty_cells_are_not_given(
    lg: Ledger, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "topic,source,claim_id,phrase,unit,stated_at,as_of,via,quote,url",
        "k/c,a,f1,300,p,2025-01-13,,b; c;,,",
    )
    lg.import_events(path)
    f1 = figure(lg, "f1")
    assert f1.via == ("b", "c")
    assert f1.as_of == f1.stated_at
    assert (f1.quote, f1.url) == (None, None)


def test_free_text_keeps_its_spaces_and_other_cells_lose_them(lg: Ledger, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "topic,source,claim_id,phrase,unit,stated_at,quote",
        "  k/c , a ,f1, 300 ,p ,2025-01-13,  said so  ",
    )
    lg.import_events(path)
    f1 = figure(lg, "f1")
    assert (f1.topic, f1.source, f1.stated_at) == ("k/c", "a", datetime(2025, 1, 13, tzinfo=UTC))
    assert (f1.figure.phrase, f1.figure.unit) == (" 300 ", "p ")
    assert f1.quote == "  said so  "


def test_a_neutralised_formula_is_read_back_as_written(lg: Ledger, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "topic,source,claim_id,phrase,unit,stated_at,quote",
        "k/c,a,f1,300,p,2025-01-13,'=1+1",
        "k/c,b,f2,300,p,2025-01-13,''@x",
        "k/c,c,f3,300,p,2025-01-13,'tis",
    )
    lg.import_events(path)
    assert [figure(lg, c).quote for c in ("f1", "f2", "f3")] == ["=1+1", "'@x", "'tis"]
    assert restore_text("'-5") == "-5"


def test_a_quoted_cell_may_span_lines_and_line_numbers_stay_physical(
    lg: Ledger, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "topic,source,claim_id,phrase,unit,stated_at,quote",
        'k/c,a,f1,300,p,2025-01-13,"one\r\ntwo"',
        "k/c,b,f2,300,p,yesterday,",
    )
    with pytest.raises(ImportFailed) as caught:
        lg.import_events(path)
    assert [p.line for p in caught.value.problems] == [4]
    path = write(tmp_path, *path.read_text().splitlines()[:3], name="ok.csv")
    lg.import_events(path)
    assert figure(lg, "f1").quote == "one\r\ntwo"


def test_the_exports_view_columns_are_set_aside_and_derived_rows_skipped(
    lg: Ledger, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "topic,source,claim_id,low,high,unit,stated_at,derived,stale,disputed_by",
        "k/c,a,f1,1,2,p,2025-01-13,false,true,x;y",
        "k/sum,a,,1,2,p,,true,false,",
    )
    assert [type(e) for e in iter_events(path)] == [FigureReported]


# -- stable ids --------------------------------------------------------------------


def test_a_row_without_ids_gets_stable_ones_from_its_content(lg: Ledger, tmp_path: Path) -> None:
    lines = ("topic,source,phrase,unit,stated_at", "k/c,ukraine,300,p,2025-01-13")
    first = next(iter_events(write(tmp_path, *lines)))
    again = next(iter_events(write(tmp_path, *lines, name="again.csv")))
    assert isinstance(first, FigureReported)
    assert first == again
    assert re.fullmatch(r"[0-9a-f]{32}", first.event_id)
    assert re.fullmatch(r"ukraine-[0-9a-f]{16}", first.claim_id)
    assert first.claim_id == f"ukraine-{first.event_id[:16]}"
    # The same content spelled otherwise (a timestamp for the date) is the same event.
    other = next(iter_events(write(tmp_path, lines[0], lines[1] + "T00:00:00Z", name="o.csv")))
    assert other == first
    given = next(
        iter_events(write(tmp_path, lines[0] + ",event_id", lines[1] + ",mine", name="g.csv"))
    )
    assert given.event_id == "mine"


def test_importing_the_same_spreadsheet_twice_stores_nothing_new(
    lg: Ledger, tmp_path: Path
) -> None:
    path = write(
        tmp_path, HEADER, DEFINE, "FigureReported,k/c,,soldiers,ua,,about 300,,,,2025-01-13"
    )
    lg.import_events(path)
    stored = [r.event for r in lg.records()]
    lg.import_events(path)
    assert [r.event for r in lg.records()] == stored
    assert len(stored) == 2


def test_a_repeated_row_is_refused_naming_the_first(lg: Ledger, tmp_path: Path) -> None:
    row = "FigureReported,k/c,,soldiers,ua,,about 300,,,,2025-01-13"
    with pytest.raises(ImportFailed) as caught:
        lg.import_events(write(tmp_path, HEADER, DEFINE, row, row))
    ((line, reason),) = caught.value.problems
    assert line == 4
    assert "repeats line 3" in reason


# -- all or nothing ----------------------------------------------------------------


def test_every_bad_row_is_listed_with_line_column_and_value_and_nothing_is_stored(
    lg: Ledger, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        HEADER,
        DEFINE,
        "FigureReported,k/c,,soldiers,ua,f1,lots,,,,2025-01-13",
        "FigureReported,k/c,,soldiers,ua,f2,,5,x,,2025-01-13",
        "FigureReported,k/c,,people,ua,f3,300,,,,2025-01-13",
        "FigureReported,k/c,,soldiers,Not A Slug,f4,300,,,,2025-01-13",
        "Rumour,k/c,,,,,,,,,",
        "FigureReported,k/c,,soldiers,ua,f5,300,,,,2025-01-13",
        "FigureReported,k/c,,soldiers,us,f5,200,,,,2025-01-13",
    )
    with pytest.raises(ImportFailed) as caught:
        lg.import_events(path)
    found = [(p.line, p.column, p.value) for p in caught.value.problems]
    assert found == [
        (3, "phrase", "lots"),
        (4, "high", "x"),
        (5, "unit", "people"),
        (6, "source", "Not A Slug"),
        (7, "type", "Rumour"),
        (9, "claim_id", "f5"),
    ]
    assert lg.head == 0
    assert "6 bad line(s), nothing imported" in str(caught.value)


def test_at_most_twenty_bad_rows_are_listed_with_the_total(lg: Ledger, tmp_path: Path) -> None:
    rows = [f"FigureReported,k/c,,p,ua,f{i},300,,,,never" for i in range(25)]
    with pytest.raises(ImportFailed) as caught:
        lg.import_events(write(tmp_path, HEADER, *rows))
    assert len(caught.value.problems) == 20
    assert [p.line for p in caught.value.problems] == list(range(2, 22))
    assert caught.value.total == 25
    assert "and 5 more" in str(caught.value)


def test_a_row_with_cells_past_the_header_is_refused(lg: Ledger, tmp_path: Path) -> None:
    path = write(tmp_path, "type,topic,title,unit", "TopicDefined,k/c,T,u,,extra")
    with pytest.raises(ImportFailed, match="cell 6 'extra' is past the last column"):
        lg.import_events(path)


def test_a_file_without_newline_at_the_end_and_blank_rows(lg: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("type,topic,title,unit\n\n,,,\nTopicDefined,k/c,T,u", encoding="utf-8")
    lg.import_events(path)
    assert lg.head == 1


def test_iter_events_streams_and_stops_at_the_first_bad_row(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, DEFINE, "FigureReported,k/c,,p,ua,f1,lots,,,,2025-01-13")
    events = iter_events(path)
    assert isinstance(next(events), TopicDefined)
    with pytest.raises(ImportFailed) as caught:
        next(events)
    assert caught.value.problems[0].line == 3


def test_spreadsheet_options_are_refused_for_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("", encoding="utf-8")
    with pytest.raises(InvalidEvent, match="delimiter: applies to spreadsheets"):
        list(iter_events(path, delimiter=","))


# -- the example ---------------------------------------------------------------------


def test_the_example_spreadsheet_gives_the_seed_s_casualty_finding(
    lg: Ledger, tmp_path: Path
) -> None:
    lg.import_events(EXAMPLE)
    copy = tmp_path / SEED.name
    shutil.copy(SEED, copy)
    with Ledger.open(str(copy)) as seed:
        assert lg.topic(CASUALTIES) == seed.topic(CASUALTIES)
        assert lg.topic(CASUALTIES).figures  # the finding: figures, range and consensus
        # And every other topic with figures: the spreadsheet holds all the seed's figures.
        numeric = [t for t in seed.topics() if t.figures]
        assert [lg.topic(t.topic) for t in numeric] == numeric
