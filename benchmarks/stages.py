"""What a read costs, stage by stage: ``python -m benchmarks.stages replay|read-model TARGET``.

* ``replay PATH``: a full replay of a SQLite ledger, per record: reading rows
  (``Store.scan``), decoding them (``Codec.decode_values``), folding them
  (``Facts.apply``) and rendering every TopicView, in microseconds per record;
* ``read-model TARGET`` (a SQLite path or a ``postgresql://`` URL): a cold
  open + every TopicView through the read model, in seconds: the open (the
  read model's checkpoint checked against the log), the SQL that reads the
  rows ``topics()`` needs (``ReadModel.load_all``), decoding them
  (``decode_value``: JSON, timestamps and facts; the figure rows apart, and
  their JSON apart: the rest of a figure row is its ``Figure``, its
  ``FigureFact`` and two timestamps), filling the tables, and rendering
  every view, of which the consensus (``find_consensus`` on the same
  figures) and the range.

Each stage is timed apart in process CPU time (the read model's SQL also
in wall time, for PostgreSQL's server side) with the collector paused;
stages that keep nothing between runs are the best of ``--repeat``. It is
the probe behind the per-stage figures in RESULTS.md; it is not the
benchmark (``python -m benchmarks.run`` is).
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

import orjson

from ledger import Ledger
from ledger.codec import make_codec
from ledger.domain.consensus import find_consensus, hull
from ledger.projections.facts import Facts
from ledger.projections.protocol import LedgerProjection
from ledger.projections.reader import Reader
from ledger.projections.rows import decode_value
from ledger.stores import open_store

__all__ = ["main", "read_model_stages", "stages"]

#: The read-model tables ``Reader.topics()`` loads whole.
TOPIC_TABLES = ("meta", "definition", "parent", "source", "figure")


def _best(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.process_time()
        result = run()
        best = min(best, time.process_time() - started)
    return best, result


def stages(path: Path, repeat: int = 3) -> dict[str, float]:
    """Microseconds per record of each stage of a full replay of the ledger at path."""
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


class _Decoded:
    """A Loader that hands the tables rows decoded beforehand (the SQL and decoding timed apart)."""

    def __init__(self, tables: dict[str, dict[str, dict[str, Any]]]) -> None:
        self._tables = tables

    def load(self, ns: str, parts: Collection[str]) -> Mapping[str, Mapping[str, Any]]:
        rows = self._tables.get(ns, {})
        return {p: rows[p] for p in parts if p in rows}

    def load_all(self, ns: str) -> Mapping[str, Mapping[str, Any]]:
        return self._tables.get(ns, {})


def read_model_stages(target: str, repeat: int = 3) -> dict[str, float]:
    """Seconds of each stage of a cold open + every TopicView through the read model."""
    collecting = gc.isenabled()
    gc.disable()
    spent: dict[str, float] = {}
    try:
        started = time.process_time()
        lg = Ledger.open(target)
        spent["open"] = time.process_time() - started
        model = lg.store.model("ledger")
        assert model is not None, f"{target} keeps no read model"
        wall = time.perf_counter()
        sql, raw = _best(lambda: {ns: model.load_all(ns) for ns in TOPIC_TABLES}, repeat)
        spent["sql"] = sql
        spent["sql, wall"] = (time.perf_counter() - wall) / repeat
        rows = {ns: sum(len(items) for items in parts.values()) for ns, parts in raw.items()}

        def decode() -> dict[str, dict[str, dict[str, Any]]]:
            return {
                ns: {
                    p: {i: decode_value(ns, v) for i, v in items.items()}
                    for p, items in parts.items()
                }
                for ns, parts in raw.items()
            }

        spent["decode rows"], tables = _best(decode, repeat)
        texts = [v for parts in raw["figure"].values() for v in parts.values()]
        spent["of which figure rows"], _ = _best(
            lambda: [decode_value("figure", v) for v in texts], repeat
        )
        spent["of which their JSON"], _ = _best(lambda: [orjson.loads(v) for v in texts], repeat)

        def render() -> Any:
            reader = Reader(Facts(_Decoded(tables)))
            started = time.process_time()
            for table in reader.facts.tables:
                if table.ns in TOPIC_TABLES:
                    table.fetch_all()
            filled = time.process_time() - started
            views = reader.topics()
            return filled, time.process_time() - started - filled, views

        started = time.process_time()
        filled, rendered, views = render()
        spent["fill tables"] = filled
        spent["render every view"] = rendered
        fresh = [[f for f in v.figures if not f.stale] for v in views]
        spent["of which consensus"], _ = _best(lambda: [find_consensus(f) for f in fresh], repeat)
        spent["of which range"], _ = _best(
            lambda: [hull([f.figure for f in x]) for x in fresh], repeat
        )
        lg.close()
    finally:
        if collecting:
            gc.enable()
    spent["rows"] = float(sum(rows.values()))
    spent["figure rows"] = float(rows["figure"])
    spent["topics"] = float(len(views))
    return spent


def main(argv: list[str] | None = None) -> int:
    """Print each stage's cost."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stages")
    parser.add_argument("what", choices=("replay", "read-model"))
    parser.add_argument(
        "target", help="a ledger file (e.g. benchmarks/data/ledger-default-100000.db) or URL"
    )
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args(argv)
    if args.what == "replay":
        costs = stages(Path(args.target), args.repeat)
        print(", ".join(f"{name} {us:.2f} us" for name, us in costs.items()) + " per record")
        return 0
    found = read_model_stages(args.target, args.repeat)
    counts = {k: found.pop(k) for k in ("rows", "figure rows", "topics")}
    total = sum(v for k, v in found.items() if not k.startswith("of which") and k != "sql, wall")
    for name, seconds in found.items():
        share = "" if name == "sql, wall" else f" ({seconds / total:.0%})"
        print(f"{name}: {seconds:.3f} s{share}")
    print(
        f"total (CPU, the stages above): {total:.3f} s; "
        + ", ".join(f"{k} {v:,.0f}" for k, v in counts.items())
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
