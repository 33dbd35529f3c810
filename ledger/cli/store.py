"""Commands that make and fill stores: init, import, copy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from ledger.cli import cli
from ledger.cli._common import CliError, open_ledger, removed_on_error, store_argument
from ledger.errors import StoreUnavailable
from ledger.facade.transfer import copy_ledger
from ledger.present.text import terminal
from ledger.stores.urls import file_of, redact

if TYPE_CHECKING:
    from rich.progress import Progress

#: Files with at least this many lines (or ledgers with this many records) get a progress bar.
LONG = 2_000


def shown(name: str) -> str:
    """A store URL or file name fit to print: no password, nothing that acts on a terminal."""
    return terminal(redact(name, name))


@contextmanager
def progress_bar(
    label: str, *, threshold: int = LONG, console: Console | None = None
) -> Iterator[Callable[[int, int], None]]:
    """A progress callback(n, total) that shows a bar on stderr once total reaches threshold.

    The label (it names a file) is shown as text: never rich markup, never a format string.
    """
    bar: Progress | None = None
    task = None
    every = 1

    err = console or Console(stderr=True)

    def update(done: int, total: int) -> None:
        nonlocal bar, task, every
        if bar is None:
            # A bar in a log file or a pipe is noise: draw it only for a person.
            if total < threshold or not err.is_terminal:
                return
            # Imported only for a bar that is drawn: most commands never draw one.
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            bar = Progress(
                # The task's description, as text: "[b]" or "{0}" in a file name is no markup.
                TextColumn("{task.description}", markup=False),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=err,
                transient=True,
            )
            bar.start()
            task = bar.add_task(terminal(label), total=total)
            every = max(total // 200, 1)  # redrawing per line would cost more than reading it
        if task is not None and (done % every == 0 or done == total):
            bar.update(task, completed=done)

    try:
        yield update
    finally:
        if bar is not None:
            bar.stop()


@cli.command()
@store_argument()
def init(store: str) -> None:
    """Create an empty ledger at STORE (a .db or .jsonl file, or a store URL)."""
    path = file_of(store)
    existed = path is not None and path.exists()
    with open_ledger(store, create=True) as lg:
        if lg.head:
            raise CliError(f"{shown(store)}: already holds {lg.head} record(s)")
    if path is not None and not path.exists():
        path.touch()  # a store that creates its file lazily still leaves one behind
    click.echo(f"{shown(store)}: {'already an' if existed else 'created an'} empty ledger")


#: Files `import` reads as spreadsheets (ledger.io.authoring reads any other as JSON Lines).
SPREADSHEETS = (".csv", ".tsv")


@cli.command("import")
@store_argument()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--delimiter",
    type=click.Choice([",", ";", "tab"]),
    default=None,
    help="A spreadsheet's delimiter; by default the one its header line uses most.",
)
@click.option(
    "--date-format",
    metavar="FORMAT",
    default=None,
    help="Also read a spreadsheet's dates in this strptime format, e.g. %d/%m/%Y "
    "(ISO dates and timestamps are always read).",
)
@click.option(
    "--ignore-columns",
    is_flag=True,
    help="Set a spreadsheet's unknown columns aside instead of refusing the file.",
)
def import_(
    store: str, file: str, delimiter: str | None, date_format: str | None, ignore_columns: bool
) -> None:
    """Import an authoring FILE into STORE, all or nothing: JSON Lines, or a .csv/.tsv spreadsheet.

    Every line is checked first; if any is bad, nothing is stored and each bad
    line is listed (for a spreadsheet, with the column and value at fault).
    Importing the same file again stores nothing new. docs/spreadsheets.md
    describes the columns of a spreadsheet.
    """
    if _suffix(store) in SPREADSHEETS and _suffix(file) not in SPREADSHEETS:
        store, file = file, store  # `ledger import FILE.csv STORE`: a .csv is never a store
    named = Path(file)
    if not named.exists():
        raise click.BadParameter(f"Path {file!r} does not exist.", param_hint="'FILE'")
    if named.is_dir():
        raise click.BadParameter(f"{file!r} is a directory, not a file.", param_hint="'FILE'")
    # Only the options given, so a JSON Lines import reads as it always has.
    given = {"delimiter": delimiter, "date_format": date_format, "ignore_columns": ignore_columns}
    options: dict[str, Any] = {name: value for name, value in given.items() if value}
    if options and _suffix(file) not in SPREADSHEETS:
        flag = "--" + next(iter(options)).replace("_", "-")
        raise click.UsageError(
            f"{flag} applies to spreadsheets ({', '.join(SPREADSHEETS)}), not to {shown(file)}"
        )
    with open_ledger(store, create=True) as lg, progress_bar(f"importing {file}") as progress:
        before = lg.head
        try:
            imported = lg.import_events(file, progress=progress, **options)
        except KeyboardInterrupt:
            # Each batch is stored whole or not at all: say how far it got (Ctrl-C).
            stored = lg.head - before
            interrupted = True
        else:
            interrupted = False
        head = lg.head
    if interrupted:
        raise CliError(
            f"interrupted: {stored} new record(s) of {shown(file)} were stored in "
            f"{shown(store)} before it stopped (head {head}); importing the file again "
            "adds the rest"
        )
    if imported.added:
        click.echo(
            f"{shown(store)}: imported {imported.added} new record(s) from {shown(file)}; "
            f"head is {head}"
        )
    elif not imported.events:
        click.echo(f"{shown(store)}: {shown(file)} holds no events; nothing imported")
    else:
        click.echo(
            f"{shown(store)}: all {imported.events} event(s) of {shown(file)} were already stored"
        )


def _suffix(name: str) -> str:
    return Path(name).suffix.lower()


@cli.command()
@store_argument("src")
@store_argument("dst")
def copy(src: str, dst: str) -> None:
    """Copy every record of SRC into the empty DST: identical records, hashes and root.

    Works from any store to any store (JSON Lines, SQLite, PostgreSQL); DST is
    created when it does not exist and refused when it holds records.
    """
    path = file_of(src)
    if path is not None and not path.exists():
        raise StoreUnavailable(f"{redact(src, src)}: no such ledger")
    with removed_on_error(dst), progress_bar(f"copying {src}") as progress:
        count = copy_ledger(src, dst, progress=progress)
    click.echo(f"copied {count} record(s) from {shown(src)} to {shown(dst)}")
