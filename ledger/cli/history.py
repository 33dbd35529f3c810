"""`ledger history`: every figure reported on a topic, the trail behind each current figure."""

from __future__ import annotations

import click

from ledger.cli import cli
from ledger.cli._common import (
    AsOf,
    as_of_json,
    as_of_option,
    console,
    emit_json,
    json_option,
    reading_ledger,
    store_argument,
    view_of,
)
from ledger.cli._json import history_json
from ledger.cli._tables import Grid
from ledger.domain.views import HistoryEntry
from ledger.present.text import rich_text
from ledger.present.words import fmt_time


def _words(entry: HistoryEntry) -> str:
    phrase = entry.figure.phrase
    return f"“{phrase}”" if phrase else "given as numbers"


@cli.command()
@store_argument()
@click.argument("topic")
@click.option("--source", metavar="SLUG", help="Only the figures of this source (a slug).")
@as_of_option
@json_option
def history(store: str, topic: str, source: str | None, as_of: AsOf | None, as_json: bool) -> None:
    """List every figure reported on TOPIC in stated order: retracted, current or superseded.

    One row per FigureReported, by (stated, position): its source, figure and
    words, when it was stated and the time it describes (as of), whether it was
    retracted and whether it is the source's current figure.
    """
    with reading_ledger(store) as lg:
        view = view_of(lg, as_of)
        entries = view.history(topic, source)
        if as_json:
            emit_json(
                {
                    **as_of_json(as_of, view.position),
                    "topic": topic,
                    "source": source,
                    "history": [history_json(e) for e in entries],
                }
            )
            return
        out = console()
        if not entries:
            whose = f" by {source}" if source is not None else ""
            out.print(rich_text(f"no figures reported on {topic}{whose}"))
            return
        table = Grid(
            "Position", "Source", "Figure", "Words", "Stated", "As of", "Retracted", "Current",
            title=f"{topic}: every figure reported" + (f" by {source}" if source else ""),
        )  # fmt: skip
        for entry in entries:
            table.add(
                entry.position,
                entry.source,
                f"{entry.figure} {entry.figure.unit}",
                _words(entry),
                fmt_time(entry.stated_at),
                fmt_time(entry.reference_time),
                "retracted" if entry.retracted else None,
                "current" if entry.current else None,
                style="" if entry.current else "dim",
            )
        table.print(out)
