"""Follow latency: how soon ``Ledger.follow`` in another process sees an append.

``python -m benchmarks.follow URL --after N --count K`` is the follower: it
opens the ledger, says it is ready, follows it from position N and prints,
for each of the next K records, the position and the moment it was yielded
(``time.monotonic()``, the same clock in every process of the machine).
``follow_latency`` is the writer side the harness runs: it starts a
follower, appends the events one at a time (a pause between them, so that
each is delivered alone), and gives the delay from each ``Ledger.append``
call to the follower yielding its record: the append's own work (validate,
encode, write, commit) plus the notification, the follower's read and its
decoding. The delay from the append *returning* is given too; it can be
negative, as the follower may see the commit before the writer's call has
finished its own bookkeeping.
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

import orjson

from benchmarks.worker import child_env
from ledger import Ledger
from ledger.domain.events import Event

__all__ = ["follow_latency", "main"]


def follow_latency(
    url: str, events: Sequence[Event], *, pause: float = 0.05, poll_interval: float = 1.0
) -> dict[str, Any]:
    """Append events one by one to the ledger at url while another process follows it."""
    env = child_env()
    with Ledger.open(url) as lg:
        head = lg.head
        follower = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks.follow",
                url,
                "--after",
                str(head),
                "--count",
                str(len(events)),
                "--poll-interval",
                str(poll_interval),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            assert follower.stdout is not None
            ready = follower.stdout.readline()
            if not ready.startswith("{"):
                raise RuntimeError(f"the follower did not start: {follower.stderr.read()[-500:]}")
            time.sleep(1.0)  # it is listening by now
            called: dict[int, tuple[float, float]] = {}
            for event in events:
                started = time.monotonic()
                record = lg.append(event)
                called[record.position] = (started, time.monotonic())
                time.sleep(pause)
            out, err = follower.communicate(timeout=60 + poll_interval * 2)
        finally:
            if follower.poll() is None:
                follower.kill()
                follower.wait()
    if follower.returncode != 0:
        raise RuntimeError(f"the follower failed: {err.strip().splitlines()[-1:]}")
    received = {int(p): t for p, t in orjson.loads(out.strip().splitlines()[-1])}
    delays = sorted((received[p] - t0) * 1000 for p, (t0, _) in called.items())
    after = sorted((received[p] - t1) * 1000 for p, (_, t1) in called.items())
    return {
        "median_ms": statistics.median(delays),
        "p95_ms": _p95(delays),
        "max_ms": delays[-1],
        "count": len(delays),
        "after_return_median_ms": statistics.median(after),
        "after_return_p95_ms": _p95(after),
        "append_median_ms": statistics.median((t1 - t0) * 1000 for t0, t1 in called.values()),
    }


def _p95(ordered: list[float]) -> float:
    """The 95th percentile of sorted values (nearest rank)."""
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def main(argv: list[str] | None = None) -> int:
    """Follow a ledger and print when each of the next records arrived."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.follow")
    parser.add_argument("url")
    parser.add_argument("--after", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--poll-interval", type=float, default=1.0)
    args = parser.parse_args(argv)
    arrived: list[tuple[int, float]] = []
    with Ledger.open(args.url) as lg:
        print(orjson.dumps({"ready": True}).decode(), flush=True)
        for record in lg.follow(args.after, poll_interval=args.poll_interval):
            arrived.append((record.position, time.monotonic()))
            if len(arrived) == args.count:
                break
    print(orjson.dumps(arrived).decode(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
