"""One ledger built batch by batch, alone in a process: ``python -m benchmarks.build TARGET``.

The harness builds every ledger of a size in lock-step (``benchmarks.run``):
it starts one of these per ledger (SQLite and PostgreSQL, today's code and,
with ``--before``, an older commit's put first on ``PYTHONPATH``) and asks
each in turn for its next batch, so that load from other processes falls on
all of them alike. Each builder generates the same seeded events itself
(``benchmarks.generate``), so only the append is timed, and each appends in a
process of its own, as a writer would: its garbage collector sees its own
ledger only, never the harness's heap.

Commands, one a line on stdin; one JSON line on stdout for each:

* ``extend N``: generate the next N events, then time ``Ledger.extend`` of
  them (wall and CPU seconds; the new head);
* ``tail N FILE``: pickle the next N events of the stream (and each one's
  topic) to FILE, for the single appends and the follow latency to continue
  the log validly; nothing is appended;
* ``close``: close the ledger (an older ledger writes its snapshot then) and
  report the event mix, the hottest topic and this process's peak RSS.

It prints ``{"ready": ...}`` once the ledger is open. Only ``Ledger.open``,
``extend`` and ``close`` are used, which every version of the ledger has
(``--tune-gc`` opens with ``tune_gc=True``, which only today's has).
"""

from __future__ import annotations

import argparse
import itertools
import pickle
import sys
import time
from pathlib import Path

from benchmarks.generate import LedgerGenerator
from benchmarks.replay import peak_rss_kib
from benchmarks.worker import Worker, reply
from ledger import Ledger

__all__ = ["Builder", "main"]


class Builder(Worker):
    """The harness's end of one builder process."""

    def __init__(
        self,
        target: str,
        *,
        size: int,
        profile: str,
        seed: int,
        topics: int | None,
        sources: int | None,
        log: Path,
        code: Path | None = None,
        tune_gc: bool = False,
    ) -> None:
        """Start ``python -m benchmarks.build TARGET``, with code's ``ledger`` first if given."""
        argv = ["-m", "benchmarks.build", target, "--size", str(size)]
        argv += ["--profile", profile, "--seed", str(seed)]
        if topics is not None:
            argv += ["--topics", str(topics)]
        if sources is not None:
            argv += ["--sources", str(sources)]
        if tune_gc:
            argv += ["--tune-gc"]
        self.target = target
        super().__init__(argv, name=f"builder of {target}", log=log, code=code)


def main(argv: list[str] | None = None) -> int:
    """Open the ledger at TARGET and serve the harness's commands until ``close``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.build")
    parser.add_argument("target", help="a SQLite path or a postgresql:// URL")
    parser.add_argument("--size", type=int, required=True, help="events in the build")
    parser.add_argument("--profile", default="default")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--topics", type=int, default=None)
    parser.add_argument("--sources", type=int, default=None)
    parser.add_argument("--tune-gc", action="store_true", help="Ledger.open(..., tune_gc=True)")
    args = parser.parse_args(argv)
    gen = LedgerGenerator(
        seed=args.seed, profile=args.profile, topics=args.topics, sources=args.sources
    )
    stream = gen.take(args.size)
    lg = Ledger.open(args.target, tune_gc=True) if args.tune_gc else Ledger.open(args.target)
    reply({"ready": True, "head": lg.head})
    wall, cpu = time.perf_counter, time.process_time
    counts: dict[str, int] | None = None  # the build's mix, before any tail is generated
    for line in sys.stdin:
        command, *rest = line.split()
        if command == "extend":
            batch = list(itertools.islice(stream, int(rest[0])))
            c0, t0 = cpu(), wall()
            lg.extend(batch)
            t1, c1 = wall(), cpu()
            reply({"wall": t1 - t0, "cpu": c1 - c0, "head": lg.head})
        elif command == "tail":
            counts = counts if counts is not None else dict(gen.counts)
            body = gen.body()
            events = list(itertools.islice(body, int(rest[0])))
            Path(rest[1]).write_bytes(pickle.dumps([(e, gen.topic_of(e)) for e in events]))
            reply({"ok": True})
        elif command == "close":
            lg.close()
            reply(
                {
                    "counts": counts if counts is not None else dict(gen.counts),
                    "hottest": gen.hottest_topic,
                    "peak_kib": peak_rss_kib(),
                }
            )
            return 0
        else:
            raise SystemExit(f"unknown command {command!r}")
    lg.close()
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
