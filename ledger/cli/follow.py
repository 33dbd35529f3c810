"""`ledger follow`: print records as they land, exactly once, in position order."""

from __future__ import annotations

import math
import time

import click

from ledger.cli import cli
from ledger.cli._common import (
    Whole,
    console,
    emit_json,
    json_option,
    open_ledger,
    store_argument,
)
from ledger.cli._json import record_json
from ledger.cli.read import summary
from ledger.codec import format_timestamp
from ledger.present.text import rich_text
from ledger.stores.base import LAST_POSITION


def _a_number(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    # FloatRange lets NaN through (every comparison with it is false): it would never stop.
    if value is not None and math.isnan(value):
        raise click.BadParameter("not a number", ctx, param)
    return value


@cli.command()
@store_argument()
@click.option(
    "--after",
    metavar="N",
    type=Whole(0, LAST_POSITION),
    default=0,
    show_default=True,
    help="Start after this position (0: from the first record).",
)
@click.option(
    "--poll",
    "poll_interval",
    metavar="SECONDS",
    type=click.FloatRange(min=0.01, max=3600),
    default=1.0,
    show_default=True,
    callback=_a_number,
    help="Seconds between looks at the log when it cannot notify.",
)
@click.option(
    "--timeout",
    metavar="SECONDS",
    type=click.FloatRange(min=0),
    default=None,
    callback=_a_number,
    help="Stop after this many seconds, once the records already in the log are printed "
    "(default: follow until interrupted).",
)
@click.option(
    "--count",
    metavar="N",
    type=Whole(min=1),
    default=None,
    help="Stop after printing this many records.",
)
@json_option
def follow(
    store: str,
    after: int,
    poll_interval: float,
    timeout: float | None,
    count: int | None,
    as_json: bool,
) -> None:
    """Print every record after a position, then each new one as it arrives."""
    deadline = None if timeout is None else time.monotonic() + timeout
    printed = 0
    last = after

    def done() -> bool:
        # The records already in the log are printed whatever the timeout: it bounds
        # the wait for new ones, so that --timeout 0 prints the log and stops.
        timed_out = deadline is not None and time.monotonic() >= deadline and last >= backlog
        return timed_out or (count is not None and printed >= count)

    with open_ledger(store, read_only=True) as lg:
        backlog = lg.head
        try:
            for record in lg.follow(after, poll_interval=poll_interval, stop=done):
                if as_json:
                    # One JSON object a line, so a consumer can read the stream as it grows.
                    emit_json(record_json(record, lg), indent=None)
                else:
                    # A Text, never markup: "[sic]" in a title prints as written.
                    console().print(
                        rich_text(
                            f"{record.position:>6}  {format_timestamp(record.recorded_at)}  "
                            f"{record.type:16} {summary(record.event)}"
                        ),
                        highlight=False,
                        soft_wrap=True,
                    )
                printed += 1
                last = record.position
                if done():
                    break
        except KeyboardInterrupt:
            pass
