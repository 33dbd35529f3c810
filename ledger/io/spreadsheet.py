"""Spreadsheets in: the authoring format flattened to columns, one event a row.

A CSV or TSV file with a header row. Every column is an event field by its
DESIGN.md name; a figure's fields are columns of their own (``phrase``,
``convention``, ``low``, ``high``, ``best``, ``low_open``, ``high_open``,
``unit``, ``rule``); ``type`` names the event, and may be left out where the
row makes it obvious; list fields (``via``, ``parts``) separate items with
``;``; an empty cell is "not given". docs/spreadsheets.md is the reference.

The file is read line by line, never whole: bytes are decoded one line at a
time (so an undecodable byte is reported on its own line) and fed to the
``csv`` module, which joins the lines of a quoted cell that spans several.
"""

from __future__ import annotations

import csv
import math
import re
import types
import typing
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import attrs

from ledger.codec import format_timestamp, parse_timestamp
from ledger.domain.durations import parse_window
from ledger.domain.events import (
    EVENT_TYPES,
    RELIABILITY_GRADES,
    SOURCE_KINDS,
    STANCES,
    ClaimMade,
    Event,
    FigureReported,
    is_slug,
)
from ledger.domain.figures import Figure, Number
from ledger.domain.phrases import CONVENTIONS, parse_figure
from ledger.errors import ImportFailed, InvalidEvent, LedgerError, UnitMismatch, brief, clipped
from ledger.export.writers import FORMULA_STARTS
from ledger.io.importing import Parsed, Problem, check_progress, content_id, open_file
from ledger.io.longcells import Recorder, long_row, too_long

__all__ = [
    "COLUMNS",
    "DELIMITERS",
    "FIGURE_COLUMNS",
    "VIEW_COLUMNS",
    "check_options",
    "read_rows",
    "restore_text",
]

#: What --delimiter accepts, and the character each means.
DELIMITERS = {",": ",", ";": ";", "\t": "\t", "tab": "\t", "\\t": "\t"}
#: A figure's fields, flattened: the words, or the numbers (with the words kept).
FIGURE_COLUMNS = (
    "phrase",
    "convention",
    "low",
    "high",
    "best",
    "low_open",
    "high_open",
    "unit",
    "rule",
)
#: Columns the ledger's own exports write that it computes rather than records:
#: accepted and set aside; a row whose ``derived`` is true is skipped whole.
VIEW_COLUMNS = ("derived", "stale", "disputed_by")
#: Any of these, given, makes a row's figure numbers rather than words.
_NUMBER_COLUMNS = ("low", "high", "low_open", "high_open", "rule")
#: Cells kept exactly as written, surrounding spaces included: free text. Any
#: other cell (slugs, names of kinds, numbers, dates, lists) loses its spaces.
_PROSE = frozenset(
    {
        "statement",
        "quote",
        "reason",
        "description",
        "title",
        "name",
        "phrase",
        "unit",
        "rule",
        "url",
    }
)
_TYPES: dict[str, type[Event]] = {cls.__name__.casefold(): cls for cls in EVENT_TYPES}
_TIME_DIRECTIVES = re.compile(r"%[HIMSfpXcTRr]")
# Digits in groups of three with one kind of separator, as parse_figure reads them.
_NUMBER = re.compile(
    r"([+-]?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,3}(?: [0-9]{3})+|[0-9]+)"
    r"(\.[0-9]+)?([eE][+-]?[0-9]+)?"
)
# A text cell that a spreadsheet would read as a formula, or that starts with
# apostrophes before such a character: the export puts one more apostrophe in
# front (ledger.export), and reading takes one away, so the two are inverses.
_NEUTRALISED = re.compile("'+[" + re.escape(FORMULA_STARTS) + "]")
# No integer written with more digits than 2**64 has fits in 64 bits: such a
# cell is refused by its length, never converted (int() of thousands of digits
# is slow, and past sys.get_int_max_str_digits() a ValueError).
_WIDEST_INT = len(str(2**64))


