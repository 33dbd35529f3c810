"""Single appends, alone in a fresh process: ``python -m benchmarks.appends TARGET TAIL``.

The harness times single appends here, as it times every read in a process
of its own (``benchmarks.replay``): a durable append takes a millisecond or
two, and in the harness's own process, whose heap the earlier phases left
hundreds of megabytes deep, the collector's passes over that heap were
timed with it. TARGET is a SQLite path or a ``postgresql://…?ledger=NAME``
URL; TAIL is the pickled ``(event, topic)`` list the build left beside it.

The ledger is opened and every TopicView rendered first (a long-running
process has them already); then each of the first ``--count`` events is
appended with ``Ledger.append`` and its topic's view rendered again.
``--raw FILE`` also inserts each stored row into a raw sqlite3 table there,
in its own transaction: the floor for a durable append, on the same disk at
the same moment. It prints one JSON line: the milliseconds of each append
(``append``), of each append with its view (``view``) and of each raw
insert (``raw``).
"""

from __future__ import annotations

import argparse
import pickle
import time
from pathlib import Path
from typing import Any

import orjson

from benchmarks.baselines import RawStore
from ledger import Ledger

__all__ = ["main", "single_appends"]


def single_appends(
    target: str, events: list[tuple[Any, str | None]], raw: RawStore | None
) -> dict[str, list[float]]:
    """Appends one by one, each with its TopicView re-rendered; raw inserts of the same rows."""
    clock = time.perf_counter
    spent: dict[str, list[float]] = {"append": [], "view": [], "raw": []}
    with Ledger.open(target) as lg:
        lg.topics()  # a long-running process has every view rendered already
        for event, topic in events:
            t0 = clock()
            record = lg.append(event)
            t1 = clock()
            if topic is not None:
                lg.topic(topic)
            t2 = clock()
            spent["append"].append((t1 - t0) * 1000)
            spent["view"].append((t2 - t0) * 1000)
            if raw is not None:
                (row,) = lg.rows(record.position - 1)
                t3 = clock()
                raw.insert_one(row)
                spent["raw"].append((clock() - t3) * 1000)
    return spent


def main(argv: list[str] | None = None) -> int:
    """Time --count single appends of TAIL's events to TARGET; print the times as JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.appends")
    parser.add_argument("target", help="a SQLite path or a postgresql:// URL")
    parser.add_argument("tail", type=Path, help="the pickled (event, topic) list to append")
    parser.add_argument("--count", type=int, default=200, help="how many to append")
    parser.add_argument("--raw", type=Path, default=None, help="a raw sqlite3 table's file")
    args = parser.parse_args(argv)
    events: list[tuple[Any, str | None]] = pickle.loads(args.tail.read_bytes())[: args.count]
    raw = RawStore(args.raw) if args.raw is not None else None
    try:
        spent = single_appends(args.target, events, raw)
    finally:
        if raw is not None:
            raw.close()
    print(orjson.dumps(spent).decode(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
