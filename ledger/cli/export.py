"""`ledger export`: topics, figures, claims, propositions, history or definitions as a table.

A thin layer over ``ledger.export``: the rows come from ``ledger.export.rows``
over the ledger (or its ``--as-of`` view), the file from ``ledger.export.write``
through the CLI's one output helper (atomic; never over the store).
docs/spreadsheets.md describes the columns.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from ledger.cli import cli
from ledger.cli._common import AsOf, as_of_option, open_ledger, store_argument, view_of
from ledger.cli._output import check_output, output_file
from ledger.domain.durations import parse_window
from ledger.errors import InvalidEvent
from ledger.export import COLUMNS, FORMATS, WHAT, rows, write

#: The format a file's suffix names, when --format is not given.
_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".jsonl": "jsonl"}


class WindowType(click.ParamType):  # type: ignore[type-arg]
    """A freshness window: 3d, 12h, 90m, 1d12h, 2w or an ISO 8601 duration (P3D)."""

    name = "WINDOW"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, timedelta):
            return value
        try:
            return parse_window(str(value))
        except InvalidEvent as exc:
            self.fail(f"{value!r}: {exc}", param, ctx)


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
    help="The file format; by default the suffix of -o (.csv, .tsv, .json, .jsonl), else csv.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write FILE (all of it or nothing) instead of standard output.",
)
@as_of_option
@click.option(
    "--window",
    type=WindowType(),
    default=None,
    help="Read the topics under this freshness window (3d, 12h, P3D) instead of their own.",
)
@click.option(
    "--topic", "topic_prefix", metavar="PREFIX", help="Only topics whose slug starts with PREFIX."
)
def export(
    store: str,
    what: str,
    fmt: str | None,
    output: Path | None,
    as_of: AsOf | None,
    window: timedelta | None,
    topic_prefix: str | None,
) -> None:
    """Export one row per topic, figure, claim, proposition, history entry or definition.

    CSV and TSV open in LibreOffice and Excel (UTF-8 with a byte order mark
    when written to a file); numbers are exact, unbounded ends empty cells,
    and text that a spreadsheet would run as a formula starts with an
    apostrophe. `--what figures` and `--what definitions` import back with
    `ledger import`.
    """
    chosen = fmt or (_SUFFIXES.get(output.suffix.lower(), "csv") if output else "csv")
    if output is not None:
        check_output(output, stores=[store])
    with open_ledger(store) as lg:
        found = rows(view_of(lg, as_of), what, window=window, topic_prefix=topic_prefix)
        if output is None:
            sys.stdout.flush()
            write(found, COLUMNS[what], chosen, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return
        with output_file(output, stores=[store]) as file:
            count = write(found, COLUMNS[what], chosen, file, bom=chosen in ("csv", "tsv"))
    click.echo(f"wrote {output} ({count} {what} row(s), {chosen})")