class _CellError(ValueError):
    """A cell whose text is not a value of its column's kind."""


def restore_text(cell: str) -> str:
    """A cell as stored: one apostrophe that neutralised a formula character removed."""
    return cell[1:] if _NEUTRALISED.match(cell) else cell


# -- what the columns are, from the event classes --------------------------------


def _kind(annotation: Any) -> str:
    """How a cell of a field of this type is read: stamp, list, duration, bool, number, text."""
    args = set(typing.get_args(annotation)) if isinstance(annotation, types.UnionType) else set()
    if annotation is datetime:
        return "stamp"
    if annotation == tuple[str, ...]:
        return "list"
    if annotation is timedelta or timedelta in args:
        return "duration"
    if annotation is bool:
        return "bool"
    if float in args:
        return "number"
    return "text"


def _fields(cls: type[Any]) -> dict[str, str]:
    return {a.name: _kind(a.type) for a in attrs.fields(attrs.resolve_types(cls))}


_EVENT_FIELDS = {cls: _fields(cls) for cls in EVENT_TYPES}
_FIGURE_FIELDS = _fields(Figure) | {"convention": "text"}
_KINDS = {name: kind for fields in _EVENT_FIELDS.values() for name, kind in fields.items()}
_KINDS |= _FIGURE_FIELDS | {"type": "text", "derived": "bool", "stale": "bool"}
_KINDS["disputed_by"] = "list"
del _KINDS["figure"]
#: Every column a spreadsheet may have.
COLUMNS = frozenset(_KINDS)
#: Columns whose values come from a fixed list: each written in any case -> as listed.
_ANY_CASE: dict[str, dict[str, str]] = {
    column: {value.casefold(): value for value in values}
    for column, values in (
        ("kind", SOURCE_KINDS),
        ("stance", STANCES),
        ("convention", CONVENTIONS),
        ("reliability", RELIABILITY_GRADES),
    )
}
_REQUIRED = {
    cls: tuple(a.name for a in attrs.fields(cls) if a.default is attrs.NOTHING)
    for cls in EVENT_TYPES
}
_ALLOWED = {
    cls: frozenset(fields) - {"figure"} | {"type", *VIEW_COLUMNS}
    for cls, fields in _EVENT_FIELDS.items()
}
_ALLOWED[FigureReported] |= set(FIGURE_COLUMNS)


# -- options ----------------------------------------------------------------------


def check_options(delimiter: str | None, date_format: str | None) -> str | None:
    """The delimiter an option names (None: detect it); InvalidEvent naming a bad option."""
    if date_format is not None:
        if not isinstance(date_format, str) or "%" not in date_format:
            raise InvalidEvent(
                f"{brief(date_format)} is not a strptime format such as %d/%m/%Y",
                field="date_format",
            )
        _check_date_format(date_format)
        if _TIME_DIRECTIVES.search(date_format) and "%z" not in date_format:
            raise InvalidEvent(
                f"{brief(date_format)} reads times without a timezone; add %z, or read dates only",
                field="date_format",
            )
    if delimiter is None:
        return None
    found = DELIMITERS.get(delimiter) if isinstance(delimiter, str) else None
    if found is None:
        raise InvalidEvent(f"{delimiter!r} is not one of ',', ';' or 'tab'", field="delimiter")
    return found


def _check_date_format(date_format: str) -> None:
    # strptime compiles the format on first use: a directive given twice is a
    # re.error, an unknown one a ValueError. Compile it now, before any row is read.
    try:
        datetime.strptime("", date_format)
    except re.error:
        raise InvalidEvent(
            f"{brief(date_format)} gives a directive twice; give each (%d, %m, %Y, …) once",
            field="date_format",
        ) from None
    except ValueError as exc:
        if not str(exc).startswith("time data"):  # not the empty text's mismatch
            raise InvalidEvent(
                f"{brief(date_format)} is not a strptime format: {clipped(str(exc))}",
                field="date_format",
            ) from None


