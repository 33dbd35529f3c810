"""What a full replay costs per record, stage by stage: ``python -m benchmarks.stages PATH``.

Reads every row of a ledger file (``Store.scan``), decodes them
(``Codec.decode_values``), folds them (``Facts.apply``) and renders
every TopicView, timing each stage apart in process CPU time with the
collector paused, and prints microseconds per record. Stages that keep
nothing between runs are the best of ``--repeat``. It is the probe behind
the per-record figures in RESULTS.md; it is not the benchmark
(``python -m benchmarks.run`` is).
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ledger.codec import make_codec
from ledger.projections.protocol import LedgerProjection
from ledger.projections.reader import Reader
from ledger.stores import open_store

__all__ = ["main", "stages"]


def _best(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.process_time()
        result = run()
        best = min(best, time.process_time() - started)
    return best, result


def stages(path: Path, repeat: int = 3) -> dict[str, float]:
    """Microseconds per record of each stage of a replay of the ledger at path."""
    store = open_store(str(path))
    codec = make_codec()
    collecting = gc.isenabled()
    gc.disable()
    try:
        read, rows = _best(lambda: list(store.scan(0)), repeat)
        decode, events = _best(lambda: [codec.decode_values(v) for v in rows], repeat)

        def fold() -> Reader:
            reader = LedgerProjection().initial()
            for values, event in zip(rows, events, strict=True):
                reader.facts.apply(values[0], event)
            return reader

        folded, reader = _best(fold, repeat)
        started = time.process_time()
        reader.topics()
        render = time.process_time() - started
    finally:
        store.close()
        if collecting:
            gc.enable()
    count = max(len(rows), 1)
    spent = {"read": read, "decode": decode, "fold": folded, "render": render}
    return {name: seconds / count * 1e6 for name, seconds in spent.items()}


def main(argv: list[str] | None = None) -> int:
    """Print each stage's cost per record."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stages")
    parser.add_argument(
        "path", type=Path, help="a ledger file, e.g. benchmarks/data/ledger-100000.db"
    )
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args(argv)
    costs = stages(args.path, args.repeat)
    print(", ".join(f"{name} {us:.2f} us" for name, us in costs.items()) + " per record")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
