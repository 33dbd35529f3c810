"""Grow a ledger file as a writer killed between two snapshots leaves it.

``python -m benchmarks.grow PATH --count N`` appends the next N events of the
seeded generator (the stream the harness built PATH from) with
``snapshot_every=None``, so that the snapshot beside PATH no longer covers
them. ``python -m benchmarks.replay shipped PATH --topic T`` then times a
cold open that must fold those records: the "cold open after a crash"
figure in RESULTS.md. It writes to PATH: grow a copy.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from benchmarks.generate import continuation
from ledger import Ledger

__all__ = ["grow", "main"]


def grow(path: Path, count: int) -> int:
    """Append count generated events to the ledger at path, keeping no snapshot; the new head."""
    with Ledger.open(str(path), snapshot_every=None) as lg:
        _, body = continuation(lg.head)
        events = list(itertools.islice(body, count))
        for i in range(0, len(events), 1_000):
            lg.extend(events[i : i + 1_000])
        return lg.head


def main(argv: list[str] | None = None) -> int:
    """Grow the ledger and print its new head."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.grow")
    parser.add_argument("path", type=Path, help="a ledger file the harness built (a copy of it)")
    parser.add_argument("--count", type=int, default=9_999, help="events to append")
    args = parser.parse_args(argv)
    print(f"head {grow(args.path, args.count):,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