# -- cells ------------------------------------------------------------------------


def _number(text: str) -> Number:
    flat = " ".join(text.split())  # no-break and narrow no-break spaces become spaces
    match = _NUMBER.fullmatch(flat)
    if match is None:
        raise _CellError("not a number")
    sign, whole, decimals, exponent = match.groups()
    digits = re.sub("[, ]", "", whole)
    if not decimals and not exponent:
        if len(digits.lstrip("0")) > _WIDEST_INT:
            raise _CellError("does not fit in 64 bits")
        return int(sign + (digits.lstrip("0") or "0"))
    literal = sign + digits + (decimals or "") + (exponent or "")
    value = float(literal)  # any length and exponent: inf or 0.0 past what a float holds
    if math.isinf(value):
        raise _CellError("too large for a float")
    if value == 0:
        if (digits + (decimals or "")).strip("0."):
            raise _CellError("too close to zero for a float")
        return value
    # As parse_figure: a bound the float cannot hold would silently move. Decimal,
    # not Fraction: exact too, and it reads any number of digits.
    if Decimal(repr(value)) != Decimal(literal):
        raise _CellError("has more significant digits than a float holds (about 15)")
    return value


def _boolean(text: str) -> bool:
    word = text.strip().casefold()
    if word in ("true", "yes", "1"):
        return True
    if word in ("false", "no", "0"):
        return False
    raise _CellError("not true or false")


def _stamp(text: str, date_format: str | None) -> datetime:
    text = text.strip()
    if date_format is not None:
        try:
            value = datetime.strptime(text, date_format)
        except ValueError:
            pass
        else:
            if value.tzinfo is None:
                return value.replace(tzinfo=UTC)  # a date: midnight UTC
            try:
                return value.astimezone(UTC)
            except OverflowError:
                raise _CellError("out of range in UTC") from None
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        if "timezone" in str(exc):
            raise _CellError("a timestamp needs a timezone (…Z or …+01:00)") from None
        if "out of range" in str(exc):  # a valid timestamp, past year 9999 or before year 1 in UTC
            raise _CellError("out of range in UTC") from None
        other = (
            f"nor a date in {brief(date_format)}"
            if date_format
            else "give --date-format for others"
        )
        raise _CellError(
            f"not an ISO date (2025-01-13) or timestamp (2025-01-13T09:00:00Z); {other}"
        ) from None


def _duration(text: str) -> timedelta:
    try:
        return parse_window(text)
    except InvalidEvent as exc:
        raise _CellError(str(exc).removeprefix("window: ")) from None


def _cell(kind: str, text: str, date_format: str | None) -> Any:
    if kind == "text":
        return text
    if kind == "number":
        return _number(text)
    if kind == "bool":
        return _boolean(text)
    if kind == "stamp":
        return _stamp(text, date_format)
    if kind == "list":
        return tuple(item.strip() for item in text.split(";") if item.strip())
    return _duration(text)


def _canonical(value: Any) -> Any:
    """A parsed cell as JSON, for a row's content id."""
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, tuple):
        return list(value)
    return value


# -- rows -------------------------------------------------------------------------


@attrs.frozen
class _Header:
    """Which column holds which name, and the columns set aside."""

    index: dict[str, int]
    #: Columns with an empty header: their cells must be empty.
    unnamed: frozenset[int]
    width: int


