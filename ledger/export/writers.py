"""Rows out as CSV, TSV, JSON or JSON Lines: exact numbers, no formulas.

- Numbers are written exactly: an ``int`` as its digits; a ``float`` as the
  shortest decimal that reads back as the same float (Python's ``repr``),
  written out in positional notation, never with an exponent, and always
  with a decimal point so that it reads back as a float: ``2.1e21`` is
  ``2100000000000000000000.0``, ``1e-07`` is ``0.0000001``, ``3.0`` is
  ``3.0``. JSON gets the same text as a JSON number.
- Times are UTC ISO 8601 with a ``Z`` (``2025-01-13T00:00:00Z``); durations
  ISO 8601 (``P3D``); booleans ``true``/``false``; None (not given, or an
  unbounded end) an empty cell, or ``null`` in JSON.
- In CSV and TSV (spreadsheet media only) a list is its items joined with
  ``;``, and a text cell that a spreadsheet would take for a formula is
  neutralised: one apostrophe is put in front of a text that begins with
  ``=``, ``+``, ``-``, ``@`` (or their full-width forms ``＝＋－＠``), a tab
  or a carriage return, or with apostrophes followed by one of those.
  Importing the file takes that one apostrophe away again
  (``ledger.io.spreadsheet.restore_text``). Numbers are never neutralised:
  ``-5`` is a number.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import IO, Any

from ledger.codec import format_timestamp
from ledger.domain.durations import format_duration
from ledger.errors import InvalidEvent, brief

__all__ = [
    "FORMATS",
    "FORMULA_STARTS",
    "cell_text",
    "json_value",
    "neutralise",
    "number_text",
    "write",
]

#: The formats ``write`` takes.
FORMATS = ("csv", "tsv", "json", "jsonl")
#: The byte order mark Excel looks for to read a CSV file as UTF-8.
BOM = "\ufeff"
#: The characters a formula may begin with: the ASCII ones, and their full-width
#: forms, which some spreadsheets (Excel with an East Asian input) take for them.
FORMULA_STARTS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"
_FORMULA = re.compile("'*[" + re.escape(FORMULA_STARTS) + "]")


def number_text(value: int | float) -> str:
    """A number exactly, in positional notation: ints as digits, floats with a decimal point."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidEvent(f"{value!r} is not a number", field="value")
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        # A figure's numbers are finite; NaN or infinity has no cell and no JSON number.
        raise InvalidEvent(f"{value!r} is not a finite number", field="value")
    text = format(Decimal(repr(value)), "f")
    return text if "." in text else f"{text}.0"


def neutralise(text: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula: see the module docstring."""
    return f"'{text}" if _FORMULA.match(text) else text


def _plain(value: Any) -> str | None:
    """The text of a value that is not a number, a list or None."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, timedelta):
        return format_duration(value)
    return None


def cell_text(value: Any) -> str:
    """One value as a CSV/TSV cell: see the module docstring."""
    if value is None:
        return ""
    plain = _plain(value)
    if plain is not None:
        return plain
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, tuple | list):
        return neutralise(";".join(value))
    return neutralise(str(value))


def json_value(value: Any) -> str:
    """One value as JSON text: numbers exact, lists as arrays, times as strings."""
    if value is None:
        return "null"
    plain = _plain(value)
    if plain is not None:
        return plain if isinstance(value, bool) else json.dumps(plain)
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(json_value(item) for item in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _json_object(row: Mapping[str, Any], columns: Sequence[str], index: int) -> str:
    values = _each(row, columns, index, json_value)
    return (
        "{" + ", ".join(f"{json.dumps(c)}: {v}" for c, v in zip(columns, values, strict=True)) + "}"
    )


def _each(
    row: Mapping[str, Any], columns: Sequence[str], index: int, show: Callable[[Any], str]
) -> list[str]:
    """The row's cells, each shown; InvalidEvent naming the row (0-based) and column at fault."""
    if not isinstance(row, Mapping):
        raise InvalidEvent(f"row {index} is a {type(row).__name__}, not a mapping", field="rows")
    cells = []
    for column in columns:
        value = row.get(column)
        try:
            cell = show(value)
        except InvalidEvent as exc:
            message = str(exc).removeprefix("value: ")
            raise InvalidEvent(f"row {index}: {message}", field=column) from None
        if not cell.isascii() and not _encodable(cell):
            raise InvalidEvent(
                f"row {index}: {brief(value)} holds a lone surrogate, which UTF-8 cannot encode",
                field=column,
            )
        cells.append(cell)
    return cells


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def write(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    format: str,
    out: IO[bytes],
    *,
    bom: bool = False,
) -> int:
    """Write rows (the given columns, in order) to a binary stream; returns how many.

    ``csv`` and ``tsv`` write a header row and CRLF line ends, quote a cell
    only when it holds the delimiter, a quote or a line break, and put a
    byte order mark first when ``bom`` is set (what Excel needs to read
    UTF-8); ``json`` writes one array of objects, ``jsonl`` one object a line.
    """
    if format not in FORMATS:
        raise InvalidEvent(f"{format!r} is not one of {', '.join(FORMATS)}", field="format")
    if isinstance(columns, str) or not isinstance(columns, Sequence):
        raise InvalidEvent(f"must be a sequence of column names, not {columns!r}", field="columns")
    if not all(isinstance(c, str) for c in columns):
        raise InvalidEvent(f"column names must be text: {list(columns)!r}", field="columns")
    given: object = out  # a caller may hand anything in: checked, not trusted to the type
    if isinstance(given, io.TextIOBase) or not callable(getattr(given, "write", None)):
        raise InvalidEvent(
            "must be a binary stream (open(path, 'wb'), io.BytesIO(), sys.stdout.buffer), "
            f"not {type(out).__name__}",
            field="out",
        )
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    count = 0
    try:
        if format in ("csv", "tsv"):
            if bom:
                text.write(BOM)
            delimiter = "," if format == "csv" else "\t"
            writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
            writer.writerow(columns)
            for row in rows:
                writer.writerow(_each(row, columns, count, cell_text))
                count += 1
        elif format == "jsonl":
            for row in rows:
                text.write(_json_object(row, columns, count) + "\n")
                count += 1
        else:
            text.write("[")
            for row in rows:
                text.write(",\n  " if count else "\n  ")
                text.write(_json_object(row, columns, count))
                count += 1
            text.write("\n]\n" if count else "]\n")
    finally:
        # The stream is the caller's: hand it back open, with everything written to it.
        text.flush()
        text.detach()
    return count
