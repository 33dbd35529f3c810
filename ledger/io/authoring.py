"""The authoring format: JSON Lines that people write while transcribing an article.

One event per line, ``{"type": "FigureReported", ...}``, with the event's
fields as keys. It is kinder to write than the wire format:

- dates may be plain ISO dates (``"2025-01-12"``, midnight UTC) or full
  timestamps with an offset;
- a figure may be written as words, ``{"phrase": "more than 3,000",
  "unit": "people"}`` (optionally with ``"convention"``), resolved at import
  with :func:`ledger.domain.phrases.parse_figure` so the stored figure keeps both the
  numbers and the words; or as numbers, ``{"low": 200, "high": 400, "best":
  300, "unit": "people"}``;
- ``event_id`` may be left out: it is then derived from the line's content,
  so importing the same file twice stores nothing the second time.

Blank lines are skipped. The whole file is checked before anything is
appended; a file with bad lines appends nothing and :class:`ImportFailed`
lists up to 20 of them with their reasons.

The same format flattened to columns is a spreadsheet (``.csv``, ``.tsv``;
see :mod:`ledger.io.spreadsheet`). The entry points here take either, by the
file's suffix: ``check_events`` (the checking pass, streamed),
``iter_events`` (the events, streamed) and ``read_events`` (both, as a list).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from ledger.codec import MAX_RECORD_BYTES, Codec, StoredRow, make_codec, oversize, parse_timestamp
from ledger.codec.canonical import repeated_key
from ledger.domain.durations import parse_window
from ledger.domain.events import EVENT_TYPES, Event, FigureReported, TopicDefined
from ledger.domain.figures import Figure
from ledger.domain.phrases import parse_figure
from ledger.errors import InvalidEvent, LedgerError, RecordTooLarge, brief, clipped
from ledger.io import spreadsheet
from ledger.io.importing import (
    MAX_LISTED,
    Parsed,
    Problem,
    Stored,
    check,
    check_path,
    check_progress,
    content_id,
    first_event,
    open_file,
)
from ledger.projections.facts import Facts

__all__ = [
    "MAX_LISTED",
    "SPREADSHEET_SUFFIXES",
    "check_events",
    "event_from_mapping",
    "iter_events",
    "parse_file",
    "read_events",
    "read_lines",
]

#: Files read as spreadsheets; any other file is JSON Lines.
SPREADSHEET_SUFFIXES = (".csv", ".tsv")

Progress = Callable[[int, int], None]

_TYPES: dict[str, type[Event]] = {cls.__name__: cls for cls in EVENT_TYPES}
_TIMESTAMPS = ("stated_at", "as_of")
_FIGURE_KEYS = {"low", "high", "low_open", "high_open", "best", "unit", "phrase", "rule"}
_PHRASE_KEYS = {"phrase", "unit", "convention"}
# Where a record is widest: the largest position a store holds (SQLite's
# INTEGER) and a recording time with microseconds. An event that fits there
# fits wherever the append puts it.
_WIDEST_POSITION = 2**63 - 1
#: A run of digits as long as 2**63's: an integer orjson may not read exactly.
_LONG_DIGITS = re.compile(rb"[0-9]{19}")
#: How deep a line's values may nest (an event's nest three levels at most).
_DEEPEST = 16
_WIDEST_STAMP = "9999-12-31T23:59:59.999999Z"


@functools.cache
def _codec() -> Codec:
    return make_codec()


def _figure(value: Any) -> Figure:
    if not isinstance(value, Mapping):
        raise ValueError("figure: must be an object")
    keys = set(value)
    if keys <= _PHRASE_KEYS and "phrase" in keys and not keys & {"low", "high"}:
        convention = value.get("convention", "wikimpacts-2024")
        return parse_figure(value["phrase"], value.get("unit", ""), convention)
    extra = keys - _FIGURE_KEYS
    if extra:
        raise ValueError(f"figure: unknown field(s) {', '.join(sorted(extra))}")
    missing = ", ".join(sorted({"low", "high", "unit"} - keys))
    if missing:
        raise ValueError(
            f'figure: missing field(s) {missing} (give "phrase" and "unit", or "low", '
            '"high" and "unit")'
        )
    try:
        return Figure(**value)
    except TypeError as exc:
        raise ValueError(f"figure: {_in_field_terms(exc)}") from None


def event_from_mapping(obj: Any) -> Event:
    """An event from one authoring-format object; ValueError or LedgerError says why not."""
    if not isinstance(obj, Mapping):
        raise ValueError("a line must be a JSON object")
    fields = dict(obj)
    tag = fields.pop("type", None)
    cls = _TYPES.get(tag) if isinstance(tag, str) else None
    if cls is None:
        raise ValueError(f"type: {brief(tag)} is not one of {', '.join(sorted(_TYPES))}")
    for name in _TIMESTAMPS:
        if name in fields:
            try:
                fields[name] = parse_timestamp(fields[name])
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
    if cls is FigureReported and "figure" in fields:
        fields["figure"] = _figure(fields["figure"])
    if cls is TopicDefined and isinstance(fields.get("window"), str):
        # An ISO 8601 duration as on the wire ("P3D"), or the CLI's "3d", "12h".
        fields["window"] = parse_window(fields["window"])
    if "event_id" not in fields:
        try:
            fields["event_id"] = content_id(obj)
        except TypeError:
            # orjson writes no integer beyond 64 bits: the event's own checks
            # name the field at fault (a stand-in for the event_id not made).
            _construct(cls, tag, fields | {"event_id": "unhashed"})
            raise ValueError("a number does not fit in 64 bits") from None
    return _construct(cls, tag, fields)


def _construct(cls: type[Event], tag: str, fields: dict[str, Any]) -> Event:
    try:
        return cls(**fields)
    except TypeError as exc:
        raise ValueError(f"{tag}: {_in_field_terms(exc)}") from None


def _in_field_terms(exc: TypeError) -> str:
    """attrs's complaint about a missing or unexpected keyword, said of the line's fields."""
    message = str(exc).split("__init__() ", 1)[-1]
    names = ", ".join(re.findall(r"'([^']*)'", message))
    if message.startswith("missing ") and names:
        return f"missing field(s) {names}"
    if message.startswith("got an unexpected keyword argument") and names:
        return f"unknown field(s) {names}"
    return message


def read_lines(
    path: str | Path, *, progress: Progress | None = None, total: int = 0
) -> Iterator[Parsed]:
    """Each non-blank line of a JSON Lines file as (line, event or problem), streamed.

    A file that cannot be opened is an InvalidEvent naming ``path``.
    """
    check_progress(progress)
    _, file = open_file(path)
    with file:
        for number, raw in enumerate(file, 1):
            if progress is not None:
                progress(number, total)
            if not raw.strip():
                continue
            try:
                obj = _loads(raw)
            except _TooDeep as exc:
                yield number, Problem(number, str(exc))
                continue
            except ValueError as exc:  # orjson.JSONDecodeError
                yield number, Problem(number, f"not JSON: {clipped(str(exc))}")
                continue
            repeated = repeated_key(raw)
            if repeated is not None:
                # orjson keeps the last of a repeated key: say so rather than guess.
                yield number, Problem(number, f"key {clipped(repeated)!r} is given twice")
                continue
            try:
                event = event_from_mapping(obj)
            except (ValueError, LedgerError) as exc:
                message = clipped(str(exc), _texts(obj))
                yield number, Problem(number, message, column=getattr(exc, "field", None))
            else:
                yield number, event


def _loads(raw: bytes) -> Any:
    """One line's JSON value, its integers exact; ValueError if it is not JSON or nests too deep."""
    found = orjson.loads(raw)
    if _LONG_DIGITS.search(raw):
        # orjson reads an integer beyond 64 bits as a float, another number:
        # read the line again keeping it exact, for the event's own check to refuse.
        found = json.loads(raw)
    # An event's values nest a few levels at most; deeper ones would fail later,
    # and not as a bad line (orjson writes 254 levels, repr stops at the recursion limit).
    level: list[Any] = [found]
    for _ in range(_DEEPEST):
        level = [
            inner
            for value in level
            if isinstance(value, dict | list)
            for inner in (value.values() if isinstance(value, dict) else value)
        ]
        if not level:
            return found
    raise _TooDeep(f"values nested more than {_DEEPEST} levels deep")