class _Row:
    """One row read into an event (or a Problem), cell by cell."""

    def __init__(self, line: int, cells: dict[str, str], date_format: str | None) -> None:
        self.line = line
        self.cells = cells
        self.date_format = date_format
        self.values: dict[str, Any] = {}

    def problem(self, column: str | None, message: str) -> Problem:
        if column is None:
            return Problem(self.line, clipped(message))
        if column not in self.cells:
            return Problem(self.line, clipped(f"{column}: {message}"), column=column, value="")
        value = self.cells[column]
        message = clipped(message, [value])
        return Problem(self.line, f"{column} {brief(value)}: {message}", column=column, value=value)

    def read(self) -> Event | Problem | None:
        for name, text in self.cells.items():
            try:
                self.values[name] = _cell(_KINDS[name], text, self.date_format)
            except _CellError as exc:
                return self.problem(name, str(exc))
        # Words from a fixed list are read in any case, as the type is: "NGO", "Affirms".
        for name, listed in _ANY_CASE.items():
            if name in self.values:
                given = self.values[name].strip()
                # A value of no case on the list stays as given, for its own message.
                self.values[name] = listed.get(given.casefold(), given)
        if self.values.get("derived"):
            return None  # a sum the ledger derives again from the parts
        cls = self._type()
        if isinstance(cls, Problem):
            return cls
        extra = sorted(set(self.values) - _ALLOWED[cls])
        if extra:
            return self.problem(extra[0], f"not a field of {cls.__name__}")
        return self._event(cls)

    def _type(self) -> type[Event] | Problem:
        tag = self.values.get("type")
        if tag is not None:
            found = _TYPES.get(tag.casefold())
            if found is None:
                names = ", ".join(cls.__name__ for cls in EVENT_TYPES)
                return self.problem("type", f"not one of {names}")
            return found
        figure = any(name in self.values for name in FIGURE_COLUMNS if name != "unit")
        statement = "statement" in self.values
        if figure and statement:
            return self.problem("type", "not given, and the row has both a figure and a statement")
        if figure:
            return FigureReported
        if statement:
            return ClaimMade
        return self.problem(
            "type", "not given, and neither figure columns nor a statement say which event"
        )

    def _event(self, cls: type[Event]) -> Event | Problem:
        fields = {k: v for k, v in self.values.items() if k not in ("type", *VIEW_COLUMNS)}
        content = {"type": cls.__name__} | {k: _canonical(v) for k, v in fields.items()}
        if cls is FigureReported:
            figure = self._figure(fields)
            if isinstance(figure, Problem):
                return figure
            fields = {k: v for k, v in fields.items() if k not in FIGURE_COLUMNS}
            fields["figure"] = figure
        digest = content_id(content)
        if "claim_id" in _REQUIRED[cls] and "claim_id" not in fields:
            source = fields.get("source")
            fields["claim_id"] = f"{source if is_slug(source) else 'claim'}-{digest[:16]}"
        fields.setdefault("event_id", digest)
        for name in _REQUIRED[cls]:
            if name not in fields:
                return self.problem(name, f"not given ({cls.__name__} needs it)")
        try:
            return cls(**fields)
        except InvalidEvent as exc:
            return self._refused(exc, exc.field)

    def _figure(self, fields: dict[str, Any]) -> Figure | Problem:
        unit = fields.get("unit", "")
        if not unit:
            # Each row stands alone: the topic's unit is not filled in (ledger add figure does).
            return self.problem(
                "unit",
                "not given: a figure row needs the unit it counts (the topic's unit), "
                "even where a definition or an earlier row gives it",
            )
        try:
            if any(name in fields for name in _NUMBER_COLUMNS):
                if "convention" in fields:
                    return self.problem("convention", "applies to words; this row gives numbers")
                return Figure(
                    fields.get("low"),
                    fields.get("high"),
                    fields.get("low_open", False),
                    fields.get("high_open", False),
                    best=fields.get("best"),
                    unit=unit,
                    phrase=fields.get("phrase"),
                    rule=fields.get("rule"),
                )
            if "phrase" not in fields:
                return self.problem("phrase", "give the figure's words, or low and/or high")
            convention = fields.get("convention", "wikimpacts-2024")
            figure = parse_figure(fields["phrase"], unit, convention)
            if "best" in fields:
                figure = attrs.evolve(figure, best=fields["best"])
            return figure
        except UnitMismatch as exc:
            return self._refused(exc, "unit")
        except InvalidEvent as exc:
            return self._refused(exc, exc.field or "phrase")

    def _refused(self, exc: LedgerError, column: str | None) -> Problem:
        message = str(exc)
        if column is not None and message.startswith(f"{column}: "):
            message = message[len(column) + 2 :]
        return self.problem(column, message)


