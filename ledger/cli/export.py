"""`ledger export`: topics, figures, claims, propositions, history or definitions as a table.

A thin layer over ``ledger.export``: the rows come from ``ledger.export.rows``
over the ledger (or its ``--as-of`` view), the file from ``ledger.export.write``
through the CLI's one output helper (atomic; never over the store).
docs/spreadsheets.md describes the columns.

Exported data is byte-faithful in a file and through a pipe. Only when
standard output is a terminal is stored text made unable to drive it, as
every other reading command does (docs/cli.md "How stored text is shown"):
JSON through ``json_text`` (the same data, controls as ``\\u`` escapes),
CSV and TSV cell by cell through ``visible`` (controls as visible escapes).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import click

from ledger.cli import cli
from ledger.cli._common import (
    AsOf,
    as_of_option,
    open_ledger,
    store_argument,
    view_of,
    window_option,
)
from ledger.cli._output import check_output, output_file
from ledger.export import COLUMNS, FORMATS, WHAT, rows, write
from ledger.present.text import json_text, visible

#: The format a file's suffix names, when --format is not given.
_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".jsonl": "jsonl"}
#: Suffixes of spreadsheet formats this program does not write: CSV under such a
#: name would not open in the program the name promises.
_WORKBOOKS = frozenset((".xlsx", ".xlsm", ".xls", ".ods", ".numbers"))


@cli.command()
@store_argument()
@click.option(
    "--what", type=click.Choice(WHAT), required=True, help="What to export, one row each."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="The file format; by default the suffix of -o (.csv, .tsv, .json, .jsonl), else csv "
    "(.xlsx, .xls and .ods are refused).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),  # text as given: a trailing / names a directory
    default=None,
    help="Write FILE (all of it or nothing) instead of standard output.",
)
@as_of_option
@window_option
@click.option(
    "--topic", "topic_prefix", metavar="PREFIX", help="Only topics whose slug starts with PREFIX."
)
def export(
    store: str,
    what: str,
    fmt: str | None,
    output: str | None,
    as_of: AsOf | None,
    window: timedelta | None,
    topic_prefix: str | None,
) -> None:
    """Export one row per topic, figure, claim, proposition, history entry or definition.

    CSV and TSV open in LibreOffice and Excel (UTF-8 with a byte order mark
    when written to a file); numbers are exact, unbounded ends empty cells,
    and text that a spreadsheet would run as a formula starts with an
    apostrophe. `--what figures`, `--what claims` and `--what definitions`,
    as CSV or TSV, import back with `ledger import`.
    """
    suffix = Path(output).suffix.lower() if output else ""
    if fmt is None and suffix in _WORKBOOKS:
        raise click.UsageError(
            f"-o {output}: ledger export writes CSV, TSV, JSON or JSON Lines, not {suffix} "
            f"workbooks; write {Path(output or '').with_suffix('.csv')} (Excel and LibreOffice "
            "open it), or give --format to write one of those under this name"
        )
    chosen = fmt or _SUFFIXES.get(suffix, "csv")
    if output is not None:
        check_output(output, stores=[store])
    with open_ledger(store, read_only=True) as lg:
        found = rows(view_of(lg, as_of), what, window=window, topic_prefix=topic_prefix)
        if output is None:
            sys.stdout.flush()
            if is_terminal(sys.stdout):
                sys.stdout.buffer.write(for_terminal(found, COLUMNS[what], chosen))
            else:
                write(found, COLUMNS[what], chosen, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return
        with output_file(output, stores=[store]) as file:
            count = write(found, COLUMNS[what], chosen, file, bom=chosen in ("csv", "tsv"))
    click.echo(f"wrote {output} ({count} {what} row(s), {chosen})")


def is_terminal(stream: IO[Any]) -> bool:
    """Whether stream is an interactive terminal (a closed or odd stream is not)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _shown(value: Any) -> Any:
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, tuple | list):
        return tuple(_shown(item) for item in value)
    return value


def for_terminal(found: Iterable[dict[str, Any]], columns: Sequence[str], fmt: str) -> bytes:
    """An export as printed on a terminal: nothing in it can act on the terminal.

    JSON keeps the very same data (``json_text``); in CSV and TSV each text
    cell shows its controls as visible escapes, while the delimiters and line
    ends stay what they are.
    """
    buffer = io.BytesIO()
    if fmt in ("json", "jsonl"):
        write(found, columns, fmt, buffer)
        return json_text(buffer.getvalue().decode("utf-8")).encode("utf-8")
    cells: Iterator[dict[str, Any]] = ({k: _shown(v) for k, v in row.items()} for row in found)
    write(cells, columns, fmt, buffer)
    return buffer.getvalue()