class _TooDeep(ValueError):
    """A line whose values nest deeper than any event's."""


def _texts(obj: Any) -> Iterator[str]:
    """The keys and text values of a line's object and of its figure: what a message may echo."""
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            yield key
            if isinstance(value, str):
                yield value
            elif key == "figure":
                yield from _texts(value)


def _count_lines(path: str | Path) -> int:
    """How many lines a file has (a last line without its newline counts), read in blocks."""
    count = 0
    last = b"\n"
    try:
        with open(path, "rb") as file:
            while block := file.read(1 << 20):
                count += block.count(b"\n")
                last = block[-1:]
    except OSError:
        return 0  # the reader itself says why the file cannot be read
    return count + (last != b"\n")


def parse_file(
    path: str | Path,
    *,
    delimiter: str | None = None,
    date_format: str | None = None,
    ignore_columns: bool = False,
    progress: Progress | None = None,
    label: str | None = None,
) -> Iterator[Parsed]:
    """A file's stream of (line, event or problem): a spreadsheet by its suffix, else JSON Lines.

    The spreadsheet options (``delimiter``: ``","``, ``";"`` or ``"tab"``,
    None to detect it; ``date_format``: a strptime format for dates that are
    not ISO; ``ignore_columns``: set unknown columns aside) are refused for
    JSON Lines. ``progress(lines_read, total_lines)`` follows the reading.
    ``label`` names the file in errors, when path is a copy of it (the
    suffix of path still says the format). An argument of the wrong kind,
    or a file that cannot be opened, is an InvalidEvent naming the argument.
    """
    path = check_path(path)
    check_progress(progress)
    if not isinstance(ignore_columns, bool):
        raise InvalidEvent(
            f"must be True or False, not {brief(ignore_columns)}", field="ignore_columns"
        )
    total = _count_lines(path) if progress is not None else 0
    if Path(path).suffix.lower() in SPREADSHEET_SUFFIXES:
        chosen = spreadsheet.check_options(delimiter, date_format)
        return spreadsheet.read_rows(
            path,
            delimiter=chosen,
            date_format=date_format,
            ignore_columns=ignore_columns,
            progress=progress,
            total=total,
            label=label,
        )
    given = {"delimiter": delimiter, "date_format": date_format, "ignore_columns": ignore_columns}
    for option, value in given.items():
        if value:
            raise InvalidEvent(
                f"applies to spreadsheets ({', '.join(SPREADSHEET_SUFFIXES)}), "
                f"not to {label or path}",
                field=option,
            )
    return read_lines(path, progress=progress, total=total)


