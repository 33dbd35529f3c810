"""Processes for the verify-under-load tests: one appends forever, one verifies in a loop.

    python load_child.py append URL
    python load_child.py verify URL COUNT

``append`` opens the ledger, prints ``ready`` and appends one event at a time
until it is killed. ``verify`` verifies the ledger COUNT times and prints each
report as one JSON line: even rounds with ``verify_url`` (a fresh read-only
open each time), odd rounds with ``verify_store`` on one store kept open for
the whole loop, followed by the comparison of the read model with a fold of
the log (``audit_read_model``). Every other round is a slow reader: the store's right edge
is read 5 ms after the rows, the window in which an append by the other
process used to look like tampering.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ledger import FigureReported, Ledger, TopicDefined
from ledger.codec import make_codec
from ledger.domain.figures import Figure
from ledger.facade.audit import audit_read_model, with_audit
from ledger.merkle import CompactRange
from ledger.stores import open_store
from ledger.stores.base import Store
from ledger.tamper import verify_store, verify_url

T0 = datetime(2024, 8, 6, tzinfo=UTC)
TOPIC = "kursk/casualties"


def append(url: str) -> None:
    """Append figures one by one, forever."""
    with Ledger.open(url) as lg:
        if lg.head == 0:
            lg.append(TopicDefined(topic=TOPIC, title="Casualties", unit="people"))
        print("ready", flush=True)
        n = lg.head
        while True:
            n += 1
            lg.append(
                FigureReported(
                    claim_id=f"load/{n}",
                    topic=TOPIC,
                    source=f"src/{n % 7}",
                    figure=Figure(n, n + 10, unit="people"),
                    stated_at=T0 + timedelta(minutes=n),
                    quote="x" * (n % 300),
                )
            )


def _slow(tree: Callable[[Store], CompactRange]) -> Callable[[Store], CompactRange]:
    @functools.wraps(tree)
    def slow_tree(self: Store) -> CompactRange:
        time.sleep(0.005)
        return tree(self)

    return slow_tree


def verify(url: str, count: int) -> None:
    """Verify count times, printing each report as a JSON line."""
    kept = open_store(url, read_only=True)
    try:
        kind = type(kept)
        codec = make_codec()
        fast_tree = kind.tree
        for i in range(count):
            kind.tree = _slow(fast_tree) if i % 4 >= 2 else fast_tree  # type: ignore[method-assign]
            if i % 2 == 0:
                report = verify_url(url)
            else:
                report = verify_store(kept)
                if report.ok:
                    # The read model too, while the writer moves it: never a false alarm.
                    report = with_audit(report, audit_read_model(kept, codec))
            shown: dict[str, Any] = {**report.to_dict(), "round": i}
            print(json.dumps(shown), flush=True)
    finally:
        kept.close()


if __name__ == "__main__":
    if sys.argv[1] == "append":
        append(sys.argv[2])
    else:
        verify(sys.argv[2], int(sys.argv[3]))