# -- the file ---------------------------------------------------------------------


class _Lines:
    """A binary file's lines as text, counted, the BOM removed; _Undecodable on bad bytes."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.number = 0

    def __iter__(self) -> Iterator[str]:
        for raw in self.file:
            self.number += 1
            if self.number == 1:
                _check_first(raw)
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = raw[exc.start : exc.start + 1].hex()
                raise _Undecodable(
                    self.number, f"not UTF-8: byte 0x{bad} at column {exc.start + 1}"
                ) from None


def _check_first(raw: bytes) -> None:
    """_Undecodable for a first line that says the file is no UTF-8 text with line ends."""
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise _Undecodable(1, "the file is UTF-32; save it as CSV UTF-8")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Undecodable(1, "the file is UTF-16; save it as CSV UTF-8")
    if b"\x00" in raw:
        raise _Undecodable(
            1,
            "the first line holds NUL bytes: the file looks like UTF-16 or UTF-32 "
            "without a byte order mark; save it as CSV UTF-8",
        )
    if b"\r" in raw.rstrip(b"\r\n") and b'"' not in raw:
        raise _Undecodable(
            1,
            "the lines end with a carriage return alone (an old Mac format); "
            "save the file with CRLF or LF line ends",
        )


class _Undecodable(Exception):
    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message


def _sniff(first: str, suffix: str) -> str:
    """The delimiter the header line uses most: ',', ';' or a tab; by the suffix if none."""
    bare = re.sub(r'"[^"]*"', "", first)
    order = ("\t", ",", ";") if suffix == ".tsv" else (",", ";", "\t")
    counts = {d: bare.count(d) for d in order}
    best = max(order, key=lambda d: counts[d])  # the first of equals wins
    return best if counts[best] else order[0]


#: The columns only a history export has (ledger.export: one row per FigureReported).
_HISTORY = frozenset({"position", "retracted", "current"})


def _header(label: str, cells: list[str], ignore: bool, at: int = 1) -> _Header:
    """The header row, read on line at; ImportFailed naming that line for a bad one."""
    index: dict[str, int] = {}
    unnamed: set[int] = set()
    twice: dict[str, None] = {}  # insertion-ordered sets
    unknown: dict[str, None] = {}
    for i, cell in enumerate(cells):
        name = restore_text(cell).strip().casefold()
        if not name:
            unnamed.add(i)
        elif name in index:
            twice[name] = None
        elif name in COLUMNS:
            index[name] = i
        elif not ignore:  # with ignore_columns set aside: no field reads its cells
            unknown[cell.strip()] = None
    if _HISTORY.issubset(restore_text(cell).strip().casefold() for cell in cells):
        # Set aside, these columns would bring retracted and superseded figures back.
        history = Problem(
            at,
            "a history export (columns 'position', 'retracted', 'current'): its rows are "
            "every figure ever reported, retracted and superseded ones too, and do not "
            "import back (export --what figures gives each source's current figures)",
            column="retracted",
        )
        raise ImportFailed(label, [history], 1)
    # All on the header's line: one problem for each kind of fault, the columns listed in it.
    problems: list[Problem] = []
    if twice:
        names = _listed(list(twice))
        verb = "appears twice" if len(twice) == 1 else "appear more than once"
        problems.append(Problem(at, f"{names} {verb}", column=next(iter(twice))))
    if unknown:
        names = _listed(list(unknown))
        verb = "is not an event field" if len(unknown) == 1 else "are not event fields"
        problems.append(
            Problem(
                at,
                f"{names} {verb} "
                "(see docs/spreadsheets.md; --ignore-columns sets unknown columns aside)",
                column=next(iter(unknown)),
            )
        )
    if not index and not problems:
        problems.append(Problem(at, "no header row: the first row names no columns"))
    if problems:
        raise ImportFailed(label, problems, 1)
    return _Header(index, frozenset(unnamed), len(cells))


def _listed(names: list[str], shown: int = 5) -> str:
    """Columns by name: "column 'a'", or "columns 'a', 'b' and 7 more"."""
    if len(names) == 1:
        return f"column {brief(names[0])}"
    first = ", ".join(brief(name) for name in names[:shown])
    more = f" and {len(names) - shown:,} more" if len(names) > shown else ""
    return f"columns {first}{more}"


def _cells(header: _Header, line: int, row: list[str]) -> dict[str, str] | Problem | None:
    """The row's non-empty cells by column name; None for a blank row."""
    if not any(cell.strip() for cell in row):
        return None
    # Set aside are the columns of unknown names only: a cell past the last
    # column (a comma inside unquoted text, often) is refused all the same.
    for i in range(len(row)):
        if (i >= header.width or i in header.unnamed) and row[i].strip():
            where = "past the last column" if i >= header.width else "under no column name"
            return Problem(line, f"cell {i + 1} {brief(row[i])} is {where}", value=row[i])
    found = {}
    for name, i in header.index.items():
        if i < len(row):
            cell = restore_text(row[i])
            # Free text is kept as written; any other cell without its surrounding spaces.
            cell = cell if name in _PROSE else cell.strip()
            if cell:
                found[name] = cell
    return found


