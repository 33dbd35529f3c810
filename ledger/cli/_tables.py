"""Tables that fit: a rich table when it fits the terminal, else one block per row."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from ledger.present.text import rich_text

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
        table = self.table()
        # Measured without the console's cap, to learn the width the table wants.
        natural = out.measure(table, options=out.options.update_width(100_000)).maximum
        if natural <= out.width:
            out.print(table)
            return
        if self.title:
            out.print(rich_text(self.title, style="bold"))
        width = max(len(c) for c in self.columns[self.keys :]) if self.rows else 0
        for row, style in zip(self.rows, self.styles, strict=True):
            out.print(rich_text(" ".join(row[: self.keys]), style=f"bold {style}".strip()))
            for name, cell in zip(self.columns[self.keys :], row[self.keys :], strict=True):
                if cell != "-":
                    # A cell of several lines (a split's camps) keeps them under its value.
                    value = cell.replace("\n", "\n" + " " * (width + 4))
                    out.print(rich_text(f"  {name:<{width}}  {value}", style=style))
