"""Where a batched append's time goes: ``python -m benchmarks.phases [--size N]``.

Builds a ledger the way the harness does (extends of 1,000 generated events,
each batch also inserted into a raw sqlite3 table), with wall-clock timers
around the parts of ``Ledger.extend``: loading the read-model partitions the
batch touches (prefetch), validation, encoding, the fold, encoding the read
model's changes as rows, and the store's write (the records, the Merkle edge
and the read-model rows, in one transaction), plus the time spent in full
garbage collections. Prints the running totals five times over the build.
``--tune-gc`` opens the ledger with ``tune_gc=True``, the opt-in that pauses
the collector over a bulk append and freezes what it built; ``--write-every``
sets how many records a bulk writer's read-model changes may cover before
they are stored. At the end it prints how many objects the collector tracks
in the writer's heap, and what one full collection of it takes (on stderr).
The files go to a temporary directory under benchmarks/data/ (or --data) and
are removed at the end.

It is the probe behind the append notes in RESULTS.md; it is not the
benchmark (``python -m benchmarks.run`` is).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ledger.facade.keeper
import ledger.facade.ledger
import ledger.projections.facts
import ledger.stores.sqlite
from benchmarks.baselines import RawStore
from benchmarks.generate import LedgerGenerator
from ledger import Ledger

__all__ = ["main"]

HERE = Path(__file__).resolve().parent


class Timers:
    """Wall-clock totals by name, and the time spent in full collections."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self.collections = 0
        self.collecting = 0.0
        self._started = 0.0
        gc.callbacks.append(self._collected)

    def wrap(self, owner: Any, name: str, key: str) -> None:
        """Replace owner.name with the same callable, timed under key."""
        inner: Callable[..., Any] = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.spent[key] = self.spent.get(key, 0.0) + time.perf_counter() - started

        setattr(owner, name, timed)

    def _collected(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.collecting += time.perf_counter() - self._started
            self.collections += 1

    def close(self) -> None:
        """Stop counting collections."""
        gc.callbacks.remove(self._collected)


def _count_changes() -> list[int]:
    """A running count of the read-model rows the appends write (Keeper.changes)."""
    count = [0]
    keeper = ledger.facade.keeper.Keeper
    inner = keeper.changes

    def counted(self: Any) -> Any:
        found = inner(self)
        count[0] += len(found)
        return found

    keeper.changes = counted  # type: ignore[method-assign]
    return count


def main(argv: list[str] | None = None) -> int:
    """Build a ledger of --size events and print where the appends spent their time."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.phases")
    parser.add_argument("--size", type=int, default=400_000, help="events to build")
    parser.add_argument("--data", type=Path, default=HERE / "data", help="where to build")
    parser.add_argument("--profile", default="default", help="the generator profile")
    parser.add_argument(
        "--tune-gc", action="store_true", help="open the ledger with tune_gc=True (opt-in)"
    )
    parser.add_argument(
        "--write-every",
        type=int,
        default=None,
        help="records a bulk writer's read-model changes may cover before they are stored "
        f"(ledger.facade.keeper.WRITE_EVERY, {ledger.facade.keeper.WRITE_EVERY:,} by default)",
    )
    args = parser.parse_args(argv)
    if args.write_every is not None:
        ledger.facade.keeper.WRITE_EVERY = args.write_every
    data: Path = args.data
    data.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(dir=data))
    timers = Timers()
    try:
        lg = Ledger.open(str(directory / "ledger.db"), tune_gc=args.tune_gc)
        raw = RawStore(directory / "raw.db")
        timers.wrap(lg.store, "write", "write")
        timers.wrap(ledger.projections.facts.Facts, "apply", "fold")
        timers.wrap(ledger.projections.facts.Facts, "prefetch", "prefetch")
        timers.wrap(ledger.facade.ledger, "validate", "validate")
        timers.wrap(lg.codec, "encode_many", "encode")
        timers.wrap(ledger.facade.keeper.Keeper, "write", "model changes")
        # Inside the store's write: the read model's rows, in the records' transaction.
        timers.wrap(ledger.stores.sqlite, "store_model_write", "of which read-model rows")
        changed = _count_changes()
        spent_ledger = spent_raw = 0.0
        events = LedgerGenerator(profile=args.profile).take(args.size)
        done = 0
        while batch := list(itertools.islice(events, 1_000)):
            head = lg.head
            started = time.perf_counter()
            lg.extend(batch)
            spent_ledger += time.perf_counter() - started
            rows = list(lg.rows(head))
            started = time.perf_counter()
            raw.insert_many(rows)
            spent_raw += time.perf_counter() - started
            done += len(batch)
            if done % max(1_000, args.size // 5) == 0 or done == args.size:
                parts = ", ".join(f"{k} {v:.1f} s" for k, v in timers.spent.items())
                print(
                    f"{done:,}: Ledger.extend {spent_ledger:.1f} s, raw executemany "
                    f"{spent_raw:.1f} s, ratio {spent_raw / spent_ledger:.3f}x; {parts}; "
                    f"{timers.collections} full collections, {timers.collecting:.2f} s; "
                    f"{changed[0]:,} read-model rows written ({changed[0] / done:.2f} an event)",
                    flush=True,
                )
        # What the collector scans in the writer's heap once the build is done.
        del batch
        started = time.perf_counter()
        gc.collect()
        print(
            f"after the build: {len(gc.get_objects()):,} objects tracked by the collector; "
            f"one full collection {time.perf_counter() - started:.2f} s",
            file=sys.stderr,
            flush=True,
        )
        lg.close()
        raw.close()
    finally:
        timers.close()
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
