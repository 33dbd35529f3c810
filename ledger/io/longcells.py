"""CSV rows with a cell over the csv module's field limit, read without it.

Python's ``csv`` refuses a field longer than ``csv.field_size_limit()``
(131,072 characters by default). Raising that limit would change it for the
whole process, every other user of ``csv`` in the program included, so the
spreadsheet reader leaves it alone: ``csv.reader`` reads every row, and a row
it refuses for that one reason alone is read again here, from its own lines,
by the same rules (the ``excel`` dialect with the given delimiter,
``strict=True``), only without a limit on a field's length. A record is
still bounded by the store's record size limit, checked later.

``Recorder`` keeps the lines the reader has taken since the row began, so
that the row can be read again from its first line; the reader's next row
starts where this one ended (``csv.reader`` resets its state on every row).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

__all__ = ["Recorder", "long_row", "too_long"]

_QUOTE = '"'
#: csv's own words for a carriage return inside an unquoted field (Python 3.11).
_NEW_LINE = (
    "new-line character seen in unquoted field - "
    "do you need to open the file in universal-newline mode?"
)


def too_long(error: csv.Error) -> bool:
    """Whether csv.reader refused a row only for a field over its size limit."""
    return "field larger than field limit" in str(error)


class Recorder:
    """An iterator of lines that keeps those taken since the last ``mark()``."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self.taken: list[str] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.taken.append(line)
        return line

    def mark(self) -> None:
        """A row begins: forget the lines taken before it."""
        self.taken.clear()


def long_row(recorder: Recorder, delimiter: str) -> list[str]:
    """The row whose lines recorder took since its mark, read on from it as csv would.

    csv.Error with the csv module's own wording for a row that breaks the
    format (a quote not closed at the end of the file, a character after a
    closing quote, a carriage return inside an unquoted field).
    """
    fields: list[str] = []
    field: list[str] = []
    state = "start"  # start of a field | unquoted | quoted | quote (in quoted) | eol
    lines = iter(list(recorder.taken))
    while True:
        line = next(lines, None)
        if line is None:
            line = next(recorder, None)
        if line is None:
            if state == "quoted":
                raise csv.Error("unexpected end of data")
            if state in ("unquoted", "quote") or fields or field:
                fields.append("".join(field))
            return fields
        for char in line:
            if state == "eol":
                if char not in "\r\n":
                    raise csv.Error(_NEW_LINE)
            elif state == "quoted":
                if char == _QUOTE:
                    state = "quote"
                else:
                    field.append(char)
            elif state == "quote":
                if char == _QUOTE:
                    field.append(char)  # a doubled quote is one quote
                    state = "quoted"
                elif char == delimiter:
                    fields.append("".join(field))
                    field, state = [], "start"
                elif char in "\r\n":
                    fields.append("".join(field))
                    field, state = [], "eol"
                else:
                    raise csv.Error(f"'{delimiter}' expected after '{_QUOTE}'")
            elif char in "\r\n":  # start of a field, or unquoted
                if state == "unquoted" or fields:
                    fields.append("".join(field))  # a record's first newline: no cell yet
                field, state = [], "eol"
            elif char == delimiter:
                fields.append("".join(field))
                field, state = [], "start"
            elif state == "start" and char == _QUOTE:
                state = "quoted"
            else:
                field.append(char)
                state = "unquoted"
        # The end of a line ends the record, unless a quoted field goes on.
        if state == "eol":
            return fields
        if state in ("start", "unquoted", "quote"):
            fields.append("".join(field))
            return fields
