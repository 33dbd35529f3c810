"""One cold open or replay, alone in a fresh process: ``python -m benchmarks.replay KIND TARGET``.

The harness times every read here, in a process of its own, so that the
measurement starts cold (nothing folded, nothing cached in the interpreter)
and is not slowed by the harness's own heap (the garbage collector would scan
it). TARGET is a SQLite path or a ``postgresql://…?ledger=NAME`` URL. KIND is
one of:

* ``open-all``: ``Ledger.open(TARGET).topics()``, as a user would: through the
  read model kept beside the log (an older ledger: through its snapshot);
* ``open-one``: ``Ledger.open(TARGET).topic(--topic)``, likewise;
* ``replay``: a full fold of the log and every TopicView:
  ``Ledger.open(TARGET, tune_gc=True).as_of().topics()`` (``--gc default``:
  without ``tune_gc``); an older ledger's full replay,
  ``Ledger(store, snapshot_every=None).topics()``, tuned the collector itself;
* ``rebuild``: ``Ledger.open(TARGET, tune_gc=True).topics()`` on a copy of the
  file without its read model, which the open builds (it refuses a file that
  has one);
* ``raw``: the raw sqlite3 + orjson fold of a raw table;
* ``es``: the eventsourcing rebuild of every topic aggregate;
* ``idle``: nothing, for the interpreter's own footprint.

It prints one JSON line: wall and CPU seconds, topics, current figures, and
the process's peak resident set (VmHWM) at start and end. The clock starts
after the imports: ``import_seconds`` is what importing the ledger and the
target's store module cost first (every fresh process pays it once). ``--ranges FILE``
also writes each topic's range, for the harness to check that the folds agree.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import resource
import sqlite3
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from ledger import Ledger, TopicView

__all__ = ["KINDS", "full_replay", "has_read_model", "open_ledger", "peak_rss_kib"]

KINDS = ("open-all", "open-one", "replay", "rebuild", "raw", "es", "idle")


def open_ledger(target: str | Path, *, tune_gc: bool = False) -> Ledger:
    """``Ledger.open(target)``, with ``tune_gc`` when this version of the ledger has it."""
    from ledger import Ledger

    if tune_gc and "tune_gc" in inspect.signature(Ledger.open).parameters:
        return Ledger.open(str(target), tune_gc=True)
    return Ledger.open(str(target))


def _before_read_models() -> bool:
    """Whether the ledger imported is an older one, with a snapshot file instead of a read model."""
    from ledger import Ledger

    return "snapshot_every" in inspect.signature(Ledger).parameters


def full_replay(target: str | Path, *, tune_gc: bool = True) -> list[TopicView]:
    """Every record folded in memory and every TopicView rendered: the full replay timed."""
    from ledger import Ledger
    from ledger.stores import open_store

    if _before_read_models():
        old = Ledger(open_store(str(target)), snapshot_every=None)  # type: ignore[call-arg]
        try:
            return old.topics()
        finally:
            old.close()
    lg = open_ledger(target, tune_gc=tune_gc)
    try:
        return lg.as_of().topics()
    finally:
        lg.close()


def has_read_model(path: str | Path) -> bool:
    """Whether a SQLite ledger file holds read-model rows."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        found = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'model_meta'"
        ).fetchone()[0]
        return bool(found) and conn.execute("SELECT count(*) FROM model_meta").fetchone()[0] > 0
    finally:
        conn.close()


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


Run = Any  # () -> (found, ranges)


def _views(views: list[TopicView]) -> tuple[dict[str, Any], dict[str, Any]]:
    found = {
        "topics": len(views),
        "figures": sum(len(v.figures) for v in views),
        "derived": sum(1 for v in views for f in v.figures if f.derived),
    }
    return found, {v.topic: _range(v) for v in views}


def _prepare(kind: str, target: str, topic: str | None, gc_mode: str) -> Run:
    """The run to time: imports and bookkeeping happen here, before the clock starts."""

    from ledger import Ledger

    def ranges_of(hulls: dict[str, Any]) -> dict[str, Any]:
        return {t: None if h is None else list(h) for t, h in hulls.items()}

    if kind in ("open-all", "open-one"):
        if kind == "open-one" and not topic:
            raise SystemExit("open-one needs --topic")

        def run() -> tuple[dict[str, Any], dict[str, Any]]:
            lg = Ledger.open(target)
            try:
                views = [lg.topic(topic)] if kind == "open-one" and topic else lg.topics()
            finally:
                lg.close()
            return _views(views)

    elif kind == "replay":

        def run() -> tuple[dict[str, Any], dict[str, Any]]:
            return _views(full_replay(target, tune_gc=gc_mode == "tuned"))

    elif kind == "rebuild":
        if _before_read_models():
            raise SystemExit("rebuild: this ledger keeps no read model (use replay)")
        if has_read_model(target):
            raise SystemExit(f"rebuild: {target} has a read model; time a copy without one")

        def run() -> tuple[dict[str, Any], dict[str, Any]]:
            lg = open_ledger(target, tune_gc=gc_mode == "tuned")
            try:
                return _views(lg.topics())
            finally:
                lg.close()

    elif kind == "raw":
        from benchmarks.baselines import raw_fold

        def run() -> tuple[dict[str, Any], dict[str, Any]]:
            stats: dict[str, int] = {}
            hulls = raw_fold(target, stats)
            return {"topics": len(hulls), **stats}, ranges_of(hulls)

    elif kind == "es":
        from benchmarks.baselines import EventsourcingBaseline

        # The topic index is bookkeeping the repository cannot do; the rebuild
        # (a fresh Application, every aggregate, the hulls) is what is timed.
        baseline = EventsourcingBaseline.reopen(target)

        def run() -> tuple[dict[str, Any], dict[str, Any]]:
            hulls = baseline.rebuild()
            return {"topics": len(hulls)}, ranges_of(hulls)

    else:

        def run() -> tuple[dict[str, Any], dict[str, Any]]:
            return {"topics": 0}, {}

    return run


def main(argv: list[str] | None = None) -> int:
    """Open or replay one ledger and print seconds, CPU seconds, topics and peak RSS as JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.replay")
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("target", help="a SQLite path or a postgresql:// URL")
    parser.add_argument("--topic", default=None, help="open-one: the topic to ask for")
    parser.add_argument(
        "--gc",
        choices=("tuned", "default"),
        default="tuned",
        help="replay, rebuild: open with tune_gc=True (tuned) or not",
    )
    parser.add_argument("--ranges", type=Path, default=None, help="write each topic's range here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    importlib.import_module("ledger")
    # The store's module too (psycopg for PostgreSQL), which the open would import.
    if args.target.startswith(("postgresql://", "postgres://")):
        importlib.import_module("ledger.stores.postgres")
    elif args.kind not in ("raw", "es", "idle"):
        importlib.import_module("ledger.stores.sqlite")
    imported = time.perf_counter() - started
    run = _prepare(args.kind, args.target, args.topic, args.gc)
    start_kib = peak_rss_kib()
    wall, cpu = time.perf_counter(), time.process_time()
    out, ranges = run()
    out["seconds"] = time.perf_counter() - wall
    out["cpu_seconds"] = time.process_time() - cpu
    out["peak_kib"] = peak_rss_kib()
    out["start_kib"] = start_kib
    out["import_seconds"] = imported
    if args.ranges is not None:
        args.ranges.write_bytes(orjson.dumps(ranges))
    sys.stdout.write(orjson.dumps(out).decode() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
