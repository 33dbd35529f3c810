"""Single appends, alone in a process: ``python -m benchmarks.appends TARGET TAIL``.

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

With ``--serve`` it appends one event each time the harness writes a line
(``Appender``), and answers with that append's times: the harness drives one
such process per ledger size in turn, so that both sizes' appends meet the
disk's fsync latency of the same moments (``interleaved``).
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

from benchmarks.baselines import RawStore
from benchmarks.worker import Worker, reply
from ledger import Ledger

__all__ = ["Appender", "cached", "interleaved", "main", "single_appends"]


def _append_one(
    lg: Ledger, event: Any, topic: str | None, raw: RawStore | None
) -> dict[str, float]:
    """One append with its TopicView re-rendered, and a raw insert of the same row."""
    clock = time.perf_counter
    t0 = clock()
    record = lg.append(event)
    t1 = clock()
    if topic is not None:
        lg.topic(topic)
    t2 = clock()
    spent = {"append": (t1 - t0) * 1000, "view": (t2 - t0) * 1000}
    if raw is not None:
        (row,) = lg.rows(record.position - 1)
        t3 = clock()
        raw.insert_one(row)
        spent["raw"] = (clock() - t3) * 1000
    return spent


def single_appends(
    target: str, events: list[tuple[Any, str | None]], raw: RawStore | None
) -> dict[str, list[float]]:
    """Appends one by one, each with its TopicView re-rendered; raw inserts of the same rows."""
    spent: dict[str, list[float]] = {"append": [], "view": [], "raw": []}
    with Ledger.open(target) as lg:
        lg.topics()  # a long-running process has every view rendered already
        for event, topic in events:
            for key, ms in _append_one(lg, event, topic, raw).items():
                spent[key].append(ms)
    return spent


def cached(paths: Iterable[Path]) -> int:
    """Read each SQLite file (and its write-ahead log) through once; the bytes read.

    A process that appends to its ledger all day finds the pages its appends
    touch in the OS's page cache. The harness's appenders start in fresh
    processes after half an hour of builds and reads of many gigabytes of
    files, and the 1M ledger's index pages, written by its build and read
    by no read since, may have been evicted: each append then
    reads a few pages from the disk, which the 10k ledger, read whole by
    ``topics()``, never does. Read once, both sizes start from the same
    state (RESULTS.md, twenty-first round).
    """
    total = 0
    buffer = bytearray(1 << 20)
    for path in paths:
        for name in (Path(path), Path(f"{path}-wal")):
            try:
                with name.open("rb", buffering=0) as file:
                    while read := file.readinto(buffer):
                        total += read
            except FileNotFoundError:
                continue
    return total


class Appender(Worker):
    """The harness's end of one ``--serve`` process: ``ask("next")`` appends one event."""

    def __init__(
        self, target: str, tail: Path, *, count: int, log: Path, raw: Path | None = None
    ) -> None:
        argv = ["-m", "benchmarks.appends", target, str(tail), "--count", str(count), "--serve"]
        if raw is not None:
            argv += ["--raw", str(raw)]
        super().__init__(argv, name=f"appender to {target}", log=log)


def interleaved(appenders: Sequence[Appender], count: int) -> list[dict[str, list[float]]]:
    """count appends by each appender, in turn (every other round in reverse order)."""
    spent: list[dict[str, list[float]]] = [{} for _ in appenders]
    order = list(range(len(appenders)))
    for _ in range(count):
        for i in order:
            for key, ms in appenders[i].ask("next").items():
                spent[i].setdefault(key, []).append(ms)
        order.reverse()  # neither size always goes first, right after the other's fsync
    return spent


def _serve(target: str, events: list[tuple[Any, str | None]], raw: RawStore | None) -> None:
    with Ledger.open(target) as lg:
        lg.topics()  # a long-running process has every view rendered already
        reply({"ready": True, "head": lg.head})
        pending = iter(events)
        for line in sys.stdin:
            command = line.strip()
            if command == "close":
                break
            if command != "next":
                raise SystemExit(f"unknown command {command!r}")
            event, topic = next(pending)
            reply(_append_one(lg, event, topic, raw))
    reply({"closed": True})


def main(argv: list[str] | None = None) -> int:
    """Time --count single appends of TAIL's events to TARGET; print the times as JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.appends")
    parser.add_argument("target", help="a SQLite path or a postgresql:// URL")
    parser.add_argument("tail", type=Path, help="the pickled (event, topic) list to append")
    parser.add_argument("--count", type=int, default=200, help="how many to append")
    parser.add_argument("--raw", type=Path, default=None, help="a raw sqlite3 table's file")
    parser.add_argument(
        "--serve", action="store_true", help="append one event for each 'next' line on stdin"
    )
    args = parser.parse_args(argv)
    events: list[tuple[Any, str | None]] = pickle.loads(args.tail.read_bytes())[: args.count]
    raw = RawStore(args.raw) if args.raw is not None else None
    try:
        if args.serve:
            _serve(args.target, events, raw)
            return 0
        spent = single_appends(args.target, events, raw)
    finally:
        if raw is not None:
            raw.close()
    print(orjson.dumps(spent).decode(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
