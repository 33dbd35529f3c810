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

#: The format a file's suffix names, when --format is not given.
_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".jsonl": "jsonl"}


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
@window_option
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
    with open_ledger(store, read_only=True) as lg:
        found = rows(view_of(lg, as_of), what, window=window, topic_prefix=topic_prefix)
        if output is None:
            sys.stdout.flush()
            write(found, COLUMNS[what], chosen, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return
        with output_file(output, stores=[store]) as file:
            count = write(found, COLUMNS[what], chosen, file, bom=chosen in ("csv", "tsv"))
    click.echo(f"wrote {output} ({count} {what} row(s), {chosen})")
