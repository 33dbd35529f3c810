"""Two trees' appends, side by side: ``python -m benchmarks.lockstep --code A --against B``.

Builds the same seeded events (``benchmarks.generate``) into two ledgers,
one with each tree's ``ledger`` first on ``PYTHONPATH`` (``benchmarks.build``
processes, asked in turn for batches of 1,000, as the harness builds), and
prints, five times over the build, B's ``Ledger.extend`` time over A's (wall
and CPU): above 1, A appends faster. ``--against`` defaults to the previous
release the harness compares with (``benchmarks/data/code-<commit>``, which
``python -m benchmarks.run`` exports). ``--postgres`` builds both on a
throwaway PostgreSQL server, each in a database of its own.

It is the probe behind the lock-step notes in RESULTS.md; it is not the
benchmark (``python -m benchmarks.run`` is), which also builds the raw,
eventsourcing and tune_gc ledgers between the batches.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.build import Builder
from benchmarks.run import PREVIOUS_ROUND

__all__ = ["main"]

HERE = Path(__file__).resolve().parent
BATCH = 1_000


def main(argv: list[str] | None = None) -> int:
    """Build --size events with both trees, in turn, and print the ratios."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lockstep")
    parser.add_argument("--size", type=int, default=200_000, help="events to build")
    parser.add_argument("--profile", default="default", help="the generator profile")
    parser.add_argument("--code", type=Path, default=HERE.parent, help="tree A (default: this)")
    parser.add_argument(
        "--against",
        type=Path,
        default=HERE / "data" / f"code-{PREVIOUS_ROUND}",
        help="tree B (default: the previous release, as exported by benchmarks.run)",
    )
    parser.add_argument("--postgres", action="store_true", help="build on a throwaway server")
    parser.add_argument("--data", type=Path, default=HERE / "data", help="where files go")
    args = parser.parse_args(argv)
    for tree in (args.code, args.against):
        if not (tree / "ledger").is_dir():
            parser.error(f"{tree} holds no ledger/ package")
    args.data.mkdir(parents=True, exist_ok=True)
    place = Path(tempfile.mkdtemp(dir=args.data, prefix="lockstep-"))
    server: Any = None
    builders: dict[str, Builder] = {}
    try:
        if args.postgres:
            from benchmarks.pg import BenchServer

            server = BenchServer()
        for name, tree in (("a", args.code), ("b", args.against)):
            target = (
                server.create_database(f"lockstep_{name}") + "&ledger=bench"
                if server is not None
                else str(place / f"{name}.db")
            )
            builders[name] = Builder(
                target,
                size=args.size,
                profile=args.profile,
                seed=8,
                topics=None,
                sources=None,
                log=place / f"{name}.log",
                code=tree,
            )
        spent = {name: [0.0, 0.0] for name in builders}
        order = list(builders)
        done = 0
        while done < args.size:
            count = min(BATCH, args.size - done)
            for name in order:
                answer = builders[name].ask(f"extend {count}")
                spent[name][0] += answer["wall"]
                spent[name][1] += answer["cpu"]
            done += count
            order.reverse()  # neither goes first every time (see benchmarks.run._build)
            if done % max(BATCH, args.size // 5) < BATCH or done == args.size:
                (a_wall, a_cpu), (b_wall, b_cpu) = spent["a"], spent["b"]
                print(
                    f"{done:,}: B/A wall {b_wall / a_wall:.3f}, CPU {b_cpu / a_cpu:.3f} "
                    f"(A {a_wall:.1f} s, B {b_wall:.1f} s)",
                    flush=True,
                )
    finally:
        for builder in builders.values():
            builder.kill()
        if server is not None:
            server.stop()
        shutil.rmtree(place, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
