"""Where a batched append's time goes on PostgreSQL: ``python -m benchmarks.pg_phases``.

Starts a throwaway PostgreSQL server (``benchmarks.pg``), builds a ledger of
``--size`` generated events in it with ``Ledger.extend`` of 1,000 events at a
time, and prints the append rate with the time the server spent in the
ledger's PL/pgSQL functions (``pg_stat_user_functions``): the trigger that
grows the Merkle tree and the one that keeps it append-only. The rest of the
time is the client's fold and encoding and the server's inserts of the
records and the read model's rows.

It is the probe behind the PostgreSQL append notes in RESULTS.md; it is not
the benchmark (``python -m benchmarks.run`` is). Run it with an older tree
first on ``PYTHONPATH`` to compare.
"""

from __future__ import annotations

import argparse
import itertools
import time
from typing import Any

from benchmarks.generate import LedgerGenerator
from benchmarks.pg import BenchServer
from ledger import Ledger

__all__ = ["main"]

_DATABASE = "bench_pg_phases"


def build(server: BenchServer, size: int, profile: str) -> dict[str, Any]:
    """Build size events on server; the append rate and the server's function times."""
    import psycopg

    url = server.create_database(_DATABASE)
    with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {_DATABASE} SET track_functions = 'pl'")
    events = LedgerGenerator(profile=profile).take(size)
    wall = cpu = 0.0
    with Ledger.open(f"{url}&ledger=bench") as lg:
        while batch := list(itertools.islice(events, 1_000)):
            t0, c0 = time.perf_counter(), time.process_time()
            lg.extend(batch)
            wall += time.perf_counter() - t0
            cpu += time.process_time() - c0
        head = lg.head
    # A session's statistics reach the server when it ends, a moment after close.
    batches = -(-head // 1_000)
    functions: dict[str, tuple[int, float]] = {}
    deadline = time.monotonic() + 10
    with psycopg.connect(url, autocommit=True) as conn:
        while functions.get("ledger_grow_tree", (0, 0.0))[0] < batches:
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
            functions = {
                name: (calls, total / 1000)
                for name, calls, total in conn.execute(
                    "SELECT funcname, calls, total_time FROM pg_stat_user_functions"
                )
            }
    return {"events": head, "wall": wall, "cpu": cpu, "functions": functions}


def main(argv: list[str] | None = None) -> int:
    """Build --size events on a throwaway server and print where the time went."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pg_phases")
    parser.add_argument("--size", type=int, default=100_000, help="events to build")
    parser.add_argument("--profile", default="default", help="the generator profile")
    args = parser.parse_args(argv)
    server = BenchServer()
    try:
        found = build(server, args.size, args.profile)
    finally:
        server.stop()
    functions = "; ".join(
        f"{name} {calls:,} calls, {seconds:.2f} s"
        for name, (calls, seconds) in sorted(found["functions"].items())
    )
    print(
        f"{found['events']:,} events: Ledger.extend {found['wall']:.2f} s "
        f"({found['events'] / found['wall']:,.0f} events/s), client CPU {found['cpu']:.2f} s; "
        f"in the server's functions: {functions}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