def check_events(
    path: str | Path,
    state: Facts,
    *,
    stored: Stored | None = None,
    progress: Progress | None = None,
    delimiter: str | None = None,
    date_format: str | None = None,
    ignore_columns: bool = False,
    label: str | None = None,
) -> int:
    """Check a whole file against state, streamed; ImportFailed lists up to 20 bad lines.

    Returns how many events the file holds. ``stored`` tells which events
    the log already holds (event_id -> same payload); those are not checked
    again, so re-importing a file is a no-op. An event whose record would be
    over the store's size limit is a bad line here, not a failed append.
    ``label`` names the file in errors (see parse_file).
    """
    items = parse_file(
        path,
        delimiter=delimiter,
        date_format=date_format,
        ignore_columns=ignore_columns,
        progress=progress,
        label=label,
    )
    return check(label or str(path), _sized(items), state, stored=stored)


def _sized(items: Iterator[Parsed]) -> Iterator[Parsed]:
    """The stream, with an event whose record is over the size limit turned into its problem."""
    for line, parsed in items:
        if isinstance(parsed, Event):
            kind = _codec().tag_of(parsed)
            data = _codec().event_data(parsed)
            row = StoredRow(
                _WIDEST_POSITION, parsed.event_id, kind.tag, kind.schema, _WIDEST_STAMP, data, ""
            )
            size = oversize(row)
            if size is not None:
                parsed = Problem(line, str(RecordTooLarge(size, MAX_RECORD_BYTES)))
        yield line, parsed


def iter_events(
    path: str | Path,
    *,
    delimiter: str | None = None,
    date_format: str | None = None,
    ignore_columns: bool = False,
) -> Iterator[Event]:
    """Every event of a file, in order, read as it streams; ImportFailed at the first bad line.

    Run :func:`check_events` first to hear of every bad line at once, and of
    what the ledger would refuse.
    """
    label = str(path)
    items = parse_file(
        path, delimiter=delimiter, date_format=date_format, ignore_columns=ignore_columns
    )
    for parsed in items:
        yield first_event(label, parsed)


def read_events(
    path: str | Path,
    state: Facts,
    *,
    stored: Stored | None = None,
    progress: Progress | None = None,
    delimiter: str | None = None,
    date_format: str | None = None,
    ignore_columns: bool = False,
) -> list[Event]:
    """Every event of a file, checked against state first; ImportFailed lists bad lines."""
    options: dict[str, Any] = {
        "delimiter": delimiter,
        "date_format": date_format,
        "ignore_columns": ignore_columns,
    }
    check_events(path, state, stored=stored, progress=progress, **options)
    return list(iter_events(path, **options))
