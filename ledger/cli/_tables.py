"""Tables that fit: a rich table when it fits the terminal, else one block per row."""

from __future__ import annotations

import itertools
import re
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ledger.cli._common import write_all
from ledger.present.text import rich_text, visible

__all__ = ["Grid"]


def _cell(value: Any) -> str:
    return "-" if value is None or value == "" else str(value)


class Grid:
    """Rows of plain text to print as a table, or stacked when the table is too wide."""

    def __init__(self, *columns: str, title: str | None = None, keys: int = 1) -> None:
        self.columns = columns
        self.title = title
        self.keys = keys  # the leading columns that name a row: never wrapped or cut
        self.rows: list[list[str]] = []
        self.styles: list[str] = []

    def add(self, *values: Any, style: str = "") -> None:
        """Add a row; None and empty values print as '-'; style ("dim") greys it out."""
        self.rows.append([_cell(v) for v in values])
        self.styles.append(style)

    def least_width(self) -> int:
        """The width the rich table needs for no cell to wrap, counted without rich.

        Each column's widest line, plus what ``table()`` puts between them: a
        cell of padding on each side of a column but at the table's edges, a
        divider between columns and an edge at each side (3 a column, less
        one). Measuring a rich table of thousands of rows costs seconds; when
        this is more than the console's width, the answer is known.
        """
        widths = [cell_len(name) for name in self.columns]
        for row in self.rows:
            for i, cell in enumerate(row):
                if cell.isascii() and cell.isprintable():
                    widest = len(cell)  # a cell a character, nothing to escape
                else:
                    widest = max(cell_len(line) for line in visible(cell).split("\n"))
                if widest > widths[i]:
                    widths[i] = widest
        return sum(widths) + 3 * len(self.columns) - 1

    def table(self) -> Table:
        """The rows as a rich table."""
        title = rich_text(self.title) if self.title is not None else None
        table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
        for i, name in enumerate(self.columns):
            table.add_column(name, no_wrap=i < self.keys)
        for row, style in zip(self.rows, self.styles, strict=True):
            # Text, not markup: a quote such as "[sic]" must print as written.
            table.add_row(*(rich_text(cell) for cell in row), style=style or None)
        return table

    def print(self, out: Console) -> None:
        """Print as a table if it fits the console's width, else one block per row."""
        if self.least_width() <= out.width:
            table = self.table()
            # Measured without the console's cap, to learn the width the table wants.
            natural = out.measure(table, options=out.options.update_width(100_000)).maximum
            if natural <= out.width:
                out.print(table)
                return
        lines: list[tuple[str, str]] = []  # (text, style)
        if self.title:
            lines.append((visible(self.title), "bold"))
        width = max(len(c) for c in self.columns[self.keys :]) if self.rows else 0
        for row, style in zip(self.rows, self.styles, strict=True):
            lines.append((visible(" ".join(row[: self.keys])), f"bold {style}".strip()))
            for name, cell in zip(self.columns[self.keys :], row[self.keys :], strict=True):
                if cell != "-":
                    # A cell of several lines (a split's camps) keeps them under its value.
                    value = cell.replace("\n", "\n" + " " * (width + 4))
                    lines.append((visible(f"  {name:<{width}}  {value}"), style))
        if lines:
            _print_lines(out, lines)


def _print_lines(out: Console, lines: list[tuple[str, str]]) -> None:
    """Print styled lines as ``out.print`` would, each wrapped to the console's width.

    A table of every topic stacks thousands of lines, and rich's cost is per
    character. Where no style reaches the output (a pipe, a file, NO_COLOR's
    plain terminal), what rich prints is each line's own text, wrapped by
    ``Text.wrap``: a printable line narrower than the console is written as
    it is, a longer line of printable ASCII is wrapped here by rich's rule
    (``_wrapped``), the rest are wrapped by rich (a property test holds the
    output byte for byte equal to rich's). Anywhere else, one print.
    """
    if out.color_system is not None or out.is_jupyter or out.record:
        out.print(Text("\n").join(Text(text, style=style) for text, style in lines))
        return
    width = out.width
    written: list[str] = []
    for text, style in lines:
        for line in text.split("\n"):  # as rich does: each line of a text wraps alone
            if line.isascii() and line.isprintable():
                written.extend(_wrapped(line, width) if len(line) >= width else (line,))
            elif line.isprintable() and cell_len(line) < width:
                written.append(line)  # printable, and narrower than the console
            else:
                written.extend(part.plain for part in Text(line, style=style).wrap(out, width))
    written.append("")
    try:
        write_all(out.file, "\n".join(written))
    except BrokenPipeError:
        out.on_broken_pipe()  # as rich's own print: quiet, exit 1 (`ledger topics | head`)


_WORD = re.compile(r" *[^ ]+ *")


def _wrapped(line: str, width: int) -> list[str]:
    """What ``Text(line).wrap(out, width)`` gives a line of printable ASCII, as plain lines.

    rich's rule, on text where a character is a cell and a space the only
    whitespace: each word and the spaces after it go on the current line if
    the word fits, else start a new one; a word wider than a line is cut into
    lines of ``width``. Wrapping through rich builds objects for every line;
    a table of every topic stacks thousands.
    """
    breaks: list[int] = []
    used = 0
    for match in _WORD.finditer(line):
        start, word = match.start(), match.group()
        length = len(word.rstrip(" "))
        if width - used >= length:
            used += len(word)
        elif length > width:
            chunks = [word[i : i + width] for i in range(0, len(word), width)]
            for chunk in chunks[:-1]:
                if start:
                    breaks.append(start)
                start += len(chunk)
            if start:
                breaks.append(start)
            used = len(chunks[-1])
        elif used and start:
            breaks.append(start)
            used = len(word)
    # rich drops the spaces that overrun the width, then cuts the line to it:
    # for text of one cell a character, the same as cutting it.
    return [line[a:b][:width] for a, b in itertools.pairwise([0, *breaks, len(line)])]
