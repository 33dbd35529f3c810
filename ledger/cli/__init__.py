"""The `ledger` command: a thin click layer over the public API.

Each command opens a Ledger and calls the methods a library user would; a
LedgerError becomes one `Error: ...` line on stderr and exit code 1, a usage
error exit code 2. docs/cli.md documents every command.
"""

from __future__ import annotations

import importlib

import click

from ledger.cli._common import OWN_PROCESS, LedgerGroup
from ledger.version import __version__

__all__ = ["OWN_PROCESS", "cli", "main"]


@click.group(cls=LedgerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ledger")
def cli() -> None:
    """Record who said what, and what figure they gave; read where sources agree."""


# Submodules decorate `cli`, so they are imported after it exists.
for _name in ("store", "record", "read", "history", "charts_cmd", "export", "proofs", "follow"):
    importlib.import_module(f"ledger.cli.{_name}")


def main() -> None:
    """Run the `ledger` command line, as a program in a process of its own."""
    # The program owns its process, so its long folds and bulk appends may
    # tune the garbage collector (Ledger.open's tune_gc); `cli` called from
    # another program's process never does.
    cli(prog_name="ledger", obj=OWN_PROCESS)