def read_rows(
    path: str | Path,
    *,
    delimiter: str | None = None,
    date_format: str | None = None,
    ignore_columns: bool = False,
    progress: Callable[[int, int], None] | None = None,
    total: int = 0,
    label: str | None = None,
) -> Iterator[Parsed]:
    """Each row of a CSV/TSV file as (line, event or problem), streamed.

    ``delimiter`` is a character of DELIMITERS (None: detected from the
    header line); ``progress(lines_read, total)`` is called after each row;
    ``label`` names the file in errors (path may be a copy of it). A file
    that cannot be opened is an InvalidEvent naming ``path``; a bad header
    row, an ImportFailed naming the header's line.
    """
    check_progress(progress)
    name, file = open_file(path)
    label = label or name
    try:
        yield from _rows(label, file, delimiter, date_format, ignore_columns, progress, total)
    except _Undecodable as exc:
        yield exc.line, Problem(exc.line, exc.message)
    finally:
        file.close()


def _rows(
    label: str,
    file: BinaryIO,
    delimiter: str | None,
    date_format: str | None,
    ignore: bool,
    progress: Callable[[int, int], None] | None,
    total: int,
) -> Iterator[Parsed]:
    lines = _Lines(file)
    text = iter(lines)
    first = next(text, None)
    while first is not None and not first.strip():
        first = next(text, None)  # blank lines before the header are skipped, as blank rows are
    if first is None:
        raise ImportFailed(label, [Problem(1, "no header row: the file is empty")], 1)
    at = lines.number
    chosen = delimiter or _sniff(first, Path(label).suffix.lower())
    feed = Recorder(_chain(first, text))
    reader = csv.reader(feed, delimiter=chosen, strict=True)
    header = _header(label, _next_row(label, reader, at), ignore, at)
    while True:
        start = lines.number + 1
        feed.mark()
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            try:
                if not too_long(exc):
                    raise
                row = long_row(feed, chosen)  # the csv module's field limit is left alone
            except csv.Error as error:
                yield start, Problem(start, f"not CSV: {error}")
                continue
        if progress is not None:
            progress(lines.number, total)
        cells = _cells(header, start, row)
        if cells is None:
            continue
        parsed = cells if isinstance(cells, Problem) else _Row(start, cells, date_format).read()
        if parsed is not None:
            yield start, parsed


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _next_row(label: str, reader: Any, line: int) -> list[str]:
    try:
        row: list[str] = next(reader)
    except csv.Error as exc:
        raise ImportFailed(label, [Problem(line, f"not CSV: {exc}")], 1) from None
    return row
