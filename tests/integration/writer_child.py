"""A writer process for the crash and concurrency tests.

    python writer_child.py URL PREFIX COUNT [MAX_BATCH]

Opens the ledger, prints ``ready``, waits for a line on stdin, then appends
COUNT batches (forever when COUNT is 0) of 1..MAX_BATCH events (ClaimMade and
FigureReported on a few topics, so that the read model has rows to keep) and,
after each append returns, prints one line ``position:event_id ...`` for the
batch: the acknowledgement the parent holds the store to. Event ids are
``PREFIX-<batch>-<k>-of-<n>`` so the parent can tell whether a batch landed
whole. With ``WRITER_CHILD_WAIT=SMALL,EVERY`` in its environment the
writer's read-model changes wait in its memory (``keeper.WRITE_SMALL`` and
``keeper.WRITE_EVERY``), so that a kill loses them.
"""

from __future__ import annotations

import os
import random
import selectors
import subprocess
import sys
import time
import traceback
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from ledger import ClaimMade, Event, Figure, FigureReported, Ledger, LedgerView
from ledger.facade import keeper
from ledger.merkle import root

ROOT = Path(__file__).resolve().parents[2]


class Writer:
    """A writer_child process seen from the test: start it, release it, read its acks."""

    def __init__(
        self,
        url: str,
        prefix: str,
        count: int,
        max_batch: int,
        log: IO[bytes],
        *,
        wait: tuple[int, int] | None = None,
    ) -> None:
        env = dict(os.environ)
        if wait is not None:
            env["WRITER_CHILD_WAIT"] = f"{wait[0]},{wait[1]}"
        self._log = log
        self.proc = subprocess.Popen(
            [sys.executable, __file__, url, prefix, str(count), str(max_batch)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            cwd=ROOT,
            env=env,
        )

    def stop(self) -> None:
        """Kill the child if it still runs and close its pipes (after a failed test, too)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Block until the child has opened the ledger."""
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                raise AssertionError(f"writer not ready after {timeout}s")
        line = self.proc.stdout.readline()
        assert line == b"ready\n", f"writer failed to start: {line!r}; {self._errors()}"

    def _errors(self) -> str:
        """The end of what the children wrote to their shared log (a dead child's traceback)."""
        self._log.flush()
        try:
            text = Path(self._log.name).read_text(errors="replace")
        except (OSError, TypeError):
            return "no log to show"
        return f"exit {self.proc.poll()}, log: {text[-3000:]!r}"

    def go(self) -> None:
        """Let the child start appending."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"go\n")
        self.proc.stdin.flush()

    def wait_for_ack(self, timeout: float = 60.0) -> None:
        """Block until the child has acknowledged its first batch (kept for acknowledged())."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        early = b""
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in early:
                if not selector.select(timeout):
                    raise AssertionError(f"writer acknowledged nothing in {timeout}s")
                chunk = os.read(fd, 65536)
                if not chunk:
                    break  # the child ended
                early += chunk
        # Read from the pipe itself (as communicate() does), nothing left in a buffer.
        self._early = early

    def acknowledged(self, timeout: float = 120.0) -> list[list[tuple[int, str]]]:
        """Wait for the child to end; its acknowledged batches as (position, event_id)."""
        out, _ = self.proc.communicate(timeout=timeout)
        out = getattr(self, "_early", b"") + out
        batches = []
        # A last line without its newline was cut by the kill: not acknowledged.
        for line in out.split(b"\n")[:-1]:
            pairs = (item.split(":", 1) for item in line.decode().split())
            batches.append([(int(position), event_id) for position, event_id in pairs])
        return batches


def read_while_writing(url: str, seconds: float, results: Any) -> None:
    """A reader process: while writers append, check each view it reads against a replay.

    A view counts when the head did not move while it was read; results gets
    (views checked, positions whose views differed from the replay), or a
    traceback.
    """
    try:
        checked, wrong = 0, []
        deadline = time.monotonic() + seconds
        with Ledger.open(url) as lg:
            while time.monotonic() < deadline:
                before = lg.position
                topics, propositions = lg.topics(), lg.propositions()
                if lg.position != before or not before:
                    continue
                events = [r.event for r in lg.records() if r.position <= before]
                replay = LedgerView.replay(events)
                if (replay.topics(), replay.propositions()) != (topics, propositions):
                    wrong.append(before)
                checked += 1
        results.put((checked, wrong))
    except BaseException:
        results.put(traceback.format_exc())
        raise


def check_log(url: str, acked: dict[str, int]) -> int:
    """Assert the log after a crash, and its read model against a replay; return its head."""
    with Ledger.open(url) as lg:
        records = list(lg.records())  # every record decodes
        edge = lg.store.tree()
        replay = LedgerView.replay(r.event for r in records)
        # The read model (caught up if a writer died between the log and it) is the replay.
        assert lg.topics() == replay.topics(), "the read model's topics are not the replay's"
        assert lg.propositions() == replay.propositions(), "propositions differ from the replay"
        for topic in replay.topics():
            assert lg.history(topic.topic) == replay.history(topic.topic)
    assert [r.position for r in records] == list(range(1, len(records) + 1)), "positions gap"
    stored = {r.event_id: r.position for r in records}
    lost = {e: p for e, p in acked.items() if stored.get(e) != p}
    assert not lost, f"acknowledged events lost or moved: {lost}"
    assert (edge.size, edge.root()) == (len(records), root([r.hash for r in records]))
    batches = Counter(e.rsplit("-", 3)[0] for e in stored)
    sizes = {e.rsplit("-", 3)[0]: int(e.rsplit("-", 1)[1]) for e in stored}
    partial = {b: (n, sizes[b]) for b, n in batches.items() if n != sizes[b]}
    assert not partial, f"batches that landed in part: {partial}"
    return len(records)


def main(url: str, prefix: str, count: int, max_batch: int) -> None:
    rng = random.Random(prefix)
    waiting = os.environ.get("WRITER_CHILD_WAIT")
    if waiting:
        # "SMALL,EVERY": read-model changes wait in this writer's memory (keeper.WRITE_*).
        small, every = (int(n) for n in waiting.split(","))
        keeper.WRITE_SMALL, keeper.WRITE_EVERY = small, every
    lg = Ledger.open(url)
    print("ready", flush=True)
    sys.stdin.readline()
    batch = 0
    while count == 0 or batch < count:
        size = rng.randint(1, max_batch)
        stated = datetime(2024, 8, 6, tzinfo=UTC) + timedelta(seconds=batch)
        events: list[Event] = []
        for k in range(size):
            event_id = f"{prefix}-{batch}-{k}-of-{size}"
            if rng.random() < 0.5:
                low = rng.randint(0, 1000)
                events.append(
                    FigureReported(
                        claim_id=f"{prefix}/b{batch}-{k}",
                        topic=f"kursk/casualties/{rng.randint(0, 3)}",
                        source=f"src/{prefix}",
                        figure=Figure(low, low + rng.randint(0, 500), unit="people"),
                        stated_at=stated,
                        # Sizes that cross page boundaries make torn writes possible.
                        quote="x" * rng.randint(0, 3000),
                        event_id=event_id,
                    )
                )
                continue
            events.append(
                ClaimMade(
                    claim_id=f"{prefix}/b{batch}-{k}",
                    topic="kursk/incursion",
                    source=f"src/{prefix}",
                    statement="troops crossed the border " + "x" * rng.randint(0, 3000),
                    stated_at=stated,
                    event_id=event_id,
                )
            )
        recorded = lg.extend(events)
        print(" ".join(f"{r.position}:{r.event_id}" for r in recorded), flush=True)
        batch += 1
    lg.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 1)
