"""Grow a ledger file past its read model, as an older writer (or one killed in between) leaves it.

``python -m benchmarks.grow PATH --count N`` appends the next N events of the
seeded generator (the stream the harness built PATH from) straight through
the store (``Store.write(rows, head)`` with no read-model changes), so that
the read model beside the log still stands at the old head. The next open
(or its first query) catches it up: ``python -m benchmarks.replay open-one
PATH --topic T`` (or ``open-all``) then times a cold read that folds those N
records into the read model first, the "catch-up" figure in RESULTS.md. It
writes to PATH: grow a copy.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from benchmarks.generate import continuation
from ledger.codec import make_codec
from ledger.stores import open_store

__all__ = ["grow", "main"]


def grow(path: Path, count: int, *, profile: str = "default", seed: int = 8) -> int:
    """Append count generated events to the log at path, leaving its read model behind."""
    store = open_store(str(path))
    try:
        codec = make_codec()
        head = store.head()
        _, body = continuation(head, profile=profile, seed=seed)
        events = list(itertools.islice(body, count))
        for i in range(0, len(events), 1_000):
            rows = codec.encode_many(head, events[i : i + 1_000], store.clock())
            store.write(rows, head)  # no ModelWrite: the read model stays where it was
            head += len(rows)
        return store.head()
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    """Grow the ledger and print its new head."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.grow")
    parser.add_argument("path", type=Path, help="a ledger file the harness built (a copy of it)")
    parser.add_argument("--count", type=int, default=9_999, help="events to append")
    parser.add_argument("--profile", default="default", help="the profile PATH was built with")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    print(f"head {grow(args.path, args.count, profile=args.profile, seed=args.seed):,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
