"""Grid printing: stacked rows written as plain text are byte for byte what rich prints.

Where no style reaches the output (a pipe, a file), a Grid too wide for a
table writes its stacked rows itself rather than through rich, which costs
seconds on a table of every topic. A console that records what it prints
always goes through rich, so the two outputs of the same grid must agree:
the same wrapping of long lines at any width, wide and zero-width
characters, trailing spaces, empty cells and cells of several lines.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from ledger import Figure, FigureReported, Ledger
from ledger.cli._tables import Grid

PIECES = [*"ab c,/-[]~x", "  ", "\n", "\t", "日", "é", "e\u0301", "👍", "\u200b", "\x1b"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)


def printed(grid: Grid, width: int, *, record: bool = False, terminal: bool = False) -> str:
    buffer = io.StringIO()
    out = Console(
        file=buffer, width=width, highlight=False, record=record, force_terminal=terminal or None
    )
    grid.print(out)
    return buffer.getvalue()


def grid_of(rows: list[list[str]], title: str | None, styles: list[str]) -> Grid:
    grid = Grid("Topic", "Unit", "Consensus", "Estimate", title=title)
    for row, style in zip(rows, styles, strict=False):
        grid.add(*row, style=style)
    return grid


@given(
    rows=st.lists(st.lists(TEXT, min_size=4, max_size=4), min_size=1, max_size=6),
    title=st.none() | TEXT,
    styles=st.lists(st.sampled_from(["", "dim"]), min_size=6, max_size=6),
    width=st.sampled_from([1, 2, 5, 12, 20, 40, 80]),
)
def test_stacked_rows_written_plain_are_what_rich_prints(
    rows: list[list[str]], title: str | None, styles: list[str], width: int
) -> None:
    grid = grid_of(rows, title, styles)
    assert printed(grid, width) == printed(grid, width, record=True)


# Printable ASCII, where the plain path wraps long lines itself: words of any
# length (longer than a line too) between runs of spaces.
ASCII = st.lists(st.sampled_from(["a", "bc", "word", "x" * 13, " ", "  ", ",", "-"]), max_size=40)


@given(
    rows=st.lists(st.lists(ASCII.map("".join), min_size=4, max_size=4), min_size=1, max_size=4),
    width=st.integers(1, 30),
)
def test_long_lines_of_printable_ascii_wrap_as_rich_wraps_them(
    rows: list[list[str]], width: int
) -> None:
    grid = grid_of(rows, None, [""] * len(rows))
    assert printed(grid, width) == printed(grid, width, record=True)


@given(
    rows=st.lists(st.lists(TEXT, min_size=4, max_size=4), max_size=6),
    title=st.none() | TEXT,
)
def test_the_width_a_grid_needs_is_what_rich_measures_of_its_table(
    rows: list[list[str]], title: str | None
) -> None:
    # Counted without rich, so that a table of every topic too wide for the
    # terminal is stacked without measuring thousands of rows first.
    grid = grid_of(rows, title, [""] * len(rows))
    out = Console(file=io.StringIO(), width=80)
    natural = out.measure(grid.table(), options=out.options.update_width(100_000)).maximum
    assert grid.least_width() == natural


def test_a_wide_grid_stacks_and_wraps_its_long_lines() -> None:
    grid = Grid("Topic", "Sources", "Estimate")
    grid.add("gaza/deaths", ", ".join(f"source-{i:02}" for i in range(12)), 3000)
    grid.add("gaza/injured", None, 2700, style="dim")
    text = printed(grid, 40)
    assert text == printed(grid, 40, record=True)
    lines = text.splitlines()
    assert lines[0] == "gaza/deaths"
    assert lines[1].startswith("  Sources   source-00, source-01")
    assert all(len(line) <= 40 for line in lines)
    assert "  Estimate  3000" in lines
    assert "gaza/injured" in lines  # its empty Sources cell is left out
    assert not any("Sources   -" in line for line in lines)


def test_on_a_terminal_with_colours_rich_prints_the_styles() -> None:
    grid = Grid("Topic", "Sources", "Estimate")
    grid.add("gaza/deaths", "x" * 50, 3000)
    text = printed(grid, 40, terminal=True)
    assert "\x1b[1m" in text  # the row's name in bold
    assert "gaza/deaths" in text


def towns(store: Path, count: int, quote: str | None = None) -> Path:
    """A ledger of one figure on each of count towns' topics, for output of some length."""
    when = datetime(2025, 1, 13, tzinfo=UTC)
    with Ledger.open(str(store)) as lg:
        lg.extend(
            FigureReported(
                claim_id=f"c{i}",
                topic=f"quake/town-{i:04}",
                source="un",
                figure=Figure(i, i + 10, unit="people"),
                stated_at=when,
                quote=quote,
            )
            for i in range(count)
        )
    return store


def test_a_reader_that_has_gone_ends_the_program_quietly(tmp_path: Path) -> None:
    """`ledger topics | head -1`: exit 1 and nothing on stderr, as rich's own print does."""
    store = towns(tmp_path / "many.db", 50)
    # A pipe whose reader has already gone: the first write fails, every time.
    gone, stdout = os.pipe()
    os.close(gone)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ledger", "topics", str(store)],
            stdout=stdout,
            stderr=subprocess.PIPE,
            env={**os.environ, "COLUMNS": "80"},  # too narrow for the table: stacked rows
            timeout=60,
            check=False,
        )
    finally:
        os.close(stdout)
    assert done.returncode == 1
    assert done.stderr == b""


@pytest.mark.parametrize("command", [["log", "--json"], ["topics", "--json"], ["log"], ["topics"]])
def test_a_reader_that_goes_after_the_first_line_ends_the_program_with_exit_1(
    tmp_path: Path, command: list[str]
) -> None:
    """`ledger log x.db --json | head -1`: a long output cut short is not a success.

    Python's buffered stdout dropped the rest of a large write that the pipe
    took only in part, and the program exited 0 with its output cut short.
    """
    store = towns(tmp_path / "long.db", 1500, quote="x" * 200)
    argv = [sys.executable, "-m", "ledger", command[0], str(store), *command[1:]]
    reader = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert reader.stdout is not None
    assert reader.stderr is not None
    with reader.stderr:
        with reader.stdout:
            first = reader.stdout.readline()
        # The pipe is closed, as head -1 closes it once it has its line.
        code = reader.wait(timeout=120)
        said = reader.stderr.read()
    assert first
    assert (code, said) == (1, b"")
