"""Where `ledger topics` spends its time: ``python -m benchmarks.topics_cmd LEDGER``.

Times, in one fresh process and in order, what the command does after
Python's start-up: importing the ledger and the CLI, opening the ledger
read-only and building every TopicView, counting every topic's active
disputes, laying out the two tables, and printing them as rich would to a
terminal of ``--width`` columns (into memory). Prints one JSON line, seconds
by stage. It is a probe behind the CLI note in RESULTS.md, not the benchmark.
"""

from __future__ import annotations

import argparse
import io
import json
import time

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Time each stage of `ledger topics LEDGER` and print them as JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.topics_cmd")
    parser.add_argument("ledger", help="a ledger's path or URL")
    parser.add_argument("--width", type=int, default=80, help="the terminal's columns")
    args = parser.parse_args(argv)
    clock = time.perf_counter
    spent: dict[str, float] = {}
    started = clock()
    from rich.console import Console

    from ledger import Ledger
    from ledger.cli.read import topics_table

    spent["import"] = clock() - started
    with Ledger.open(args.ledger, read_only=True) as lg:
        started = clock()
        topics = lg.topics()
        spent["open and every TopicView"] = clock() - started
        started = clock()
        active = lg.active_disputes()
        spent["active disputes of every topic"] = clock() - started
        started = clock()
        table, camps = topics_table(lg)
        spent["the tables (views again, from memory)"] = clock() - started
        started = clock()
        out = Console(file=io.StringIO(), width=args.width)
        table.print(out)
        if camps.rows:
            camps.print(out)
        spent[f"printing at {args.width} columns"] = clock() - started
    seconds = {k: round(v, 3) for k, v in spent.items()}
    print(json.dumps({"topics": len(topics), "disputed": len(active), "seconds": seconds}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
