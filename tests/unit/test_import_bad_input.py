"""Bad input to an import: a LedgerError naming the line, field or value; nothing written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger import ImportFailed, InvalidEvent, Ledger, LedgerError
from ledger.codec import MAX_RECORD_BYTES
from ledger.io.authoring import iter_events

HEADER = "type,source,topic,claim_id,low,high,best,unit,stated_at"
# How long a message may grow when it echoes a value that is megabytes long.
SHORT = 600


@pytest.fixture
def lg() -> Ledger:
    return Ledger.open("memory://")


def write(tmp_path: Path, *lines: str, name: str = "events.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def jsonl(tmp_path: Path, *objects: dict[str, Any]) -> Path:
    return write(tmp_path, *(json.dumps(o) for o in objects), name="events.jsonl")


def figure_row(low: str = "1", high: str = "2", best: str = "", unit: str = "soldiers") -> str:
    return f"FigureReported,ukraine,k/killed,c1,{low},{high},{best},{unit},2025-01-13"


def refused(lg: Ledger, path: Path, **options: Any) -> ImportFailed:
    with pytest.raises(ImportFailed) as caught:
        lg.import_events(path, **options)
    assert lg.head == 0
    return caught.value


def reported(figure: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "FigureReported",
        "source": "ukraine",
        "topic": "k/killed",
        "claim_id": "c1",
        "figure": figure,
        "stated_at": "2025-01-13",
    }


# -- numbers of any length ----------------------------------------------------------


@pytest.mark.parametrize("column", ["low", "high", "best"])
@pytest.mark.parametrize("digits", [400, 5_000, 50_000])
def test_an_integer_too_wide_for_64_bits_is_refused_whatever_its_length(
    lg: Ledger, tmp_path: Path, column: str, digits: int
) -> None:
    cells = {"low": "1", "high": "2", "best": ""} | {column: "9" * digits}
    failed = refused(lg, write(tmp_path, HEADER, figure_row(**cells)))
    ((line, reason),) = failed.problems
    assert line == 2
    assert reason.startswith(f"{column} '999")
    assert reason.endswith("does not fit in 64 bits")
    assert len(reason) < SHORT


def test_leading_zeros_do_not_make_an_integer_too_wide(lg: Ledger, tmp_path: Path) -> None:
    lg.import_events(write(tmp_path, HEADER, figure_row(low="0" * 5_000 + "7", high="")))
    assert lg.head == 1


@pytest.mark.parametrize(
    ("cell", "why"),
    [
        ("1." + "1" * 5_000, "more significant digits than a float holds"),
        ("9" * 5_000 + ".5", "too large for a float"),
        ("1e999999", "too large for a float"),
        ("1e" + "9" * 5_000, "too large for a float"),
        ("1e-99999999999999999999", "too close to zero for a float"),
        ("1e-" + "9" * 5_000, "too close to zero for a float"),
    ],
    ids=["long-decimal", "long-whole", "big-exponent", "long-exponent", "tiny", "long-tiny"],
)
def test_a_decimal_of_any_length_or_exponent_is_refused_with_its_reason(
    lg: Ledger, tmp_path: Path, cell: str, why: str
) -> None:
    failed = refused(lg, write(tmp_path, HEADER, figure_row(low=cell)))
    ((line, reason),) = failed.problems
    assert line == 2
    assert why in reason
    assert len(reason) < SHORT


def test_zero_with_a_huge_exponent_is_zero(lg: Ledger, tmp_path: Path) -> None:
    lg.import_events(write(tmp_path, HEADER, figure_row(low="0.0e" + "9" * 5_000)))
    assert lg.head == 1


def test_a_phrase_with_thousands_of_digits_is_refused(lg: Ledger, tmp_path: Path) -> None:
    header = "type,source,topic,claim_id,phrase,unit,stated_at"
    row = f"FigureReported,ukraine,k/killed,c1,more than {'9' * 5_000},soldiers,2025-01-13"
    failed = refused(lg, write(tmp_path, header, row))
    ((line, reason),) = failed.problems
    assert line == 2
    assert reason.startswith("phrase 'more than 999")
    assert len(reason) < SHORT


@pytest.mark.parametrize(
    "figure",
    [
        {"phrase": "more than " + "9" * 5_000, "unit": "soldiers"},
        {"phrase": "more than 1." + "1" * 900, "unit": "soldiers"},
        {"phrase": "more than 1e999999", "unit": "soldiers"},
    ],
    ids=["long-phrase", "long-decimal-phrase", "big-exponent-phrase"],
)
def test_a_json_lines_phrase_with_an_overlong_number_is_refused(
    lg: Ledger, tmp_path: Path, figure: dict[str, Any]
) -> None:
    failed = refused(lg, jsonl(tmp_path, reported(figure)))
    ((line, reason),) = failed.problems
    assert line == 1
    assert len(reason) < SHORT


def test_a_json_lines_number_of_thousands_of_digits_is_refused(lg: Ledger, tmp_path: Path) -> None:
    path = jsonl(tmp_path, reported({"low": 0, "high": 1, "unit": "soldiers"}))
    path.write_text(path.read_text().replace('"low": 0', '"low": ' + "9" * 5_000))
    ((line, reason),) = refused(lg, path).problems
    assert line == 1
    assert reason.startswith("not JSON")


@pytest.mark.parametrize(
    ("number", "field"),
    [
        ("100000000000000000000001", "high"),  # orjson reads it as a float, another number
        ("18446744073709551616", "high"),  # 2**64
        ("-9223372036854775809", "low"),  # one below -2**63
    ],
)
def test_a_json_lines_integer_beyond_64_bits_is_refused_not_rounded(
    lg: Ledger, tmp_path: Path, number: str, field: str
) -> None:
    path = jsonl(tmp_path, reported({"low": 0, "high": 1, "unit": "soldiers"}))
    bound = '"low": 0' if field == "low" else '"high": 1'
    path.write_text(path.read_text().replace(bound, f'"{field}": {number}'))
    ((line, reason),) = refused(lg, path).problems
    assert line == 1
    assert reason == f"{field}: {number} does not fit in 64 bits"


def test_a_json_lines_integer_beyond_64_bits_outside_a_figure_is_refused(
    lg: Ledger, tmp_path: Path
) -> None:
    defined = {"type": "TopicDefined", "topic": "k/killed", "title": 1, "unit": "soldiers"}
    path = jsonl(tmp_path, defined)
    path.write_text(path.read_text().replace('"title": 1', '"title": ' + "1" * 24))
    ((line, reason),) = refused(lg, path).problems
    assert line == 1
    assert reason.startswith("title: ")


@pytest.mark.parametrize(
    ("figure", "reason"),
    [
        # Figure(**value) without its keyword-only unit let a TypeError escape.
        ({"low": 2900, "high": 3100}, "figure: missing field(s) unit"),
        ({"high": 3100, "unit": "people"}, "figure: missing field(s) low"),
        ({"best": 3000}, "figure: missing field(s) high, low, unit"),
    ],
)
def test_a_json_lines_figure_missing_a_field_is_a_bad_line_naming_it(
    lg: Ledger, tmp_path: Path, figure: dict[str, Any], reason: str
) -> None:
    ((line, found),) = refused(lg, jsonl(tmp_path, reported(figure))).problems
    assert line == 1
    assert found.startswith(reason + ' (give "phrase" and "unit", or "low", "high" and "unit")')


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"claim_id": None}, "FigureReported: missing field(s) claim_id"),
        ({"bogus": 1}, "FigureReported: unknown field(s) bogus"),
    ],
)
def test_a_json_lines_event_missing_or_with_an_unknown_field_says_so_in_field_terms(
    lg: Ledger, tmp_path: Path, change: dict[str, Any], reason: str
) -> None:
    event = reported({"low": 1, "high": 2, "unit": "people"}) | change
    event = {k: v for k, v in event.items() if v is not None}
    ((line, found),) = refused(lg, jsonl(tmp_path, event)).problems
    assert (line, found) == (1, reason)


@pytest.mark.parametrize("depth", [17, 300, 1_000])
def test_a_json_lines_line_nested_too_deep_is_a_bad_line(
    lg: Ledger, tmp_path: Path, depth: int
) -> None:
    nested = "[" * depth + "]" * depth
    path = write(
        tmp_path,
        '{"type": "TopicDefined", "topic": "t", "title": ' + nested + "}",
        '{"type": ' + nested + "}",
        name="events.jsonl",
    )
    failed = refused(lg, path)
    assert failed.problems == [(n, "values nested more than 16 levels deep") for n in (1, 2)]


# -- date formats ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date_format", "why"),
    [
        ("%d/%m/%Y%z%z", "gives a directive twice"),
        ("%d/%m/%Y %d", "gives a directive twice"),
        ("%d/%m/%Q", "is not a strptime format"),
    ],
)
def test_a_date_format_strptime_cannot_compile_is_refused_before_any_row(
    lg: Ledger, tmp_path: Path, date_format: str, why: str
) -> None:
    path = write(tmp_path, HEADER, figure_row(), figure_row().replace("2025-01-13", "13/01/2025"))
    read: list[int] = []
    with pytest.raises(InvalidEvent) as caught:
        lg.import_events(path, date_format=date_format, progress=lambda n, _: read.append(n))
    assert caught.value.field == "date_format"
    assert repr(date_format) in str(caught.value)
    assert why in str(caught.value)
    assert read == []
    assert lg.head == 0


def test_a_time_in_a_date_format_outside_utc_is_out_of_range(lg: Ledger, tmp_path: Path) -> None:
    row = figure_row().replace("2025-01-13", "31/12/9999 23:00-0500")
    failed = refused(lg, write(tmp_path, HEADER, row), date_format="%d/%m/%Y %H:%M%z")
    assert failed.problems == [(2, "stated_at '31/12/9999 23:00-0500': out of range in UTC")]


@pytest.mark.parametrize("stamp", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"])
def test_an_iso_timestamp_outside_utc_is_out_of_range_as_in_json_lines(
    lg: Ledger, tmp_path: Path, stamp: str
) -> None:
    failed = refused(lg, write(tmp_path, HEADER, figure_row().replace("2025-01-13", stamp)))
    assert failed.problems == [(2, f"stated_at {stamp!r}: out of range in UTC")]
    event = reported({"low": 1, "high": 2, "unit": "soldiers"}) | {"stated_at": stamp}
    ((_, reason),) = refused(lg, jsonl(tmp_path, event)).problems
    assert "out of range in UTC" in reason


# -- the arguments ----------------------------------------------------------------------


@pytest.mark.parametrize("path", [None, 5, b"events.csv", "events\x00.csv", 1.5])
def test_a_path_that_is_not_a_file_name_is_refused_naming_path(lg: Ledger, path: Any) -> None:
    with pytest.raises(InvalidEvent) as caught:
        lg.import_events(path)
    assert caught.value.field == "path"
    assert lg.head == 0


@pytest.mark.parametrize("name", ["missing.csv", "missing.jsonl"])
def test_a_missing_file_is_a_plain_error_naming_the_file(
    lg: Ledger, tmp_path: Path, name: str
) -> None:
    with pytest.raises(InvalidEvent) as caught:
        lg.import_events(tmp_path / name)
    assert not isinstance(caught.value, ImportFailed)
    assert caught.value.field == "path"
    assert str(tmp_path / name) in str(caught.value)
    assert "bad line" not in str(caught.value)


def test_a_directory_is_a_plain_error_naming_it(lg: Ledger, tmp_path: Path) -> None:
    folder = tmp_path / "rows.csv"
    folder.mkdir()
    with pytest.raises(InvalidEvent, match="cannot read"):
        lg.import_events(folder)


@pytest.mark.parametrize("name", ["events.csv", "events.jsonl"])
@pytest.mark.parametrize("progress", [5, "yes"])
def test_a_progress_that_cannot_be_called_is_refused_naming_progress(
    lg: Ledger, tmp_path: Path, name: str, progress: Any
) -> None:
    path = write(tmp_path, HEADER, figure_row(), name=name)
    with pytest.raises(InvalidEvent) as caught:
        lg.import_events(path, progress=progress)
    assert caught.value.field == "progress"
    assert lg.head == 0


@pytest.mark.parametrize("name", ["events.csv", "events.jsonl"])
@pytest.mark.parametrize("value", ["no", 1, None])
def test_ignore_columns_must_be_a_bool(lg: Ledger, tmp_path: Path, name: str, value: Any) -> None:
    path = write(tmp_path, HEADER, figure_row(), name=name)
    with pytest.raises(InvalidEvent) as caught:
        lg.import_events(path, ignore_columns=value)
    assert caught.value.field == "ignore_columns"
    assert lg.head == 0


# -- records over the size limit ---------------------------------------------------------


def test_an_event_over_the_record_size_limit_is_a_bad_line_of_the_check(
    lg: Ledger, tmp_path: Path
) -> None:
    small = {"type": "SourceDescribed", "source": "ukraine", "name": "Ukraine"}
    large = {"type": "SourceDescribed", "source": "russia", "name": "R" * (2 * MAX_RECORD_BYTES)}
    failed = refused(lg, jsonl(tmp_path, small, large))
    ((line, reason),) = failed.problems
    assert line == 2
    assert f"exceeds the limit of {MAX_RECORD_BYTES} bytes" in reason


def test_an_event_just_under_the_limit_is_imported(lg: Ledger, tmp_path: Path) -> None:
    fits = {"type": "SourceDescribed", "source": "ukraine", "name": "U" * (MAX_RECORD_BYTES - 400)}
    lg.import_events(jsonl(tmp_path, fits))
    assert lg.head == 1


# -- counting bad lines ------------------------------------------------------------------


def test_a_header_of_thousands_of_unknown_columns_is_one_bad_line(
    lg: Ledger, tmp_path: Path
) -> None:
    header = HEADER + "," + ",".join(f"extra{i}" for i in range(5_000))
    failed = refused(lg, write(tmp_path, header, figure_row()))
    assert failed.total == 1
    ((line, reason),) = failed.problems
    assert line == 1
    assert reason.startswith("columns 'extra0', 'extra1', 'extra2', 'extra3', 'extra4' and 4,995")
    assert failed.problems[0].column == "extra0"
    assert str(failed).count("line 1") == 1
    assert len(str(failed)) < SHORT


def test_two_unknown_columns_are_one_bad_line(lg: Ledger, tmp_path: Path) -> None:
    failed = refused(lg, write(tmp_path, "foo,bar"))
    assert failed.total == 1
    assert "1 bad line(s)" in str(failed)
    assert failed.problems == [
        (
            1,
            "columns 'foo', 'bar' are not event fields "
            "(see docs/spreadsheets.md; --ignore-columns sets unknown columns aside)",
        )
    ]


def test_columns_named_twice_and_unknown_ones_are_one_bad_line(lg: Ledger, tmp_path: Path) -> None:
    failed = refused(lg, write(tmp_path, "topic,topic,source,source,Notes"))
    assert failed.total == 1
    reasons = [reason for _, reason in failed.problems]
    assert reasons[0] == "columns 'topic', 'source' appear more than once"
    assert reasons[1].startswith("column 'Notes' is not an event field")


# -- values echoed in messages -------------------------------------------------------------


def test_a_megabytes_long_type_is_shown_cut_short(lg: Ledger, tmp_path: Path) -> None:
    event = {"type": "T" * 3_000_000, "topic": "k/killed", "title": "Killed"}
    failed = refused(lg, jsonl(tmp_path, event))
    ((line, reason),) = failed.problems
    assert line == 1
    assert reason.startswith("type: 'TTTT")
    assert "(3,000,000 characters)" in reason
    assert len(str(failed)) < SHORT


def test_a_long_phrase_is_shown_cut_short(lg: Ledger, tmp_path: Path) -> None:
    failed = refused(lg, jsonl(tmp_path, reported({"phrase": "x" * 500_000, "unit": "soldiers"})))
    ((line, reason),) = failed.problems
    assert line == 1
    assert "(500,000 characters)" in reason
    assert len(str(failed)) < SHORT


def test_a_long_unknown_key_is_shown_cut_short(lg: Ledger, tmp_path: Path) -> None:
    event = {"type": "TopicDefined", "topic": "k/killed", "title": "Killed", "k" * 1_000_000: 1}
    failed = refused(lg, jsonl(tmp_path, event))
    ((line, reason),) = failed.problems
    assert line == 1
    assert reason.startswith("TopicDefined:")
    assert len(str(failed)) < SHORT


@pytest.mark.parametrize("column", ["type", "phrase", "stated_at"])
def test_a_long_cell_is_shown_cut_short_with_its_column(
    lg: Ledger, tmp_path: Path, column: str
) -> None:
    cells = {
        "type": "FigureReported",
        "source": "ukraine",
        "topic": "k/killed",
        "phrase": "more than 3000",
        "unit": "soldiers",
        "stated_at": "2025-01-13",
    }
    cells[column] = "x" * 100_000
    path = write(tmp_path, ",".join(cells), ",".join(cells.values()))
    failed = refused(lg, path)
    ((line, reason),) = failed.problems
    assert line == 2
    assert reason.startswith(f"{column} 'xxx")
    assert "(100,000 characters)" in reason
    assert len(str(failed)) < SHORT


def test_a_long_cell_past_the_last_column_is_shown_cut_short(lg: Ledger, tmp_path: Path) -> None:
    failed = refused(lg, write(tmp_path, HEADER, figure_row() + "," + "x" * 100_000))
    ((line, reason),) = failed.problems
    assert line == 2
    assert reason.startswith("cell 10 'xxx")
    assert len(reason) < SHORT


def test_every_error_of_an_import_is_a_ledger_error(tmp_path: Path) -> None:
    # iter_events alone, without the checking pass, says the same.
    path = write(tmp_path, HEADER, figure_row(low="9" * 5_000))
    with pytest.raises(LedgerError, match="does not fit in 64 bits"):
        list(iter_events(path))


def test_a_rule_s_message_echoing_a_long_value_is_cut(lg: Ledger, tmp_path: Path) -> None:
    unit = "u" * 5_000
    path = write(tmp_path, HEADER, figure_row(), figure_row(unit=unit).replace("c1", "c2"))
    ((line, reason),) = refused(lg, path).problems
    assert line == 3
    assert reason.startswith("unit:")
    assert "(5,000 characters)" in reason
    assert len(reason) < SHORT


@pytest.mark.parametrize(
    ("line", "key"),
    [
        (
            '{"type":"FigureReported","source":"ukraine","source":"russia","topic":"k/killed",'
            '"claim_id":"c1","figure":{"low":1,"high":2,"unit":"soldiers"},'
            '"stated_at":"2025-01-13"}',
            "source",
        ),
        (
            '{"type":"FigureReported","source":"ukraine","topic":"k/killed","claim_id":"c1",'
            '"figure":{"low":1,"high":2,"unit":"soldiers","low":900},"stated_at":"2025-01-13"}',
            "low",
        ),
    ],
)
def test_a_json_lines_key_given_twice_is_a_bad_line_naming_the_key(
    lg: Ledger, tmp_path: Path, line: str, key: str
) -> None:
    """JSON lets a parser keep either value of a repeated key: the import keeps neither."""
    failed = refused(lg, write(tmp_path, line, name="events.jsonl"))
    assert failed.problems == [(1, f"key {key!r} is given twice")]
