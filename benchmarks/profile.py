"""cProfile of the measured operations: ``python -m benchmarks.profile WHAT [TARGET]``.

* ``open-all TARGET``: a cold open + every TopicView through the read model
  (a SQLite path or a ``postgresql://`` URL);
* ``open-one TARGET --topic T``: a cold open + one topic, likewise;
* ``replay PATH``: a full replay, ``Ledger.open(PATH, tune_gc=True).as_of().topics()``;
* ``rebuild PATH``: a cold open (``tune_gc=True``) of a copy of PATH without
  its read model (the open builds it) + every TopicView;
* ``extend [PATH] --size N``: N events, 1,000 per extend, into a fresh SQLite
  file under a temporary directory, or onto a copy of PATH;
* ``append PATH --count K``: K single appends, each with its TopicView
  re-rendered, onto a copy of a ledger file (the original is left alone).

``--profile`` names the generator profile PATH was built with (for extend
and append, which continue its stream). Prints the top functions by own
time and by cumulative time; ``--save`` keeps the raw profile for snakeviz
or ``python -m pstats``.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import pstats
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchmarks.generate import LedgerGenerator, continuation
from benchmarks.replay import full_replay
from ledger import Ledger

__all__ = ["main"]


def _copy(path: Path, directory: Path, *, model: bool = True) -> Path:
    """A copy of a ledger file (checkpointed first), with or without its read model."""
    copy = directory / path.name
    source = sqlite3.connect(str(path))
    target = sqlite3.connect(str(copy))
    try:
        source.backup(target)
        if not model:
            target.execute("DROP TABLE model_rows")
            target.execute("DROP TABLE model_meta")
            target.commit()
    finally:
        source.close()
        target.close()
    return copy


def _extend(size: int, path: Path | None, directory: Path, profile: str) -> Callable[[], object]:
    if path is None:
        events = list(LedgerGenerator(profile=profile).take(size))
        lg = Ledger.open(str(directory / "profile.db"))
    else:
        lg = Ledger.open(str(_copy(path, directory)))
        _, body = continuation(lg.head, profile=profile)
        events = list(itertools.islice(body, size))

    def run() -> object:
        for i in range(0, len(events), 1_000):
            lg.extend(events[i : i + 1_000])
        return lg.head

    return run


def _append(path: Path, count: int, directory: Path, profile: str) -> Callable[[], object]:
    lg = Ledger.open(str(_copy(path, directory)))
    lg.topics()  # a long-running process has every view rendered already
    gen, body = continuation(lg.head, profile=profile)
    events = list(itertools.islice(body, count))

    def run() -> object:
        for event in events:
            lg.append(event)
            topic = gen.topic_of(event)
            if topic is not None:
                lg.topic(topic)
        return lg.head

    return run


def _read(
    what: str, target: str, topic: str | None, *, tune_gc: bool = False
) -> Callable[[], object]:
    def run() -> object:
        with Ledger.open(target, tune_gc=tune_gc) as lg:
            if what == "open-one":
                return lg.topic(topic or "")
            return len(lg.topics())

    return run


def main(argv: list[str] | None = None) -> int:
    """Profile one operation and print where the time goes."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile")
    parser.add_argument(
        "what", choices=("open-all", "open-one", "replay", "rebuild", "extend", "append")
    )
    parser.add_argument("target", nargs="?", help="a ledger file or URL (extend: optional)")
    parser.add_argument("--topic", default=None, help="open-one: the topic to ask for")
    parser.add_argument("--profile", default="default", help="the generator profile")
    parser.add_argument("--size", type=int, default=100_000, help="events to extend by")
    parser.add_argument("--count", type=int, default=200, help="single appends (append)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--save", type=Path, default=None, help="write the raw profile here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.target) if args.target else None
        if args.what == "extend":
            run = _extend(args.size, path, Path(tmp), args.profile)
        elif args.target is None or path is None:
            parser.error(
                f"{args.what} needs a ledger, e.g. benchmarks/data/ledger-default-100000.db"
            )
        elif args.what in ("open-all", "open-one"):
            if args.what == "open-one" and not args.topic:
                parser.error("open-one needs --topic")
            run = _read(args.what, args.target, args.topic)
        elif args.what == "replay":

            def run() -> object:
                return len(full_replay(args.target))

        elif args.what == "rebuild":
            copy = str(_copy(path, Path(tmp), model=False))
            run = _read("open-all", copy, None, tune_gc=True)
        else:
            run = _append(path, args.count, Path(tmp), args.profile)
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
