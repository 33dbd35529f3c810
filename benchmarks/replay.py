"""One cold open or replay, alone in a fresh process: ``python -m benchmarks.replay KIND PATH``.

The harness times every replay here, in a process of its own, so that the
measurement starts cold (nothing folded, nothing cached in the interpreter)
and is not slowed by the harness's own heap (the garbage collector would scan
it). KIND is one of:

* ``ledger``: a full replay, ``Ledger(store, snapshot_every=None)`` (no
  projection snapshot read or written) plus every TopicView;
* ``shipped``: ``Ledger.open(PATH)`` with the ledger's defaults (its snapshot)
  plus every TopicView, or only ``--topic T``;
* ``raw``: the raw sqlite3 + orjson fold of a raw table;
* ``es``: the eventsourcing rebuild of every topic aggregate;
* ``idle``: nothing, for the interpreter's own footprint.

It prints one JSON line: wall and CPU seconds, topics, and the process's peak
resident set (VmHWM) at start and end. ``--ranges FILE`` also writes each
topic's range, for the harness to check that the folds agree.
"""

from __future__ import annotations

import argparse
import inspect
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import orjson

from ledger import Ledger, TopicView
from ledger.stores import open_store

__all__ = ["full_replay", "open_full", "peak_rss_kib", "snapshot_state"]


def open_full(path: str | Path) -> Ledger:
    """Open a ledger file so that it folds every event, whatever snapshot is kept beside it."""
    store = open_store(str(path))
    if "snapshot_every" in inspect.signature(Ledger).parameters:
        return Ledger(store, snapshot_every=None)
    return Ledger(store)  # a ledger from before snapshots


def full_replay(path: str | Path) -> list[TopicView]:
    """Cold open and every TopicView: the full replay the benchmark times."""
    lg = open_full(path)
    try:
        return lg.topics()
    finally:
        lg.close()


def snapshot_state(lg: Ledger) -> str:
    """Whether a projection snapshot was there to use, wherever the ledger keeps it."""
    path = getattr(lg.store, "snapshot_path", None)
    if path is not None:
        return "a snapshot file beside the log" if os.path.exists(path) else "no snapshot file"
    return "no snapshot"


def peak_rss_kib() -> int:
    """This process's peak resident set in KiB: VmHWM, else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _range(view: TopicView) -> Any:
    r = view.range
    return None if r is None else [r.low, r.high, r.low_open, r.high_open]


def _prepare(kind: str, path: str, topic: str | None) -> Any:
    """The run to time: imports and bookkeeping happen here, before the clock starts."""

    def ranges_of(hulls: dict[str, Any]) -> dict[str, Any]:
        return {t: None if h is None else list(h) for t, h in hulls.items()}

    if kind == "ledger":

        def run() -> tuple[dict[str, Any], dict[str, Any]]:
            views = full_replay(path)
            return {"topics": len(views)}, {v.topic: _range(v) for v in views}

    elif kind == "shipped":

        def run() -> tuple[dict[str, Any], dict[str, Any]]:
            lg = Ledger.open(path)
            snapshot = snapshot_state(lg)
            try:
                views = [lg.topic(topic)] if topic else lg.topics()
            finally:
                lg.close()
            found = {"topics": len(views), "snapshot": snapshot}
            return found, {v.topic: _range(v) for v in views}

    elif kind == "raw":
        from benchmarks.baselines import raw_fold

        def run() -> tuple[dict[str, Any], dict[str, Any]]:
            hulls = raw_fold(path)
            return {"topics": len(hulls)}, ranges_of(hulls)

    elif kind == "es":
        from benchmarks.baselines import EventsourcingBaseline

        # The topic index is bookkeeping the repository cannot do; the rebuild
        # (a fresh Application, every aggregate, the hulls) is what is timed.
        baseline = EventsourcingBaseline.reopen(path)

        def run() -> tuple[dict[str, Any], dict[str, Any]]:
            hulls = baseline.rebuild()
            return {"topics": len(hulls)}, ranges_of(hulls)

    else:

        def run() -> tuple[dict[str, Any], dict[str, Any]]:
            return {"topics": 0}, {}

    return run


def main(argv: list[str] | None = None) -> int:
    """Open or replay one file and print seconds, CPU seconds, topics and peak RSS as JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.replay")
    parser.add_argument("kind", choices=("ledger", "shipped", "raw", "es", "idle"))
    parser.add_argument("path")
    parser.add_argument("--topic", default=None, help="shipped: query only this topic")
    parser.add_argument("--ranges", type=Path, default=None, help="write each topic's range here")
    args = parser.parse_args(argv)
    run = _prepare(args.kind, args.path, args.topic)
    start_kib = peak_rss_kib()
    wall, cpu = time.perf_counter(), time.process_time()
    out, ranges = run()
    out["seconds"] = time.perf_counter() - wall
    out["cpu_seconds"] = time.process_time() - cpu
    out["peak_kib"] = peak_rss_kib()
    out["start_kib"] = start_kib
    if args.ranges is not None:
        args.ranges.write_bytes(orjson.dumps(ranges))
    sys.stdout.write(orjson.dumps(out).decode() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
