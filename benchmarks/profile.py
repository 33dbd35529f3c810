"""cProfile of the measured operations: ``python -m benchmarks.profile replay|extend|append``.

* ``replay PATH``: a full replay (cold open + every TopicView) of a ledger file;
* ``extend [PATH] --size N``: N events, 1,000 per extend, into a fresh SQLite
  file under a temporary directory, or onto a copy of PATH;
* ``append PATH --count K``: K single appends, each with its TopicView
  re-rendered, onto a copy of a ledger file (the original is left alone).

Prints the top functions by own time and by cumulative time; ``--save`` keeps
the raw profile for snakeviz or ``python -m pstats``.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import pstats
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchmarks.generate import LedgerGenerator, continuation
from benchmarks.replay import full_replay
from ledger import Ledger

__all__ = ["main"]


def _copy(path: Path, directory: Path) -> Ledger:
    """A copy of a ledger file (and its snapshot), opened and fully folded."""
    copy = directory / path.name
    shutil.copyfile(path, copy)
    snapshot = Path(str(path) + ".snapshot")
    if snapshot.exists():
        shutil.copyfile(snapshot, str(copy) + ".snapshot")
    lg = Ledger.open(str(copy))
    lg.topics()
    return lg


def _extend(size: int, path: Path | None, directory: Path) -> Callable[[], object]:
    if path is None:
        events = list(LedgerGenerator().take(size))
        lg = Ledger.open(str(directory / "profile.db"))
    else:
        lg = _copy(path, directory)
        _, body = continuation(lg.head)
        events = list(itertools.islice(body, size))

    def run() -> object:
        for i in range(0, len(events), 1_000):
            lg.extend(events[i : i + 1_000])
        return lg.head

    return run


def _append(path: Path, count: int, directory: Path) -> Callable[[], object]:
    lg = _copy(path, directory)
    gen, body = continuation(lg.head)
    events = list(itertools.islice(body, count))

    def run() -> object:
        for event in events:
            lg.append(event)
            topic = gen.topic_of(event)
            if topic is not None:
                lg.topic(topic)
        return lg.head

    return run


def main(argv: list[str] | None = None) -> int:
    """Profile one operation and print where the time goes."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile")
    parser.add_argument("what", choices=("replay", "extend", "append"))
    parser.add_argument(
        "path", nargs="?", type=Path, help="a ledger file (replay, append; extend onto a copy)"
    )
    parser.add_argument("--size", type=int, default=100_000, help="events to extend by")
    parser.add_argument("--count", type=int, default=200, help="single appends (append)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--save", type=Path, default=None, help="write the raw profile here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.what == "extend":
            run = _extend(args.size, args.path, Path(tmp))
        elif args.path is None:
            parser.error(f"{args.what} needs a ledger file, e.g. benchmarks/data/ledger-100000.db")
        elif args.what == "replay":
            path = args.path

            def run() -> object:
                return len(full_replay(path))

        else:
            run = _append(args.path, args.count, Path(tmp))
        profiler = cProfile.Profile()
        profiler.runcall(run)
    if args.save is not None:
        profiler.dump_stats(args.save)
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
